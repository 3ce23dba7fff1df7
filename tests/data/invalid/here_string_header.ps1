# expect: UnexpectedCharactersAfterHereStringHeader 2:14
$banner = @" text
220 ready
"@
