"""Argument (command) mode: grammar.md §1.1, §2.3, §2.4 and tests.md B2."""

from __future__ import annotations

import pytest
from lang_helpers import arguments, command, show, stmt

from exshell.lang import ast


# grammar.md §2.3 "Argument-mode examples relevant to Exchange": text -> rendered argument values
@pytest.mark.parametrize(
    ("argument_text", "expected"),
    [
        ("Relay", ["<Relay>"]),
        ("EX01\\Relay", ["<EX01\\Relay>"]),
        ("192.168.1.17:25", ["<192.168.1.17:25>"]),
        ("0.0.0.0:25", ["<0.0.0.0:25>"]),
        ("10.0.0.0/24", ["<10.0.0.0/24>"]),
        ("10.0.0.1-10.0.0.20", ["<10.0.0.1-10.0.0.20>"]),
        ("1-5", ["<1-5>"]),
        ("1..5", ["<1..5>"]),
        ("fe80::1", ["<fe80::1>"]),
        ("::1", ["<::1>"]),
        ("*.contoso.com", ["<*.contoso.com>"]),
        ("user@contoso.com", ["<user@contoso.com>"]),
        ("NT AUTHORITY\\ANONYMOUS LOGON", ["<NT>", "<AUTHORITY\\ANONYMOUS>", "<LOGON>"]),
        ("hosts.csv", ["<hosts.csv>"]),
        (".\\hosts.csv", ["<.\\hosts.csv>"]),
        ("C:\\Temp\\hosts.csv", ["<C:\\Temp\\hosts.csv>"]),
        ("\\\\srv\\share\\x.csv", ["<\\\\srv\\share\\x.csv>"]),
        ('"C:\\Program Files\\x.csv"', ["'C:\\\\Program Files\\\\x.csv'"]),
        ('"Relay 01"', ["'Relay 01'"]),
        ("'Relay 01'", ["'Relay 01'"]),
        ("25", ["25"]),
        ("10MB", ["10485760"]),
        ("$true", ["$true"]),
        ("$null", ["$null"]),
        ("10.0.0.5,10.0.0.6", ["[<10.0.0.5>, <10.0.0.6>]"]),
        ("a,b c", ["[<a>, <b>]", "<c>"]),
        ("-5", ["<-5>"]),
        ("+5", ["<+5>"]),
        ("-", ["<->"]),
        ("$x", ["$x"]),
        ("$x.Name", ["$x.Name"]),
        ("$x-1", ['bare"{$x}-1"']),
        ("(Get-Foo).Name", ["(<Get-Foo>).Name"]),
        ("[abc]", ["<[abc]>"]),
        ('@{Add="10.0.0.5","10.0.0.6"}', ["@{<Add>=['10.0.0.5', '10.0.0.6']}"]),
        ("{ $_.IP }", ["{$_.IP}"]),
        ("ms-Exch-SMTP-Accept-Any-Recipient", ["<ms-Exch-SMTP-Accept-Any-Recipient>"]),
        ("a#b", ["<a#b>"]),
        ("a # comment", ["<a>"]),
        ("2+2", ["<2+2>"]),
        ("!1", ["<!1>"]),
        ("25x", ["<25x>"]),
        ("77z.exe", ["<77z.exe>"]),
        ("${x}abc", ['bare"{$x}abc"']),
        ("$x/y", ['bare"{$x}/y"']),
    ],
)
def test_argument_mode_token_matches_grammar_table(argument_text: str, expected: list[str]) -> None:
    assert [show(a) for a in arguments(f"Write-Output {argument_text}")] == expected


# grammar.md §1.1 consequences table (with $a = 4): the parse shape that yields each documented result
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2+2", "(2 + 2)"),
        ("Write-Output 2+2", "<Write-Output> <2+2>"),
        ("Write-Output (2+2)", "<Write-Output> ((2 + 2))"),
        ("$a+2", "($a + 2)"),
        ("Write-Output $a+2", '<Write-Output> bare"{$a}+2"'),
        ("Write-Output a$a", '<Write-Output> bare"a{$a}"'),
        ("Write-Output a'$a'", "<Write-Output> <a$a>"),
        ('Write-Output a"$a"', '<Write-Output> bare"a{$a}"'),
        ("Write-Output a$(2)", '<Write-Output> bare"a{$(2)}"'),
        ("Write-Output !1", "<Write-Output> <!1>"),
        ("Write-Output (!1)", "<Write-Output> ((-not 1))"),
        ("Set-Variable AB A,B", "<Set-Variable> <AB> [<A>, <B>]"),
        ("`2", "<2>"),
    ],
)
def test_statement_mode_decided_by_first_token(text: str, expected: str) -> None:
    assert show(stmt(text)) == expected


def test_number_argument_keeps_its_spelling_for_string_binding() -> None:
    values = arguments("Set-Thing 007 10MB 0x10 1.5KB")
    assert [(v.value, v.text) for v in values if isinstance(v, ast.ConstantExpr)] == [
        (7, "007"),
        (10485760, "10MB"),
        (16, "0x10"),
        (1536.0, "1.5KB"),
    ]


