"""tests.md B4 (operators as the evaluator dispatches them) and B6 (pipelines with Where/ForEach/Select),
end to end through Session.run."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "line, expected",
    [
        ("1,2 -contains 2", ["True"]),
        ("2 -in 1,2", ["True"]),
        ("'Hello' -contains 'Hello'", ["True"]),
        ("'Hello','world' -ccontains 'hello'", ["False"]),
        ('"ABC" -like "a*"', ["True"]),
        ('"ABC" -clike "a*"', ["False"]),
        ("'PowerShell' -like 'shell'", ["False"]),
        ("'PowerShell' -match 'shell'", ["True"]),
        ("'PowerShell' -like 'Power[p-w]hell'", ["True"]),
        ("(1,2,3 -eq 2).Count", ["1"]),
        ("(1,2,3 -eq 5).Count", ["0"]),
        ("if (@(0,1) -eq 0) {'y'} else {'n'}", ["n"]),
        ("$arr = 1,$null,3; ($arr -ne $null).Count", ["2"]),
        ("$arr = 1,$null,3; $null -eq $arr", ["False"]),
        ("1 -eq '1.0'", ["True"]),
        ("'1.0' -eq 1", ["False"]),
        ("$true -eq 'false'", ["True"]),
        ("'abc' -ceq 'ABC'", ["False"]),
        ("$true -or $false -and $false", ["False"]),
        ("2 -gt 4 -and 1", ["False"]),
        ("$n = 10; !$n -eq 10", ["False"]),
        ("[bool]'False'", ["True"]),
        ("[bool]@(0)", ["False"]),
        ("[bool]@(0,0)", ["True"]),
        ("'file' + 16", ["file16"]),
        ("'10' - '2'", ["8"]),
        ("3+6/3*4", ["11"]),
        ("1..3 + 4", ["1", "2", "3", "4"]),
        # -and / -or short-circuit: the right side is not evaluated
        ("$false -and (Get-Nope); 'ok'", ["False", "ok"]),
        ("$true -or (Get-Nope)", ["True"]),
        ("$null ?? 'dflt'", ["dflt"]),
        ("$true ? 'y' : 'n'", ["y"]),
    ],
)
def test_b4_operators_through_the_evaluator(shell, line, expected):
    assert shell.out(line) == expected, shell.host.error_text
    assert shell.host.errors == []


def test_b4_error_for_bad_operand_carries_span(shell):
    shell.run("16 + 'file'")
    rec = shell.errors()[0]
    assert rec.message.startswith('Cannot convert value "file" to type "System.Int32".')
    assert rec.span is not None and rec.span.text == "16 + 'file'"


def test_b3_null_index_error(shell):
    shell.run("$null[0]")
    assert shell.errors()[0].message == "Cannot index into a null array."


def test_b3_hashtable_addition_duplicate_key(shell):
    shell.run("@{a=1} + @{a=2}")
    assert shell.errors()[0].message == "Item has already been added. Key in dictionary: 'a'  Key being added: 'a'"


@pytest.mark.parametrize(
    "line, expected",
    [
        ("'a','b' | ForEach-Object { $_.ToUpper() }", ["A", "B"]),
        ("'a','b' | % ToUpper", ["A", "B"]),
        ("'hi','','there' | Where-Object Length", ["hi", "there"]),
        ("'hi','','there' | where Length -gt 2", ["there"]),
        ("1..5 | Select-Object -First 2", ["1", "2"]),
        ("1..5 | Select-Object -Last 2", ["4", "5"]),
        ("1..5 | Select-Object -Skip 1 -First 2", ["2", "3"]),
        ("1..5 | ? { $_ % 2 } | % { $_ * 10 }", ["10", "30", "50"]),
    ],
)
def test_b6_pipelines(shell, line, expected):
    assert shell.out(line) == expected, shell.host.error_text


def test_b6_where_operator_without_value_is_an_error(shell):
    shell.run("Get-Thing | where Name -eq")
    assert shell.errors()[0].message.startswith(
        "The specified operator requires both the -Property and -Value parameters."
    )


def test_functions_continue_after_statement_terminating_error(shell):
    assert shell.out("function f { Get-Nope; 'after' }; f") == ["after"]


def test_try_catches_terminating_error_from_nested_function(shell):
    assert shell.out("function inner { 1/0; 'no' }; try { inner } catch { 'caught' }") == ["caught"]


def test_ambiguous_positional_parameters(shell):
    shell.run("function f { param([Parameter(Position=0)]$a, [Parameter(Position=0)]$b) }; f 1")
    assert shell.errors()[0].message == "Cannot bind positional parameters because no names were given."


def test_remaining_arguments_parameter_in_function(shell):
    assert shell.out(
        "function f { param($First, [Parameter(ValueFromRemainingArguments)]$Rest) \"$First|$($Rest -join ',')\" }; "
        "f a b c"
    ) == ["a|b,c"]


def test_write_output_no_enumerate_sends_one_object(shell):
    assert shell.out("Write-Output -NoEnumerate 1,2,3 | Measure-Object | % Count") == ["1"]
    assert shell.out("Write-Output 1,2,3 | Measure-Object | % Count") == ["3"]


def test_advanced_function_rejects_unknown_parameter(shell):
    shell.run("function f { param([Parameter(Position=0)]$a) $a }; f -zz 1")
    assert shell.errors()[0].error_id == "NamedParameterNotFound,f"


def test_simple_function_puts_unknown_parameters_in_args(shell):
    assert shell.out("function f { param($a) \"$a/$($args -join ',')\" }; f 1 -zz 2") == ["1/-zz,2"]


def test_splatting_args_keeps_parameter_names(shell):
    assert shell.run("function w { Set-Thing @args }; w X -Name n -Force").success
    assert shell.rec.last("Set-Thing") == {"Identity": "X", "Name": "n", "Force": True}
