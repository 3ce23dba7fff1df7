"""Member access, method calls and indexing (grammar.md §3.2, §4.6).

Non-strict mode throughout: a missing property is $null. A collection without the member enumerates its
elements (member-access enumeration, PS3+). Python objects from the model answer to their attributes matched
case-insensitively with underscores ignored (`remote_ip_ranges` answers `RemoteIPRanges`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
import enum
import math
import os
import re
from typing import Any, Callable

from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.runtime.convert import (
    ConversionError,
    TypeInfo,
    convert_to,
    parse_datetime,
    resolve_type,
    to_datetime,
    to_double,
    to_integer,
    to_ipaddress,
    type_not_found,
)
from exshell.runtime.values import (
    FormatStringError,
    PSHashtable,
    PSObject,
    ScriptBlockValue,
    composite_format,
    enumerate_value,
    format_datetime,
    format_with,
    to_string,
    type_name,
)


def _error(message: str, error_id: str, category: str = Category.InvalidOperation,
           exception_type: str = "RuntimeException") -> PSRuntimeError:
    return PSRuntimeError(ErrorRecord(message, error_id, category, exception_type=exception_type))


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


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
    t = type_name(obj)
    return [t] + _BASES.get(t, ["System.Object"] if t != "System.Object" else [])


def get_type(obj: Any) -> TypeInfo:
    """`$x.GetType()`."""
    t = type_name(obj)
    info = resolve_type(t)
    return info if info is not None else TypeInfo("object", t)


# --------------------------------------------------------------------------- methods


def _method_not_found(obj: Any, name: str) -> PSRuntimeError:
    tn = type_name(obj)
    if isinstance(obj, PSObject) and tn != "System.Management.Automation.PSCustomObject":
        tn = obj.type_names[0] if obj.type_names else tn
    return _error(
        f"Method invocation failed because [{tn}] does not contain a method named '{name}'.", "MethodNotFound"
    )


def _exception_calling(name: str, args: list[Any], message: str, error_id: str) -> PSRuntimeError:
    return _error(
        f'Exception calling "{name}" with "{len(args)}" argument(s): "{message}"',
        error_id,
        Category.NotSpecified,
        "MethodInvocationException",
    )


def _arg_count_error(name: str, args: list[Any]) -> PSRuntimeError:
    return _error(
        f'Cannot find an overload for "{name}" and the argument count: "{len(args)}".',
        "MethodCountCouldNotFindBest",
        Category.NotSpecified,
        "MethodException",
    )


def _int_arg(v: Any) -> int:
    return to_integer(v, "System.Int32")


def _ignore_case(arg: Any) -> bool:
    """A StringComparison / ignoreCase argument."""
    if isinstance(arg, bool):
        return arg
    return "ignorecase" in to_string(arg).lower()


def _chars(args: list[Any]) -> str:
    out = []
    for a in args:
        items = enumerate_value(a)
        out.extend(to_string(x) for x in (items if items is not None else [a]))
    return "".join(out)


def _strict_equals(a: Any, b: Any) -> bool:
    """Object.Equals: same kind and equal value (`@('a').Contains('A')` is False)."""
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float, decimal.Decimal)) and isinstance(b, (int, float, decimal.Decimal)):
        return type(a) is type(b) and a == b
    if isinstance(a, (PSObject, PSHashtable, list)):
        return a is b
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return False


def _string_method(s: str, name: str, args: list[Any]) -> Any:
    low = name.lower()
    n = len(args)
    if low in ("toupper", "toupperinvariant"):
        return s.upper()
    if low in ("tolower", "tolowerinvariant"):
        return s.lower()
    if low == "trim":
        return s.strip(_chars(args)) if args else s.strip()
    if low == "trimstart":
        return s.lstrip(_chars(args)) if args else s.lstrip()
    if low == "trimend":
        return s.rstrip(_chars(args)) if args else s.rstrip()
    if low == "split":
        return _split(s, args)
    if low == "replace":
        if n < 2:
            raise _arg_count_error(name, args)
        old, new = to_string(args[0]), to_string(args[1])
        if old == "":
            raise _exception_calling(name, args, "String cannot be of zero length. (Parameter 'oldValue')",
                                     "ArgumentException")
        if n >= 3 and _ignore_case(args[2]):
            return re.sub(re.escape(old), new.replace("\\", "\\\\"), s, flags=re.IGNORECASE)
        return s.replace(old, new)
    if low in ("contains", "startswith", "endswith", "indexof", "lastindexof", "equals", "compareto"):
        if n < 1:
            raise _arg_count_error(name, args)
        other = to_string(args[0])
        ic = n >= 2 and not isinstance(args[-1], int) and _ignore_case(args[-1])
        if low == "equals" and not isinstance(args[0], str):
            return False
        a, b = (s.lower(), other.lower()) if ic else (s, other)
        if low == "contains":
            return b in a
        if low == "startswith":
            return a.startswith(b)
        if low == "endswith":
            return a.endswith(b)
        if low == "equals":
            return a == b
        if low == "compareto":
            from exshell.runtime.operators import compare_values

            return compare_values(s, other, case_sensitive=True)
        start = _int_arg(args[1]) if n >= 2 and isinstance(args[1], int) and not isinstance(args[1], bool) else None
        if low == "indexof":
            if start is not None and not 0 <= start <= len(s):
                raise _exception_calling(
                    name, args, "Index was out of range. Must be non-negative and less than the size of the "
                    "collection. (Parameter 'startIndex')", "ArgumentOutOfRangeException")
            return a.find(b, start or 0)
        return a.rfind(b) if start is None else a.rfind(b, 0, start + 1)
    if low == "substring":
        if n < 1 or n > 2:
            raise _arg_count_error(name, args)
        start = _int_arg(args[0])
        if start < 0 or start > len(s):
            raise _exception_calling(name, args, "startIndex cannot be larger than length of string. "
                                     "(Parameter 'startIndex')", "ArgumentOutOfRangeException")
        if n == 2:
            length = _int_arg(args[1])
            if length < 0 or start + length > len(s):
                raise _exception_calling(name, args, "Index and length must refer to a location within the "
                                         "string. (Parameter 'length')", "ArgumentOutOfRangeException")
            return s[start : start + length]
        return s[start:]
    if low in ("padleft", "padright"):
        if n < 1:
            raise _arg_count_error(name, args)
        width = _int_arg(args[0])
        ch = to_string(args[1])[:1] if n > 1 else " "
        return s.rjust(width, ch) if low == "padleft" else s.ljust(width, ch)
    if low == "insert":
        if n != 2:
            raise _arg_count_error(name, args)
        i = _int_arg(args[0])
        if not 0 <= i <= len(s):
            raise _exception_calling(name, args, "Specified argument was out of the range of valid values. "
                                     "(Parameter 'startIndex')", "ArgumentOutOfRangeException")
        return s[:i] + to_string(args[1]) + s[i:]
    if low == "remove":
        if n < 1:
            raise _arg_count_error(name, args)
        i = _int_arg(args[0])
        count = _int_arg(args[1]) if n > 1 else len(s) - i
        if i < 0 or i > len(s) or count < 0 or i + count > len(s):
            raise _exception_calling(name, args, "Index and count must refer to a location within the string. "
                                     "(Parameter 'count')", "ArgumentOutOfRangeException")
        return s[:i] + s[i + count :]
    if low == "tochararray":
        return list(s)
    if low == "tostring":
        return s
    if low == "normalize":
        return s
    if low == "gethashcode":
        return hash(s) & 0x7FFFFFFF
    return _MISSING


def _split(s: str, args: list[Any]) -> list[str]:
    if not args:
        return re.split(r"\s", s)
    seps_arg = args[0]
    count: int | None = None
    remove_empty = False
    trim = False
    for extra in args[1:]:
        if isinstance(extra, int) and not isinstance(extra, bool):
            count = extra
            continue
        opts = to_string(extra).lower()
        remove_empty = remove_empty or "removeemptyentries" in opts
        trim = trim or "trimentries" in opts
    items = enumerate_value(seps_arg)
    seps = [to_string(x) for x in items] if items is not None else [to_string(seps_arg)]
    seps = [x for x in seps if x != ""]
    if not seps:
        parts = re.split(r"\s", s)
    else:
        rx = "|".join(re.escape(x) for x in sorted(seps, key=len, reverse=True))
        parts = re.split(rx, s, maxsplit=(count - 1) if count and count > 0 else 0)
    if trim:
        parts = [p.strip() for p in parts]
    if remove_empty:
        parts = [p for p in parts if p != ""]
    if count is not None and count == 0:
        return []
    return parts


def _list_method(items: list[Any], obj: Any, name: str, args: list[Any]) -> Any:
    low = name.lower()
    if low == "contains":
        return any(_strict_equals(x, args[0] if args else None) for x in items)
    if low == "indexof":
        for i, x in enumerate(items):
            if _strict_equals(x, args[0] if args else None):
                return i
        return -1
    if low == "tostring":
        return type_name(obj)
    if low in ("add", "remove", "removeat", "insert", "clear"):
        raise _exception_calling(name, args, "Collection was of a fixed size.", "NotSupportedException")
    if low == "clone":
        return list(items)
    if low == "getvalue":
        return get_index(items, args[0] if args else 0)
    return _MISSING


def _hashtable_method(h: Any, name: str, args: list[Any]) -> Any:
    low = name.lower()
    if low == "add":
        if len(args) != 2:
            raise _arg_count_error(name, args)
        if args[0] in h:
            first = h.original_key(args[0]) if isinstance(h, PSHashtable) else args[0]
            raise _exception_calling(
                name, args,
                f"Item has already been added. Key in dictionary: '{to_string(first)}'  Key being added: "
                f"'{to_string(args[0])}'", "ArgumentException")
        h[args[0]] = args[1]
        return None
    if low == "remove":
        if args and args[0] in h:
            del h[args[0]]
        return None
    if low in ("containskey", "contains"):
        return bool(args) and args[0] in h
    if low == "containsvalue":
        return any(_strict_equals(v, args[0] if args else None) for v in h.values())
    if low == "clear":
        h.clear()
        return None
    if low in ("keys", "get_keys"):
        return list(h.keys())
    if low in ("values", "get_values"):
        return list(h.values())
    if low == "getenumerator":
        return [PSObject([("Name", k), ("Key", k), ("Value", v)], ("System.Collections.DictionaryEntry",
                                                                    "System.ValueType", "System.Object"))
                for k, v in h.items()]
    if low in ("clone", "copy"):
        return PSHashtable(h.items(), ordered=getattr(h, "ordered", False))
    if low == "tostring":
        return type_name(h)
    return _MISSING


def _number_method(v: Any, name: str, args: list[Any]) -> Any:
    low = name.lower()
    if low == "tostring":
        if args and args[0] is not None:
            return format_with(v, to_string(args[0]))
        return to_string(v)
    if low == "compareto":
        from exshell.runtime.operators import compare_values

        return compare_values(v, args[0] if args else None)
    if low == "equals":
        return _strict_equals(v, args[0] if args else None)
    return _MISSING


def _datetime_method(d: _dt.datetime, name: str, args: list[Any]) -> Any:
    low = name.lower()
    adders = {
        "adddays": "days", "addhours": "hours", "addminutes": "minutes", "addseconds": "seconds",
        "addmilliseconds": "milliseconds",
    }
    if low in adders:
        if len(args) != 1:
            raise _arg_count_error(name, args)
        return d + _dt.timedelta(**{adders[low]: to_double(args[0])})
    if low == "addticks":
        return d + _dt.timedelta(microseconds=to_integer(args[0], "System.Int64") // 10)
    if low in ("addmonths", "addyears"):
        k = _int_arg(args[0]) * (12 if low == "addyears" else 1)
        month0 = d.month - 1 + k
        year, month = d.year + month0 // 12, month0 % 12 + 1
        import calendar

        day = min(d.day, calendar.monthrange(year, month)[1])
        return d.replace(year=year, month=month, day=day)
    if low == "add":
        return d + args[0]
    if low == "subtract":
        return d - (to_datetime(args[0]) if not isinstance(args[0], _dt.timedelta) else args[0])
    if low == "touniversaltime":
        if d.tzinfo is None:
            return d.astimezone().astimezone(_dt.timezone.utc)
        return d.astimezone(_dt.timezone.utc)
    if low == "tolocaltime":
        return d.astimezone() if d.tzinfo is not None else d
    if low == "tostring":
        if args and args[0] is not None:
            return format_with(d, to_string(args[0]))
        return format_datetime(d)
    if low == "toshortdatestring":
        return format_with(d, "d")
    if low == "tolongdatestring":
        return format_with(d, "D")
    if low == "toshorttimestring":
        return format_with(d, "t")
    if low == "tolongtimestring":
        return format_with(d, "T")
    if low == "tofiletime":
        return _ticks(d.astimezone(_dt.timezone.utc) if d.tzinfo else d) - 504911232000000000
    if low == "compareto":
        from exshell.runtime.operators import compare_values

        return compare_values(d, args[0] if args else None)
    if low == "equals":
        return isinstance(args[0], _dt.datetime) and d == args[0] if args else False
    return _MISSING


def invoke_method(obj: Any, name: str, args: list[Any]) -> Any:
    """`obj.Name(args)`. Returns the method's result (None for void methods)."""
    if obj is None:
        raise _error("You cannot call a method on a null-valued expression.", "InvokeMethodOnNull")
    low = name.lower()
    try:
        result = _invoke(obj, name, low, list(args))
    except (ConversionError, FormatStringError) as e:
        message = e.message if isinstance(e, ConversionError) else str(e)
        raise _exception_calling(name, list(args), message, "MethodArgumentConversionInvalidCastArgument") from None
    if result is _MISSING:
        raise _method_not_found(obj, name)
    return result


