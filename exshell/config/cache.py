"""Decode once per version: the model Config of a snapshot, shared by everything in this process (the
shell's cmdlets, the guards, the seam's commit, the engine).

Keyed by version and content hash (the id of the snapshot's data when a backend has no hash), holding the
snapshot's data itself, so an entry can never answer for another version: a new version is a new key. The
Config decodes each collection on first use, so a command reads only what it touches. Nothing is kept
across processes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from exshell.errors import Category
from exshell.model.config import Config, _decode_collection
from exshell.model.errors import ModelDataError
from exshell.store.base import StoreError


class StoredConfigError(StoreError):
    """A stored version the model can't read (written before hand edits were checked, or by a foreign
    tool): a PowerShell error that says how to repair it, never an internal error."""

    error_id = "InvalidStoredConfiguration"
    category = Category.ReadError

_SIZE = 4
_lock = threading.Lock()
_entries: OrderedDict[Any, tuple[Any, Config]] = OrderedDict()


def _key(snapshot: Any) -> Any:
    digest = getattr(snapshot, "content_hash", "")
    return (snapshot.version, digest) if digest else ("data", id(snapshot.data))


def config_of(snapshot: Any) -> Config:
    """The (lazily decoded) Config of a store snapshot, decoded at most once per version per process."""
    key = _key(snapshot)
    with _lock:
        entry = _entries.get(key)
        if entry is not None and (entry[0] is snapshot.data or key[0] != "data"):
            _entries.move_to_end(key)
            return entry[1]
        config = Config.lazy(snapshot.data, _loader(snapshot.version, snapshot.data))
        _entries[key] = (snapshot.data, config)
        while len(_entries) > _SIZE:
            _entries.popitem(last=False)
        return config


def decoded_for(data: Any) -> tuple[Any, Config] | None:
    """(data, Config) when `data` is the data of a snapshot decoded here (objects can be reused)."""
    with _lock:
        for entry_data, config in reversed(_entries.values()):
            if entry_data is data:
                return entry_data, config
    return None


def current_config(store: Any) -> Config:
    """The newest version's Config."""
    return config_of(store.snapshot())


def _loader(version: int, data: Any) -> Any:
    def load(collection: str) -> tuple[Any, ...]:
        try:
            return _decode_collection(collection, data.get(collection) or {})
        except ModelDataError as exc:
            raise unreadable(version, exc) from None

    return load


def unreadable(version: int, exc: ModelDataError) -> StoredConfigError:
    return StoredConfigError(
        f"Configuration version {version} can't be read: {exc.message} Correct the value in config.toml (the "
        "edit is adopted as a new version), or return to an earlier version with Restore-ConfigVersion "
        "(Get-ConfigVersion lists them)."
    )