def test_unquoted_ip_is_a_string_and_plain_number_is_constant() -> None:
    ip, port = arguments("Write-Output 192.168.1.17:25 25")
    assert isinstance(ip, ast.StringConstantExpr) and ip.kind == "bare"
    assert isinstance(port, ast.ConstantExpr) and port.value == 25


def test_parameter_forms_are_distinguished() -> None:
    cmd = command("Set-Thing -Name value -Force:$false -Banner: 'hi' -Switch")
    rendered = [show(e) for e in cmd.elements]
    assert rendered == ["-Name", "<value>", "-Force:$false", "-Banner:'hi'", "-Switch"]
    colon = cmd.elements[2]
    assert isinstance(colon, ast.CommandParameter) and colon.colon and colon.name == "Force"


def test_switch_followed_by_separate_false_is_a_positional_argument() -> None:
    cmd = command("Set-Thing X -Force $false")
    assert isinstance(cmd.elements[1], ast.CommandParameter) and cmd.elements[1].argument is None
    assert isinstance(cmd.elements[2], ast.CommandArgument)


def test_quoted_dash_name_is_an_argument_not_a_parameter() -> None:
    assert [show(v) for v in arguments("Write-Output '-Name' \"-Other\" -foo'x'")] == [
        "'-Name'",
        "'-Other'",
        "<-foox>",
    ]


def test_double_dash_ends_parameters() -> None:
    assert [show(v) for v in arguments("Write-Output -- -InputObject -- -x")] == [
        "<-InputObject>",
        "<-->",
        "<-x>",
    ]


def test_nt_authority_unquoted_is_three_arguments_after_parameter() -> None:
    cmd = command("Set-Thing -User NT AUTHORITY\\ANONYMOUS LOGON")
    assert [show(e) for e in cmd.elements] == ["-User", "<NT>", "<AUTHORITY\\ANONYMOUS>", "<LOGON>"]
    quoted = command('Set-Thing -User "NT AUTHORITY\\ANONYMOUS LOGON"')
    assert len(quoted.elements) == 2


def test_comma_list_may_continue_after_newline() -> None:
    assert [show(v) for v in arguments("Write-Output 10.0.0.5,\n  10.0.0.6")] == ["[<10.0.0.5>, <10.0.0.6>]"]


def test_comma_list_mixes_kinds() -> None:
    assert [show(v) for v in arguments("Write-Output a,$x,'b c',(1+1)")] == ["[<a>, $x, 'b c', ((1 + 1))]"]


def test_splat_is_a_splat_variable_argument() -> None:
    (value,) = arguments("Set-Thing @params")
    assert isinstance(value, ast.VariableExpr) and value.splat and value.name == "params"


def test_member_access_then_dash_word_is_two_arguments() -> None:
    cmd = command("Write-Output $x.Name-more")
    assert [show(e) for e in cmd.elements] == ["$x.Name", "-more"]


def test_variable_followed_by_space_dot_is_two_arguments() -> None:
    assert [show(v) for v in arguments("Write-Output $x .Name")] == ["$x", "<.Name>"]


def test_keywords_as_arguments_are_plain_strings() -> None:
    assert [show(v) for v in arguments("echo in default if")] == ["<in>", "<default>", "<if>"]


def test_foreach_after_pipe_is_a_command_name() -> None:
    s = stmt("1..3 | foreach { $_ }")
    assert isinstance(s, ast.Pipeline)
    second = s.elements[1]
    assert isinstance(second, ast.CommandAst) and show(second.name) == "<foreach>"


def test_call_and_dot_invocation() -> None:
    call = command("& $sb 1")
    assert call.invocation == "&" and show(call.name) == "$sb"
    dot = command(". .\\setup.ps1")
    assert dot.invocation == "." and show(dot.name) == "<.\\setup.ps1>"
    script = command(".\\setup.ps1 -Force")
    assert script.invocation is None and show(script.name) == "<.\\setup.ps1>"


def test_quoted_command_name_after_ampersand() -> None:
    cmd = command("& 'Get-Thing' -Name x")
    assert show(cmd.name) == "'Get-Thing'" and cmd.invocation == "&"


def test_redirections_on_commands_and_expressions() -> None:
    cmd = command("Get-Thing > out.txt 2>&1 2>> err.txt")
    assert [show(r) for r in cmd.redirections] == ["1><out.txt>", "2>&1", "2>><err.txt>"]
    s = stmt("$x *> $null")
    assert show(s) == "$x *>$null"


def test_bareword_escapes_and_quoted_segments_fold_into_one_argument() -> None:
    assert [show(v) for v in arguments("Write-Output a`tb x'y' a`,b")] == ["<a\tb>", "<xy>", "<a,b>"]


def test_quoted_string_or_subexpression_first_is_a_whole_argument() -> None:
    # PowerShell issue #6467: what is glued after a leading quote or $( ) is the next argument
    assert [show(v) for v in arguments("Write-Output 'a'b'c' \"x\"y $(2+2)/H")] == [
        "'a'",
        "<bc>",
        "'x'",
        "<y>",
        "$((2 + 2))",
        "</H>",
    ]


def test_argument_mode_method_call_and_index() -> None:
    assert [show(v) for v in arguments("Write-Output $x.ToUpper() $a[0] $h.'key one'")] == [
        "$x.ToUpper()",
        "$a[0]",
        "$x.ToUpper()"[:0] + "$h.'key one'",
    ]
