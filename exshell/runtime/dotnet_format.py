""".NET format strings with the invariant culture: the `-f` operator's composite format (`{0,-10:N2}`),
`.ToString('N2')` and friends — standard and custom numeric formats (`format_number`) and standard and custom
date formats (`format_datetime_custom`), joined by `format_with` and `composite_format`. Pure functions, no
I/O; the plain `to_string` conversions they fall back to live in exshell.runtime.values.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re
from typing import Any
from collections.abc import Sequence

from exshell.runtime.values import format_double, to_string


# --------------------------------------------------------------------------- .NET format strings
# `-f` and `.ToString('N2')` follow .NET's standard and custom numeric/date format strings (invariant culture).


class FormatStringError(ValueError):
    """A malformed format string or argument index; the text is .NET's."""


def _round_half_away(d: decimal.Decimal, places: int) -> decimal.Decimal:
    # .NET Core formats the exact binary value, rounding half away from zero.
    q = decimal.Decimal(1).scaleb(-places)
    return d.quantize(q, rounding=decimal.ROUND_HALF_UP)


def _exact(v: Any) -> decimal.Decimal:
    if isinstance(v, decimal.Decimal):
        return v
    if isinstance(v, bool):
        return decimal.Decimal(int(v))
    if isinstance(v, float):
        return decimal.Decimal(v)
    return decimal.Decimal(int(v))


def _group(int_digits: str) -> str:
    out: list[str] = []
    while len(int_digits) > 3:
        out.insert(0, int_digits[-3:])
        int_digits = int_digits[:-3]
    out.insert(0, int_digits)
    return ",".join(out)


def _fixed(v: Any, places: int, grouping: bool) -> str:
    d = _round_half_away(_exact(v), places)
    neg = d < 0
    s = format(abs(d), "f")
    ip, _, fp = s.partition(".")
    if grouping:
        ip = _group(ip)
    body = ip + ("." + fp if places > 0 else "")
    # .NET never prints "-0.00"
    if neg and any(c not in "0.,," for c in body):
        return "-" + body
    return body


def _custom_number(v: Any, fmt: str) -> str:
    """The common custom numeric patterns: `0`, `0.00`, `#,##0`, `#,##0.##`, `000`, literal text around them."""
    sections = fmt.split(";")
    num = _exact(v)
    pattern = sections[0]
    if num < 0 and len(sections) > 1 and sections[1]:
        pattern, num = sections[1], -num
    elif num == 0 and len(sections) > 2 and sections[2]:
        pattern = sections[2]
    m = re.search(r"[0#][0#,]*(\.[0#]*)?|\.[0#]+", pattern)
    if m is None:
        return pattern
    spec = m.group(0)
    percent = "%" in pattern
    if percent:
        num *= 100
    ip, _, fp = spec.partition(".")
    min_frac = fp.count("0")
    max_frac = len(fp)
    min_int = ip.replace(",", "").count("0")
    grouping = "," in ip.strip(",")
    d = _round_half_away(abs(num), max_frac)
    s = format(d, "f")
    si, _, sf = s.partition(".")
    sf = sf.rstrip("0")
    if len(sf) < min_frac:
        sf = sf.ljust(min_frac, "0")
    si = si.lstrip("0")
    si = si.rjust(min_int, "0")
    if grouping and si:
        si = _group(si)
    body = si + ("." + sf if sf else "")
    if body == "":
        body = "0" if min_int else ""
    neg = num < 0 and any(c.isdigit() and c != "0" for c in body)
    return pattern[: m.start()] + ("-" if neg else "") + body + pattern[m.end():]


def format_number(v: Any, fmt: str) -> str:
    """Number.ToString(fmt) with the invariant culture."""
    if not fmt:
        return to_string(v)
    m = re.fullmatch(r"([A-Za-z])(\d{0,2})", fmt)
    if m is None:
        return _custom_number(v, fmt)
    code, digits = m.group(1), m.group(2)
    prec = int(digits) if digits else None
    up = code.upper()
    is_int = isinstance(v, int) and not isinstance(v, bool)
    if up == "N":
        return _fixed(v, 2 if prec is None else prec, True)
    if up == "F":
        return _fixed(v, 2 if prec is None else prec, False)
    if up == "D":
        if not is_int:
            raise FormatStringError("Format specifier was invalid.")
        s = str(abs(v)).rjust(prec or 0, "0")
        return ("-" if v < 0 else "") + s
    if up == "X":
        if not is_int:
            raise FormatStringError("Format specifier was invalid.")
        n = v
        if n < 0:
            n += 2**32 if n >= -(2**31) else 2**64
        s = format(n, "X" if code == "X" else "x")
        return s.rjust(prec or 0, "0")
    if up == "P":
        return _fixed(_exact(v) * 100, 2 if prec is None else prec, True) + " %"
    if up == "C":
        s = _fixed(v, 2 if prec is None else prec, True)
        return ("-¤" + s[1:]) if s.startswith("-") else "¤" + s
    if up == "E":
        p = 6 if prec is None else prec
        d = _exact(v)
        s = f"{d:.{p}E}"
        mant, _, e = s.partition("E")
        sign = "-" if e.startswith("-") else "+"
        return f"{mant}{'E' if code == 'E' else 'e'}{sign}{abs(int(e)):03d}"
    if up in ("G", "R"):
        if prec and not is_int:
            return format_double(float(f"{float(v):.{prec}g}"))
        return to_string(v)
    return _custom_number(v, fmt)


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DATE_STANDARD = {
    "d": "MM/dd/yyyy",
    "D": "dddd, dd MMMM yyyy",
    "f": "dddd, dd MMMM yyyy HH:mm",
    "F": "dddd, dd MMMM yyyy HH:mm:ss",
    "g": "MM/dd/yyyy HH:mm",
    "G": "MM/dd/yyyy HH:mm:ss",
    "m": "MMMM dd",
    "M": "MMMM dd",
    "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
    "t": "HH:mm",
    "T": "HH:mm:ss",
    "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
    "y": "yyyy MMMM",
    "Y": "yyyy MMMM",
}


