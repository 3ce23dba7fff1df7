# expect: ExpressionsMustBeFirstInPipeline 2:30
Get-ReceiveConnector Relay | "name"
