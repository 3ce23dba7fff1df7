"""PowerShell runtime values: PSObject, PSHashtable, ScriptBlockValue and the primitive value rules.

Truth (grammar.md §4.4), string conversion (output.md §4, LanguagePrimitives.ConvertTo<string> with the
invariant culture), enumeration (what the pipeline and collection operators unroll) and .NET type names.
Pure functions, no I/O, cheap to import.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import math
from collections import deque
from collections.abc import ItemsView, Iterator, KeysView, ValuesView
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from exshell.lang import ast

PSCUSTOMOBJECT = "System.Management.Automation.PSCustomObject"
# Modules whose classes are Exchange / .NET value types with a member table (exshell.runtime.exchange_members).
VALUE_TYPE_MODULES = ("exshell.model", "ipaddress")
DEFAULT_TYPE_NAMES = (PSCUSTOMOBJECT, "System.Object")


# --------------------------------------------------------------------------- PSObject


class PSObject:
    """An object with ordered, case-insensitive properties (PSCustomObject and every object a cmdlet emits).

    Property names keep the spelling they were first given (PowerShell's PSMemberInfoCollection).
    `methods` maps a method name to a callable `(obj, *args)` for script-visible methods a cmdlet attaches.
    Equality is identity, as for .NET reference types.
    """

    __slots__ = ("_props", "type_names", "_to_string", "methods", "__weakref__")

    def __init__(
        self,
        properties: Iterable[tuple[str, Any]] | Mapping[str, Any] = (),
        type_names: Sequence[str] = DEFAULT_TYPE_NAMES,
        to_string: str | Callable[["PSObject"], str] | None = None,
        methods: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        props: dict[str, list[Any]] = {}
        items = properties.items() if isinstance(properties, Mapping) else properties
        for name, value in items:  # set() inlined: a cmdlet emitting a thousand objects builds 60,000 of these
            name = str(name)
            entry = props.get(name.lower())
            if entry is None:
                props[name.lower()] = [name, value]
            else:
                entry[1] = value
        self._props = props
        self.type_names: list[str] = list(type_names)
        self._to_string = to_string
        self.methods: dict[str, Callable[..., Any]] = {k.lower(): v for k, v in (methods or {}).items()}

    def get(self, name: str, default: Any = None) -> Any:
        entry = self._props.get(name.lower())
        return default if entry is None else entry[1]

    def set(self, name: str, value: Any) -> None:
        entry = self._props.get(name.lower())
        if entry is None:
            self._props[name.lower()] = [name, value]
        else:
            entry[1] = value

    def has(self, name: str) -> bool:
        return name.lower() in self._props

    def remove(self, name: str) -> None:
        self._props.pop(name.lower(), None)

    def names(self) -> list[str]:
        return [e[0] for e in self._props.values()]

    def items(self) -> list[tuple[str, Any]]:
        return [(e[0], e[1]) for e in self._props.values()]

    def copy(self) -> "PSObject":
        return PSObject(self.items(), self.type_names, self._to_string, self.methods)

    def add_method(self, name: str, fn: Callable[..., Any]) -> None:
        self.methods[name.lower()] = fn

    def __str__(self) -> str:
        ts = self._to_string
        if isinstance(ts, str):
            return ts
        if ts is not None:
            return ts(self)
        # PSCustomObject.ToString(): `@{a=1; b=2}`; each value by its own ToString, so an array shows its type.
        parts = [f"{n}={_nested_to_string(v)}" for n, v in self.items()]
        return "@{" + "; ".join(parts) + "}"

    def __repr__(self) -> str:
        return f"PSObject({self.type_names[0] if self.type_names else ''} {str(self)!r})"

    __hash__ = object.__hash__


def _nested_to_string(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return "System.Object[]"
    return to_string(v)


# --------------------------------------------------------------------------- PSHashtable


def _norm_key(key: Any) -> Any:
    """OrdinalIgnoreCase for strings; other keys by type and value (.NET: 1 and 1.0 are different keys)."""
    if isinstance(key, str):
        return ("s", key.lower())
    try:
        hash(key)
    except TypeError:
        return ("id", id(key))
    return (type(key).__name__, key)


class PSHashtable(MutableMapping[Any, Any]):
    """`@{}` / `[ordered]@{}`: case-insensitive string keys (first spelling kept), insertion ordered."""

    __slots__ = ("_data", "ordered")

    def __init__(self, items: Mapping[Any, Any] | Iterable[tuple[Any, Any]] = (), ordered: bool = False) -> None:
        self._data: dict[Any, list[Any]] = {}
        self.ordered = ordered
        src = items.items() if isinstance(items, Mapping) else items
        for k, v in src:
            self[k] = v

    def __getitem__(self, key: Any) -> Any:
        return self._data[_norm_key(key)][1]

    def __setitem__(self, key: Any, value: Any) -> None:
        nk = _norm_key(key)
        entry = self._data.get(nk)
        if entry is None:
            self._data[nk] = [key, value]
        else:
            entry[1] = value

    def __delitem__(self, key: Any) -> None:
        del self._data[_norm_key(key)]

    def __contains__(self, key: object) -> bool:
        return _norm_key(key) in self._data

    def __iter__(self) -> Iterator[Any]:
        return iter([e[0] for e in self._data.values()])

    def __len__(self) -> int:
        return len(self._data)

    def copy(self) -> "PSHashtable":
        return PSHashtable(self.items(), ordered=self.ordered)

    def original_key(self, key: Any) -> Any:
        """The key as first spelled (`$h.Keys` shows it)."""
        return self._data[_norm_key(key)][0]

    def __str__(self) -> str:
        return type_name(self)

    def __repr__(self) -> str:
        return "PSHashtable({" + ", ".join(f"{k!r}: {v!r}" for k, v in self.items()) + "})"

    def __eq__(self, other: object) -> bool:  # reference semantics, as a .NET Hashtable
        return self is other

    __hash__ = object.__hash__


# --------------------------------------------------------------------------- ScriptBlockValue


class ScriptBlockValue:
    """A `{ ... }` value. A plain holder: invocation lives in the evaluator."""

    __slots__ = ("block",)

    def __init__(self, block: "ast.ScriptBlock") -> None:
        self.block = block

    @property
    def text(self) -> str:
        return self.block.text

    def __str__(self) -> str:
        return self.block.text

    def __repr__(self) -> str:
        return f"ScriptBlockValue({{{self.block.text}}})"


# --------------------------------------------------------------------------- enumeration


_ENUMERABLE = (list, tuple, set, frozenset, range, deque, KeysView, ValuesView, ItemsView, Iterator)


def enumerate_value(v: Any) -> list[Any] | None:
    """The elements PowerShell would unroll, or None for a non-enumerable (strings, hashtables, objects)."""
    if v is None or isinstance(v, (str, bytes, PSHashtable, dict, PSObject)):
        return None
    if isinstance(v, list):
        return v
    if isinstance(v, _ENUMERABLE):
        return list(v)
    return None


def is_enumerable(v: Any) -> bool:
    if v is None or isinstance(v, (str, bytes, PSHashtable, dict, PSObject)):
        return False
    return isinstance(v, _ENUMERABLE)


# --------------------------------------------------------------------------- truth


def is_true(v: Any) -> bool:
    """LanguagePrimitives.IsTrue (grammar.md §4.4)."""
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return len(v) > 0
    if isinstance(v, (int, float, decimal.Decimal)):
        return v != 0
    if isinstance(v, enum.Enum):
        val = v.value
        return bool(val) if isinstance(val, (int, float)) else True
    if isinstance(v, (list, tuple)):
        if len(v) == 0:
            return False
        if len(v) == 1:
            return is_true(v[0])
        return True
    items = enumerate_value(v)
    if items is not None:
        if len(items) == 0:
            return False
        if len(items) == 1:
            return is_true(items[0])
        return True
    if getattr(type(v), "__bool__", None) is not None:
        # model value types that define truth (an empty flag set is the enum value 0 → $false)
        try:
            return bool(v)
        except Exception:  # noqa: BLE001 - a foreign __bool__ must not leak a traceback
            return True
    return True


# --------------------------------------------------------------------------- string conversion


def format_double(f: float) -> str:
    """.NET Core Double.ToString() invariant: shortest round-trip digits, 'E+XX' notation from 1E+15 and below
    1E-05 (`1.5`, `0.1`, `1E+20`, `1E-05`, `123456789012345`)."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign = "-" if f < 0 else ""
    r = repr(abs(f))
    # Extract shortest digits and decimal exponent from Python's repr (also shortest round-trip).
    mant, _, exp_s = r.partition("e")
    exp = int(exp_s) if exp_s else 0
    int_part, _, frac_part = mant.partition(".")
    if frac_part == "0":
        frac_part = ""
    digits = (int_part + frac_part).lstrip("0")
    # position of the decimal point relative to the start of `digits`
    lead_zeros = len(int_part + frac_part) - len((int_part + frac_part).lstrip("0"))
    point = len(int_part) - lead_zeros + exp
    digits = digits.rstrip("0") or "0"
    sci_exp = point - 1
    if sci_exp >= 15 or sci_exp < -4:
        m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{m}E{'+' if sci_exp >= 0 else '-'}{abs(sci_exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * (-point)}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def format_decimal(d: decimal.Decimal) -> str:
    """System.Decimal keeps its scale (`1.50`) and never uses an exponent."""
    s = format(d, "f")
    return s


def format_datetime(d: _dt.datetime | _dt.date) -> str:
    """Invariant-culture DateTime.ToString(): `MM/dd/yyyy HH:mm:ss`."""
    if not isinstance(d, _dt.datetime):
        d = _dt.datetime(d.year, d.month, d.day)
    return d.strftime("%m/%d/%Y %H:%M:%S")


def format_timedelta(td: _dt.timedelta) -> str:
    """TimeSpan.ToString(): `[-][d.]hh:mm:ss[.fffffff]`."""
    total_us = td.days * 86400_000000 + td.seconds * 1000000 + td.microseconds
    sign = "-" if total_us < 0 else ""
    total_us = abs(total_us)
    days, rem = divmod(total_us, 86400_000000)
    hours, rem = divmod(rem, 3600_000000)
    minutes, rem = divmod(rem, 60_000000)
    seconds, micros = divmod(rem, 1000000)
    out = f"{sign}{days}." if days else sign
    out += f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    if micros:
        out += f".{micros * 10:07d}"
    return out


def format_enum(v: enum.Enum) -> str:
    if isinstance(v, enum.Flag):
        if v.name is not None and "|" not in v.name:
            return v.name
        # single-bit members in declaration order, as .NET prints `A, B`
        singles = [m for m in type(v) if m.value and (m.value & (m.value - 1)) == 0]
        names = [m.name for m in singles if (m.value & v.value) == m.value and m.name]
        return ", ".join(names) if v.value else (v.name or "0")
    return v.name or str(v.value)


def to_string(v: Any, ofs: str = " ") -> str:
    """PowerShell's conversion of a value to string (`"$v"`, `[string]$v`), invariant culture."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format_double(v)
    if isinstance(v, decimal.Decimal):
        return format_decimal(v)
    if isinstance(v, enum.Enum):
        return format_enum(v)
    if isinstance(v, _dt.datetime) or type(v) is _dt.date:
        return format_datetime(v)
    if isinstance(v, _dt.timedelta):
        return format_timedelta(v)
    if isinstance(v, (PSObject, PSHashtable, ScriptBlockValue)):
        return str(v)
    if isinstance(v, dict):
        return "System.Collections.Hashtable"
    items = enumerate_value(v)
    if items is not None:
        return ofs.join(to_string(x, ofs) for x in items)
    return str(v)


# --------------------------------------------------------------------------- type names

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def int_type_name(i: int) -> str:
    if _INT32_MIN <= i <= _INT32_MAX:
        return "System.Int32"
    if _INT64_MIN <= i <= _INT64_MAX:
        return "System.Int64"
    return "System.Decimal"


def type_name(v: Any) -> str:
    """The .NET full type name PowerShell would report for a value (`$v.GetType().FullName`)."""
    if v is None:
        return "System.Object"
    if isinstance(v, bool):
        return "System.Boolean"
    if isinstance(v, int) and not isinstance(v, enum.Enum):
        return int_type_name(v)
    if isinstance(v, float):
        return "System.Double"
    if isinstance(v, decimal.Decimal):
        return "System.Decimal"
    if isinstance(v, str):
        return "System.String"
    if isinstance(v, PSHashtable):
        return "System.Collections.Specialized.OrderedDictionary" if v.ordered else "System.Collections.Hashtable"
    if isinstance(v, dict):
        return "System.Collections.Hashtable"
    if isinstance(v, PSObject):
        return v.type_names[0] if v.type_names else PSCUSTOMOBJECT
    if isinstance(v, ScriptBlockValue):
        return "System.Management.Automation.ScriptBlock"
    if isinstance(v, _dt.datetime):
        return "System.DateTime"
    if isinstance(v, _dt.timedelta):
        return "System.TimeSpan"
    net = getattr(type(v), "__ps_type_name__", None)
    if isinstance(net, str):
        return net
    if type(v).__module__.startswith(VALUE_TYPE_MODULES):
        # Exchange value types (IPRange, ByteQuantifiedSize, ...): their .NET names live with their members;
        # imported on first use because the model modules are not needed by every run.
        from exshell.runtime.exchange_members import net_type_name

        exchange = net_type_name(v)
        if exchange is not None:
            return exchange
    if is_enumerable(v):
        return "System.Object[]"
    return type(v).__qualname__


def format_enumerable(v: Any, limit: int = 4, ellipsis: str = "…") -> str:
    """A collection in a table cell or list value (output.md §2.7, SmartToString): `{a, b, c, d…}`.
    `limit` is $FormatEnumerationLimit (-1 = no limit); `$null` elements show as `$null`."""
    items = enumerate_value(v)
    if items is None:
        if isinstance(v, (PSHashtable, dict)):
            items = [f"[{to_string(k)}, {to_string(val)}]" for k, val in v.items()]
        else:
            return to_string(v)
    shown = items if limit < 0 else items[:limit]
    parts = ["$null" if x is None else to_string(x) for x in shown]
    more = ellipsis if 0 <= limit < len(items) else ""
    return "{" + ", ".join(parts) + more + "}"


# The .NET format strings live in exshell.runtime.dotnet_format (which imports this module); they stay
# importable from here, loaded on first use so that neither module has to import the other first.
_DOTNET_FORMAT = frozenset(
    ("FormatStringError", "composite_format", "format_datetime_custom", "format_number", "format_with")
)
if TYPE_CHECKING:
    pass


def __getattr__(name: str) -> Any:
    if name in _DOTNET_FORMAT:
        from exshell.runtime import dotnet_format

        return getattr(dotnet_format, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
