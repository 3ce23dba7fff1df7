"""The .NET regular-expression dialect on Python's `re`: `translate_regex` rewrites the .NET spellings Python
lacks (`(?<name>…)`, `\\k<name>`, `\\z`), `compile_regex` caches the compiled patterns (case-insensitive
unless asked), `matches_table` builds `$Matches` from a match, and `_dotnet_replacement` turns a Regex.Replace
substitution string (`$1`, `${name}`, `$$`) into a replacement function for `-replace`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from collections.abc import Callable

from exshell.errors import Category
from exshell.runtime.comparison import _error
from exshell.runtime.values import PSHashtable


# --------------------------------------------------------------------------- regex (.NET subset → re)


def translate_regex(pattern: str) -> str:
    """.NET syntax Python spells differently: `(?<name>…)`, `(?'name'…)`, `\\k<name>`."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            # .NET \z is the very end (Python's \Z); .NET \Z also allows one final newline
            if not in_class and pattern[i + 1] == "z":
                out.append("\\Z")
                i += 2
                continue
            if not in_class and pattern[i + 1] == "Z":
                out.append("(?=\\n?\\Z)")
                i += 2
                continue
            if not in_class and pattern.startswith("\\k<", i):
                j = pattern.find(">", i)
                if j > 0:
                    out.append(f"(?P={pattern[i + 3 : j]})")
                    i = j + 1
                    continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            # a ']' right after '[' or '[^' is a literal member
            if pattern.startswith("^", i + 1):
                out.append("^")
                i += 1
            if pattern.startswith("]", i + 1):
                out.append("\\]")
                i += 1
            i += 1
            continue
        if pattern.startswith("(?<", i) and i + 3 < n and pattern[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        if pattern.startswith("(?'", i):
            j = pattern.find("'", i + 3)
            if j > 0:
                out.append(f"(?P<{pattern[i + 3 : j]}>")
                i = j + 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


@lru_cache(maxsize=512)
def compile_regex(pattern: str, case_sensitive: bool = False) -> re.Pattern[str]:
    try:
        return re.compile(translate_regex(pattern), 0 if case_sensitive else re.IGNORECASE)
    except re.error:
        raise _error(
            f"The regular expression pattern {pattern} is not valid.", "InvalidRegularExpression",
            Category.InvalidOperation,
        ) from None


def matches_table(m: re.Match[str]) -> PSHashtable:
    """`$Matches`: key 0 is the whole match, then each group that took part (numbers, then names)."""
    h = PSHashtable()
    h[0] = m.group(0)
    names = {v: k for k, v in m.re.groupindex.items()}
    number = 0
    for i in range(1, (m.re.groups or 0) + 1):
        if i in names:
            continue
        # .NET numbers the unnamed groups first, then the named ones
        number += 1
        g = m.group(i)
        if g is not None:
            h[number] = g
    for name, i in m.re.groupindex.items():
        g = m.group(i)
        if g is not None:
            h[name] = g
    return h


def _dotnet_replacement(repl: str) -> Callable[[re.Match[str]], str]:
    """Regex.Replace substitutions: `$1`, `${name}`, `$0`/`$&`, `$$`; unknown groups stay literal."""
    parts: list[Any] = []
    i = 0
    n = len(repl)
    buf: list[str] = []
    while i < n:
        c = repl[i]
        if c == "$" and i + 1 < n:
            nxt = repl[i + 1]
            if nxt == "$":
                buf.append("$")
                i += 2
                continue
            if nxt == "&":
                parts.append("".join(buf)); buf = []  # noqa: E702
                parts.append(0)
                i += 2
                continue
            if nxt == "{":
                j = repl.find("}", i)
                if j > 0:
                    parts.append("".join(buf)); buf = []  # noqa: E702
                    name = repl[i + 2 : j]
                    parts.append(int(name) if name.isdigit() else ("name", name, repl[i : j + 1]))
                    i = j + 1
                    continue
            if nxt.isdigit():
                j = i + 1
                while j < n and repl[j].isdigit():
                    j += 1
                parts.append("".join(buf)); buf = []  # noqa: E702
                parts.append(("num", int(repl[i + 1 : j]), repl[i:j]))
                i = j
                continue
        buf.append(c)
        i += 1
    parts.append("".join(buf))

    def expand(m: re.Match[str]) -> str:
        out: list[str] = []
        for p in parts:
            if isinstance(p, str):
                out.append(p)
            elif isinstance(p, int):
                out.append(m.group(p) or "" if p <= (m.re.groups or 0) else f"${{{p}}}")
            else:
                kind, key, literal = p
                try:
                    out.append(m.group(key) or "")
                except IndexError:
                    out.append(literal)
        return "".join(out)

    return expand