def _invoke(obj: Any, name: str, low: str, args: list[Any]) -> Any:
    if isinstance(obj, PSObject):
        fn = obj.methods.get(low)
        if fn is not None:
            return fn(obj, *args)
    result: Any = _MISSING
    if isinstance(obj, str):
        result = _string_method(obj, name, args)
    elif isinstance(obj, (PSHashtable, dict)):
        result = _hashtable_method(obj, name, args)
    elif isinstance(obj, (bool, int, float, decimal.Decimal)):
        result = _number_method(obj, name, args)
    elif isinstance(obj, _dt.datetime):
        result = _datetime_method(obj, name, args)
    elif isinstance(obj, _dt.timedelta):
        if low == "tostring":
            result = to_string(obj)
        elif low in ("add", "subtract") and args and isinstance(args[0], _dt.timedelta):
            result = obj + args[0] if low == "add" else obj - args[0]
        elif low == "negate":
            result = -obj
    else:
        items = enumerate_value(obj)
        if items is not None:
            result = _list_method(items, obj, name, args)
    if result is not _MISSING:
        return result
    if low == "tostring" and not args:
        return to_string(obj) if not isinstance(obj, (list, tuple)) else type_name(obj)
    if low == "gettype" and not args:
        if isinstance(obj, PSObject) and obj.type_names and not obj.type_names[0].endswith("PSCustomObject"):
            return TypeInfo("psobject", obj.type_names[0])
        return get_type(obj)
    if low == "equals" and len(args) == 1:
        return _strict_equals(obj, args[0])
    if low == "gethashcode" and not args:
        return hash(id(obj)) & 0x7FFFFFFF
    if not isinstance(obj, (PSObject, PSHashtable, ScriptBlockValue, list, tuple, str, int, float)):
        attr = _find_method(obj, name)
        if attr is not None:
            try:
                return attr(*args)
            except (ValueError, TypeError) as e:
                raise _exception_calling(name, args, str(e), "MethodInvocationException") from None
    return _MISSING


