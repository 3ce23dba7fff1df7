# expect: DuplicateKeyInHashLiteral 4:5
$ranges = @{
    Add = "10.0.0.5"
    add = "10.0.0.6"
}
