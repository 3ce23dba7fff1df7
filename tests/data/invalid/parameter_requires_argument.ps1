# expect: ParameterRequiresArgument 2:28
Set-ReceiveConnector Relay -RemoteIPRanges: | Out-Null
