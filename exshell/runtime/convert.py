"""Type conversion: casts (`[int]'5'`, grammar.md §4.7) and argument coercion during binding (binding.md §5).

Follows LanguagePrimitives.ConvertTo with the invariant culture. The message texts are PowerShell's
(ExtendedTypeSystem.resx, ParameterBinderStrings.resx); conversion messages quote the .NET exception text of
.NET 8 (PS 7.4).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import re
from dataclasses import dataclass
from typing import Any, Callable

from exshell.cmdlets.base import ListModifier, ParamType
from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.runtime.values import (
    PSHashtable,
    PSObject,
    ScriptBlockValue,
    enumerate_value,
    is_true,
    to_string,
    type_name,
)


class ConversionError(PSRuntimeError):
    """A failed conversion. `.message` is the full text, `.error_id` PowerShell's id."""

    def __init__(self, message: str, error_id: str = "InvalidArgument", category: str = Category.InvalidArgument):
        super().__init__(
            # casts in scripts show `InvalidArgument: (:) [], RuntimeException`
            ErrorRecord(message, error_id, category, exception_type="RuntimeException")
        )
        self.message = message
        self.error_id = error_id


# --------------------------------------------------------------------------- type names


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """A resolved type literal: the key this module dispatches on and the .NET full name for messages."""

    key: str
    full_name: str
    element: "TypeInfo | None" = None  # for `T[]`

    # what `[int]` / `$x.GetType()` shows as an object: `.Name`, `.FullName`; "$t" is the full name
    __ps_properties__ = ("Name", "FullName")
    __ps_type_name__ = "System.RuntimeType"

    @property
    def name(self) -> str:
        return self.full_name.rsplit(".", 1)[-1]

    def __str__(self) -> str:
        return self.full_name


_TYPES: dict[str, tuple[str, str]] = {}  # lower-cased spelling -> (key, full name)


def _alias(key: str, full: str, *spellings: str) -> None:
    for s in (key, full, *spellings):
        _TYPES[s.lower()] = (key, full)


_alias("int", "System.Int32", "int32")
_alias("long", "System.Int64", "int64")
_alias("short", "System.Int16", "int16")
_alias("byte", "System.Byte")
_alias("uint", "System.UInt32", "uint32")
_alias("ulong", "System.UInt64", "uint64")
_alias("double", "System.Double")
_alias("float", "System.Single", "single")
_alias("decimal", "System.Decimal")
_alias("bigint", "System.Numerics.BigInteger", "biginteger")
_alias("string", "System.String")
_alias("char", "System.Char")
_alias("bool", "System.Boolean", "boolean")
_alias("object", "System.Object")
_alias("psobject", "System.Management.Automation.PSObject")
_alias("pscustomobject", "System.Management.Automation.PSCustomObject")
_alias("array", "System.Array")
_alias("hashtable", "System.Collections.Hashtable")
_alias("ordered", "System.Collections.Specialized.OrderedDictionary", "ordereddictionary")
_alias("scriptblock", "System.Management.Automation.ScriptBlock")
_alias("datetime", "System.DateTime")
_alias("timespan", "System.TimeSpan")
_alias("regex", "System.Text.RegularExpressions.Regex")
_alias("ipaddress", "System.Net.IPAddress")
_alias("guid", "System.Guid")
_alias("version", "System.Version")
_alias("void", "System.Void")
_alias("switch", "System.Management.Automation.SwitchParameter", "switchparameter")
_alias("math", "System.Math")
_alias("environment", "System.Environment")
_alias("type", "System.Type")

# Types contributed by other parts (model: ByteQuantifiedSize, IPRange, ...): full name -> converter.
_REGISTERED: dict[str, tuple[str, Callable[[Any], Any], type | None]] = {}


def register_type(full_name: str, convert: Callable[[Any], Any], py_type: type | None = None,
                  aliases: tuple[str, ...] = ()) -> None:
    """Make `[full_name]` (and its short name / aliases) castable. `convert(value)` raises ValueError/TypeError
    with the .NET-style reason on failure; `py_type` lets `-is` recognise instances."""
    for s in (full_name, full_name.rsplit(".", 1)[-1], *aliases):
        _REGISTERED[s.lower()] = (full_name, convert, py_type)


