"""Enter submits or continues: incomplete input (open brace, quote, pipe) opens a `>> ` line."""

from __future__ import annotations

import pytest

from exshell.errors import ParseError
from exshell.lang.position import Source, Span
from exshell.shell.continuation import needs_more_input


def fake_parse(incomplete: bool | None):
    def parse(text: str) -> None:
        if incomplete is None:
            return
        raise ParseError(
            "Missing closing '}' in statement block or type definition.",
            "MissingEndCurlyBrace",
            Span(Source.of(text), 0, 1),
            incomplete=incomplete,
        )

    return parse


def test_incomplete_parse_error_continues():
    assert needs_more_input("if ($x) {", fake_parse(True)) is True


def test_complete_parse_error_submits_so_the_error_is_shown():
    assert needs_more_input("1 +* 2", fake_parse(False)) is False


def test_valid_text_submits():
    assert needs_more_input("Get-Command", fake_parse(None)) is False


def test_blank_buffer_submits_without_parsing():
    def explode(text: str) -> None:
        raise AssertionError("parsed a blank line")

    assert needs_more_input("   ", explode) is False


def test_parser_crash_submits_rather_than_trapping_the_user():
    def crash(text: str) -> None:
        raise RuntimeError("bug")

    assert needs_more_input("x", crash) is False


REAL = [
    ("Get-Command", False),
    ("if ($true) {", True),
    ("Get-Command |", True),
    ("'open string", True),
    ('"open string', True),
    ("@{a=1;", True),
    ("(1 + ", True),
    ("Get-Command `", True),
    ("@'\nhere", True),
    ("foreach ($i in 1..3) {\n  $i\n}", False),
    ("1 +* 2", False),
]


@pytest.mark.parametrize("text,more", REAL)
def test_real_parser_decides_continuation(text: str, more: bool):
    pytest.importorskip("exshell.lang.parser")  # runs once the parser has landed
    assert needs_more_input(text) is more
