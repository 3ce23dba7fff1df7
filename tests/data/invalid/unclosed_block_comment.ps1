# expect: MissingTerminatorMultiLineComment 4:1 incomplete
<# Relay setup
   step 1
