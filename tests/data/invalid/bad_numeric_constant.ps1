# expect: BadNumericConstant 2:15
$limit = 10 + 0xFFFFy
