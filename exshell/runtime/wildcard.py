"""PowerShell wildcard patterns (grammar.md §4.3; regex.cs WildcardPatternParser).

`*` any run, `?` one char, `[abc]` / `[a-l]` one char from a set (no negation: `[!a]` is `!` or `a`; a `]`
right after `[` is a member), a backtick escapes the next char. The match is anchored to the whole string.
"""

from __future__ import annotations

import re
from functools import lru_cache

from exshell.errors import Category, ErrorRecord, PSRuntimeError

_SPECIAL = frozenset("*?[")


def has_wildcards(s: str) -> bool:
    """True when `s` holds an unescaped `*`, `?` or `[` (WildcardPattern.ContainsWildcardCharacters)."""
    i = 0
    while i < len(s):
        c = s[i]
        if c == "`":
            i += 2
            continue
        if c in _SPECIAL:
            return True
        i += 1
    return False


def escape(s: str) -> str:
    """WildcardPattern.Escape: backtick before each special character."""
    return "".join("`" + c if c in "*?[]`" else c for c in s)


def unescape(s: str) -> str:
    out = []
    i = 0
    while i < len(s):
        if s[i] == "`" and i + 1 < len(s):
            out.append(s[i + 1])
            i += 2
            continue
        out.append(s[i])
        i += 1
    return "".join(out)


def _invalid(pattern: str) -> PSRuntimeError:
    return PSRuntimeError(
        ErrorRecord(
            f"The specified wildcard character pattern is not valid: {pattern}",
            "WildcardPatternException",
            Category.InvalidArgument,
            exception_type="WildcardPatternException",
        )
    )


def _to_regex(pattern: str) -> str:
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "`":
            # a trailing lone backtick matches itself
            out.append(re.escape(pattern[i + 1] if i + 1 < n else "`"))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            i += 1
            members: list[str] = []
            first = True
            closed = False
            while i < n:
                ch = pattern[i]
                if ch == "]" and not first:
                    closed = True
                    break
                first = False
                if ch == "`" and i + 1 < n:
                    i += 1
                    ch = pattern[i]
                # a range a-z (the '-' is literal at the start or the end of the set)
                if i + 2 < n and pattern[i + 1] == "-" and pattern[i + 2] != "]":
                    hi = pattern[i + 2]
                    j = i + 2
                    if hi == "`" and j + 1 < n:
                        j += 1
                        hi = pattern[j]
                    if hi < ch:
                        raise _invalid(pattern)
                    members.append(re.escape(ch) + "-" + re.escape(hi))
                    i = j + 1
                    continue
                members.append(re.escape(ch))
                i += 1
            if not closed or not members:
                raise _invalid(pattern)
            out.append("[" + "".join(members) + "]")
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


@lru_cache(maxsize=1024)
def _compile(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    flags = re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE
    return re.compile(_to_regex(pattern), flags)


class WildcardPattern:
    """A compiled wildcard. Invalid patterns raise PSRuntimeError `WildcardPatternException` on construction."""

    __slots__ = ("pattern", "case_sensitive", "_rx")

    def __init__(self, pattern: str, case_sensitive: bool = False) -> None:
        self.pattern = pattern
        self.case_sensitive = case_sensitive
        self._rx = _compile(pattern, case_sensitive)

    def match(self, text: str) -> bool:
        return self._rx.fullmatch(text) is not None

    def __repr__(self) -> str:
        return f"WildcardPattern({self.pattern!r}, case_sensitive={self.case_sensitive})"
