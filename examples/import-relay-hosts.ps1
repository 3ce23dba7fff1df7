# Bulk import of relay hosts from a CSV file (one IP, range or CIDR per row, column "IP"), the way
# administrators moved their ~100 relay hosts from the old product. Each row is added with @{Add=...}, so
# nothing already on the connector is dropped; one version of the configuration per row shows who added what.
#
#   exshell -f examples/import-relay-hosts.ps1 examples/relay-hosts.csv [connector]

$csv       = if ($args.Count -ge 1) { $args[0] } else { "examples/relay-hosts.csv" }
$connector = if ($args.Count -ge 2) { $args[1] } else { "RelayConnector" }

$rows = @(Import-Csv $csv)
$i = 0
foreach ($row in $rows) {
    $i++
    # A bar on a terminal while hundreds of rows go in; nothing in a pipe or a log.
    Write-Progress -Activity "Adding relay hosts to $connector" -Status "$i of $($rows.Count): $($row.IP)" `
        -PercentComplete ($i * 100 / $rows.Count)
    Set-ReceiveConnector $connector -RemoteIPRanges @{Add=$row.IP}
}
Write-Progress -Activity "Adding relay hosts to $connector" -Completed

# Or in one change (one version): Set-ReceiveConnector $connector -RemoteIPRanges @{Add=(Import-Csv $csv).IP}
Get-ReceiveConnector $connector | Format-List Identity,RemoteIPRanges
Get-ConfigVersion -Last 5
