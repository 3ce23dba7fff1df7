"""DateTime formatting for Get-Date -Format (.NET custom and standard format strings, en-US) and -UFormat."""

from __future__ import annotations

import datetime as _dt
import re

_TOKEN = re.compile(
    r"dddd|ddd|dd|d|MMMM|MMM|MM|M|yyyy|yyy|yy|y|HH|H|hh|h|mm|m|ss|s|f{1,7}|F{1,7}|tt|t|zzz|zz|z|K|"
    r"'[^']*'|\"[^\"]*\"|\\.|%.|.",
    re.DOTALL,
)

# Standard format strings (en-US DateTimeFormatInfo patterns).
_STANDARD = {
    "d": "M/d/yyyy",
    "D": "dddd, MMMM d, yyyy",
    "f": "dddd, MMMM d, yyyy h:mm tt",
    "F": "dddd, MMMM d, yyyy h:mm:ss tt",
    "g": "M/d/yyyy h:mm tt",
    "G": "M/d/yyyy h:mm:ss tt",
    "m": "MMMM d",
    "M": "MMMM d",
    "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
    "t": "h:mm tt",
    "T": "h:mm:ss tt",
    "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
    "y": "MMMM yyyy",
    "Y": "MMMM yyyy",
}


def _offset(d: _dt.datetime, kind: str) -> str:
    off = d.utcoffset()
    if off is None:
        off = _dt.datetime.now().astimezone().utcoffset() or _dt.timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    if kind == "z":
        return f"{sign}{h}"
    if kind == "zz":
        return f"{sign}{h:02d}"
    return f"{sign}{h:02d}:{m:02d}"


def format_datetime(d: _dt.datetime, fmt: str) -> str:
    """DateTime.ToString(fmt) for the en-US culture."""
    if len(fmt) == 1 and fmt in _STANDARD:
        fmt = _STANDARD[fmt]
    out: list[str] = []
    for tok in _TOKEN.findall(fmt):
        out.append(_token(d, tok))
    return "".join(out)


def _token(d: _dt.datetime, tok: str) -> str:
    if tok[0] in "'\"" and len(tok) >= 2:
        return tok[1:-1]
    if tok[0] == "\\" and len(tok) == 2:
        return tok[1]
    if tok[0] == "%" and len(tok) == 2:
        return _token(d, tok[1])
    hour12 = d.hour % 12 or 12
    table = {
        "dddd": d.strftime("%A"),
        "ddd": d.strftime("%a"),
        "dd": f"{d.day:02d}",
        "d": str(d.day),
        "MMMM": d.strftime("%B"),
        "MMM": d.strftime("%b"),
        "MM": f"{d.month:02d}",
        "M": str(d.month),
        "yyyy": f"{d.year:04d}",
        "yyy": f"{d.year:03d}",
        "yy": f"{d.year % 100:02d}",
        "y": str(d.year % 100),
        "HH": f"{d.hour:02d}",
        "H": str(d.hour),
        "hh": f"{hour12:02d}",
        "h": str(hour12),
        "mm": f"{d.minute:02d}",
        "m": str(d.minute),
        "ss": f"{d.second:02d}",
        "s": str(d.second),
        "tt": "AM" if d.hour < 12 else "PM",
        "t": "A" if d.hour < 12 else "P",
    }
    if tok in table:
        return table[tok]
    if tok[0] in "fF":
        digits = f"{d.microsecond:06d}0"[: len(tok)]
        return digits.rstrip("0") if tok[0] == "F" else digits
    if tok in ("z", "zz", "zzz"):
        return _offset(d, tok)
    if tok == "K":
        return _offset(d, "zzz") if d.tzinfo is not None else ""
    return tok


_UFORMAT = {
    "a": "%a", "A": "%A", "b": "%b", "B": "%B", "C": None, "d": "%d", "D": "%m/%d/%y", "e": None,
    "F": "%Y-%m-%d", "g": None, "G": None, "h": "%b", "H": "%H", "I": "%I", "j": "%j", "k": None, "l": None,
    "m": "%m", "M": "%M", "n": "\n", "p": "%p", "r": "%I:%M:%S %p", "R": "%H:%M", "S": "%S", "t": "\t",
    "T": "%H:%M:%S", "u": None, "U": "%U", "V": "%V", "w": None, "W": "%W", "x": "%m/%d/%y", "X": "%H:%M:%S",
    "y": "%y", "Y": "%Y", "Z": None, "s": None, "c": "%a %b %d %H:%M:%S %Y",
}


def uformat_datetime(d: _dt.datetime, fmt: str) -> str:
    """Get-Date -UFormat (Unix strftime-style specifiers)."""
    out: list[str] = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt):
            spec = fmt[i + 1]
            i += 2
            mapped = _UFORMAT.get(spec, "")
            if spec == "C":
                out.append(f"{d.year // 100:02d}")
            elif spec == "e":
                out.append(f"{d.day:>2}")
            elif spec in ("g", "G"):
                out.append(d.strftime("%G")[-2:] if spec == "g" else d.strftime("%G"))
            elif spec == "k":
                out.append(f"{d.hour:>2}")
            elif spec == "l":
                out.append(f"{(d.hour % 12 or 12):>2}")
            elif spec == "u":
                out.append(str(d.isoweekday()))
            elif spec == "w":
                out.append(str(d.isoweekday() % 7))
            elif spec == "Z":
                out.append(_offset(d, "zz"))
            elif spec == "s":
                out.append(str(int(d.timestamp())))
            elif spec == "%":
                out.append("%")
            elif mapped:
                out.append(d.strftime(mapped) if "%" in mapped else mapped)
            else:
                out.append(spec)
            continue
        out.append(c)
        i += 1
    return "".join(out)
