"""The small OPATH subset the queue cmdlets' -Filter takes (cmdlets.md §7.1): `Prop -op value` comparisons
joined with `-and`; operators -eq -ne -gt -ge -lt -le -like -notlike, case-insensitive; values quoted with
'...' or "...", or bare words and numbers. Example: "NextHopDomain -eq 'contoso.com' -and Status -eq 'Retry'".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exshell.errors import ExshellError
from exshell.runtime.wildcard import WildcardPattern

_TERM = re.compile(
    r"""\s*\(?\s*(?P<prop>[A-Za-z][A-Za-z0-9]*)\s+-(?P<op>eq|ne|gt|ge|lt|le|like|notlike)\s+
        (?:'(?P<sq>(?:[^']|'')*)'|"(?P<dq>[^"]*)"|(?P<bare>[^\s()]+))\s*\)?\s*""",
    re.IGNORECASE | re.VERBOSE,
)
_AND = re.compile(r"\s*-and\s*", re.IGNORECASE)


class FilterError(ExshellError):
    pass


@dataclass(frozen=True, slots=True)
class Comparison:
    prop: str
    op: str
    value: str


def parse_filter(text: str) -> list[Comparison]:
    terms: list[Comparison] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TERM.match(text, pos)
        if not m:
            raise FilterError(
                f"Invalid filter syntax. For a description of the filter parameter syntax see the "
                f'command help. "{text}" at position {pos + 1}.'
            )
        value = m.group("sq")
        value = (
            value.replace("''", "'")
            if value is not None
            else (m.group("dq") if m.group("dq") is not None else m.group("bare"))
        )
        terms.append(Comparison(m.group("prop"), m.group("op").lower(), value))
        pos = m.end()
        if pos < len(text):
            a = _AND.match(text, pos)
            if not a or a.end() == pos:
                raise FilterError(
                    f'Invalid filter syntax: only "-and" joins comparisons. "{text}" at position {pos + 1}.'
                )
            pos = a.end()
    return terms


def _cmp(actual: Any, value: str) -> int:
    try:
        a, b = float(actual), float(value)
    except (TypeError, ValueError):
        a_s, b_s = str("" if actual is None else actual).lower(), value.lower()
        return (a_s > b_s) - (a_s < b_s)
    return (a > b) - (a < b)


def matches(terms: list[Comparison], props: Mapping[str, Any]) -> bool:
    lowered = {k.lower(): v for k, v in props.items()}
    for t in terms:
        if t.prop.lower() not in lowered:
            raise FilterError(f"The property '{t.prop}' isn't a filterable property.")
        actual = lowered[t.prop.lower()]
        if isinstance(actual, (list, tuple)):
            actual = ";".join(str(x) for x in actual)
        if t.op in ("like", "notlike"):
            ok = WildcardPattern(t.value).match(str("" if actual is None else actual))
            if (t.op == "like") != bool(ok):
                return False
            continue
        c = _cmp(actual, t.value)
        ok = {"eq": c == 0, "ne": c != 0, "gt": c > 0, "ge": c >= 0, "lt": c < 0, "le": c <= 0}[t.op]
        if not ok:
            return False
    return True
