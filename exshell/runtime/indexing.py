"""Indexing (`obj[index]`): `get_index` and `set_index` on arrays, strings, hashtables and PSObjects —
negative indexes count from the end, out of range gives $null, an array of indexes gives each result.
"""

from __future__ import annotations

from typing import Any

from exshell.errors import PSRuntimeError
from exshell.runtime.properties import _MISSING, _error, _int_arg
from exshell.runtime.values import PSHashtable, PSObject, ScriptBlockValue, enumerate_value, type_name


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
