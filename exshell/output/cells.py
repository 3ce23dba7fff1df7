"""Value → display text, the way PowerShell's formatter does it (output.md §2.4, §2.7, §4).

`cell_text` is for table cells and list values (collections as `{a, b}`), `scalar_text` for a scalar written
on its own line by Out-Default, `default_alignment` for the alignment a property-based table column takes from
the first object's value (FormatViewGenerator_Table.ComputeDefaultAlignment).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import decimal
import enum
from contextvars import ContextVar
from typing import Any
from collections.abc import Iterator

from exshell.output.objects import is_dictionary, is_psobject
from exshell.runtime.values import is_enumerable, to_string

ELLIPSIS = "\u2026"  # PS 6.2+ (PS5 used three dots)
DEFAULT_ENUMERATION_LIMIT = 4  # $FormatEnumerationLimit

# The session's $FormatEnumerationLimit for the formatting in progress (set by out_default / Format-* / Out-*).
_ENUMERATION_LIMIT: ContextVar[int] = ContextVar("format_enumeration_limit", default=DEFAULT_ENUMERATION_LIMIT)


@contextlib.contextmanager
def enumeration_limit(limit: Any) -> Iterator[None]:
    """Format with `limit` elements per collection (-1 = all); a non-integer keeps the default."""
    try:
        value = int(limit) if limit is not None and not isinstance(limit, bool) else DEFAULT_ENUMERATION_LIMIT
    except (TypeError, ValueError):
        value = DEFAULT_ENUMERATION_LIMIT
    token = _ENUMERATION_LIMIT.set(value)
    try:
        yield
    finally:
        _ENUMERATION_LIMIT.reset(token)


def _ps_to_string(value: Any) -> str:
    return to_string(value)


def is_collection(value: Any) -> bool:
    """Enumerable for display purposes: lists/tuples/sets and dictionaries, never a string."""
    if value is None or isinstance(value, (str, bytes)):
        return False
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return True

    if is_dictionary(value):
        return True
    # Model multi-valued properties and other sequences that are not PSObjects.

    if is_psobject(value):
        return False
    # Anything else only when the runtime would unroll it too: one rule for "is this a collection" (a model
    # flag set such as AuthMechanism is iterable but displays as `Tls, BasicAuth`, like a .NET [Flags] enum).

    return is_enumerable(value)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


def is_scalar(value: Any) -> bool:
    """Types Out-Default prints with ToString on one line (FormatViewManager.DefaultScalarTypes, enums)."""
    return isinstance(value, (str, bool, int, float, decimal.Decimal, enum.Enum))


def default_alignment(value: Any) -> str:
    """Numbers, Char, Boolean and enums right; everything else (strings, dates, collections, $null) left."""
    if isinstance(value, (bool, int, float, decimal.Decimal, enum.Enum)):
        return "right"
    return "left"


def number_text(value: Any, in_table: bool = False) -> str:
    """Integers invariant; Double/Decimal in a PS 7.3+ table cell use ToString("F") (2 decimals, en-US)."""
    if in_table and isinstance(value, (float, decimal.Decimal)) and not isinstance(value, bool):
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return _ps_to_string(value)
        return f"{value:.2f}"
    return _ps_to_string(value)


def datetime_cell(value: _dt.datetime) -> str:
    """DateTime.ToString() in en-US: `6/12/2017 3:05:46 PM`."""
    hour = value.hour % 12 or 12
    ampm = "AM" if value.hour < 12 else "PM"
    return f"{value.month}/{value.day}/{value.year} {hour}:{value.minute:02d}:{value.second:02d} {ampm}"


def datetime_scalar(value: _dt.datetime) -> str:
    """The DateTime view Out-Default uses for a date on its own: `Monday, June 12, 2017 3:05:46 PM`."""
    hour = value.hour % 12 or 12
    ampm = "AM" if value.hour < 12 else "PM"
    return (
        f"{value.strftime('%A')}, {value.strftime('%B')} {value.day}, {value.year} "
        f"{hour}:{value.minute:02d}:{value.second:02d} {ampm}"
    )


def element_text(value: Any) -> str:
    """One element inside `{…}`: `$null` for null, ToString otherwise (SmartToString)."""
    if value is None:
        return "$null"
    return plain_text(value)


def dictionary_entries(value: Any) -> list[tuple[Any, Any]]:
    return [(k, value[k]) for k in value.keys()]


def collection_text(value: Any, limit: int | None = None) -> str:
    """`{a, b, c}` with at most `limit` elements then `…` (output.md §2.7); -1 = unlimited; None = the
    current $FormatEnumerationLimit."""
    if limit is None:
        limit = _ENUMERATION_LIMIT.get()
    if is_dictionary(value):
        items: list[str] = [f"[{plain_text(k)}, {element_text(v)}]" for k, v in dictionary_entries(value)]
    else:
        items = [element_text(v) for v in value]
    more = limit >= 0 and len(items) > limit
    if more:
        items = items[:limit]
    return "{" + ", ".join(items) + (ELLIPSIS if more else "") + "}"


def plain_text(value: Any) -> str:
    """ToString for display of a non-collection value (nested objects via the runtime's rules)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, _dt.datetime):
        return datetime_cell(value)
    # Enums show their member name (flags `A, B`); everything else its ToString.
    return _ps_to_string(value)


def cell_text(value: Any, in_table: bool = True, limit: int | None = None) -> str:
    """Text of a table cell (`in_table`) or a list value."""
    if value is None:
        return ""
    if is_collection(value):
        return collection_text(value, limit)
    if is_number(value):
        return number_text(value, in_table)
    return plain_text(value)


def scalar_text(value: Any) -> str:
    """A scalar written on its own by Out-Default."""
    if isinstance(value, _dt.datetime):
        return datetime_scalar(value)
    return plain_text(value)


def char_width(c: str) -> int:
    """Terminal cells of one character: 2 for wide East Asian characters and emoji, 0 for combining marks."""
    if c.isascii():
        return 1
    from wcwidth import wcwidth  # only for non-ASCII text; prompt_toolkit's own width table

    w = wcwidth(c)
    return 1 if w < 0 else w


def display_width(text: str) -> int:
    """The cells text takes on a terminal (a table lines up by this, not by len)."""
    if text.isascii():
        return len(text)
    return sum(char_width(c) for c in text)


def take_width(text: str, width: int) -> str:
    """The longest prefix of text that fits in `width` cells."""
    if text.isascii():
        return text[:width]
    used = 0
    for i, c in enumerate(text):
        used += char_width(c)
        if used > width:
            return text[:i]
    return text


def take_width_from_end(text: str, width: int) -> str:
    """The longest suffix of text that fits in `width` cells."""
    if text.isascii():
        return text[len(text) - width :] if width > 0 else ""
    used = 0
    for i in range(len(text) - 1, -1, -1):
        used += char_width(text[i])
        if used > width:
            return text[i + 1 :]
    return text


def truncate(text: str, width: int, align: str = "left") -> str:
    """Cut to `width` cells with `…` at the end (left/center) or start (right) (output.md §2.4)."""
    if width <= 0:
        return ""
    if display_width(text) <= width:
        return text
    if width == 1:
        return ELLIPSIS
    if align == "right":
        return ELLIPSIS + take_width_from_end(text, width - 1)
    return take_width(text, width - 1) + ELLIPSIS


def first_line(text: str) -> str:
    """ComplexWriter.TruncateAtNewLine: a multi-line value shows its first line and `…`."""
    if "\n" in text or "\r" in text:
        head = text.replace("\r\n", "\n").replace("\r", "\n").split("\n", 1)[0]
        return head + ELLIPSIS
    return text


def pad(text: str, width: int, align: str) -> str:
    gap = width - display_width(text)
    if gap <= 0:
        return text
    if align == "right":
        return " " * gap + text
    if align == "center":
        left = gap // 2
        return " " * left + text + " " * (gap - left)
    return text + " " * gap


def wrap_text(text: str, width: int) -> list[str]:
    """Break a value into lines of at most `width`: embedded newlines first, then at spaces where possible
    (en-US is a word-wrap culture), else at the exact width."""
    if width <= 0:
        return [text]
    out: list[str] = []
    for para in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if para == "":
            out.append("")
            continue
        rest = para
        while display_width(rest) > width:
            fits = take_width(rest, width) or rest[:1]  # a wide character in a 1-cell column still moves on
            cut = rest.rfind(" ", 0, len(fits) + 1)
            if cut <= 0:
                out.append(fits)
                rest = rest[len(fits) :]
            else:
                out.append(rest[:cut].rstrip())
                rest = rest[cut + 1 :]
        out.append(rest)
    return out
