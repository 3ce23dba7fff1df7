"""Conversions to the primitive .NET types with the invariant culture (LanguagePrimitives.ConvertTo): numbers
from text (`parse_number`, `0x10`, `1kb`), Int32/Int64, Double, Decimal, Char, DateTime, TimeSpan, IPAddress,
Guid, Hashtable and PSCustomObject, with PowerShell's message texts; and `ConversionError`, the error every
conversion raises.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import re
from typing import Any

from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.runtime.values import PSHashtable, PSObject, enumerate_value, format_double, to_string, type_name


class ConversionError(PSRuntimeError):
    """A failed conversion. `.message` is the full text, `.error_id` PowerShell's id."""

    def __init__(self, message: str, error_id: str = "InvalidArgument", category: str = Category.InvalidArgument):
        super().__init__(
            # casts in scripts show `InvalidArgument: (:) [], RuntimeException`
            ErrorRecord(message, error_id, category, exception_type="RuntimeException")
        )
        self.message = message
        self.error_id = error_id


# --------------------------------------------------------------------------- primitive conversions

_NUM_RE = re.compile(
    r"^(?P<sign>[+-]?)(?:0x(?P<hex>[0-9a-f]+)|(?P<dec>(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))"
    r"(?P<suffix>l|d)?(?P<mult>kb|mb|gb|tb|pb)?$",
    re.IGNORECASE,
)
_MULT = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}

_RANGES = {
    "System.Int32": (-(2**31), 2**31 - 1),
    "System.Int64": (-(2**63), 2**63 - 1),
    "System.Int16": (-(2**15), 2**15 - 1),
    "System.Byte": (0, 255),
    "System.UInt32": (0, 2**32 - 1),
    "System.UInt64": (0, 2**64 - 1),
}


def parse_number(text: str) -> int | float | decimal.Decimal | None:
    """A string as PowerShell reads a number (whitespace trimmed, hex, exponent, kb..pb multipliers); None when
    it is not a number. The empty string is 0 (LanguagePrimitives converts '' to 0)."""
    s = text.strip()
    if s == "":
        return 0
    m = _NUM_RE.match(s)
    if m is None:
        return None
    neg = m.group("sign") == "-"
    mult = _MULT.get((m.group("mult") or "").lower(), 1)
    val: int | float | decimal.Decimal
    if m.group("hex") is not None:
        val = int(m.group("hex"), 16)
    else:
        dec = m.group("dec")
        suffix = (m.group("suffix") or "").lower()
        if suffix == "d":
            val = decimal.Decimal(dec)
        elif re.fullmatch(r"\d+", dec):
            val = int(dec)
        else:
            val = float(dec)
    val = val * mult
    return -val if neg else val


def _format_error(value: str, full: str) -> ConversionError:
    return ConversionError(
        f'Cannot convert value "{value}" to type "{full}". Error: "The input string \'{value}\' was not in a '
        f'correct format."',
        "InvalidCastFromStringToInteger" if full != "System.Double" else "InvalidCastFromStringToDoubleOrSingle",
    )


def value_text(v: Any) -> str:
    """A value as .NET's ToString() shows it in conversion messages: an array is its type name."""
    return type_name(v) if enumerate_value(v) is not None else to_string(v)


def _cast_error(value: Any, full: str) -> ConversionError:
    return ConversionError(
        f'Cannot convert the "{value_text(value)}" value of type "{type_name(value)}" to type "{full}".',
        "ConvertToFinalInvalidCastException",
    )


def _overflow_error(value: Any, full: str) -> ConversionError:
    short = full.rsplit(".", 1)[-1]
    return ConversionError(
        f'Cannot convert value "{to_string(value)}" to type "{full}". Error: "Value was either too large or too '
        f'small for {"an" if short[0] in "AEIOUaeiou" else "a"} {short}."',
        "InvalidCastIConvertible",
    )


def _bankers(x: float | decimal.Decimal) -> int:
    # .NET Convert.ToInt32(double) rounds half to even, as Python's round() does.
    return int(round(x))


def to_integer(v: Any, full: str = "System.Int32") -> int:
    """Convert to an integral .NET type, range-checked (`[int]'0x19'` → 25, `[int]2.5` → 2)."""
    lo, hi = _RANGES.get(full, (-(2**63), 2**63 - 1))
    if v is None:
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, enum.Enum) and isinstance(v.value, int):
        v = v.value
    if isinstance(v, int):
        result = v
    elif isinstance(v, (float, decimal.Decimal)):
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            raise _overflow_error(v, full)
        result = _bankers(v)
    elif isinstance(v, str):
        n = parse_number(v)
        if n is None:
            raise _format_error(v, full)
        if isinstance(n, int):
            result = n
        else:
            result = _bankers(n)
    else:
        items = enumerate_value(v)
        if items is not None and len(items) == 1:
            return to_integer(items[0], full)
        raise _cast_error(v, full)
    if not lo <= result <= hi:
        raise _overflow_error(v, full)
    return result


