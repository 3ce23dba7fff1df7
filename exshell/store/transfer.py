"""Moving a whole store between backends (`exshell store export` / `import`): every version with its when,
who, command and change records, so that history, Compare-ConfigVersion and Restore-ConfigVersion answer the
same afterwards. The target must be new (a folder without a store, or a database schema without exshell's
versions): an import never merges two histories. The key material the versions refer to goes along (a folder's
secrets/ into the database's secrets table and back), so the copy serves STARTTLS and AUTH as the original did."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exshell.store import is_store_url
from exshell.store.base import StoreError
from exshell.store.keystore import KeyStore, KeyStoreError


@dataclass(frozen=True, slots=True)
class Copied:
    versions: int
    source: str
    target: str
    secrets: int = 0


def describe(spec: Path | str) -> str:
    if is_store_url(spec):
        from exshell.store.postgres import display_url  # lazy: psycopg only for a shared store

        return display_url(str(spec))
    return str(spec)


def open_source(spec: Path | str) -> Any:
    """An existing store (never creates one: exporting nothing is an error)."""
    if is_store_url(spec):
        from exshell.store.postgres import PostgresStore  # lazy: psycopg only for a shared store

        store = PostgresStore(str(spec), create=False)
        if store.newest_or_zero() == 0:
            store.close()
            raise StoreError(f"The configuration store {describe(spec)} holds no version to copy.")
        return store
    from exshell.store.files import FileStore  # lazy: the backend loads when a store is opened

    if not (Path(spec) / "CURRENT").exists():
        raise StoreError(f"'{spec}' holds no configuration store to copy.")
    return FileStore(Path(spec))


def _secrets_of(spec: Path | str, store: Any) -> Iterator[tuple[str, str, bytes]]:
    if is_store_url(spec):
        return iter(store.secret_entries())
    return KeyStore(Path(spec)).entries()


# progress(done, total): called as each version is copied (the CLI draws it on a terminal).
Progress = Callable[[int, int], None]


def _counted(records: Iterable[dict[str, Any]], total: int, progress: Progress) -> Iterator[dict[str, Any]]:
    for done, rec in enumerate(records, 1):
        yield rec
        progress(done, total)


def copy_store(source: Path | str, target: Path | str, progress: Progress | None = None) -> Copied:
    """Copy every version of `source`, and its key material, into the new store `target`."""
    src = open_source(source)
    copied = 0
    try:
        records = src.version_records()
        if progress is not None:
            records = _counted(records, src.current_version(), progress)
        if is_store_url(target):
            from exshell.store.postgres import PostgresStore  # lazy: psycopg only for a shared store

            dst = PostgresStore(str(target), create=False)
            try:
                held = dst.newest_or_zero()
                if held:
                    raise StoreError(
                        f"The configuration store {describe(target)} already holds {held} version(s): import into "
                        "an empty database or schema."
                    )
                for kind, ref, data in _secrets_of(source, src):  # first: no version names a missing key
                    dst.put_secret(kind, ref, data)
                    copied += 1
                newest = dst.append_records(records)
            finally:
                dst.close()
        else:
            from exshell.store.files import FileStore  # lazy: the backend loads when a store is opened

            if (Path(target) / "CURRENT").exists():
                raise StoreError(f"'{target}' already holds a configuration store: import into a new folder.")
            keys = KeyStore(Path(target))
            for kind, ref, data in _secrets_of(source, src):
                keys.put(kind, ref, data)
                copied += 1
            newest = FileStore(Path(target), records=records).current_version()
    except KeyStoreError as e:
        raise StoreError(f"Cannot copy the key material of {describe(source)}: {e}") from None
    finally:
        close = getattr(src, "close", None)
        if close is not None:
            close()
    return Copied(newest, describe(source), describe(target), copied)


__all__ = ["Copied", "copy_store", "describe", "open_source"]
