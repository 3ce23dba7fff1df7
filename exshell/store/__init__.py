"""The versioned configuration store: `open_store(spec)` and the `Store` interface (see base.py); the history
types (`VersionInfo`, `ObjectChange`, ...) are in history.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from exshell.store.base import (
    ConfigFileError,
    MutableConfig,
    Snapshot,
    Store,
    StoreError,
    VersionNotFoundError,
    collection_label,
    register_collection_label,
)


def open_store(
    spec: Path | str,
    initial: Callable[[], dict[str, Any]] | None = None,
    validate: Callable[[Any], Any] | None = None,
) -> Store:
    """Open (creating on first use) the store `spec` names: a `postgresql://` URL (a store shared by a fleet,
    `--store` / `EXSHELL_STORE`), else a state folder. Version 1 is `initial()` (empty when None), created under
    the writer lock, so two processes opening a fresh store at once create one version 1. The backends are
    imported here, on first use: a shell on the folder store never imports psycopg. `validate(data)` returns
    the problems that make a hand edit of config.toml unacceptable (the shell and the engine pass
    exshell.config.validate_records: the model's rules)."""
    if is_store_url(spec):
        from exshell.store.postgres import PostgresStore  # lazy: psycopg only for a shared store

        return PostgresStore(str(spec), initial)
    from exshell.store.files import FileStore  # lazy: the backend loads when a store is opened

    return FileStore(Path(spec), initial, validate=validate)


def is_store_url(spec: object) -> bool:
    """A database URL rather than a folder (`postgresql://` or `postgres://`, libpq's two spellings)."""
    return isinstance(spec, str) and spec.startswith(("postgresql://", "postgres://"))


__all__ = [
    "ConfigFileError",
    "MutableConfig",
    "Snapshot",
    "Store",
    "StoreError",
    "VersionNotFoundError",
    "collection_label",
    "is_store_url",
    "open_store",
    "register_collection_label",
]
