# Bulk import of relay hosts from a CSV file (one IP, range or CIDR per row, column "IP"), the way
# administrators moved their ~100 relay hosts from the old product. Each row is added with @{Add=...}, so
# nothing already on the connector is dropped; one version of the configuration per row shows who added what.
#
#   exshell -f examples/import-relay-hosts.ps1 examples/relay-hosts.csv [connector]

$csv       = if ($args.Count -ge 1) { $args[0] } else { "examples/relay-hosts.csv" }
$connector = if ($args.Count -ge 2) { $args[1] } else { "RelayConnector" }

Import-Csv $csv | ForEach-Object { Set-ReceiveConnector $connector -RemoteIPRanges @{Add=$_.IP} }

# Or in one change (one version): Set-ReceiveConnector $connector -RemoteIPRanges @{Add=(Import-Csv $csv).IP}
Get-ReceiveConnector $connector | Format-List Identity,RemoteIPRanges
Get-ConfigVersion -Last 5
