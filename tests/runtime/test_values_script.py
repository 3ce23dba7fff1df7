"""The value semantics seen through the whole shell (tests.md B3/B4 items 15–29): parser + evaluator + ours."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("(1,2,3 + 4,5,6).Count", 6),
        ("$b = @(); $b += 'a' ;; $b.Count", 1),
        ("@{Add='10.0.0.5','10.0.0.6'}.Add.Count", 2),
        ("$h = @{'Display Name' = 'x'} ;; $h['display name']", "x"),
        ("$a = 1,2,3 ;; $a[-1]", 3),
        ("$a = 1,2,3 ;; $a[5]", None),
        ("1,2 -contains 2", True),
        ("2 -in 1,2", True),
        ("'Hello' -contains 'Hello'", True),
        ("'Hello','world' -ccontains 'hello'", False),
        ("'PowerShell' -like 'Power[p-w]hell'", True),
        ("'f??' -like 'f`?`?'", True),
        ("'for' -like 'f`?`?'", False),
        ("(1,2,3 -eq 5).Count", 0),
        ("if (@(0,1) -eq 0) {'y'} else {'n'}", "n"),
        ("$arr = 1,$null,3 ;; ($arr -ne $null).Count", 2),
        ("1 -eq '1.0'", True),
        ("'1.0' -eq 1", False),
        ("$true -eq 'false'", True),
        ("'aaa' -clt 'AAA'", True),
        ("$true -or $false -and $false", False),
        ("$n = 10 ;; !$n -eq 10", False),
        ("[bool]'False'", True),
        ("[bool]@(0)", False),
        ("[bool]@(0,0)", True),
        ("[bool]@{}", True),
        ("'file' + 16", "file16"),
        ("'10' - '2'", 8),
        ("3+6/3*4", 11),
        ("'{0:N2}' -f 1234.567", "1,234.57"),
        ("\"$([pscustomobject]@{a=1; b='x'})\"", "@{a=1; b=x}"),
        ("[string]@(1,2,3)", "1 2 3"),
    ],
)
def test_expression_value(shell, expr, expected):
    """`setup ;; expr`: the setup statements run first, then the last expression is captured."""
    setup, _, last = expr.rpartition(" ;; ")
    if setup:
        shell.run(setup)
    shell.run(f"$__v = {last}")
    assert shell.session.get_variable("__v") == expected


@pytest.mark.parametrize(
    "statement, message",
    [
        ("@{a=1} + @{a=2}", "Item has already been added. Key in dictionary: 'a'  Key being added: 'a'"),
        ("$null[0]", "Cannot index into a null array."),
        ("'a' -like '[abc'", "The specified wildcard character pattern is not valid: [abc"),
        ("16 + 'file'", 'Cannot convert value "file" to type "System.Int32". Error: "The input string \'file\' was '
                        'not in a correct format."'),
        ("$null.Foo()", "You cannot call a method on a null-valued expression."),
        ("'x'.NoSuchMethod()", "Method invocation failed because [System.String] does not contain a method named "
                               "'NoSuchMethod'."),
    ],
)
def test_runtime_errors_reach_the_error_stream_with_powershell_text(shell, statement, message):
    shell.run(statement)
    assert message in shell.host.error_text
    assert "Traceback" not in shell.host.error_text


def test_matches_is_set_by_a_successful_match(shell):
    shell.run("$null = 'Hello World' -match '(\\w+) (?<second>\\w+)'")
    assert shell.session.get_variable("Matches")[0] == "Hello World"
    assert shell.session.get_variable("Matches")["second"] == "World"
