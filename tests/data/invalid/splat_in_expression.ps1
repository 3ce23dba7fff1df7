# expect: SplattingNotPermitted 3:6
$p = @{Identity = 'Relay'}
$q = @p
