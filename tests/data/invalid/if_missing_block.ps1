# expect: MissingStatementBlock 2:24
if ($rc.Enabled -eq 1) Set-ReceiveConnector Relay -Enabled $false