def _find_method(obj: Any, name: str) -> Callable[..., Any] | None:
    want = _norm(name)
    for n in dir(obj):
        if n.startswith("_"):
            continue
        if _norm(n) == want:
            fn = getattr(obj, n, None)
            if callable(fn) and not isinstance(fn, type):
                return fn  # type: ignore[no-any-return]
    return None


# --------------------------------------------------------------------------- static members


def _now() -> _dt.datetime:
    return _dt.datetime.now()


_STATIC_PROPS: dict[str, dict[str, Callable[[], Any]]] = {
    "int": {"maxvalue": lambda: 2**31 - 1, "minvalue": lambda: -(2**31)},
    "long": {"maxvalue": lambda: 2**63 - 1, "minvalue": lambda: -(2**63)},
    "short": {"maxvalue": lambda: 2**15 - 1, "minvalue": lambda: -(2**15)},
    "byte": {"maxvalue": lambda: 255, "minvalue": lambda: 0},
    "uint": {"maxvalue": lambda: 2**32 - 1, "minvalue": lambda: 0},
    "double": {
        "maxvalue": lambda: 1.7976931348623157e308, "minvalue": lambda: -1.7976931348623157e308,
        "nan": lambda: math.nan, "positiveinfinity": lambda: math.inf, "negativeinfinity": lambda: -math.inf,
        "epsilon": lambda: 5e-324,
    },
    "decimal": {"maxvalue": lambda: decimal.Decimal("79228162514264337593543950335"),
                "minvalue": lambda: decimal.Decimal("-79228162514264337593543950335"),
                "zero": lambda: decimal.Decimal(0), "one": lambda: decimal.Decimal(1)},
    "string": {"empty": lambda: ""},
    "bool": {"truestring": lambda: "True", "falsestring": lambda: "False"},
    "char": {"maxvalue": lambda: "\uffff", "minvalue": lambda: "\0"},
    "datetime": {
        "now": _now,
        "utcnow": lambda: _dt.datetime.now(_dt.timezone.utc),
        "today": lambda: _dt.datetime.combine(_dt.date.today(), _dt.time()),
        "minvalue": lambda: _dt.datetime(1, 1, 1),
        "maxvalue": lambda: _dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    },
    "timespan": {"zero": lambda: _dt.timedelta(0), "maxvalue": lambda: _dt.timedelta.max,
                 "minvalue": lambda: _dt.timedelta.min},
    "math": {"pi": lambda: math.pi, "e": lambda: math.e, "tau": lambda: math.tau},
    "guid": {"empty": lambda: "00000000-0000-0000-0000-000000000000"},
    "environment": {
        "machinename": lambda: __import__("socket").gethostname().split(".")[0].upper(),
        "newline": lambda: "\n",
        "username": lambda: os.environ.get("USER") or os.environ.get("USERNAME") or "",
        "processorcount": lambda: os.cpu_count() or 1,
        "currentdirectory": os.getcwd,
        "userdomainname": lambda: __import__("socket").gethostname().split(".")[0].upper(),
        "is64bitprocess": lambda: True,
        "tickcount": lambda: int(__import__("time").monotonic() * 1000) & 0x7FFFFFFF,
    },
}


