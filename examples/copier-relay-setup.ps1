# A complete copier relay: the copier (scan-to-email) submits anonymously to this server, which delivers
# scans for our own users to their mailboxes and relays everything else through the ISP's smart host.
# Afterwards, the message tracking log proves that a scan went out.
#
#   exshell -f examples/copier-relay-setup.ps1 [copier-ip] [binding] [smart-host]
#   exshell serve            # then run the engine (receiving + delivery)

$copier    = if ($args.Count -ge 1) { $args[0] } else { "192.168.1.100" }
$binding   = if ($args.Count -ge 2) { $args[1] } else { "192.168.1.17:25" }
$smartHost = if ($args.Count -ge 3) { $args[2] } else { "smtp.isp.example" }

# 1. The domain we receive mail for: every recipient lives here, unknown ones are bounced (5.1.1).
New-AcceptedDomain -Name Contoso -DomainName contoso.com -DomainType Authoritative

# 2. A mailbox for the copier's own address (NDRs for failed scans land here) and one for a user.
New-Mailbox -Name Scanner -PrimarySmtpAddress scanner@contoso.com
New-Mailbox -Name "Alice Jones" -Alias alice -PrimarySmtpAddress alice@contoso.com

# 3. Everything that isn't ours leaves through the smart host (no DNS/MX lookups).
New-SendConnector -Name "To ISP" -Usage Custom -AddressSpaces "*" -SmartHosts $smartHost -Port 25 `
    -Fqdn mail.contoso.com

# 4. The relay connector: only the copier's address, anonymous, allowed to send to any recipient.
New-ReceiveConnector -Name "Copier Relay" -Usage Custom -Bindings $binding -Fqdn mail.contoso.com `
    -RemoteIPRanges $copier -PermissionGroups AnonymousUsers
Get-ReceiveConnector "Copier Relay" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" `
    -ExtendedRights "ms-Exch-SMTP-Accept-Any-Recipient"

# 5. Retry quickly while testing the copier; the defaults are 5 minutes and 2 days.
Set-TransportConfig -MessageRetryInterval 00:01:00 -TransientFailureRetryInterval 00:01:00 `
    -MessageExpirationTimeout 1.00:00:00

# Review what was set up.
Get-SendConnector "To ISP" | fl Name,AddressSpaces,SmartHosts,Port,DNSRoutingEnabled
Get-ADPermission "Copier Relay" | where {$_.ExtendedRights -like "*Any-Recipient*"} | ft User,ExtendedRights -AutoSize

# 6. After the copier sent a scan (with the engine running): did it go out, and is anything stuck?
Get-MessageTrackingLog -Sender scanner@contoso.com -EventId SEND -Start (Get-Date).AddHours(-1) |
    ft Timestamp,EventId,Source,Recipients,MessageSubject -AutoSize
Get-Queue | where {$_.MessageCount -gt 0} | Get-Message | ft Identity,FromAddress,Status,LastError -AutoSize
