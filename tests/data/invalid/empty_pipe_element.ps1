# expect: EmptyPipeElement 2:22
Get-ReceiveConnector | | Format-Table
