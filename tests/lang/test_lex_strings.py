"""Strings and expansion (grammar.md §2.5, tests.md B1), comments and continuation (§2.1)."""

from __future__ import annotations

import pytest
from lang_helpers import arguments, expr, parse_error, show

from exshell.lang import ast
from exshell.lang.lexer import Lexer
from exshell.lang.position import Source
from exshell.lang.tokens import MODE_ARG, MODE_EXPR, Kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"a$($x)b"', '"a{$($x)}b"'),
        ("'a$($x)b'", "'a$($x)b'"),
        ('"He said ""hi"""', "'He said \"hi\"'"),
        ("'don''t'", '"don\'t"'),
        ('"cost: `$x"', "'cost: $x'"),
        ("'a`tb'", "'a`tb'"),
        ('"a`tb"', "'a\\tb'"),
        ('"$s.Length"', '"{$s}.Length"'),
        ('"$($s.Length)"', '"{$($s.Length)}"'),
        ('"${s}def"', '"{$s}def"'),
        ('"$sdef"', '"{$sdef}"'),
        ('"$a"', '"{$a}"'),
        ('"${HOME}: x"', '"{$HOME}: x"'),
        ('"50$"', "'50$'"),
        ('"cost: $ 5"', "'cost: $ 5'"),
        ('"$env:COMPUTERNAME"', '"{$env:COMPUTERNAME}"'),
        ('"$x[0]"', '"{$x}[0]"'),
        ('"`u{1F600}"', repr("\U0001f600")),
        ('"`0`a`b`e`f`n`r`t`v``"', repr("\0\a\b\x1b\f\n\r\t\v`")),
        ('"`q"', "'q'"),
        ("‘smart’", "'smart'"),
        ("“smart $x”", '"smart {$x}"'),
        ("'it’’s'", "'it’s'"),
        ('"multi\nline"', "'multi\\nline'"),
        ('"$(Get-Foo | % { ")" })"', "\"{$(<Get-Foo> | <%> {')'})}\""),
    ],
)
def test_string_literal_parts(text: str, expected: str) -> None:
    assert show(expr(text)) == expected


def test_string_kinds_are_recorded() -> None:
    assert expr("'a'").kind == "single"  # type: ignore[attr-defined]
    assert expr('"a"').kind == "double"  # type: ignore[attr-defined]
    assert expr("@'\nx\n'@").kind == "here_single"  # type: ignore[attr-defined]
    assert expr('@"\n$x\n"@').kind == "here_double"  # type: ignore[attr-defined]


def test_subexpression_in_string_has_real_positions() -> None:
    node = expr('"ab$(1 + 2)"')
    assert isinstance(node, ast.ExpandableStringExpr)
    sub = node.parts[1]
    assert isinstance(sub, ast.SubExpr)
    assert sub.span.text == "$(1 + 2)"
    inner = sub.body.statements[0]
    assert inner.span.text == "1 + 2"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("@'\nline1\nline2\n'@", "line1\nline2"),
        ("@'   \n'quotes' \"ok\"\n'@", "'quotes' \"ok\""),
        ("@'\n'@", ""),
        ("@'\r\nwin\r\n'@", "win"),
        ('@"\n"in" `t\n"@', '"in" \t'),
    ],
)
def test_here_string_values(text: str, value: str) -> None:
    node = expr(text)
    assert isinstance(node, ast.StringConstantExpr) and node.value == value


def test_expandable_here_string_expands_variables() -> None:
    node = expr('@"\nHello $name\n"@')
    assert show(node) == '"Hello {$name}"'


def test_comments_line_and_block() -> None:
    assert show(expr("1 + <# inline #> 2 # trailing")) == "(1 + 2)"
    assert [show(a) for a in arguments("Write-Output a<#x#> b")] == ["<a<#x#>>", "<b>"]
    assert show(expr("<# multi\nline #> 5")) == "5"


