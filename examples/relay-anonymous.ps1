# Recipe 2 of the seed: the copier connects anonymously, and may relay through this connector only.
# Messages still pass the anti-spam stamps (AuthAs Anonymous, an SCL value) and senders stay plain
# SMTP addresses.
#
#   exshell -f examples/relay-anonymous.ps1 [copier-ip] [binding]

$copier  = if ($args.Count -ge 1) { $args[0] } else { "192.168.1.100" }
$binding = if ($args.Count -ge 2) { $args[1] } else { "192.168.1.17:25" }

New-ReceiveConnector -Name RelayConnector -Usage Custom -Bindings $binding -Fqdn server.domain.com `
    -RemoteIPRanges $copier -PermissionGroups AnonymousUsers
Get-ReceiveConnector RelayConnector | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" `
    -ExtendedRights "ms-Exch-SMTP-Accept-Any-Recipient"

# Who may relay here, and why:
Get-ADPermission RelayConnector | where {$_.ExtendedRights -like "*Any-Recipient*"} | ft User,ExtendedRights -AutoSize
