"""Property access on runtime values (grammar.md §3.2): `get_member`/`set_member` in non-strict mode (a
missing property is $null, a collection without the member enumerates its elements), Python model objects
answering to their attributes case-insensitively with underscores ignored (`remote_ip_ranges` answers
`RemoteIPRanges`), the well-known DateTime/TimeSpan properties, and the reflection helpers `property_names`,
`type_names` and `get_type`; plus the small helpers the method, static-member and indexing modules share
(`_error`, `_norm`, `_MISSING`, `_int_arg`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
import enum
from typing import Any
from collections.abc import Callable

from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.runtime.convert import TypeInfo, resolve_type, to_integer
from exshell.runtime.values import (
    VALUE_TYPE_MODULES,
    PSHashtable,
    PSObject,
    ScriptBlockValue,
    enumerate_value,
    type_name,
)


def _error(message: str, error_id: str, category: str = Category.InvalidOperation,
           exception_type: str = "RuntimeException") -> PSRuntimeError:
    return PSRuntimeError(ErrorRecord(message, error_id, category, exception_type=exception_type))


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


def exchange_members(obj: Any) -> Any:
    """The .NET member table of an Exchange value type (IPRange, ByteQuantifiedSize, ...), or None."""
    if not type(obj).__module__.startswith(VALUE_TYPE_MODULES):
        return None
    # Imported on first use: it loads the model's value types, which plain scripts never touch.
    from exshell.runtime.exchange_members import members_of

    return members_of(obj)


# --------------------------------------------------------------------------- Python object attributes


def _ps_properties(obj: Any) -> list[tuple[str, str]] | None:
    """(PS name, attribute name) pairs declared by `__ps_properties__` (a sequence of PS names, or a mapping
    PS name → attribute name)."""
    decl = getattr(type(obj), "__ps_properties__", None)
    if decl is None:
        return None
    if isinstance(decl, dict):
        return [(k, v) for k, v in decl.items()]
    out = []
    for ps_name in decl:
        attr = _find_attr(obj, ps_name, declared=False)
        out.append((ps_name, attr or ps_name))
    return out


def _find_attr(obj: Any, name: str, declared: bool = True) -> str | None:
    if declared:
        props = _ps_properties(obj)
        if props is not None:
            low = name.lower()
            for ps_name, attr in props:
                if ps_name.lower() == low:
                    return attr
    want = _norm(name)
    if not want:
        return None
    names: list[str] = []
    if dataclasses.is_dataclass(obj):
        names.extend(f.name for f in dataclasses.fields(obj))
    for klass in type(obj).__mro__:
        for k, v in vars(klass).items():
            if isinstance(v, property) and k not in names:
                names.append(k)
    try:
        names.extend(k for k in vars(obj) if k not in names)
    except TypeError:
        pass
    for n in names:
        if not n.startswith("_") and _norm(n) == want:
            return n
    return None


def _pascal(field_name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in field_name.split("_") if p)


# --------------------------------------------------------------------------- well-known .NET properties


def _datetime_prop(d: _dt.datetime, name: str) -> Any:
    low = name.lower()
    table: dict[str, Callable[[], Any]] = {
        "year": lambda: d.year,
        "month": lambda: d.month,
        "day": lambda: d.day,
        "hour": lambda: d.hour,
        "minute": lambda: d.minute,
        "second": lambda: d.second,
        "millisecond": lambda: d.microsecond // 1000,
        "dayofweek": lambda: d.strftime("%A"),
        "dayofyear": lambda: d.timetuple().tm_yday,
        "date": lambda: _dt.datetime(d.year, d.month, d.day, tzinfo=d.tzinfo),
        "timeofday": lambda: _dt.timedelta(hours=d.hour, minutes=d.minute, seconds=d.second,
                                           microseconds=d.microsecond),
        "ticks": lambda: _ticks(d),
        "kind": lambda: "Utc" if d.tzinfo is not None and d.utcoffset() == _dt.timedelta(0) else (
            "Local" if d.tzinfo is not None else "Unspecified"),
    }
    fn = table.get(low)
    return fn() if fn else _MISSING


def _ticks(d: _dt.datetime) -> int:
    naive = d.replace(tzinfo=None)
    delta = naive - _dt.datetime(1, 1, 1)
    return (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def _timespan_prop(td: _dt.timedelta, name: str) -> Any:
    total = td.total_seconds()
    low = name.lower()
    sign = -1 if total < 0 else 1
    a = abs(td)
    parts = {
        "days": sign * a.days,
        "hours": sign * (a.seconds // 3600),
        "minutes": sign * (a.seconds // 60 % 60),
        "seconds": sign * (a.seconds % 60),
        "milliseconds": sign * (a.microseconds // 1000),
        "totaldays": total / 86400,
        "totalhours": total / 3600,
        "totalminutes": total / 60,
        "totalseconds": total,
        "totalmilliseconds": total * 1000,
        "ticks": (td.days * 86400 + td.seconds) * 10_000_000 + td.microseconds * 10,
    }
    return parts.get(low, _MISSING)


_MISSING = object()
_DATETIME_PROPS = ["Date", "Day", "DayOfWeek", "DayOfYear", "Hour", "Kind", "Millisecond", "Minute", "Month",
                   "Second", "Ticks", "TimeOfDay", "Year"]
_TIMESPAN_PROPS = ["Ticks", "Days", "Hours", "Milliseconds", "Minutes", "Seconds", "TotalDays", "TotalHours",
                   "TotalMilliseconds", "TotalMinutes", "TotalSeconds"]


# --------------------------------------------------------------------------- get / set member


def _unwrap_pipeline(values: list[Any]) -> Any:
    # member-access enumeration yields like a pipeline: nothing → $null, one → the value, more → an array
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return values


def get_member(obj: Any, name: str) -> Any:
    """`obj.Name` in non-strict mode: the value, or None when there is no such member."""
    v = _get_member(obj, name)
    return None if v is _MISSING else v


def _get_member(obj: Any, name: str) -> Any:
    low = name.lower()
    if obj is None:
        return 0 if low in ("count", "length") else _MISSING  # `$null.Count` is 0 (PS3+)
    if isinstance(obj, PSObject):
        if obj.has(name):
            return obj.get(name)
        return 1 if low in ("count", "length") else _MISSING
    if isinstance(obj, (PSHashtable, dict)):
        if name in obj:
            return obj[name]
        if low == "count":
            return len(obj)
        if low == "keys":
            return list(obj.keys())
        if low == "values":
            return list(obj.values())
        if low in ("isreadonly", "isfixedsize", "issynchronized"):
            return False
        return _MISSING
    if isinstance(obj, str):
        if low == "length":
            return len(obj)
        if low == "count":
            return 1
        return _MISSING
    items = enumerate_value(obj)
    if items is not None:
        if low in ("count", "length", "longlength"):
            return len(items)
        if low == "rank":
            return 1
        if low in ("issynchronized", "isreadonly"):
            return False
        if low == "isfixedsize":
            return True
        out: list[Any] = []
        for e in items:
            v = _get_member(e, name)
            if v is _MISSING:
                continue
            sub = enumerate_value(v)
            if sub is not None:
                out.extend(sub)
            else:
                out.append(v)
        return _unwrap_pipeline(out)
    if isinstance(obj, _dt.datetime):
        v = _datetime_prop(obj, name)
        if v is not _MISSING:
            return v
    if isinstance(obj, _dt.timedelta):
        v = _timespan_prop(obj, name)
        if v is not _MISSING:
            return v
    if isinstance(obj, ScriptBlockValue):
        if low in ("ast", "startposition"):
            return obj.block
        return 1 if low in ("count", "length") else _MISSING
    if isinstance(obj, enum.Enum):
        if low == "value__":
            return obj.value
        return 1 if low in ("count", "length") else _MISSING
    if isinstance(obj, (bool, int, float, decimal.Decimal)):
        return 1 if low in ("count", "length") else _MISSING
    table = exchange_members(obj)
    if table is not None:
        prop = table.prop(name)
        if prop is not None:
            return prop.get(obj)
        return 1 if low in ("count", "length") else _MISSING
    attr = _find_attr(obj, name)
    if attr is not None:
        try:
            return getattr(obj, attr)
        except AttributeError:
            return _MISSING
    return 1 if low in ("count", "length") else _MISSING


def _property_not_found(name: str) -> PSRuntimeError:
    return _error(
        f"The property '{name}' cannot be found on this object. Verify that the property exists and can be set.",
        "PropertyNotFound",
    )


def set_member(obj: Any, name: str, value: Any) -> None:
    """`obj.Name = value`: an existing property (PSObject, plain object) or a hashtable key."""
    if isinstance(obj, (PSHashtable, dict)):
        obj[name] = value
        return
    if isinstance(obj, PSObject):
        if not obj.has(name):
            raise _property_not_found(name)
        obj.set(name, value)
        return
    if obj is None or isinstance(obj, (str, bool, int, float, decimal.Decimal, list, tuple)):
        raise _property_not_found(name)
    table = exchange_members(obj)
    if table is not None:
        if table.prop(name) is None:
            raise _property_not_found(name)
        raise _error(f"'{table.prop(name).name}' is a ReadOnly property.", "PropertyAssignmentException")
    attr = _find_attr(obj, name)
    if attr is None:
        raise _property_not_found(name)
    try:
        setattr(obj, attr, value)
    except (AttributeError, dataclasses.FrozenInstanceError, TypeError):
        raise _error(f"'{name}' is a ReadOnly property.", "PropertyAssignmentException") from None


# --------------------------------------------------------------------------- reflection helpers


def property_names(obj: Any) -> list[str]:
    """The properties Format-*/Select-Object * see, in order."""
    if isinstance(obj, PSObject):
        return obj.names()
    if obj is None or isinstance(obj, (PSHashtable, dict, bool, int, float, decimal.Decimal, ScriptBlockValue)):
        return []
    if isinstance(obj, str):
        return ["Length"]
    if isinstance(obj, _dt.datetime):
        return list(_DATETIME_PROPS)
    if isinstance(obj, _dt.timedelta):
        return list(_TIMESPAN_PROPS)
    table = exchange_members(obj)
    if table is not None:
        return [p.name for p in table.properties]
    if enumerate_value(obj) is not None:
        return []
    props = _ps_properties(obj)
    if props is not None:
        return [p for p, _ in props]
    if dataclasses.is_dataclass(obj):
        return [_pascal(f.name) for f in dataclasses.fields(obj) if not f.name.startswith("_")]
    return []


_BASES = {
    "System.String": ["System.Object"],
    "System.Int32": ["System.ValueType", "System.Object"],
    "System.Int64": ["System.ValueType", "System.Object"],
    "System.Double": ["System.ValueType", "System.Object"],
    "System.Decimal": ["System.ValueType", "System.Object"],
    "System.Boolean": ["System.ValueType", "System.Object"],
    "System.DateTime": ["System.ValueType", "System.Object"],
    "System.TimeSpan": ["System.ValueType", "System.Object"],
    "System.Object[]": ["System.Array", "System.Object"],
    "System.Collections.Hashtable": ["System.Object"],
    "System.Collections.Specialized.OrderedDictionary": ["System.Object"],
    "System.Management.Automation.ScriptBlock": ["System.Object"],
}


def type_names(obj: Any) -> list[str]:
    """Most specific first (PSObject.TypeNames)."""
    if isinstance(obj, PSObject):
        return list(obj.type_names)
    table = exchange_members(obj)
    if table is not None:
        return list(table.type_names)
    t = type_name(obj)
    return [t] + _BASES.get(t, ["System.Object"] if t != "System.Object" else [])


def get_type(obj: Any) -> TypeInfo:
    """`$x.GetType()`."""
    t = type_name(obj)
    info = resolve_type(t)
    return info if info is not None else TypeInfo("object", t)


def _int_arg(v: Any) -> int:
    return to_integer(v, "System.Int32")
