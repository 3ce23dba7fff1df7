"""Property tests: on any text `parse` returns a ScriptBlock or raises ParseError, terminates, and every
node's span lies within the source."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lang_helpers import walk

from exshell.errors import ParseError
from exshell.lang import ast
from exshell.lang.parser import parse

_FRAGMENTS = [
    "Get-Foo", "-Name", "-Name:", "$x", "$_", "${a b}", "$env:X", "@p", "@(", "@{", "$(", "(", ")", "{", "}",
    "[", "]", "[int]", "[ordered]", "'a'", '"b$x"', '"', "'", "@'\n", "\n'@", '@"\n', '\n"@', "10MB", "0x1F",
    "1.5", "10.0.0.5", "1..5", ",", ";", "|", "||", "&&", "&", ".", "::", "=", "+=", "-eq", "-and", "-not", "!",
    "+", "-", "*", "/", "%", "-f", "?", ":", "??", "`", "`\n", "#c", "<#", "#>", "\n", " ", "if", "else",
    "elseif", "foreach", "in", "for", "while", "do", "until", "try", "catch", "finally", "function", "param",
    "begin", "process", "end", "return", "throw", "exit", "break", "2>&1", ">", ">>", "--", "a#b", "x`", "‘",
    "“", "–eq", "`u{41}", "$$", "$?", "$^", "10.0.0.1-10.0.0.9", "*.contoso.com", "user@contoso.com",
]  # fmt: skip


def _check(text: str) -> None:
    started = time.monotonic()
    try:
        block = parse(text)
    except ParseError as e:
        assert 0 <= e.span.start <= e.span.end <= len(text)
        assert isinstance(e.incomplete, bool)
        return
    finally:
        assert time.monotonic() - started < 5
    assert isinstance(block, ast.ScriptBlock)
    assert block.text == text
    for node in walk(block):
        assert node.span.source.text == text
        assert 0 <= node.span.start <= node.span.end <= len(text), (node, text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_parse_on_arbitrary_text_returns_block_or_parse_error(text: str) -> None:
    _check(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=14),
    st.lists(st.sampled_from(["", " ", "\n"]), max_size=14),
)
def test_parse_on_powershellish_token_mixes_returns_block_or_parse_error(
    fragments: list[str], gaps: list[str]
) -> None:
    text = "".join(f + (gaps[i] if i < len(gaps) else " ") for i, f in enumerate(fragments))
    _check(text)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=400))
def test_deep_nesting_is_a_parse_error_or_a_block_never_a_crash(depth: int) -> None:
    _check("(" * depth + "1" + ")" * depth)
    _check("@{a=" * depth)
    _check('"$(' * depth)
