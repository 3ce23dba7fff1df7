"""Wildcard patterns (grammar.md §4.3)."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exshell.errors import PSRuntimeError
from exshell.runtime.wildcard import WildcardPattern, escape, has_wildcards, unescape


@pytest.mark.parametrize(
    "text, pattern, expected",
    [
        ("PowerShell", "Power[p-w]hell", True),
        ("PowerShell", "shell", False),
        ("PowerShell", "*shell", True),
        ("ABC", "a*", True),
        ("f??", "f`?`?", True),
        ("for", "f`?`?", False),
        ("a*b", "a`*b", True),
        ("axb", "a`*b", False),
        ("", "*", True),
        ("", "?", False),
        ("abc", "a?c", True),
        ("ac", "a?c", False),
        ("b", "[abc]", True),
        ("x", "[a-cx]", True),
        ("!", "[!a]", True),  # no negation: '!' is a member
        ("]", "[]a]", True),
        ("a-b", "a[-]b", True),
        ("a\nb", "a*b", True),
        ("[x", "`[x", True),
        ("Relay 1", "Relay*", True),
        ("EX01\\Default EX01", "*\\default*", True),
    ],
)
def test_wildcard_matches_whole_string_case_insensitively(text, pattern, expected):
    assert WildcardPattern(pattern).match(text) is expected


def test_case_sensitive_pattern():
    assert WildcardPattern("a*", case_sensitive=True).match("ABC") is False
    assert WildcardPattern("A*", case_sensitive=True).match("ABC") is True


@pytest.mark.parametrize("pattern", ["[abc", "[z-a]", "a[", "[]"])
def test_invalid_patterns_raise_wildcard_pattern_exception(pattern):
    with pytest.raises(PSRuntimeError) as info:
        WildcardPattern(pattern)
    assert info.value.record.message == f"The specified wildcard character pattern is not valid: {pattern}"
    assert info.value.record.error_id == "WildcardPatternException"


@pytest.mark.parametrize(
    "text, expected",
    [("abc", False), ("a*", True), ("a?", True), ("[ab]", True), ("a`*", False), ("a`*b*", True), ("", False)],
)
def test_has_wildcards(text, expected):
    assert has_wildcards(text) is expected


_plain = st.text(alphabet="abAB.-_ 1", max_size=6)
_patterns = st.text(alphabet="abAB.-_ 1*?", max_size=6)


@settings(max_examples=200, deadline=None)
@given(_patterns, _plain)
def test_bracketless_patterns_agree_with_fnmatch(pattern, text):
    expected = fnmatch.fnmatchcase(text.lower(), pattern.lower())
    assert WildcardPattern(pattern).match(text) is expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab*?[]`-x", max_size=8))
def test_escaped_text_matches_only_itself(text):
    wp = WildcardPattern(escape(text), case_sensitive=True)
    assert wp.match(text)
    assert not wp.match(text + "z")
    assert unescape(escape(text)) == text
    assert not has_wildcards(escape(text))
