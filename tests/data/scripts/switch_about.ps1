switch (3) { 1 {"It is one."} 2 {"It is two."} 3 {"It is three."} 4 {"It is four."} 3 {"Three again."} }
switch (3) { 1 {"one"} 3 {"three"; break} 3 {"three again"} }
switch (1, 5) { 1 {"It is one."} 2 {"two"} 3 {"three"} 5 {"It is five."} }
switch ("fourteen") { 1 {"one"; break} "fourteen" {"fourteen"} default {"none"} }
switch -Wildcard ("fourteen") { 1 {"one"} "fo*" {"That's too many."} default {"none"} }
$target = 'https://bing.com'
switch -Regex ($target) {
    '^ftp\://.*$' { "$_ is an ftp address"; Break }
    '^\w+tp\://.*$' { "$_ is a web address"; Break }
    '^(http[s]?)\://.*$' { "$_ is a web address that uses $($matches[1])"; Break }
}
switch (4, 2) { {$_ -gt 3} {"Bigger than three"} {$_ -lt 3} {"Less than three"} }
switch (1,4,-1,3,"Hello",2,1) { {$_ -lt 0} { continue } {$_ -isnot [Int32]} { break } {$_ % 2} { "$_ is Odd" } {-not ($_ % 2)} { "$_ is Even" } }
switch -CaseSensitive ("A") { "a" {"lower"} "A" {"upper"} }
switch ("A") { "a" {"lower"} "A" {"upper"} }
switch (@()) { default {"empty"} }
switch ($null) { $null {"null"} }
$x = switch (1,2) { 1 {"a"} 2 {"b"} }; $x.Count
'l1','l2x' | Set-Content $args[0]
switch -Wildcard -File $args[0] { "*x" {"x: $_"} default {"no: $_"} }
foreach ($i in 1..3) { switch ($i) { 2 { continue } default { "i=$i" } } }
:outer foreach ($i in 1..3) { switch ($i) { 2 { break outer } default { "j=$i" } } }
switch -regex -casesensitive ("ABC") { "b" {"b"} "B" {"B $($matches[0])"} }
