# expect: EmptyPipeElement 2:22 incomplete
Get-ReceiveConnector |
# nothing follows
