# expect: InvalidLeftHandSide 2:1
"Relay" = Get-ReceiveConnector
