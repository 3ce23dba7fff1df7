"""Instance method calls (grammar.md §4.6, `$obj.Name(args)`): `invoke_method` and the .NET methods of strings
(`Split`, `Replace`, `ToString('N2')`, ...), lists, hashtables, numbers and DateTimes, then script methods on
PSObjects and the public methods of Python model objects; with PowerShell's "method not found" and
"exception calling" errors.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re
from typing import Any
from collections.abc import Callable

from exshell.errors import Category, PSRuntimeError
from exshell.runtime.convert import ConversionError, TypeInfo, to_datetime, to_double, to_integer
from exshell.runtime.dotnet_format import FormatStringError, format_with
from exshell.runtime.indexing import get_index
from exshell.runtime.limits import MAX_STRING_LENGTH, OUT_OF_MEMORY
from exshell.runtime.operators import compare_values
from exshell.runtime.properties import _MISSING, _error, _int_arg, _norm, _ticks, exchange_members, get_type
from exshell.runtime.values import (
    PSHashtable,
    PSObject,
    ScriptBlockValue,
    enumerate_value,
    format_datetime,
    to_string,
    type_name,
)

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


def _ignore_case(arg: Any) -> bool:
    """A StringComparison / ignoreCase argument."""
    if isinstance(arg, bool):
        return arg
    return "ignorecase" in to_string(arg).lower()


def _chars(args: list[Any]) -> str:
    out: list[str] = []
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
        if width > MAX_STRING_LENGTH:
            raise _exception_calling(name, args, OUT_OF_MEMORY, "OutOfMemoryException")
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
            return d.astimezone().astimezone(_dt.UTC)
        return d.astimezone(_dt.UTC)
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
        return _ticks(d.astimezone(_dt.UTC) if d.tzinfo else d) - 504911232000000000
    if low == "compareto":
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
    table = exchange_members(obj)
    if table is not None:
        method = table.method(name)
        if method is not None:
            return method.call(obj, *args)
        if low == "gettype" and not args:
            return get_type(obj)
        return _MISSING
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
