"""`switch` with about_Switch's semantics, run through the real `exshell` program (examples from about_Switch:
several matching clauses all run, break / continue, script-block conditions, -Wildcard, -Regex with
$matches, -CaseSensitive, -File, arrays and $null as input), plus its parse errors with their positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from exshell.errors import ParseError
from exshell.lang.parser import parse
from tests.e2e.test_cli import exshell

SCRIPT = Path(__file__).resolve().parents[1] / "data" / "scripts" / "switch_about.ps1"


def test_about_switch_examples_through_the_shell(tmp_path):
    lines = tmp_path / "lines.txt"
    p = exshell("-f", str(SCRIPT), str(lines), state=tmp_path / "state")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        "It is three.", "Three again.",              # every matching clause runs
        "three",                                      # break leaves the switch
        "It is one.", "It is five.",                  # an array is tested element by element
        "fourteen",                                   # default only when nothing matched
        "That's too many.",                           # -Wildcard
        "https://bing.com is a web address that uses https",  # -Regex sets $matches
        "Bigger than three", "Less than three",       # script-block conditions with $_
        "1 is Odd", "4 is Even", "3 is Odd",          # continue skips to the next value; break ends
        "upper",                                      # -CaseSensitive
        "lower", "upper",                             # case-insensitive by default
        "null",                                       # @() runs nothing; $null is tested once
        "2",                                          # the switch's output is a value
        "no: l1", "x: l2x",                           # -File reads lines
        "i=1", "i=3",                                 # continue inside a loop's switch: next value
        "j=1",                                        # break outer: the labelled loop
        "B B",                                        # -Regex -CaseSensitive
    ]


@pytest.mark.parametrize(
    ("text", "error_id", "col"),
    [
        ("switch (1) { }", "MissingSwitchConditionExpression", 14),
        ("switch (1) { 1 }", "MissingSwitchStatementClause", 16),
        ("switch (1) 1", "MissingCurlyBraceInSwitchStatement", 12),
        ("switch -Bogus (1) { 1 {} }", "InvalidSwitchFlag", 8),
        ("switch 1 { 1 {} }", "MissingOpenParenthesisAfterKeyword", 8),
    ],
)
def test_switch_parse_errors_carry_their_position(text, error_id, col):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert (info.value.error_id, info.value.span.col) == (error_id, col)


def test_an_open_switch_asks_the_repl_for_more_lines():
    with pytest.raises(ParseError) as info:
        parse("switch ($x) {\n  1 { 'one' }")
    assert info.value.incomplete


def test_parse_error_in_a_script_run_with_call_or_dot_is_a_parse_error(tmp_path):
    bad = tmp_path / "bad.ps1"
    bad.write_text("Write-Output 'a'\nif ($x {\n", encoding="utf-8")
    p = exshell("-c", f"& '{bad}'; . '{bad}'; 'after'", state=tmp_path / "state")
    assert p.stdout == "after\n"
    assert "internal error" not in p.stderr
    assert p.stderr.count(f"At {bad}:2 char:8") == 2
    assert "Missing closing ')' after expression in 'if' statement." in p.stderr
    assert "ParserError: (:) [], ParseException" in p.stderr
    assert p.returncode == 1
