"""Plain record values: validation, freezing for snapshots, JSON for history, and differences.

Records hold only TOML-able values. A `None` inside a dict means "absent" and is dropped (TOML has no null);
anything else that TOML cannot hold is refused with a message naming the property.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time
from types import MappingProxyType
from typing import Any

_SCALARS = (str, bool, int, float, datetime, date, time)


class RecordValueError(ValueError):
    """A value that TOML cannot hold; the store turns it into a StoreError."""


def normalize(value: Any, where: str) -> Any:
    """A plain deep copy: dicts (any Mapping) -> dict without None values, lists/tuples -> list."""
    cls = type(value)
    if cls is str or cls is int or cls is bool or cls is float:  # the common case, checked cheaply
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise RecordValueError(f"{where}: property names must be strings, not {type(k).__name__}")
            if v is None:
                continue
            out[k] = normalize(v, f"{where}.{k}")
        return out
    if isinstance(value, (list, tuple)):
        items = []
        for i, v in enumerate(value):
            if v is None:
                raise RecordValueError(f"{where}[{i}]: $null cannot be stored in a list")
            items.append(normalize(v, f"{where}[{i}]"))
        return items
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise RecordValueError(f"{where}: {value} does not fit a 64-bit integer")
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)  # a str-based enum: its value, not `Cls.NAME`
    if isinstance(value, (datetime, date, time)):
        return value
    raise RecordValueError(f"{where}: a value of type {type(value).__name__} cannot be stored")


def normalize_data(data: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Validate a whole `collection -> key -> record` mapping; empty collections are dropped."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for coll, objs in data.items():
        if not isinstance(coll, str) or not isinstance(objs, Mapping):
            raise RecordValueError(f"collection {coll!r} must map keys to records")
        c: dict[str, dict[str, Any]] = {}
        for key, rec in objs.items():
            if not isinstance(key, str) or not isinstance(rec, Mapping):
                raise RecordValueError(f"{coll}.{key}: a record must be a table of properties")
            c[key] = normalize(rec, f"{coll}.{key}")
        if c:
            out[coll] = c
    return out


_PLAIN = frozenset({str, int, bool, float})  # kept as they are by freeze and thaw


def freeze(value: Any) -> Any:
    """Read-only view for snapshots: MappingProxyType for dicts, tuples for lists (values are already plain).
    Scalars are kept without a call: a store of 1,000 connectors x 100 ranges holds 100,000 of them."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, dict):
        return MappingProxyType({k: v if type(v) in _PLAIN else freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(v if type(v) in _PLAIN else freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """A plain mutable deep copy of a (possibly frozen) value."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Mapping):
        return {k: v if type(v) in _PLAIN else thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _PLAIN else thaw(v) for v in value]
    return value


def display_identity(record: Mapping[str, Any] | None, key: str) -> tuple[str, str]:
    """(Name, Identity) to show for an object; falls back to the key."""
    if not record:
        return key, key
    name = str(record.get("Name", "") or "")
    identity = str(record.get("Identity", "") or "") or name or key
    return name or identity, identity


# --------------------------------------------------------------------------- JSON for history files

_DT = "$datetime"
_DATE = "$date"
_TIME = "$time"


def _encode(value: Any) -> Any:
    if isinstance(value, Mapping):  # a snapshot's read-only mapping
        return dict(value)
    if isinstance(value, datetime):
        return {_DT: value.isoformat()}
    if isinstance(value, date):
        return {_DATE: value.isoformat()}
    if isinstance(value, time):
        return {_TIME: value.isoformat()}
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if _DT in obj:
            return datetime.fromisoformat(obj[_DT])
        if _DATE in obj:
            return date.fromisoformat(obj[_DATE])
        if _TIME in obj:
            return time.fromisoformat(obj[_TIME])
    return obj


def to_json(obj: Any) -> bytes:
    return json.dumps(obj, default=_encode, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def from_json(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"), object_hook=_decode)


# --------------------------------------------------------------------------- differences


def changed_objects(
    before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The change records between two datas: one per added/removed/changed object, in a stable order
    (collections and keys in `after` order, then removed ones in `before` order)."""
    out: list[dict[str, Any]] = []
    for coll, objs in after.items():
        old = before.get(coll, {})
        for key, rec in objs.items():
            prev = old.get(key)
            if prev is None:
                out.append({"collection": coll, "key": key, "op": "Added", "before": None, "after": rec})
            elif prev != rec:  # by value: a record rebuilt with its keys in another order is not a change
                out.append({"collection": coll, "key": key, "op": "Changed", "before": prev, "after": rec})
    for coll, objs in before.items():
        new = after.get(coll, {})
        for key, rec in objs.items():
            if key not in new:
                out.append({"collection": coll, "key": key, "op": "Removed", "before": rec, "after": None})
    return out


def apply_changes(data: dict[str, dict[str, dict[str, Any]]], changes: list[dict[str, Any]]) -> None:
    """Replay change records on plain data (in place)."""
    for ch in changes:
        coll, key = ch["collection"], ch["key"]
        if ch["after"] is None:
            objs = data.get(coll)
            if objs is not None:
                objs.pop(key, None)
                if not objs:
                    del data[coll]
        else:
            data.setdefault(coll, {})[key] = thaw(ch["after"])


def apply_changes_shared(
    base: Mapping[str, Mapping[str, Any]], changes: list[dict[str, Any]]
) -> dict[str, Mapping[str, Any]]:
    """Replay change records onto a frozen version without copying it: the result shares every collection and
    record the changes don't touch with `base`; a touched collection is copied (its records are not), and the
    new records are frozen. `freeze()` of the result then costs the touched collections only."""
    out: dict[str, Mapping[str, Any]] = dict(base)
    copied: dict[str, dict[str, Any]] = {}
    for ch in changes:
        coll, key = ch["collection"], ch["key"]
        objs = copied.get(coll)
        if objs is None:
            objs = copied[coll] = dict(out.get(coll) or {})
            out[coll] = objs
        if ch["after"] is None:
            objs.pop(key, None)
        else:
            objs[key] = freeze(ch["after"])
    for coll, objs in copied.items():
        if not objs:
            del out[coll]
    return out


def _hashable(v: Any) -> Any:
    if isinstance(v, Mapping):
        return tuple((k, _hashable(x)) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return tuple(_hashable(x) for x in v)
    return v


def property_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[str, str, Any, Any]]:
    """(property, change, before, after) for every differing property. A list property becomes element
    diffs (multiset difference, in list order); a pure reordering is one 'Changed' with both lists."""
    out: list[tuple[str, str, Any, Any]] = []
    names = list(before) + [k for k in after if k not in before]
    for name in names:
        if name not in after:
            out.append((name, "Removed", before[name], None))
            continue
        if name not in before:
            out.append((name, "Added", None, after[name]))
            continue
        a, b = before[name], after[name]
        if _hashable(a) == _hashable(b) and type(a) is type(b):
            continue
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            remaining = [_hashable(x) for x in b]
            removed = []
            for x in a:
                hx = _hashable(x)
                if hx in remaining:
                    remaining.remove(hx)
                else:
                    removed.append(x)
            left_of_a = [_hashable(x) for x in a]
            added = []
            for x in b:
                hx = _hashable(x)
                if hx in left_of_a:
                    left_of_a.remove(hx)
                else:
                    added.append(x)
            if not added and not removed:
                out.append((name, "Changed", a, b))  # same elements, new order
            out.extend((name, "Removed", x, None) for x in removed)
            out.extend((name, "Added", None, x) for x in added)
            continue
        out.append((name, "Changed", a, b))
    return out