def _resolve_static(type_name_: str) -> TypeInfo:
    info = resolve_type(type_name_)
    if info is None:
        raise type_not_found(type_name_)
    return info


def get_static_member(type_name_: str, name: str) -> Any:
    """`[type]::Name`; an unknown member is $null (non-strict), an unknown type an error."""
    info = _resolve_static(type_name_)
    table = _STATIC_PROPS.get(info.key, {})
    fn = table.get(name.lower())
    return fn() if fn else None


def _math_round(args: list[Any]) -> Any:
    x = args[0]
    digits = _int_arg(args[1]) if len(args) > 1 and not isinstance(args[1], str) else 0
    away = any("awayfromzero" in to_string(a).lower() for a in args[1:])
    if isinstance(x, decimal.Decimal) or away:
        d = x if isinstance(x, decimal.Decimal) else decimal.Decimal(repr(to_double(x)))
        q = decimal.Decimal(1).scaleb(-digits)
        r = d.quantize(q, rounding=decimal.ROUND_HALF_UP if away else decimal.ROUND_HALF_EVEN)
        return r if isinstance(x, decimal.Decimal) else float(r)
    # Math.Round rounds half to even, as Python's round()
    return float(round(to_double(x), digits))


def _num_result(v: float, *src: Any) -> Any:
    if all(isinstance(s, int) and not isinstance(s, bool) for s in src):
        return int(v)
    return v


