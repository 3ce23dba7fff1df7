"""The versioned configuration store: `open_store(state_dir)` and the `Store` interface (see base.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from exshell.store.base import (
    ConfigFileError,
    MutableConfig,
    ObjectChange,
    ObjectRef,
    PropertyChange,
    Snapshot,
    Store,
    StoreError,
    VersionInfo,
    VersionNotFoundError,
    collection_label,
    register_collection_label,
)


def open_store(state_dir: Path, initial: Callable[[], dict[str, Any]] | None = None) -> Store:
    """Open (creating on first use) the store in `state_dir`. Version 1 is `initial()` (empty when None),
    created under the writer lock, so two processes opening a fresh folder at once create one version 1."""
    from exshell.store.files import FileStore

    return FileStore(Path(state_dir), initial)


__all__ = [
    "ConfigFileError",
    "MutableConfig",
    "ObjectChange",
    "ObjectRef",
    "PropertyChange",
    "Snapshot",
    "Store",
    "StoreError",
    "VersionInfo",
    "VersionNotFoundError",
    "collection_label",
    "open_store",
    "register_collection_label",
]