def resolve_type(name: str) -> TypeInfo | None:
    """`int`, `[System.Int32]`, `string[]` → TypeInfo; None when unknown."""
    n = name.strip()
    if n.startswith("[") and n.endswith("]"):
        n = n[1:-1].strip()
    if n.endswith("[]"):
        inner = resolve_type(n[:-2])
        if inner is None:
            return None
        if inner.key == "object":
            return TypeInfo("array", "System.Object[]", inner)
        return TypeInfo("typed_array", inner.full_name + "[]", inner)
    low = n.lower()
    hit = _TYPES.get(low)
    if hit is None and not low.startswith("system."):
        hit = _TYPES.get("system." + low)
    if hit is not None:
        return TypeInfo(hit[0], hit[1])
    reg = _REGISTERED.get(low)
    if reg is not None:
        return TypeInfo("registered", reg[0])
    return None


def type_not_found(name: str) -> PSRuntimeError:
    n = name.strip()
    if n.startswith("[") and n.endswith("]"):
        n = n[1:-1]
    return PSRuntimeError(
        ErrorRecord(f"Unable to find type [{n}].", "TypeNotFound", Category.InvalidOperation, target_name=n,
                    exception_type="RuntimeException")
    )


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
        from exshell.runtime.values import format_double

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


# --------------------------------------------------------------------------- casts


def convert_to(value: Any, type_name_: str) -> Any:
    """A cast `[type]value`. Unknown type → `Unable to find type [foo].`"""
    info = resolve_type(type_name_)
    if info is None:
        # a cmdlet object's own type name (`[Microsoft...ReceiveConnector]$rc`) passes it through
        if isinstance(value, PSObject) and _matches_type_names(value, type_name_):
            return value
        raise type_not_found(type_name_)
    return _convert_info(value, info, type_name_)


def _matches_type_names(obj: PSObject, name: str) -> bool:
    n = name.strip().strip("[]").lower()
    for t in obj.type_names:
        tl = t.lower()
        if tl == n or tl.rsplit(".", 1)[-1] == n:
            return True
    return False


def _convert_info(value: Any, info: TypeInfo, spelled: str) -> Any:
    k = info.key
    if value is None:
        # reference types keep $null; value types other than numbers/bool/string cannot hold it
        if k in ("hashtable", "ordered", "ipaddress", "regex", "version", "scriptblock", "array", "typed_array",
                 "registered", "pscustomobject"):
            return None
        if k in ("datetime", "timespan", "guid", "char"):
            raise ConversionError(f'Cannot convert null to type "{info.full_name}".', "InvalidCastFromNull")
    if k in ("object", "psobject"):
        return value
    if k == "void":
        return None
    if k in ("int", "long", "short", "byte", "uint", "ulong", "bigint"):
        return to_integer(value, info.full_name)
    if k in ("double", "float"):
        return to_double(value, info.full_name)
    if k == "decimal":
        return to_decimal(value)
    if k == "string":
        return to_string(value)  # [string]$null is ''
    if k in ("bool", "switch"):
        return is_true(value)
    if k == "char":
        return to_char(value)
    if k == "array":
        if value is None:
            return None
        return _element_list(value)
    if k == "typed_array":
        if value is None:
            return None
        assert info.element is not None
        return [_convert_info(e, info.element, spelled) for e in _element_list(value)]
    if k == "hashtable":
        return to_hashtable(value)
    if k == "ordered":
        return to_hashtable(value, ordered=True)
    if k == "pscustomobject":
        return to_pscustomobject(value)
    if k == "scriptblock":
        if isinstance(value, ScriptBlockValue) or value is None:
            return value
        raise _cast_error(value, info.full_name)
    if k == "datetime":
        return to_datetime(value)
    if k == "timespan":
        return to_timespan(value)
    if k == "ipaddress":
        return to_ipaddress(value)
    if k == "guid":
        return to_guid(value)
    if k == "regex":
        s = to_string(value)
        try:
            re.compile(s)
        except re.error as e:
            raise ConversionError(
                f'Cannot convert value "{s}" to type "System.Text.RegularExpressions.Regex". Error: "Invalid pattern '
                f"'{s}': {e}.\"",
                "InvalidCastParseTargetInvocation",
            ) from None
        return s
    if k == "version":
        s = to_string(value).strip()
        if not re.fullmatch(r"\d+(\.\d+){1,3}", s):
            raise ConversionError(
                f'Cannot convert value "{s}" to type "System.Version". Error: "Version string portion was too short or '
                f'too long."',
                "InvalidCastParseTargetInvocation",
            )
        return s
    if k == "registered":
        full, fn, _pt = _REGISTERED[info.full_name.lower()]
        try:
            return fn(value)
        except (ValueError, TypeError) as e:
            raise ConversionError(
                f'Cannot convert value "{to_string(value)}" to type "{full}". Error: "{e}"',
                "InvalidCastParseTargetInvocation",
            ) from None
    raise _cast_error(value, info.full_name)


