# expect: MissingExpression 2:53
Set-ReceiveConnector Relay -RemoteIPRanges 10.0.0.5,,10.0.0.6