def test_lexer_scans_same_text_differently_by_mode() -> None:
    lexer = Lexer(Source.of("10.0.0.5 -5 1..5"), lambda pos: (_ for _ in ()).throw(AssertionError()))
    assert lexer.scan(0, MODE_EXPR).kind == Kind.NUMBER
    assert lexer.scan(0, MODE_EXPR).text == "10.0"
    assert lexer.scan(0, MODE_ARG).kind == Kind.GENERIC
    assert lexer.scan(8, MODE_ARG).text == "-5" and lexer.scan(8, MODE_ARG).kind == Kind.GENERIC
    assert lexer.scan(8, MODE_EXPR).kind == Kind.OP
    assert lexer.scan(11, MODE_ARG).text == "1..5"
    assert lexer.scan(11, MODE_EXPR).text == "1"


def test_parameter_token_forms() -> None:
    lexer = Lexer(
        Source.of("-Name:x -Force –Dash -foo'q'"), lambda pos: (_ for _ in ()).throw(AssertionError())
    )
    colon = lexer.scan(0, MODE_ARG)
    assert (colon.kind, colon.value, colon.extra, colon.text) == (Kind.PARAMETER, "Name", True, "-Name:")
    force = lexer.scan(7, MODE_ARG)
    assert (force.kind, force.value, force.extra) == (Kind.PARAMETER, "Force", False)
    dash = lexer.scan(14, MODE_ARG)
    assert (dash.kind, dash.value) == (Kind.PARAMETER, "Dash")
    quoted = lexer.scan(20, MODE_ARG)
    assert quoted.kind == Kind.GENERIC


@pytest.mark.parametrize(
    ("text", "error_id", "line", "col", "incomplete"),
    [
        ('"abc', "TerminatorExpectedAtEndOfString", 1, 1, True),
        ("'abc", "TerminatorExpectedAtEndOfString", 1, 1, True),
        ('x = "$HOME: x"', "InvalidVariableReferenceWithDrive", 1, 6, False),
        ('"$HOME: x"', "InvalidVariableReferenceWithDrive", 1, 2, False),
        ("@'abc\nx\n'@", "UnexpectedCharactersAfterHereStringHeader", 1, 3, False),
        ("@'\nx\n  '@", "WhitespaceBeforeHereStringFooter", 3, 3, False),
        ("@'\nx\n", "TerminatorExpectedAtEndOfString", 1, 1, True),
        ("<# open", "MissingTerminatorMultiLineComment", 1, 8, True),
        ("$x = `", "IncompleteString", 1, 6, True),
        ('"`u{110000}"', "InvalidUnicodeEscapeSequenceValue", 1, 2, False),
        ('"`u{}"', "InvalidUnicodeEscapeSequence", 1, 2, False),
        ("$x = ${}", "EmptyVariableReference", 1, 6, False),
        ("$x = ${abc", "IncompleteDollarVariableReference", 1, 6, True),
        ("$x = $ + 1", "InvalidVariableReference", 1, 6, False),
    ],
)
def test_string_and_token_errors(text: str, error_id: str, line: int, col: int, incomplete: bool) -> None:
    error = parse_error(text)
    assert (error.error_id, error.span.line, error.span.col, error.incomplete) == (
        error_id,
        line,
        col,
        incomplete,
    )


def test_string_error_messages_match_powershell() -> None:
    assert parse_error('"abc').message == 'The string is missing the terminator: ".'
    assert parse_error("'abc").message == "The string is missing the terminator: '."
    assert parse_error('"$HOME: x"').message == (
        "Variable reference is not valid. ':' was not followed by a valid variable name character. "
        "Consider using ${} to delimit the name."
    )
    assert parse_error("@'abc\n'@").message == (
        "No characters are allowed after a here-string header but before the end of the line."
    )
    assert parse_error("@'\nx\n  '@").message == "White space is not allowed before the string terminator."
    assert parse_error("<#").message == "The terminator '#>' is missing from the multiline comment."
    assert parse_error("`").message == "Incomplete string token."


@pytest.mark.parametrize("blank", [" ", "\t", "\f", "\v", "\u00a0", "\u0085"])
def test_all_powershell_blanks_separate_arguments(blank: str) -> None:
    assert [show(a) for a in arguments(f"Write-Output{blank}a{blank}b")] == ["<a>", "<b>"]


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n"])
def test_each_newline_form_ends_a_statement(newline: str) -> None:
    from lang_helpers import statements

    assert [show(s) for s in statements(f"Get-A{newline}Get-B")] == ["<Get-A>", "<Get-B>"]
