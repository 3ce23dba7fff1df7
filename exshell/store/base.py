"""The store interface: what cmdlets and the engine may rely on, whatever the backend.

The file backend (`files.py`) is the only one today; a shared backend for a fleet of engines (PostgreSQL with
NOTIFY on new versions) implements the same `Store` protocol, so neither the cmdlets nor the engine change.

Data model: `collection -> key -> record`. Keys are GUID strings; records are plain dicts of TOML-able values and
carry a `Name` (and usually `Identity`) used for display. Snapshots are immutable (read-only mappings, tuples for
lists) and cached per version, so the engine can read them as often as it likes without copying.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.store.records import changed_objects, display_identity, property_changes, thaw

Data = Mapping[str, Mapping[str, Mapping[str, Any]]]
_EMPTY: Mapping[str, Any] = MappingProxyType({})


class StoreError(PSRuntimeError):
    """A store operation failed for a reason the user can act on (bad value, missing version, I/O).

    A PSRuntimeError, so that a cmdlet which lets it escape still shows a PowerShell-style error (message,
    position, FullyQualifiedErrorId) rather than an internal error."""

    error_id = "StoreError"
    category = Category.InvalidOperation

    def __init__(self, message: str) -> None:
        super().__init__(
            ErrorRecord(message, self.error_id, self.category, exception_type="InvalidOperationException")
        )


class VersionNotFoundError(StoreError):
    """A version number outside 1..current."""

    error_id = "ConfigVersionNotFound"
    category = Category.ObjectNotFound

    def __init__(self, version: int, newest: int) -> None:
        super().__init__(f"Configuration version {version} does not exist. The newest version is {newest}.")
        self.record.exception_type = "ManagementObjectNotFoundException"
        self.version = version


class ConfigFileError(StoreError):
    """config.toml was edited by hand and cannot be read; the store keeps serving the last good version."""

    error_id = "ConfigFileUnreadable"
    category = Category.ReadError

    def __init__(self, message: str, path: str, line: int | None, col: int | None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.col = col


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


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Exactly one version's content. `data` is read-only: dicts are MappingProxyType, lists are tuples."""

    version: int
    data: Data
    when: datetime
    who: str
    command: str
    content_hash: str = ""

    def collection(self, name: str) -> Mapping[str, Mapping[str, Any]]:
        """The objects of a collection (empty when it has none: empty collections are not stored)."""
        return self.data.get(name, _EMPTY)

    def get(self, collection: str, key: str) -> Mapping[str, Any] | None:
        return self.data.get(collection, _EMPTY).get(key)

    def record(self, collection: str, key: str) -> dict[str, Any] | None:
        """A plain, mutable deep copy of one record (for model `from_record`)."""
        rec = self.get(collection, key)
        return None if rec is None else thaw(rec)

    def items(self, collection: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        return iter(self.collection(collection).items())

    def find(self, collection: str, identity: str) -> list[tuple[str, Mapping[str, Any]]]:
        """Objects whose key, Name or Identity equals `identity` (case-insensitive, as Exchange matches)."""
        want = identity.casefold()
        out = []
        for key, rec in self.collection(collection).items():
            names = (key, str(rec.get("Name", "")), str(rec.get("Identity", "")))
            if any(n.casefold() == want for n in names):
                out.append((key, rec))
        return out


class MutableConfig:
    """What `commit(mutate)` hands to `mutate`: plain, mutable deep copies of the newest version's data.

    The store compares the result with the base after `mutate` returns; whatever changed becomes the version.
    """

    def __init__(self, version: int, data: dict[str, dict[str, dict[str, Any]]]) -> None:
        self.version = version  # the base version mutate runs on (the newest, under the lock)
        self.data = data

    def collection(self, name: str) -> dict[str, dict[str, Any]]:
        """The live dict of a collection, created on first use."""
        return self.data.setdefault(name, {})

    def get(self, collection: str, key: str) -> dict[str, Any] | None:
        return self.data.get(collection, {}).get(key)

    def put(self, collection: str, key: str, record: Mapping[str, Any]) -> None:
        self.collection(collection)[key] = dict(record)

    def delete(self, collection: str, key: str) -> bool:
        coll = self.data.get(collection)
        if coll is None or key not in coll:
            return False
        del coll[key]
        return True

    def items(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        return list(self.data.get(collection, {}).items())

    def find(self, collection: str, identity: str) -> list[tuple[str, dict[str, Any]]]:
        want = identity.casefold()
        return [
            (k, r)
            for k, r in self.data.get(collection, {}).items()
            if want
            in (k.casefold(), str(r.get("Name", "")).casefold(), str(r.get("Identity", "")).casefold())
        ]

    @staticmethod
    def new_key() -> str:
        """A fresh object key (a GUID, as Exchange objects have)."""
        return str(uuid.uuid4())


Mutator = Callable[[MutableConfig], None]


@runtime_checkable
class Store(Protocol):
    """The versioned configuration store. Every method is safe to call from several processes at once."""

    # Set while config.toml holds a hand edit that cannot be read (the store serves the last good version);
    # the engine logs it, the shell shows it. None when the file is fine.
    file_error: ConfigFileError | None

    def current_version(self) -> int:
        """The newest committed version; cheap enough to poll (one small file read)."""
        ...

    def snapshot(self, version: int | None = None) -> Snapshot:
        """Exactly that version's content (the newest when None), even if a writer commits meanwhile."""
        ...

    def commit(self, mutate: Mutator, command: str = "", who: str | None = None) -> VersionInfo | None:
        """Run `mutate` on the newest version under the writer lock and store the result as one new version.
        Raises what mutate raises (and writes nothing); returns None when mutate changed nothing."""
        ...

    def history(
        self, collection: str | None = None, key: str | None = None, last: int | None = None
    ) -> list[VersionInfo]:
        """Versions, oldest first; filtered to those touching the collection / object when given; `last`
        keeps the newest `last` of them."""
        ...

    def version_info(self, version: int) -> VersionInfo:
        """What was recorded for one version (StoreError when it does not exist)."""
        ...

    def diff(self, a: int, b: int) -> list[ObjectChange]:
        """Per object, per property; lists as element diffs."""
        ...


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


# --------------------------------------------------------------------------- labels for display and comments

# How a collection is called in one word, for `# Default EX01 (receive connector)` comments and summaries.
_LABELS: dict[str, str] = {"mailboxes": "mailbox", "settings": "settings", "addresses": "address"}


def register_collection_label(collection: str, label: str) -> None:
    """Let a noun family say how its objects are called (`receive_connectors` -> `receive connector`)."""
    _LABELS[collection] = label


def collection_label(collection: str) -> str:
    if collection in _LABELS:
        return _LABELS[collection]
    words = collection.replace("_", " ").strip()
    if words.endswith(("xes", "ches", "shes", "sses")):
        return words[:-2]
    return words.removesuffix("s")


__all__ = [
    "ConfigFileError",
    "Data",
    "MutableConfig",
    "Mutator",
    "ObjectChange",
    "ObjectRef",
    "PropertyChange",
    "Snapshot",
    "Store",
    "StoreError",
    "VersionInfo",
    "VersionNotFoundError",
    "collection_label",
    "diff_data",
    "register_collection_label",
]
