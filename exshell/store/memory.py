"""An in-process store: the `Store` protocol without files, for tests and for `exshell -c` dry runs.

It keeps every version's data in memory (fine for the few versions a test makes) and follows the same rules as
the file backend: one version per change, mutate runs on the newest version under a lock, nothing is written
when mutate raises, snapshots are immutable. It also shows what a second backend (PostgreSQL for a fleet)
has to provide: nothing here is imported by the cmdlets or the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from exshell.store.history import ObjectChange, ObjectRef, VersionInfo, diff_data
from exshell.store.base import (
    ConfigFileError,
    MutableConfig,
    Mutator,
    Snapshot,
    StoreError,
    VersionNotFoundError,
    apply_mutation,
)
from exshell.store.records import (
    RecordValueError,
    changed_objects,
    display_identity,
    freeze,
    normalize_data,
)

INITIAL_COMMAND = "(initial configuration)"


class MemoryStore:
    def __init__(self, initial: Callable[[], dict[str, Any]] | None = None, who: str = "test") -> None:
        self.file_error: ConfigFileError | None = None  # there is no file to edit by hand
        self._who = who
        self._lock = threading.Lock()
        self._snapshots: list[Snapshot] = []
        self._infos: list[VersionInfo] = []
        try:
            data = normalize_data(initial() if initial is not None else {})
        except RecordValueError as e:
            raise StoreError(f"Cannot store the initial configuration: {e}") from None
        self._append(data, changed_objects({}, data), INITIAL_COMMAND, who)

    def close(self) -> None:
        """Nothing to release: the versions live in this object."""

    def current_version(self) -> int:
        return len(self._snapshots)

    def snapshot(self, version: int | None = None) -> Snapshot:
        snaps = self._snapshots
        target = len(snaps) if version is None else int(version)
        if not 1 <= target <= len(snaps):
            raise VersionNotFoundError(target, len(snaps))
        return snaps[target - 1]

    def commit(self, mutate: Mutator, command: str = "", who: str | None = None) -> VersionInfo | None:
        with self._lock:
            base = self._snapshots[-1].data
            doc = MutableConfig(len(self._snapshots), base=base)
            mutate(doc)
            try:
                new, changes = apply_mutation(doc, base)
            except RecordValueError as e:
                raise StoreError(f"Cannot store the change: {e}") from None
            if not changes:
                return None
            return self._append(new, changes, command, who or self._who)

    def history(
        self, collection: str | None = None, key: str | None = None, last: int | None = None
    ) -> list[VersionInfo]:
        found = [i for i in self._infos if (collection is None and key is None) or i.touches(collection, key)]
        return found[-last:] if last is not None else found

    def version_info(self, version: int) -> VersionInfo:
        if not 1 <= version <= len(self._infos):
            raise VersionNotFoundError(version, len(self._infos))
        return self._infos[version - 1]

    def diff(self, a: int, b: int) -> list[ObjectChange]:
        return diff_data(self.snapshot(a).data, self.snapshot(b).data)

    def _append(
        self, data: Mapping[str, Any], changes: list[dict[str, Any]], command: str, who: str
    ) -> VersionInfo:
        n = len(self._snapshots) + 1
        when = datetime.now(UTC)
        objects = tuple(
            ObjectRef(
                ch["collection"],
                ch["key"],
                *display_identity(ch["after"] or ch["before"], ch["key"]),
                ch["op"],
            )
            for ch in changes
        )
        info = VersionInfo(n, when, who, command, objects)
        self._snapshots.append(Snapshot(n, freeze(data), when, who, command))
        self._infos.append(info)
        return info


__all__ = ["MemoryStore"]
