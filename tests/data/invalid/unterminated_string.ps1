# expect: TerminatorExpectedAtEndOfString 2:36 incomplete
Set-ReceiveConnector Relay -Banner "220 mail