def to_double(v: Any, full: str = "System.Double") -> float:
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, enum.Enum) and isinstance(v.value, int):
        return float(v.value)
    if isinstance(v, (int, float, decimal.Decimal)):
        return float(v)
    if isinstance(v, str):
        s = v.strip().lower()
        if s in ("nan", "infinity", "-infinity", "+infinity"):
            return float(s.replace("infinity", "inf"))
        n = parse_number(v)
        if n is None:
            raise _format_error(v, full)
        return float(n)
    items = enumerate_value(v)
    if items is not None and len(items) == 1:
        return to_double(items[0], full)
    raise _cast_error(v, full)


def to_decimal(v: Any) -> decimal.Decimal:
    full = "System.Decimal"
    if v is None:
        return decimal.Decimal(0)
    if isinstance(v, bool):
        return decimal.Decimal(int(v))
    if isinstance(v, decimal.Decimal):
        return v
    if isinstance(v, int):
        return decimal.Decimal(v)
    if isinstance(v, float):
        return decimal.Decimal(format_double(v)) if "E" not in format_double(v) else decimal.Decimal(v)
    if isinstance(v, str):
        n = parse_number(v)
        if n is None:
            raise _format_error(v, full)
        return decimal.Decimal(str(n)) if not isinstance(n, decimal.Decimal) else n
    raise _cast_error(v, full)


def to_char(v: Any) -> str:
    if isinstance(v, str):
        if len(v) == 1:
            return v
        raise ConversionError(
            f'Cannot convert value "{v}" to type "System.Char". Error: "String must be exactly one character long."',
            "InvalidCastParseTargetInvocation",
        )
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 0xFFFF:
        return chr(v)
    raise _cast_error(v, "System.Char")


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%d %B %Y",
    "%B %d, %Y",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
)


def parse_datetime(text: str) -> _dt.datetime:
    """DateTime.Parse with the invariant culture (month/day/year; ISO 8601)."""
    s = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return _dt.datetime.strptime(s, fmt)
        except ValueError:
            continue
    try:
        d = _dt.datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
        return d
    except ValueError:
        pass
    raise ConversionError(
        f'Cannot convert value "{text}" to type "System.DateTime". Error: "String \'{text}\' was not recognized as '
        f'a valid DateTime."',
        "InvalidCastParseTargetInvocation",
    )


def to_datetime(v: Any) -> _dt.datetime:
    if isinstance(v, _dt.datetime):
        return v
    if isinstance(v, _dt.date):
        return _dt.datetime(v.year, v.month, v.day)
    if isinstance(v, str):
        return parse_datetime(v)
    if isinstance(v, int) and not isinstance(v, bool):
        # DateTime(long ticks): 100-ns intervals since 0001-01-01
        return _dt.datetime(1, 1, 1) + _dt.timedelta(microseconds=v // 10)
    raise _cast_error(v, "System.DateTime")


_TS_RE = re.compile(r"^\s*(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?\s*$")


def to_timespan(v: Any) -> _dt.timedelta:
    if isinstance(v, _dt.timedelta):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return _dt.timedelta(microseconds=v // 10)  # ticks
    if isinstance(v, str):
        m = _TS_RE.match(v)
        if m is None and re.fullmatch(r"\s*-?\d+\s*", v):
            return _dt.timedelta(days=int(v))
        if m is not None:
            sign, d, h, mi, s, frac = m.groups()
            td = _dt.timedelta(days=int(d or 0), hours=int(h), minutes=int(mi), seconds=int(s or 0),
                               microseconds=int((frac or "0").ljust(7, "0")) // 10)
            return -td if sign else td
        raise ConversionError(
            f'Cannot convert value "{v}" to type "System.TimeSpan". Error: "String \'{v}\' was not recognized as a '
            f'valid TimeSpan."',
            "InvalidCastParseTargetInvocation",
        )
    raise _cast_error(v, "System.TimeSpan")


def to_ipaddress(v: Any) -> str:
    s = to_string(v).strip()
    try:
        import ipaddress  # imported when first used: start-up

        return str(ipaddress.ip_address(s.strip("[]")))
    except ValueError:
        raise ConversionError(
            f'Cannot convert value "{to_string(v)}" to type "System.Net.IPAddress". Error: "An invalid IP address '
            f'was specified."',
            "InvalidCastParseTargetInvocation",
        ) from None


def to_guid(v: Any) -> str:
    s = to_string(v).strip()
    try:
        import uuid

        return str(uuid.UUID(s))
    except ValueError:
        raise ConversionError(
            f'Cannot convert value "{s}" to type "System.Guid". Error: "Guid should contain 32 digits with 4 dashes '
            f'(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."',
            "InvalidCastParseTargetInvocation",
        ) from None


def to_hashtable(v: Any, ordered: bool = False) -> PSHashtable:
    if isinstance(v, PSHashtable):
        if ordered and not v.ordered:
            return PSHashtable(v.items(), ordered=True)
        return v
    if isinstance(v, dict):
        return PSHashtable(v.items(), ordered=ordered)
    full = "System.Collections.Specialized.OrderedDictionary" if ordered else "System.Collections.Hashtable"
    raise _cast_error(v, full)


def to_pscustomobject(v: Any) -> Any:
    """`[pscustomobject]@{...}`: properties in the hashtable's order; anything else passes through."""
    if isinstance(v, (PSHashtable, dict)):
        return PSObject([(to_string(k), val) for k, val in v.items()])
    return v


def _element_list(v: Any) -> list[Any]:
    items = enumerate_value(v)
    if items is None:
        return [v]
    return list(items)