def _math(low: str, args: list[Any]) -> Any:
    if low == "round":
        return _math_round(args)
    if low in ("max", "min"):
        if len(args) != 2:
            raise _arg_count_error(low.capitalize(), args)
        a, b = args
        if all(isinstance(x, int) and not isinstance(x, bool) for x in args):
            return max(a, b) if low == "max" else min(a, b)
        fa, fb = to_double(a), to_double(b)
        return max(fa, fb) if low == "max" else min(fa, fb)
    if low == "abs":
        x = args[0]
        return abs(x) if isinstance(x, (int, decimal.Decimal)) and not isinstance(x, bool) else abs(to_double(x))
    one: dict[str, Callable[[float], float]] = {
        "floor": math.floor, "ceiling": math.ceil, "truncate": math.trunc, "sqrt": math.sqrt,
        "log10": math.log10, "exp": math.exp, "sin": math.sin, "cos": math.cos, "tan": math.tan,
    }
    if low in one:
        x = to_double(args[0])
        try:
            r = one[low](x)
        except ValueError:
            return math.nan
        return float(r)
    if low == "log":
        try:
            return math.log(to_double(args[0])) if len(args) == 1 else math.log(to_double(args[0]),
                                                                                  to_double(args[1]))
        except ValueError:
            return math.nan
    if low == "pow":
        return math.pow(to_double(args[0]), to_double(args[1]))
    if low == "sign":
        x = to_double(args[0])
        return (x > 0) - (x < 0)
    return _MISSING


