# expect: MissingEndCurlyBrace 3:32 incomplete
$rc = Get-ReceiveConnector "Relay"
Get-ADPermission Relay | where {$_.ExtendedRights -like "*Any*"
