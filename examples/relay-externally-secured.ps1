# Recipe 1 of the seed: trust the copier completely ("externally secured").
# The connector listens on 192.168.1.17:25 and serves only 192.168.1.100. Sessions from that host act as
# MS Exchange\Externally Secured Servers: they may relay, bypass anti-spam and size limits, send as any
# sender, and their senders are resolved to mailbox display names (AuthAs Internal).
#
#   exshell -f examples/relay-externally-secured.ps1
#   exshell -f examples/relay-externally-secured.ps1 10.0.0.25 0.0.0.0:2525   # other host / binding

$copier  = if ($args.Count -ge 1) { $args[0] } else { "192.168.1.100" }
$binding = if ($args.Count -ge 2) { $args[1] } else { "192.168.1.17:25" }

New-ReceiveConnector -Name RelayConnector -Usage Custom -Bindings $binding -Fqdn server.domain.com `
    -RemoteIPRanges $copier -PermissionGroups ExchangeServers -AuthMechanism 'TLS, ExternalAuthoritative'

# What a session from the copier gets, step by step (the same decision the engine makes):
Test-RelayPolicy -RemoteIPAddress $copier -LocalEndPoint $binding -Sender scanner@domain.com -Recipient someone@example.net
