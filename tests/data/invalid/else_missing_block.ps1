# expect: MissingStatementBlockAfterElse 6:1
if ($x) {
    'one'
}
else
'other'
