# expect: MissingInInForeach 2:14
foreach ($ip from $list) { $ip }