def invoke_static_method(type_name_: str, name: str, args: list[Any]) -> Any:
    """`[type]::Method(args)`."""
    info = _resolve_static(type_name_)
    low = name.lower()
    args = list(args)
    try:
        result = _static(info, low, name, args)
    except (ConversionError, FormatStringError) as e:
        message = e.message if isinstance(e, ConversionError) else str(e)
        raise _exception_calling(name, args, message, "MethodArgumentConversionInvalidCastArgument") from None
    except (IndexError, ValueError, OverflowError) as e:
        raise _exception_calling(name, args, str(e), "MethodInvocationException") from None
    if result is _MISSING:
        raise _error(
            f"Method invocation failed because [{info.full_name}] does not contain a method named '{name}'.",
            "MethodNotFound",
        )
    return result


def _flat(args: list[Any]) -> list[Any]:
    out: list[Any] = []
    for a in args:
        items = enumerate_value(a)
        out.extend(items if items is not None else [a])
    return out


def _static(info: TypeInfo, low: str, name: str, args: list[Any]) -> Any:
    k = info.key
    if k == "string":
        if low == "isnullorempty":
            return args[0] is None or to_string(args[0]) == ""
        if low == "isnullorwhitespace":
            return args[0] is None or to_string(args[0]).strip() == ""
        if low == "join":
            return to_string(args[0]).join(to_string(x) for x in _flat(args[1:]))
        if low == "concat":
            return "".join(to_string(x) for x in _flat(args))
        if low == "format":
            return composite_format(to_string(args[0]), _flat(args[1:]))
        if low == "compare":
            from exshell.runtime.operators import compare_values

            ic = len(args) > 2 and _ignore_case(args[2])
            return compare_values(to_string(args[0]), to_string(args[1]), case_sensitive=not ic)
        if low == "equals":
            return to_string(args[0]) == to_string(args[1])
        return _MISSING
    if k == "math":
        return _math(low, args)
    if k in ("int", "long", "double", "decimal", "bool", "byte", "short", "datetime", "timespan", "guid",
             "ipaddress", "version", "char"):
        if low == "parse":
            return convert_to(to_string(args[0]), info.full_name)
        if low == "tryparse":
            try:
                convert_to(to_string(args[0]), info.full_name)
                return True
            except PSRuntimeError:
                return False
    if k == "datetime":
        if low == "parseexact":
            return parse_datetime(to_string(args[0]))
        if low == "daysinmonth":
            import calendar

            return calendar.monthrange(_int_arg(args[0]), _int_arg(args[1]))[1]
        if low == "isleapyear":
            import calendar

            return calendar.isleap(_int_arg(args[0]))
    if k == "guid" and low == "newguid":
        import uuid

        return str(uuid.uuid4())
    if k == "timespan":
        spans = {"fromdays": "days", "fromhours": "hours", "fromminutes": "minutes", "fromseconds": "seconds",
                 "frommilliseconds": "milliseconds"}
        if low in spans:
            return _dt.timedelta(**{spans[low]: to_double(args[0])})
    if k == "ipaddress" and low == "parse":
        return to_ipaddress(args[0])
    if k == "regex":
        if low == "escape":
            return re.sub(r"([\\*+?|{\[()^$.# \t\n\r\f])", lambda m: {"\t": "\\t", "\n": "\\n", "\r": "\\r",
                                                                   "\f": "\\f"}.get(m.group(1), "\\" + m.group(1)),
                          to_string(args[0]))
        if low == "unescape":
            return re.sub(r"\\(.)", r"\1", to_string(args[0]))
        if low in ("ismatch", "replace", "split", "matches", "match"):
            from exshell.runtime.operators import binary_op, compile_regex

            text, pattern = to_string(args[0]), to_string(args[1])
            if low == "ismatch":
                return compile_regex(pattern, True).search(text) is not None
            if low == "replace":
                return binary_op("-creplace", text, [pattern, to_string(args[2]) if len(args) > 2 else ""])
            if low == "split":
                return binary_op("-csplit", text, pattern)
            rx = compile_regex(pattern, True)
            found = [PSObject([("Success", True), ("Value", m.group(0)), ("Index", m.start()),
                               ("Length", len(m.group(0)))], ("System.Text.RegularExpressions.Match",
                                                                "System.Object"),
                              to_string=m.group(0)) for m in rx.finditer(text)]
            if low == "match":
                return found[0] if found else PSObject([("Success", False), ("Value", "")],
                                                       ("System.Text.RegularExpressions.Match", "System.Object"),
                                                       to_string="")
            return found
    if k == "environment":
        if low == "getenvironmentvariable":
            return os.environ.get(to_string(args[0]))
        return _MISSING
    if low == "equals" and len(args) == 2:
        return _strict_equals(args[0], args[1])
    return _MISSING


