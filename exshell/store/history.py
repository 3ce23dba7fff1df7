"""What every backend derives the same way from change records: the objects a version touched (what
`Get-ConfigVersion` shows and `history(collection, key)` filters on)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from exshell.store.base import ObjectRef
from exshell.store.records import display_identity


def object_ref(change: Mapping[str, Any]) -> ObjectRef:
    """The ObjectRef of one change record ({collection, key, op, before, after})."""
    name, identity = display_identity(change["after"] or change["before"], change["key"])
    return ObjectRef(change["collection"], change["key"], name, identity, change["op"])


def object_refs(changes: Iterable[Mapping[str, Any]]) -> tuple[ObjectRef, ...]:
    return tuple(object_ref(ch) for ch in changes)


__all__ = ["object_ref", "object_refs"]
