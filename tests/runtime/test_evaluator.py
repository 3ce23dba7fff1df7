"""The evaluator: strings, variables, assignment, control flow, functions, scopes, errors (grammar.md §3,
tests.md B1, B3, B9)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "line, expected",
    [
        # B1 strings and expansion
        ('$x = 1; "a$($x)b"', ["a1b"]),
        ("$x = 1; 'a$($x)b'", ["a$($x)b"]),
        ("$s = 'abc'; \"$s.Length\"", ["abc.Length"]),
        ("$s = 'abc'; \"$($s.Length)\"", ["3"]),
        ("$s = 'abc'; \"${s}def\"", ["abcdef"]),
        ('$s = \'abc\'; "[$sdef]"', ["[]"]),
        ('$a = 1,2,3; "$a"', ["1 2 3"]),
        ('$a = 1,2,3; $OFS = "-"; "$a"', ["1-2-3"]),
        ('"50$"', ["50$"]),
        # B2 argument tokenizing reaching the binder
        ("Write-Output 2+2", ["2+2"]),
        ("Write-Output (2+2)", ["4"]),
        ("2+2", ["4"]),
        ("$x = 1; Write-Output $x+2", ["1+2"]),
        ("Write-Output 1..3", ["1..3"]),
        ("Write-Output (1..3)", ["1", "2", "3"]),
        ("Write-Output -- -InputObject", ["-InputObject"]),
        # B3 hashtables and arrays
        ('@{Add="10.0.0.5","10.0.0.6"}.Add.Count', ["2"]),
        ("$h = @{'Display Name' = 'x'}; $h.'Display Name'; $h['display name']", ["x", "x"]),
        ("(1,2,3 + 4,5,6).Count", ["6"]),
        ("$b = @(); $b += 'a'; $b.Count", ["1"]),
        ("$a = 1,2,3; $a += 4; $a.Count", ["4"]),
        ("$a = 1,2,3; $a[-1]", ["3"]),
        ("$a = 1,2,3; $a[5] -eq $null", ["True"]),
        ("@(1,2).Count; @().Count; @(@(1,2)).Count", ["2", "0", "2"]),
        ("$x = ,1; $x.Count", ["1"]),
        # B9 statements
        ("if ($x -eq 1) { 'one' }\nelse { 'other' }", ["other"]),
        ("$x = 1\nif ($x -eq 1) { 'one' }\nelse { 'other' }", ["one"]),
        ("foreach ($i in $null) { 'x' }", []),
        ("foreach ($i in 5) { $i }", ["5"]),
        ("'Hello' |\nForEach-Object {\"$_ world\"}", ["Hello world"]),
        # assignment forms
        ("$a, $b = 1, 2, 3; $a; $b.Count", ["1", "2"]),
        ("$n = $null; $n ??= 5; $n", ["5"]),
        ("$i = 5; $i -= 2; $i *= 3; $i", ["9"]),
        ("[int]$q = '5'; $q + 1", ["6"]),
        ("$o = [pscustomobject]@{N=1}; $o.N += 4; $o.N", ["5"]),
        ("$l = 1,2,3; $l[1] = 9; $l -join ','", ["1,9,3"]),
        ("$null = 5; 'ok'", ["ok"]),
        ("($z = 3)", ["3"]),
        ("$i = 1; $i++; $i", ["2"]),
        ("$x = if ($true) { 'y' } else { 'n' }; $x", ["y"]),
        # loops and flow control
        ("for ($i = 0; $i -lt 3; $i++) { $i }", ["0", "1", "2"]),
        ("$k = 0; do { $k++ } until ($k -ge 3); $k", ["3"]),
        ("$k = 0; do { $k++ } while ($k -lt 2); $k", ["2"]),
        ("$i = 0; while ($true) { $i++; if ($i -gt 3) { break } }; $i", ["4"]),
        ("foreach ($i in 1..5) { if ($i -eq 2) { continue }; if ($i -eq 4) { break }; $i }", ["1", "3"]),
        ("foreach ($i in 1..2) { $i }; $i", ["1", "2", "2"]),
        # script blocks and scopes
        ("& { $z = 5 }; $z -eq $null", ["True"]),
        (". { $z = 5 }; $z", ["5"]),
        ("$sb = { param($a, $b) $a + $b }; & $sb 2 3", ["5"]),
        ("$sb = { $args[0] * 2 }; & $sb 21", ["42"]),
        ("$sb = { 'x' }; $sb.Invoke()", ["x"]),
        ("$sb = { 'text' }; \"$sb\"", [" 'text' "]),
        ("$t = 0; 1..3 | ForEach-Object { $t += $_ }; $t", ["6"]),
        ("$g = 1; function f { $g = 2; $g }; f; $g", ["2", "1"]),
        ("function f { $global:g2 = 7 }; f; $g2", ["7"]),
        # functions
        ("function f($p) { \"got $p\" }; f 7", ["got 7"]),
        ("function f { param([string]$Name, [int]$Count = 2) \"$Name x $Count\" }; f a; f b 3; f -Count 1 -Name c",
         ["a x 2", "b x 3", "c x 1"]),
        ("function f { param([switch]$Force) if ($Force) { 'forced' } else { 'soft' } }; f; f -Force",
         ["soft", "forced"]),
        ("function f { $args.Count; $args[1] }; f a b c", ["3", "b"]),
        ("function f { return 'early'; 'late' }; f", ["early"]),
        ("function f { 1; 2 }; $r = f; $r.Count", ["2"]),
        ("function g { param([Parameter(ValueFromPipeline)]$x) process { \"p $x\" } }; 1,2 | g", ["p 1", "p 2"]),
        ("function fh { $input }; 1,2 | fh", ["1", "2"]),
        ("function fh { begin { 'b' } process { \"p$_\" } end { 'e' } }; 1,2 | fh", ["b", "p1", "p2", "e"]),
        ("function f { param($a) $PSBoundParameters.Count }; f -a 1; f", ["1", "0"]),
        # try/catch/finally/throw
        ('try { throw "boom" } catch { "caught $_" } finally { "fin" }', ["caught boom", "fin"]),
        ("try { Get-Nope } catch { $_.FullyQualifiedErrorId }", ["CommandNotFoundException"]),
        ("try { 1/0 } catch { 'div' }", ["div"]),
        ("try { Write-Error 'x' -ErrorAction Stop } catch { \"stopped: $_\" }", ["stopped: x"]),
        ("try { try { throw 'in' } finally { 'f1' } } catch { \"out $_\" }", ["f1", "out in"]),
        ("try { throw 'e' } catch [System.Management.Automation.RuntimeException] { 'typed' }", ["typed"]),
        # automatic variables
        ("'abc' -match 'b(c)'; $Matches[1]", ["True", "c"]),
        ("$true; $false; $null -eq $null", ["True", "False", "True"]),
        ("$PID -gt 0", ["True"]),
        ("$FormatEnumerationLimit", ["4"]),
        ("$ErrorActionPreference", ["Continue"]),
        ("$env:EXSHELL_TEST_VAR = 'v1'; $env:EXSHELL_TEST_VAR", ["v1"]),
        ("$PSItem -eq $null", ["True"]),
        ("'x' | ForEach-Object { $PSItem }", ["x"]),
        # pipeline chains (PS7)
        ("Write-Output a && Write-Output b", ["a", "b"]),
        ("Get-Nope 2>$null || Write-Output fallback", ["fallback"]),
    ],
)
def test_statement_output(shell, line, expected, monkeypatch):
    monkeypatch.delenv("EXSHELL_TEST_VAR", raising=False)
    assert shell.out(line) == expected, shell.host.error_text


def test_throw_is_script_terminating(shell):
    result = shell.run('throw "x"; "no"')
    assert not result.success
    assert "no" not in shell.host.lines
    assert shell.host.errors[-1].split("\n") == [
        "x",
        "At line:1 char:1",
        '+ throw "x"; "no"',
        "+ ~~~~~~~~~",
        "    + CategoryInfo          : OperationStopped: (x:String) [], RuntimeException",
        "    + FullyQualifiedErrorId : x",
        " ",
    ]


def test_runtime_error_carries_node_span(shell):
    shell.run("$x = 5\n$y = $null.Foo()")
    rec = shell.errors()[0]
    assert rec.span is not None and rec.span.line == 2
    assert rec.message == "You cannot call a method on a null-valued expression."


def test_statement_terminating_error_continues_with_next_statement(shell):
    assert shell.out("1/0; 'after'") == ["after"]
    assert shell.errors()[0].message == "Attempted to divide by zero."


def test_exit_sets_exit_code_and_stops(shell):
    result = shell.run("'a'; exit 3; 'b'")
    assert result.exit_code == 3
    assert shell.host.lines == ["a"]


def test_dollar_question_reflects_last_pipeline(shell):
    assert shell.out("Write-Output a; $?") == ["a", "True"]
    assert shell.out("Fail-Thing soft 2>$null; $?") == ["after-soft", "False"]
    assert shell.out("Get-Nope; $?") == ["False"]


def test_error_variable_is_newest_first(shell):
    shell.run("Write-Error first; Write-Error second")
    errs = shell.errors()
    assert [e.message for e in errs[:2]] == ["second", "first"]


def test_break_inside_foreach_object_exits_enclosing_loop(shell):
    lines = shell.out("foreach ($o in 1..2) { 1..5 | ForEach-Object { if ($_ -eq 2) { break }; \"$o $_\" } }; 'end'")
    assert lines == ["1 1", "end"]


def test_break_outside_loop_stops_script_quietly(shell):
    result = shell.run("'a'; 1..3 | ForEach-Object { break }; 'b'")
    assert shell.host.lines == ["a"]
    assert result.success


def test_assigning_to_constant_is_an_error(shell):
    shell.run("$true = 1")
    assert shell.errors()[0].error_id == "VariableNotWritable"


def test_duplicate_runtime_hash_key_is_an_error(shell):
    shell.run("$k = 'a'; @{ $k = 1; A = 2 }")
    assert shell.errors()[0].message == "Duplicate keys 'A' are not allowed in hash literals."


def test_parse_error_runs_nothing(shell):
    result = shell.run("'first'; Write-Output (1")
    assert not result.success
    assert shell.host.lines == []
    assert "Missing closing ')'" in shell.host.error_text


def test_variables_persist_across_runs(shell):
    shell.run("$keep = 41")
    assert shell.out("$keep + 1") == ["42"]


def test_script_run_gets_args_and_own_scope(shell):
    result = shell.session.run("param($a) \"$a/$($args.Count)\"; $scriptvar = 1", name="/tmp/s.ps1", args=["A"])
    assert result.success
    assert shell.host.lines == ["A/0"]
    assert shell.session.get_variable("scriptvar") is None


def test_invoke_expression_runs_in_current_scope(shell):
    assert shell.out("iex '$ie = 3'; $ie; Invoke-Expression '1+1'") == ["3", "2"]


def test_get_and_set_variable(shell):
    assert shell.out("Set-Variable -Name sv1 -Value 9; $sv1; Get-Variable sv1 -ValueOnly") == ["9", "9"]
    shell.run("Get-Variable nope")
    assert shell.errors()[0].message == "Cannot find a variable with the name 'nope'."


def test_dollar_question_after_assignment(shell):
    assert shell.out("$x = Fail-Thing soft 2>$null; $?") == ["False"]
    assert shell.out("Get-Nope; $x = 5; $?") == ["True"]


@pytest.mark.parametrize(
    "line, expected",
    [
        ('"He said ""hi"""', ["He said \"hi\""]),
        ("'don''t'", ["don't"]),
        ('$x = 1; "cost: `$x"', ["cost: $x"]),
        ("'a`tb'", ["a`tb"]),
        ('"a`tb"', ["a\tb"]),
        ('"${HOME}: x" -eq "$HOME" + ": x"', ["True"]),
        ("(Write-Output 192.168.1.17:25).GetType().FullName", ["System.String"]),
        ("(Write-Output 25).GetType().FullName", ["System.Int32"]),
        ("(Write-Output 10.0.0.5,10.0.0.6).Count", ["2"]),
        ("10MB", ["10485760"]),
        ("1.5KB", ["1536"]),
        ("0x10", ["16"]),
        ("$v = 10.0.0.5; $v -eq $null", ["True"]),
        ("$v = '10.0.0.5'; $v", ["10.0.0.5"]),
    ],
)
def test_b1_b2_values_reach_the_pipeline(shell, line, expected):
    assert shell.out(line) == expected, shell.host.error_text