# --------------------------------------------------------------------------- indexing


def _null_array() -> PSRuntimeError:
    return _error("Cannot index into a null array.", "NullArray")


def get_index(obj: Any, index: Any) -> Any:
    """`obj[index]`: negative from the end, out of range → $null, an array of indexes → each result."""
    if obj is None:
        raise _null_array()
    if isinstance(obj, (PSHashtable, dict)):
        if isinstance(index, list):
            return [obj.get(k) for k in index]
        return obj.get(index) if index in obj else None
    idx_list = enumerate_value(index)
    if idx_list is not None:
        out = []
        for i in idx_list:
            v = _get_one(obj, i)
            if v is not _MISSING:
                out.append(v)
        return out
    v = _get_one(obj, index)
    return None if v is _MISSING else v


def _get_one(obj: Any, index: Any) -> Any:
    if isinstance(obj, str):
        i = _int_arg(index)
        n = len(obj)
        if i < 0:
            i += n
        return obj[i] if 0 <= i < n else _MISSING
    items = enumerate_value(obj)
    if items is not None:
        i = _int_arg(index)
        n = len(items)
        if i < 0:
            i += n
        return items[i] if 0 <= i < n else _MISSING
    if isinstance(obj, PSObject) and isinstance(index, str):
        return obj.get(index, None) if obj.has(index) else _MISSING
    getter = getattr(obj, "__getitem__", None)
    if getter is not None and not isinstance(obj, (PSObject, ScriptBlockValue)):
        try:
            return getter(index)
        except (KeyError, IndexError, TypeError):
            return _MISSING
    # a scalar indexes as a one-element array (PS3+): `5[0]` is 5
    i = _int_arg(index)
    return obj if i in (0, -1) else _MISSING


def set_index(obj: Any, index: Any, value: Any) -> None:
    """`obj[index] = value`."""
    if obj is None:
        raise _null_array()
    if isinstance(obj, (PSHashtable, dict)):
        obj[index] = value
        return
    if isinstance(obj, list):
        i = _int_arg(index)
        n = len(obj)
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise _error(f"Array assignment failed because index '{i}' was out of range.", "IndexOutOfRange")
        obj[j] = value
        return
    setter = getattr(obj, "__setitem__", None)
    if setter is not None and not isinstance(obj, (str, tuple, PSObject)):
        setter(index, value)
        return
    raise _error(f"Unable to index into an object of type {type_name(obj)}.", "CannotIndex")


__all__ = [
    "get_member",
    "set_member",
    "invoke_method",
    "property_names",
    "type_names",
    "get_type",
    "get_index",
    "set_index",
    "get_static_member",
    "invoke_static_method",
]