def format_datetime_custom(d: _dt.datetime, fmt: str) -> str:
    """DateTime.ToString(fmt), invariant culture (standard one-letter formats and custom patterns)."""
    if len(fmt) == 1:
        if fmt not in _DATE_STANDARD:
            raise FormatStringError("Input string was not in a correct format.")
        fmt = _DATE_STANDARD[fmt]
    out: list[str] = []
    i = 0
    n = len(fmt)
    while i < n:
        c = fmt[i]
        if c in "'\"":
            j = fmt.find(c, i + 1)
            j = n if j < 0 else j
            out.append(fmt[i + 1 : j])
            i = j + 1
            continue
        if c == "\\" and i + 1 < n:
            out.append(fmt[i + 1])
            i += 2
            continue
        if c == "%" and i + 1 < n:
            i += 1
            continue
        j = i
        while j < n and fmt[j] == c:
            j += 1
        k = j - i
        if c == "y":
            out.append(str(d.year % 100).zfill(2) if k <= 2 and k > 1 else
                       str(d.year % 100) if k == 1 else str(d.year).zfill(k))
        elif c == "M":
            out.append(str(d.month) if k == 1 else f"{d.month:02d}" if k == 2 else
                       _MONTHS[d.month - 1][:3] if k == 3 else _MONTHS[d.month - 1])
        elif c == "d":
            out.append(str(d.day) if k == 1 else f"{d.day:02d}" if k == 2 else
                       _DAYS[d.weekday()][:3] if k == 3 else _DAYS[d.weekday()])
        elif c == "H":
            out.append(str(d.hour) if k == 1 else f"{d.hour:02d}")
        elif c == "h":
            h12 = d.hour % 12 or 12
            out.append(str(h12) if k == 1 else f"{h12:02d}")
        elif c == "m":
            out.append(str(d.minute) if k == 1 else f"{d.minute:02d}")
        elif c == "s":
            out.append(str(d.second) if k == 1 else f"{d.second:02d}")
        elif c in "fF":
            frac = f"{d.microsecond:06d}0"[:k].ljust(k, "0")
            out.append(frac.rstrip("0") if c == "F" else frac)
        elif c == "t":
            ampm = "AM" if d.hour < 12 else "PM"
            out.append(ampm[:1] if k == 1 else ampm)
        elif c == "z":
            off = d.utcoffset() if d.tzinfo else None
            mins = int(off.total_seconds() // 60) if off is not None else 0
            sign = "-" if mins < 0 else "+"
            hh, mm = divmod(abs(mins), 60)
            out.append(f"{sign}{hh}" if k == 1 else f"{sign}{hh:02d}" if k == 2 else f"{sign}{hh:02d}:{mm:02d}")
        elif c == "K":
            off = d.utcoffset() if d.tzinfo else None
            if off is not None:
                mins = int(off.total_seconds() // 60)
                out.append("Z" if mins == 0 else f"{'-' if mins < 0 else '+'}{abs(mins)//60:02d}:{abs(mins)%60:02d}")
            k = 1
        else:
            out.append(c * k)
        i = j if c != "K" else i + 1
    return "".join(out)


def format_with(v: Any, fmt: str) -> str:
    """`{0:fmt}` / `$v.ToString(fmt)`: numbers and dates honour the format; other values ignore it."""
    if isinstance(v, bool) or v is None:
        return to_string(v)
    if isinstance(v, (int, float, decimal.Decimal)):
        return format_number(v, fmt)
    if isinstance(v, _dt.datetime):
        return format_datetime_custom(v, fmt)
    fn = getattr(v, "__format_ps__", None)
    if callable(fn):
        return str(fn(fmt))
    return to_string(v)


_ITEM_RE = re.compile(r"\{(\d+)\s*(?:,\s*(-?\d+)\s*)?(?::([^}]*))?\}")


_WIDTH_LIMIT = 1_000_000


def composite_format(fmt: str, args: Sequence[Any]) -> str:
    """String.Format(InvariantCulture, fmt, args): `{0}`, `{0,-10}`, `{0:N2}`, `{{` / `}}` escapes."""
    out: list[str] = []
    i = 0
    n = len(fmt)
    while i < n:
        c = fmt[i]
        if c == "{":
            if fmt.startswith("{{", i):
                out.append("{")
                i += 2
                continue
            m = _ITEM_RE.match(fmt, i)
            if m is None:
                raise FormatStringError("Input string was not in a correct format.")
            idx = int(m.group(1))
            if idx >= len(args):
                raise FormatStringError(
                    "Index (zero based) must be greater than or equal to zero and less than the size of the "
                    "argument list."
                )
            val = args[idx]
            spec = m.group(3)
            text = format_with(val, spec) if spec else to_string(val)
            if m.group(2):
                width = int(m.group(2))
                if abs(width) >= _WIDTH_LIMIT:
                    # .NET's composite formatting refuses alignments of a million or more (StringBuilder.WidthLimit)
                    raise FormatStringError("Input string was not in a correct format.")
                text = text.rjust(width) if width > 0 else text.ljust(-width)
            out.append(text)
            i = m.end()
            continue
        if c == "}":
            if fmt.startswith("}}", i):
                out.append("}")
                i += 2
                continue
            raise FormatStringError("Input string was not in a correct format.")
        out.append(c)
        i += 1
    return "".join(out)