def test_b2_unquoted_principal_is_three_arguments(shell):
    shell.run("Add-ADPermission Relay -User NT AUTHORITY\\ANONYMOUS LOGON")
    rec = shell.errors()[0]
    assert rec.message == "A positional parameter cannot be found that accepts argument 'AUTHORITY\\ANONYMOUS'."
    shell.run('Add-ADPermission Relay -User "NT AUTHORITY\\ANONYMOUS LOGON" -Confirm:$false')
    assert shell.rec.last("Add-ADPermission")["User"] == "NT AUTHORITY\\ANONYMOUS LOGON"


def test_b1_invalid_variable_reference_is_a_parse_error(shell):
    result = shell.run('"$HOME: x"')
    assert not result.success
    assert "':' was not followed by a valid variable name character" in shell.host.error_text


def test_deep_recursion_within_limit_works(shell):
    assert shell.out("function f($n) { if ($n -gt 0) { f ($n - 1) } else { 'bottom' } }; f 90") == ["bottom"]


@pytest.mark.parametrize("line", ["function g { g }; g", "$sb = { & $sb }; & $sb",
                                  "function fh { 1..2 | ForEach-Object { fh } }; fh"])
def test_runaway_recursion_is_a_powershell_error_not_a_crash(shell, line):
    result = shell.run(line + "; 'after'")
    assert not result.success
    assert shell.errors()[0].message == "The script failed due to call depth overflow."
    assert "internal error" not in shell.host.error_text


def test_running_and_dot_sourcing_a_script_file(shell, tmp_path):
    script = tmp_path / "lib.ps1"
    script.write_text("param($Who = 'world')\n$libvar = 'set'\n\"hello $Who\"\n", encoding="utf-8")
    assert shell.out(f"& '{script}' you; $libvar -eq $null") == ["hello you", "True"]
    assert shell.out(f". '{script}'; $libvar") == ["hello world", "set"]
