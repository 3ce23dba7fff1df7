# expect: MissingEndParenthesisInExpression 4:1 incomplete
$count = (Get-ReceiveConnector |
    Measure-Object