def registered_py_type(full_name: str) -> type | None:
    reg = _REGISTERED.get(full_name.lower())
    return reg[2] if reg else None


# --------------------------------------------------------------------------- binding (binding.md §5)


def _bind_error(param_name: str, inner: str) -> ConversionError:
    return ConversionError(f"Cannot bind parameter '{param_name}'. {inner}", "CannotConvertArgumentNoMessage")


def _unsupported(value_desc: str, net: str, param_name: str, reason: str = "Specified method is not supported.") -> (
        ConversionError):
    return ConversionError(
        f"Cannot convert '{value_desc}' to the type '{net}' required by parameter '{param_name}'. {reason}",
        "CannotConvertArgument",
    )


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)


def _element_net(ptype: ParamType) -> str:
    net = ptype.net_name
    if ptype.array and net.endswith("[]"):
        return net[:-2]
    if ptype.array and "[" in net and net.endswith("]"):
        # MultiValuedProperty`1[[T]] style names: the element type is inside the brackets
        inner = net[net.index("[") + 1 : -1].strip("[]").split(",")[0]
        return inner or net
    return net


def convert_for_parameter(value: Any, ptype: ParamType, param_name: str, token_text: str | None = None) -> Any:
    """Coerce one bound argument to a parameter's type; the raised ConversionError text is final."""
    if ptype.array:
        if value is None:
            return None
        if ptype.multivalued and isinstance(value, (PSHashtable, dict)):
            return _list_modifier(value, ptype, param_name)
        items = enumerate_value(value)
        if items is None:
            items = [value]
            texts: list[str | None] = [token_text]
        else:
            texts = [None] * len(items)
        return [_convert_scalar(e, ptype, param_name, t, _element_net(ptype)) for e, t in zip(items, texts)]
    items = enumerate_value(value)
    if items is not None and ptype.kind not in ("object", "flags", "enum"):
        if len(items) == 1:
            value = items[0]
        else:
            raise _unsupported(type_name(value), ptype.net_name, param_name)
    return _convert_scalar(value, ptype, param_name, token_text, ptype.net_name)


_MODIFIER_KEYS = ("add", "remove", "replace")


def _list_modifier(value: Any, ptype: ParamType, param_name: str) -> ListModifier:
    parts: dict[str, tuple[Any, ...]] = {}
    for k, v in value.items():
        key = to_string(k).lower()
        if key not in _MODIFIER_KEYS:
            raise ConversionError(
                f"Cannot bind parameter '{param_name}'. The following unknown list modifier was detected: "
                f"'{to_string(k)}'. Valid list modifiers are Add, Remove, and Replace.",
                "CannotConvertArgumentNoMessage",
            )
        elems = [] if v is None else _element_list(v)
        parts[key] = tuple(_convert_scalar(e, ptype, param_name, None, _element_net(ptype)) for e in elems)
    return ListModifier(add=parts.get("add", ()), remove=parts.get("remove", ()), replace=parts.get("replace"))


def _convert_scalar(value: Any, ptype: ParamType, param_name: str, token_text: str | None, net: str) -> Any:
    kind = ptype.kind
    if kind == "object":
        return value
    if kind == "string":
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if token_text is not None and _is_number(value):
            return token_text  # the literal keeps its spelling: `-Name 007` → "007"
        if enumerate_value(value) is not None:
            raise _unsupported(type_name(value), net, param_name)
        return to_string(value)
    if kind in ("int", "long", "double"):
        full = {"int": "System.Int32", "long": "System.Int64", "double": "System.Double"}[kind]
        if isinstance(value, (PSHashtable, dict, PSObject, ScriptBlockValue)):
            raise _bind_error(
                param_name,
                f'Cannot convert the "{value_text(value)}" value of type "{type_name(value)}" to type "{full}".',
            )
        try:
            return to_double(value, full) if kind == "double" else to_integer(value, full)
        except ConversionError as e:
            raise _bind_error(param_name, e.message) from None
    if kind in ("bool", "switch"):
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if _is_number(value):
            return value != 0
        # compiled cmdlets take only Booleans and numbers (binding.md §5); the reason slot is empty
        raise _unsupported(type_name(value), net, param_name, "")
    if kind in ("enum", "flags"):
        return _convert_enum(value, ptype, param_name, net)
    if kind == "scriptblock":
        if value is None or isinstance(value, ScriptBlockValue):
            return value
        raise _bind_error(
            param_name,
            f'Cannot convert the "{value_text(value)}" value of type "{type_name(value)}" to type "{net}".',
        )
    if kind == "hashtable":
        if value is None or isinstance(value, PSHashtable):
            return value
        if isinstance(value, dict):
            return PSHashtable(value.items())
        raise _bind_error(
            param_name,
            f'Cannot convert the "{value_text(value)}" value of type "{type_name(value)}" to type "{net}".',
        )
    if kind == "datetime":
        if value is None:
            return None
        try:
            return to_datetime(value)
        except ConversionError as e:
            raise _bind_error(param_name, e.message) from None
    if kind == "custom":
        if value is None:
            return None
        assert ptype.convert is not None
        try:
            return ptype.convert(value)
        except (ValueError, TypeError) as e:
            raise _bind_error(
                param_name, f'Cannot convert value "{to_string(value)}" to type "{net}". Error: "{e}"'
            ) from None
    raise _bind_error(param_name, f'Cannot convert value "{to_string(value)}" to type "{net}".')


