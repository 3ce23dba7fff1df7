"""Moving a whole store between backends (`exshell store export` / `import`): every version with its when,
who, command and change records, so that history, Compare-ConfigVersion and Restore-ConfigVersion answer the
same afterwards. The target must be new (a folder without a store, or a database schema without exshell's
versions): an import never merges two histories."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exshell.store import is_store_url
from exshell.store.base import StoreError


@dataclass(frozen=True, slots=True)
class Copied:
    versions: int
    source: str
    target: str


def describe(spec: Path | str) -> str:
    if is_store_url(spec):
        from exshell.store.postgres import display_url

        return display_url(str(spec))
    return str(spec)


def open_source(spec: Path | str) -> Any:
    """An existing store (never creates one: exporting nothing is an error)."""
    if is_store_url(spec):
        from exshell.store.postgres import PostgresStore

        store = PostgresStore(str(spec), create=False)
        if store.newest_or_zero() == 0:
            store.close()
            raise StoreError(f"The configuration store {describe(spec)} holds no version to copy.")
        return store
    from exshell.store.files import FileStore

    if not (Path(spec) / "CURRENT").exists():
        raise StoreError(f"'{spec}' holds no configuration store to copy.")
    return FileStore(Path(spec))


def copy_store(source: Path | str, target: Path | str) -> Copied:
    """Copy every version of `source` into the new store `target`; returns how many."""
    src = open_source(source)
    try:
        records = src.version_records()
        if is_store_url(target):
            from exshell.store.postgres import PostgresStore

            dst = PostgresStore(str(target), create=False)
            try:
                held = dst.newest_or_zero()
                if held:
                    raise StoreError(
                        f"The configuration store {describe(target)} already holds {held} version(s): import into "
                        "an empty database or schema."
                    )
                newest = dst.append_records(records)
            finally:
                dst.close()
        else:
            from exshell.store.files import FileStore

            newest = FileStore(Path(target), records=records).current_version()
    finally:
        close = getattr(src, "close", None)
        if close is not None:
            close()
    return Copied(newest, describe(source), describe(target))


__all__ = ["Copied", "copy_store", "describe", "open_source"]
