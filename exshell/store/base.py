"""The store interface: what cmdlets and the engine may rely on, whatever the backend.

The file backend (`files.py`) is the only one today; a shared backend for a fleet of engines (PostgreSQL with
NOTIFY on new versions) implements the same `Store` protocol, so neither the cmdlets nor the engine change.

Data model: `collection -> key -> record`. Keys are GUID strings; records are plain dicts of TOML-able values and
carry a `Name` (and usually `Identity`) used for display. Snapshots are immutable (read-only mappings, tuples for
lists) and cached per version, so the engine can read them as often as it likes without copying.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.guid import new_guid
from exshell.store.records import changed_objects, freeze, normalize, normalize_data, thaw

if TYPE_CHECKING:  # the history types live in history.py, which only the write and history paths import
    from exshell.store.history import ObjectChange, VersionInfo

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
    """What `commit(mutate)` hands to `mutate`: the newest version's data, to change in place.

    Copy on write: built over the frozen data of the base version (`MutableConfig(v, base=snapshot.data)`),
    a record is copied only when `get`/`put`/`collection` hand it out for changing, so a commit that touches
    one object of a large configuration costs one record, not the whole configuration. `data` still gives
    the whole configuration as plain dicts (copied on first use) for mutators that want it; a backend may
    also build a MutableConfig over plain data (`MutableConfig(v, data)`), as before.
    """

    def __init__(
        self,
        version: int,
        data: dict[str, dict[str, dict[str, Any]]] | None = None,
        *,
        base: Data | None = None,
    ) -> None:
        self.version = version  # the base version mutate runs on (the newest, under the lock)
        self._base: Data = base if base is not None else _EMPTY  # type: ignore[assignment]
        self._full: dict[str, dict[str, dict[str, Any]]] | None = data if base is None else None
        if self._full is None and base is None:
            self._full = {}
        # Copy-on-write overlay: (collection, key) -> the plain record, or None when deleted.
        self._overlay: dict[tuple[str, str], dict[str, Any] | None] = {}

    # ------------------------------------------------------------------ the whole configuration

    @property
    def data(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The whole configuration as plain, mutable dicts (materialized on first use)."""
        if self._full is None:
            full: dict[str, dict[str, dict[str, Any]]] = {
                coll: {k: thaw(r) for k, r in objs.items()} for coll, objs in self._base.items()
            }
            for (coll, key), rec in self._overlay.items():
                if rec is None:
                    full.get(coll, {}).pop(key, None)
                else:
                    full.setdefault(coll, {})[key] = rec
            self._full = full
            self._overlay.clear()
        return self._full

    @data.setter
    def data(self, value: dict[str, dict[str, dict[str, Any]]]) -> None:
        self._full = value
        self._overlay.clear()

    def touched(self) -> list[tuple[str, str]] | None:
        """The (collection, key) pairs handed out for change or put/deleted, or None when the whole
        configuration was materialized (then anything may have changed). For backends computing the change."""
        return None if self._full is not None else list(self._overlay)

    @property
    def base(self) -> Data:
        """The base version's data, read-only (empty when built over plain data)."""
        return self._base

    def base_record(self, collection: str, key: str) -> Mapping[str, Any] | None:
        """The record as it is in the base version (read-only)."""
        return self._base.get(collection, _EMPTY).get(key)

    # ------------------------------------------------------------------ reading without copying

    def view(self, collection: str) -> Mapping[str, Mapping[str, Any]]:
        """The records of a collection as they are now, read-only (no copies: do not change them)."""
        if self._full is not None:
            return self._full.get(collection, {})
        base = self._base.get(collection, _EMPTY)
        mine = [(k, r) for (c, k), r in self._overlay.items() if c == collection]
        if not mine:
            return base
        out = dict(base)
        for k, r in mine:
            if r is None:
                out.pop(k, None)
            else:
                out[k] = r
        return out

    # ------------------------------------------------------------------ changing

    def collection(self, name: str) -> dict[str, dict[str, Any]]:
        """The live dict of a collection, created on first use."""
        return self.data.setdefault(name, {})

    def get(self, collection: str, key: str) -> dict[str, Any] | None:
        """The live, mutable record (changes to it are part of the commit)."""
        if self._full is not None:
            return self._full.get(collection, {}).get(key)
        if (collection, key) in self._overlay:
            return self._overlay[(collection, key)]
        rec = self._base.get(collection, _EMPTY).get(key)
        if rec is None:
            return None
        copy = thaw(rec)
        self._overlay[(collection, key)] = copy
        return copy  # type: ignore[no-any-return]

    def put(self, collection: str, key: str, record: Mapping[str, Any]) -> None:
        if self._full is not None:
            self._full.setdefault(collection, {})[key] = dict(record)
        else:
            self._overlay[(collection, key)] = dict(record)

    def delete(self, collection: str, key: str) -> bool:
        if self._full is not None:
            coll = self._full.get(collection)
            if coll is None or key not in coll:
                return False
            del coll[key]
            return True
        if self.view(collection).get(key) is None:
            return False
        self._overlay[(collection, key)] = None
        return True

    def items(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        if self._full is not None:
            return list(self._full.get(collection, {}).items())
        return [(k, self.get(collection, k)) for k in list(self.view(collection))]  # type: ignore[misc]

    def find(self, collection: str, identity: str) -> list[tuple[str, dict[str, Any]]]:
        want = identity.casefold()
        keys = [
            k
            for k, r in self.view(collection).items()
            if want
            in (k.casefold(), str(r.get("Name", "")).casefold(), str(r.get("Identity", "")).casefold())
        ]
        return [(k, self.get(collection, k)) for k in keys]  # type: ignore[misc]

    @staticmethod
    def new_key() -> str:
        """A fresh object key (a GUID, as Exchange objects have)."""
        return new_guid()


Mutator = Callable[[MutableConfig], None]


def apply_mutation(
    doc: MutableConfig, base: Data
) -> tuple[Mapping[str, Mapping[str, Mapping[str, Any]]], list[dict[str, Any]]]:
    """After `mutate(doc)`: the new data and the change records against `base` (the doc's base version).

    Raises RecordValueError for a value TOML cannot hold. When only some records were touched, the new data
    shares every untouched collection and record with `base` (read-only mappings), and only the touched
    records are checked and compared: the cost of a commit follows the size of the change, not of the
    configuration."""
    touched = doc.touched()
    if touched is None:
        new = normalize_data(doc.data)
        return new, changed_objects(thaw(base), new)
    out: dict[str, Mapping[str, Mapping[str, Any]]] = dict(base)
    copied: set[str] = set()
    changes: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    for coll, key in touched:
        rec = doc._overlay[(coll, key)]
        old = base.get(coll, _EMPTY).get(key)
        before = None if old is None else thaw(old)
        after = None if rec is None else normalize(rec, f"{coll}.{key}")
        if before == after:
            continue
        if coll not in copied:
            out[coll] = dict(out.get(coll, _EMPTY))
            copied.add(coll)
        objs = out[coll]
        assert isinstance(objs, dict)
        if after is None:
            objs.pop(key, None)
            removed.append({"collection": coll, "key": key, "op": "Removed", "before": before, "after": None})
        else:
            objs[key] = freeze(after)
            op = "Added" if before is None else "Changed"
            changes.append({"collection": coll, "key": key, "op": op, "before": before, "after": after})
    for coll in copied:
        if not out[coll]:
            del out[coll]
    return out, changes + removed




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

    def close(self) -> None:
        """Release what the store holds open (a shared store's connection pool and listener threads); safe to
        call twice. Whoever opened a store closes it."""
        ...


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
    "apply_mutation",
    "Snapshot",
    "Store",
    "StoreError",
    "VersionNotFoundError",
    "collection_label",
    "register_collection_label",
]
