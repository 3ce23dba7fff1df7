# expect: InvalidVariableReferenceWithDrive 3:16
$server = "EX01"
Write-Host "on $server: relay ready"
