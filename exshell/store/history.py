"""The history of versions: what a version recorded (`VersionInfo`, the objects it touched) and the
difference between two versions (`ObjectChange`, `PropertyChange`), derived the same way by every backend
from change records.

Only the write path (`commit` returns a VersionInfo) and the history cmdlets import this module: a
read-only one-shot never builds one of these, so it does not pay for generating their dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exshell.store.base import Data, collection_label
from exshell.store.records import changed_objects, display_identity, property_changes, thaw


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One object a version touched: enough to filter history by name without loading the records."""

    collection: str
    key: str
    name: str
    identity: str
    change: str  # 'Added' | 'Removed' | 'Changed'


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """What `Get-ConfigVersion` shows for one version."""

    version: int
    when: datetime  # UTC, timezone-aware
    who: str
    command: str
    objects: tuple[ObjectRef, ...] = ()
    content_hash: str = ""

    @property
    def summary(self) -> str:
        """`Added Relay (receive connector); Changed Default EX01 (receive connector)` style."""
        if not self.objects:
            return "(no object changes)"
        parts = [f"{o.change} {o.name or o.key} ({collection_label(o.collection)})" for o in self.objects[:5]]
        if len(self.objects) > 5:
            parts.append(f"... {len(self.objects) - 5} more")
        return "; ".join(parts)

    def touches(self, collection: str | None = None, key: str | None = None) -> bool:
        return any(
            (collection is None or o.collection == collection) and (key is None or o.key == key)
            for o in self.objects
        )


@dataclass(frozen=True, slots=True)
class PropertyChange:
    """One changed property of one object. For lists, one PropertyChange per added/removed element
    (change 'Added' with `after` = the element, 'Removed' with `before` = the element); a list whose elements
    are the same but reordered is one 'Changed' with the whole lists."""

    property: str
    change: str  # 'Added' | 'Removed' | 'Changed'
    before: Any = None
    after: Any = None


@dataclass(frozen=True, slots=True)
class ObjectChange:
    """The difference for one object between two versions."""

    collection: str
    key: str
    name: str
    identity: str
    change: str  # 'Added' | 'Removed' | 'Changed'
    properties: tuple[PropertyChange, ...] = ()


def diff_data(before: Data, after: Data) -> list[ObjectChange]:
    """What every backend's `diff` returns: per object, per property, lists as element diffs."""
    out: list[ObjectChange] = []
    for ch in changed_objects(before, after):
        name, identity = display_identity(ch["after"] or ch["before"], ch["key"])
        props: tuple[PropertyChange, ...] = ()
        if ch["op"] == "Changed":
            props = tuple(
                PropertyChange(p, c, thaw(x), thaw(y))
                for p, c, x, y in property_changes(ch["before"], ch["after"])
            )
        out.append(ObjectChange(ch["collection"], ch["key"], name, identity, ch["op"], props))
    return out


def object_ref(change: Mapping[str, Any]) -> ObjectRef:
    """The ObjectRef of one change record ({collection, key, op, before, after})."""
    name, identity = display_identity(change["after"] or change["before"], change["key"])
    return ObjectRef(change["collection"], change["key"], name, identity, change["op"])


def object_refs(changes: Iterable[Mapping[str, Any]]) -> tuple[ObjectRef, ...]:
    return tuple(object_ref(ch) for ch in changes)


__all__ = [
    "ObjectChange",
    "ObjectRef",
    "PropertyChange",
    "VersionInfo",
    "diff_data",
    "object_ref",
    "object_refs",
]
