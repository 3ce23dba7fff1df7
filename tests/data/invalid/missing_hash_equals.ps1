# expect: MissingEqualsInHashLiteral 2:50
Set-ReceiveConnector Relay -RemoteIPRanges @{Add "10.0.0.5"}