# --------------------------------------------------------------------------- enums


class EnumMatchError(ValueError):
    """The reason text of a failed enum name lookup (EnumExpressionEvaluatorStrings.resx)."""


def match_enum_name(text: str, names: tuple[str, ...]) -> str:
    """LanguagePrimitives.ConvertStringToEnum: exact, case-insensitive, numeric, unique prefix."""
    s = text.strip()
    if s in names:
        return s
    low = s.lower()
    for n in names:
        if n.lower() == low:
            return n
    if re.fullmatch(r"[+-]?\d+", s):
        i = int(s)
        if 0 <= i < len(names):
            return names[i]
    if low:
        hits = [n for n in names if n.lower().startswith(low)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise EnumMatchError(
                f"The identifier name {s} cannot be processed because it is either too similar or identical to the "
                f"following enumerator names: {', '.join(hits)}. Use a more specific identifier name."
            )
    raise EnumMatchError(
        f"Unable to match the identifier name {s} to a valid enumerator name. Specify one of the following "
        f"enumerator names and try again:\n{', '.join(names)}"
    )


def _convert_enum(value: Any, ptype: ParamType, param_name: str, net: str) -> Any:
    names = ptype.values
    flags = ptype.kind == "flags"
    if value is None:
        raise _bind_error(param_name, f'Cannot convert null to type "{net}".')
    if isinstance(value, enum.Enum):
        if flags:
            value = [m for m in names if m in to_string(value).split(", ")] or to_string(value)
        else:
            value = value.name or to_string(value)
    if isinstance(value, bool):
        raise _bind_error(
            param_name, f'Cannot convert the "{value_text(value)}" value of type "System.Boolean" to type "{net}".'
        )
    parts: list[Any]
    if isinstance(value, (tuple, list)) and len(value) == 1 and not flags:
        value = value[0]
    if isinstance(value, (tuple, list)):
        if not flags:
            joined = ",".join(to_string(x) for x in value)
            raise _bind_error(
                param_name,
                f'Cannot convert value "{joined}" to type "{net}" because no commas are allowed for this '
                f"enumeration.",
            )
        parts = list(value)
    else:
        parts = [value]
    chosen: set[str] = set()
    for part in parts:
        if _is_number(part):
            i = int(part)
            if flags:
                # a flags number is a bit mask over the declaration order; a leading `None` is the value 0
                offset = 1 if names and names[0].lower() == "none" else 0
                if i == 0 and offset:
                    chosen.add(names[0])
                chosen.update(n for bit, n in enumerate(names[offset:]) if i & (1 << bit))
                continue
            if 0 <= i < len(names):
                return names[i]
            raise _bind_error(
                param_name,
                f'Cannot convert value "{i}" to type "{net}". Error: "Unable to match the identifier name {i} to a '
                f"valid enumerator name. Specify one of the following enumerator names and try again:\n"
                f'{", ".join(names)}"',
            )
        text = to_string(part)
        if "," in text and not flags:
            raise _bind_error(
                param_name,
                f'Cannot convert value "{text}" to type "{net}" because no commas are allowed for this enumeration.',
            )
        for piece in text.split(",") if flags else [text]:
            if flags and piece.strip().lower() == "none" and "none" not in (n.lower() for n in names):
                continue  # [Flags] enums' None is 0: it adds no flag
            try:
                name = match_enum_name(piece, names)
            except EnumMatchError as e:
                raise _bind_error(param_name, f'Cannot convert value "{text}" to type "{net}". Error: "{e}"') from None
            if not flags:
                return name
            chosen.add(name)
    return tuple(n for n in names if n in chosen)
