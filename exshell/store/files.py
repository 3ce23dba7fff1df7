"""The file backend of the store: one state folder shared by the shell(s) and the engine.

    <state>/config.toml            the current version, human-readable (see toml_doc.py)
    <state>/CURRENT                "<version> <sha256 of config.toml>\\n"  (the commit point; polled by the engine)
    <state>/history/<n>.json       one change record per version: when, who, command, content hash, and per
                                   touched object its record before and after
    <state>/snapshots/<n>.json     the full data of version 1 and of every SNAPSHOT_EVERY-th version
    <state>/parsed.json            config.toml's data as JSON, tagged with config.toml's hash: a cache (the
                                   stdlib's TOML reader is pure Python, ~20x slower than json on a store of
                                   100,000 remote ranges); ignored unless its hash matches CURRENT's
    <state>/store.lock             fcntl.flock: one writer at a time, across processes
    <state>/tmp/                   temporary files, renamed into place

A commit writes history/<n>.json, then (every SNAPSHOT_EVERY versions) snapshots/<n>.json, then config.toml,
then CURRENT, each one as temp file + fsync + rename + fsync of the directory. CURRENT is the commit point: a
crash before it leaves version n-1 (the next writer or reader under the lock finds history/<n>.json, and rolls
forward when config.toml already holds it, else deletes it); a crash after it leaves version n. Nothing is ever
rewritten, so the cost of a commit does not grow with the number of past versions. Any version is rebuilt by
loading the nearest snapshot at or below it and replaying at most SNAPSHOT_EVERY-1 change records.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import itertools
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exshell.store import toml_doc
from exshell.store.base import (
    ConfigFileError,
    Data,
    MutableConfig,
    Mutator,
    Snapshot,
    StoreError,
    VersionNotFoundError,
    apply_mutation,
)
from exshell.store.records import (
    RecordValueError,
    apply_changes,
    changed_objects,
    freeze,
    from_json,
    normalize_data,
    thaw,
    to_json,
)

if TYPE_CHECKING:
    from exshell.store.history import ObjectChange, VersionInfo

# data -> the problems that make it unacceptable (each with .collection, .key, .prop; str() is the reason)
Validator = Callable[[Mapping[str, Any]], Sequence[Any]]

SNAPSHOT_EVERY = 100
# A hand edit is adopted once config.toml has not changed for this long: an editor that rewrites the file in
# place (truncate, then write) must not have a half-saved file taken as a new version by the polling engine.
SETTLE_SECONDS = 1.0
INITIAL_COMMAND = "(initial configuration)"
MANUAL_EDIT_COMMAND = "(manual edit of config.toml)"
_CACHE_SIZE = 16
_tmp_counter = itertools.count()


def os_user() -> str:
    # getpass and logging are imported where used: a read-only one-shot (`exshell -c Get-...`) never needs
    # them, and logging (with traceback, textwrap, string) costs ~8 ms of a ~300 ms start.
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container: fall back to the numeric uid
        return str(os.getuid())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileStore:
    """The `Store` protocol over a state folder (see the module docstring for the layout)."""

    def __init__(
        self,
        state_dir: Path,
        initial: Callable[[], dict[str, Any]] | None = None,
        snapshot_every: int = SNAPSHOT_EVERY,
        settle_seconds: float = SETTLE_SECONDS,
        validate: Validator | None = None,
        records: Iterable[dict[str, Any]] | None = None,
    ) -> None:
        """`records`: create the store from these versions (an import, see exshell.store.transfer) instead
        of from `initial`; refused when the folder already holds a store."""
        self.root = Path(state_dir)
        # What a hand edit must pass besides parsing (the model's rules: exshell.config.validation).
        self.validate = validate
        self.config_path = self.root / "config.toml"
        self.current_path = self.root / "CURRENT"
        self.parsed_path = self.root / "parsed.json"
        self.lock_path = self.root / "store.lock"
        self.history_dir = self.root / "history"
        self.snapshot_dir = self.root / "snapshots"
        self.tmp_dir = self.root / "tmp"
        self.snapshot_every = max(1, snapshot_every)
        self.settle_ns = int(settle_seconds * 1e9)
        # The error of an unreadable hand edit, while the store keeps serving the last good version.
        self.file_error: ConfigFileError | None = None
        self._cache: OrderedDict[int, Snapshot] = OrderedDict()
        self._infos: dict[int, VersionInfo] = {}
        self._verified: tuple[tuple[int, int, int], int, str] | None = None  # (stat key, version, hash)
        self._bad_key: tuple[int, int, int] | None = None
        self._document = toml_doc.ConfigDocument()
        # The caches are per instance; an engine may read from worker threads while the shell thread writes.
        self._mutex = threading.RLock()
        try:
            for d in (self.root, self.history_dir, self.snapshot_dir, self.tmp_dir):
                d.mkdir(parents=True, exist_ok=True)
            with self._lock():
                if self._recover() is None:
                    if records is not None:
                        self._write_records(records)
                    else:
                        self._create_first_version(initial)
                elif records is not None:
                    raise StoreError(f"'{self.root}' already holds a configuration store: import into a new folder.")
        except OSError as e:
            raise StoreError(
                f"Cannot open the configuration store '{self.root}': {e.strerror or e}"
            ) from None

    # ------------------------------------------------------------------ public API

    def close(self) -> None:
        """Nothing held open between calls (each commit takes and releases its own lock)."""

    def current_version(self) -> int:
        with self._guard():
            return self._current()[0]

    def snapshot(self, version: int | None = None) -> Snapshot:
        with self._guard():
            return self._snapshot(version)

    def _snapshot(self, version: int | None) -> Snapshot:
        v, h = self._current()
        target = v if version is None else int(version)
        if target < 1 or target > v:
            raise VersionNotFoundError(target, v)
        cached = self._cache.get(target)
        if cached is not None:
            self._cache.move_to_end(target)
            return cached
        data: dict[str, Any] | None = None
        meta: dict[str, Any] | None = None
        if target == v:
            data, meta = self._read_config_if(h)
        if data is None:
            data = self._rebuild(target)
        return self._remember(target, data, meta)

    def commit(self, mutate: Mutator, command: str = "", who: str | None = None) -> VersionInfo | None:
        with self._guard(), self._lock():
            cur = self._recover()
            assert cur is not None  # created in __init__
            v, h = cur
            raw = self._read_bytes(self.config_path)
            if raw is None or _sha256(raw) != h:
                if raw is not None:
                    raw = self._wait_until_settled()
                v, h = self._adopt_hand_edit(v, raw)
                raw = self._read_bytes(self.config_path)
            text = (raw or b"").decode("utf-8")
            base = self._base_data(v, h, text)
            doc = MutableConfig(v, base=base)
            mutate(doc)
            try:
                new, changes = apply_mutation(doc, base)
            except RecordValueError as e:
                raise StoreError(f"Cannot store the change: {e}") from None
            if not changes:
                return None
            new_text = self._document.updated(text, h, changes, new)
            info = self._write_version(v + 1, new, new_text, changes, command, who or os_user())
            self._document.committed(info.content_hash)
            return info

    def history(
        self, collection: str | None = None, key: str | None = None, last: int | None = None
    ) -> list[VersionInfo]:
        """Oldest first. `last` keeps only the newest `last` matching versions (reads only those)."""
        with self._guard():
            return self._history(collection, key, last)

    def _history(self, collection: str | None, key: str | None, last: int | None) -> list[VersionInfo]:
        v = self._current()[0]
        found: list[VersionInfo] = []
        for n in range(v, 0, -1):
            if last is not None and len(found) >= last:
                break
            info = self._version_info(n)
            if (collection is None and key is None) or info.touches(collection, key):
                found.append(info)
        found.reverse()
        return found

    def version_info(self, version: int) -> VersionInfo:
        with self._guard():
            return self._version_info(version)

    def _version_info(self, version: int) -> VersionInfo:
        info = self._infos.get(version)
        if info is None:
            cur = self._read_current()
            newest = cur[0] if cur else 0
            if not 1 <= version <= newest:
                raise VersionNotFoundError(version, newest)
            info = self._info_from_record(self._history_record(version))
            self._infos[version] = info
        return info

    def diff(self, a: int, b: int) -> list[ObjectChange]:
        from exshell.store.history import diff_data  # lazy for start-up: see history.py

        with self._guard():
            return diff_data(self._snapshot(a).data, self._snapshot(b).data)

    # ------------------------------------------------------------------ current version and hand edits

    def _current(self) -> tuple[int, str]:
        cur = self._read_current()
        if cur is None:
            with self._lock():
                cur = self._recover()
            if cur is None:
                raise StoreError(
                    f"The configuration store '{self.root}' has no current version (CURRENT missing)."
                )
        return self._check_config(cur)

    def _check_config(self, cur: tuple[int, str]) -> tuple[int, str]:
        """Cheap when nothing changed (one fstat-free stat); adopts a hand edit of config.toml otherwise."""
        try:
            st = os.stat(self.config_path)
            key = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            key = (0, -1, 0)
        if self._verified is not None and self._verified[0] == key and self._verified[1:] == cur:
            return cur
        if key == self._bad_key:
            return cur
        raw, key = self._read_with_key(self.config_path)
        if raw is not None and _sha256(raw) == cur[1]:
            self._verified = (key, cur[0], cur[1])
            self.file_error = None
            return cur
        if raw is not None and self._settling(key) and not self._is_pending_commit(cur[0], raw):
            return cur  # an editor may still be writing: keep serving this version, look again next time
        # Either a writer is between renaming config.toml and CURRENT, or a hand edit: decide under the lock.
        with self._lock():
            locked = self._recover()
            assert locked is not None
            raw, key = self._read_with_key(self.config_path)
            if raw is not None and _sha256(raw) == locked[1]:
                self._verified = (key, locked[0], locked[1])
                self.file_error = None
                return locked
            try:
                return self._adopt_hand_edit(locked[0], raw)
            except ConfigFileError as e:
                self._bad_key = key
                if self.file_error is None or str(self.file_error) != str(e):
                    import logging  # lazy: see os_user; only a bad hand edit logs

                    logging.getLogger("exshell.store").error("%s", e)
                self.file_error = e
                return locked

    def _settling(self, key: tuple[int, int, int]) -> bool:
        age = time.time_ns() - key[0]
        return 0 <= age < self.settle_ns

    def _is_pending_commit(self, v: int, raw: bytes) -> bool:
        """config.toml already holds version v+1 of a writer that has not written CURRENT yet (or died)."""
        pending = self._read_bytes(self.history_dir / self._name(v + 1))
        if pending is None:
            return False
        try:
            return bool(from_json(pending)["hash"] == _sha256(raw))
        except (ValueError, KeyError, TypeError):
            return False

    def _wait_until_settled(self) -> bytes | None:
        """Under the lock, before adopting a hand edit: wait (bounded) until the file stops changing."""
        deadline = time.monotonic() + self.settle_ns / 1e9 + 1.0
        raw, key = self._read_with_key(self.config_path)
        while raw is not None and self._settling(key) and time.monotonic() < deadline:
            time.sleep(0.05)
            raw, key = self._read_with_key(self.config_path)
        return raw

    def _adopt_hand_edit(self, v: int, raw: bytes | None) -> tuple[int, str]:
        """Under the lock: config.toml differs from version v. Adopt it as version v+1, or refuse (raise
        ConfigFileError naming file, line and column) and leave version v current. A missing file is
        rewritten from version v (nothing to adopt)."""
        if raw is None:
            data = self._rebuild(v)
            content = toml_doc.render(data).encode("utf-8")
            h = _sha256(content)
            self._atomic_write(self.config_path, content)
            self._atomic_write(self.current_path, f"{v} {h}\n".encode())
            return v, h
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise self._file_error(f"the file is not UTF-8 text (byte {e.start})", None, None, v) from None
        try:
            parsed = toml_doc.parse(text)
        except ValueError as e:
            reason, line, col = e.args
            raise self._file_error(reason, line, col, v) from None
        try:
            data = normalize_data(parsed)
        except RecordValueError as e:
            raise self._file_error(str(e), None, None, v) from None
        self._check_edit(data, text, v)
        base = self._rebuild(v)
        changes = changed_objects(base, data)
        info = self._write_version(v + 1, data, text, changes, MANUAL_EDIT_COMMAND, os_user())
        self.file_error = None
        self._bad_key = None
        return info.version, info.content_hash

    def _file_error(self, reason: str, line: int | None, col: int | None, v: int) -> ConfigFileError:
        where = f" at line {line}, column {col}" if line is not None else ""
        reason = reason.rstrip(".") + where
        stop = "" if reason.endswith("?") else "."
        msg = (
            f"The configuration file '{self.config_path}' was edited by hand and cannot be used: {reason}{stop} "
            f"Version {v} stays in effect; correct the file and the edit will be adopted as a new version"
            + (
                f", or delete the file to have version {v} written back (Restore-ConfigVersion then returns "
                "to any earlier version)."
                if v
                else "."
            )
        )
        return ConfigFileError(msg, str(self.config_path), line, col)

    def _check_edit(self, data: Mapping[str, Any], text: str, v: int) -> None:
        """Refuse a hand edit the model does not accept, naming the table, key and reason (and the line)."""
        if self.validate is None:
            return
        problems = list(self.validate(data))
        if not problems:
            return
        first = problems[0]
        line = toml_doc.locate(text, first.collection, first.key, first.prop)
        where = first.table + (f" {first.prop}" if first.prop else "") + (f" (line {line})" if line else "")
        more = len(problems) - 1
        tail = f" ({more} more problem{'s' if more > 1 else ''} after this one)" if more else ""
        error = self._file_error(f"{where}: {first.reason.rstrip('.')}{tail}", None, None, v)
        error.line = line
        raise error

    # ------------------------------------------------------------------ reading versions

    def _read_current(self) -> tuple[int, str] | None:
        raw = self._read_bytes(self.current_path)
        if not raw:
            return None
        try:
            ver, h = raw.decode("ascii").split()
            return int(ver), h
        except ValueError:
            raise StoreError(f"The store's version file '{self.current_path}' is damaged.") from None

    def _read_config_if(self, h: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """config.toml's data when its content hash is h (else None: a writer replaced it meanwhile), and the
        version's metadata when parsed.json has it (then the history record need not be read)."""
        if not self._verified_now(h):
            raw = self._read_bytes(self.config_path)
            if raw is None or _sha256(raw) != h:
                return None, None
        cached = self._read_bytes(self.parsed_path)
        if cached is not None:
            try:
                doc = from_json(cached)
                if doc.get("hash") == h:
                    meta = doc.get("meta")
                    return doc["data"], (dict(meta, hash=h) if isinstance(meta, dict) else None)
            except (ValueError, KeyError, TypeError, AttributeError):
                pass  # a torn or foreign cache: parse the TOML instead
        raw = self._read_bytes(self.config_path)
        if raw is None or _sha256(raw) != h:
            return None, None
        try:
            return normalize_data(toml_doc.parse(raw.decode("utf-8"))), None
        except (ValueError, RecordValueError):
            return None, None

    def _verified_now(self, h: str) -> bool:
        """config.toml was hashed to h by this process and is still the same file (one stat, no read)."""
        if self._verified is None or self._verified[2] != h:
            return False
        try:
            st = os.stat(self.config_path)
        except FileNotFoundError:
            return False
        return (st.st_mtime_ns, st.st_size, st.st_ino) == self._verified[0]

    def _write_parsed_cache(self, h: str, data: Any, meta: dict[str, Any] | None = None) -> None:
        """The JSON mirror of config.toml (see the module docstring); a cache, so no fsync is needed: a torn
        file fails to parse or carries the wrong hash, and readers fall back to the TOML."""
        tmp = self.tmp_dir / f"parsed.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            tmp.write_bytes(to_json({"hash": h, "meta": meta, "data": data}))
            os.replace(tmp, self.parsed_path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()

    def _base_data(self, v: int, h: str, text: str) -> Data:
        """Version v's frozen data (the cached snapshot when this process has it: no parse, no copy)."""
        cached = self._cache.get(v)
        if cached is not None:
            return cached.data
        data: dict[str, Any] | None = None
        cached_json = self._read_bytes(self.parsed_path)
        if cached_json is not None:
            try:
                doc = from_json(cached_json)
                if doc.get("hash") == h:
                    data = doc["data"]
            except (ValueError, KeyError, TypeError, AttributeError):
                data = None
        if data is None:
            try:
                data = normalize_data(toml_doc.parse(text))
            except (ValueError, RecordValueError):
                data = self._rebuild(v)
        return self._remember(v, data).data

    def _rebuild(self, version: int) -> dict[str, dict[str, dict[str, Any]]]:
        """Nearest cached version or snapshot file at or below `version`, then replay change records."""
        start = 0
        data: dict[str, dict[str, dict[str, Any]]] = {}
        cached = [n for n in self._cache if n <= version]
        best_cached = max(cached) if cached else 0
        s = (version // self.snapshot_every) * self.snapshot_every
        while s >= 1 and not (self.snapshot_dir / self._name(s)).exists():
            s -= self.snapshot_every
        if s < 1 and (self.snapshot_dir / self._name(1)).exists():
            s = 1
        if best_cached >= max(s, 1):
            start, data = best_cached, thaw(self._cache[best_cached].data)
        elif s >= 1:
            raw = self._read_bytes(self.snapshot_dir / self._name(s))
            if raw is None:
                raise StoreError(f"The snapshot of version {s} is missing from '{self.snapshot_dir}'.")
            start, data = s, from_json(raw)
        for n in range(start + 1, version + 1):
            apply_changes(data, self._history_record(n)["changes"])
        return data

    def _history_record(self, n: int) -> dict[str, Any]:
        raw = self._read_bytes(self.history_dir / self._name(n))
        if raw is None:
            raise StoreError(f"The history of version {n} is missing from '{self.history_dir}'.")
        rec: dict[str, Any] = from_json(raw)
        return rec

    def _remember(self, version: int, data: Any, meta: dict[str, Any] | None = None) -> Snapshot:
        if meta is not None and meta.get("version") == version:  # parsed.json carries what the history says
            when = datetime.fromisoformat(meta["when"])
            snap = Snapshot(version, freeze(data), when, meta["who"], meta["command"], meta["hash"])
        else:
            info = self._version_info(version)
            snap = Snapshot(version, freeze(data), info.when, info.who, info.command, info.content_hash)
        self._cache[version] = snap
        self._cache.move_to_end(version)
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return snap

    @staticmethod
    def _info_from_record(rec: dict[str, Any]) -> VersionInfo:
        # Lazy for start-up: a read-only one-shot never builds a VersionInfo (see history.py).
        from exshell.store.history import VersionInfo, object_refs

        return VersionInfo(
            version=rec["version"],
            when=datetime.fromisoformat(rec["when"]),
            who=rec["who"],
            command=rec["command"],
            objects=object_refs(rec["changes"]),
            content_hash=rec["hash"],
        )

    # ------------------------------------------------------------------ writing versions (under the lock)

    def _create_first_version(self, initial: Callable[[], dict[str, Any]] | None) -> None:
        raw = self._read_bytes(self.config_path)
        if raw is not None:
            # A config.toml put there before the first run (or kept from an old folder): it is version 1.
            try:
                text = raw.decode("utf-8")
                data = normalize_data(toml_doc.parse(text))
            except ValueError as e:
                args = e.args if len(e.args) == 3 else (str(e), None, None)
                raise self._file_error(args[0], args[1], args[2], 0) from None
            except (UnicodeDecodeError, RecordValueError) as e:
                raise self._file_error(str(e), None, None, 0) from None
            self._check_edit(data, text, 0)
        else:
            try:
                data = normalize_data(initial() if initial is not None else {})
            except RecordValueError as e:
                raise StoreError(f"Cannot store the initial configuration: {e}") from None
            text = toml_doc.render(data)
        self._write_version(1, data, text, changed_objects({}, data), INITIAL_COMMAND, os_user())

    def version_records(self, start: int = 1) -> Iterator[dict[str, Any]]:
        """Every version from `start` on as its history record {version, when, who, command, hash, changes}
        (for `exshell store export`)."""
        with self._guard():
            newest = self._current()[0]
        for n in range(start, newest + 1):
            with self._guard():
                yield self._history_record(n)

    def _write_records(self, records: Iterable[dict[str, Any]]) -> None:
        """Under the lock, in a folder without a store: versions 1..n exactly as recorded elsewhere, then
        config.toml and CURRENT once. The last record's hash becomes config.toml's (CURRENT's check); the others
        keep the hash their store gave them."""
        data: dict[str, dict[str, dict[str, Any]]] = {}
        last: dict[str, Any] | None = None
        for rec in records:
            n = int(rec["version"])
            if n != (last["version"] + 1 if last else 1):
                raise StoreError(f"Cannot import version {n} after version {last['version'] if last else 0}.")
            apply_changes(data, rec["changes"])
            self._atomic_write(self.history_dir / self._name(n), to_json(rec))
            if n == 1 or n % self.snapshot_every == 0:
                self._atomic_write(self.snapshot_dir / self._name(n), to_json(data))
            last = rec
        if last is None:
            raise StoreError("There is no version to import.")
        text = toml_doc.render(data)
        h = _sha256(text.encode("utf-8"))
        self._atomic_write(self.history_dir / self._name(last["version"]), to_json({**last, "hash": h}))
        self._atomic_write(self.config_path, text.encode("utf-8"))
        self._write_parsed_cache(h, data)
        self._atomic_write(self.current_path, f"{last['version']} {h}\n".encode())

    def _write_version(
        self,
        n: int,
        data: Mapping[str, Mapping[str, Mapping[str, Any]]],
        text: str,
        changes: list[dict[str, Any]],
        command: str,
        who: str,
    ) -> VersionInfo:
        content = text.encode("utf-8")
        h = _sha256(content)
        when = datetime.now(UTC)
        record = {
            "version": n,
            "when": when.isoformat(),
            "who": who,
            "command": command,
            "hash": h,
            "changes": changes,
        }
        self._atomic_write(self.history_dir / self._name(n), to_json(record))
        if n == 1 or n % self.snapshot_every == 0:
            self._atomic_write(self.snapshot_dir / self._name(n), to_json(data))
        self._atomic_write(self.config_path, content)
        meta = {k: record[k] for k in ("version", "when", "who", "command")}
        self._write_parsed_cache(h, data, meta)
        self._atomic_write(self.current_path, f"{n} {h}\n".encode())  # the commit point
        info = self._info_from_record(record)
        self._infos[n] = info
        st = os.stat(self.config_path)
        self._verified = ((st.st_mtime_ns, st.st_size, st.st_ino), n, h)
        self._remember(n, data)
        return info

    def _recover(self) -> tuple[int, str] | None:
        """Under the lock: finish or undo a commit a crashed writer left half-done; drop stale temp files."""
        self.tmp_dir.mkdir(exist_ok=True)
        for leftover in self.tmp_dir.iterdir():
            leftover.unlink(missing_ok=True)
        cur = self._read_current()
        v = cur[0] if cur else 0
        pending = self.history_dir / self._name(v + 1)
        raw = self._read_bytes(pending)
        if raw is None:
            return cur
        try:
            rec = from_json(raw)
            target = rec["hash"]
        except (ValueError, KeyError, TypeError):
            target = None
        config = self._read_bytes(self.config_path)
        if target is not None and config is not None and _sha256(config) == target:
            self._atomic_write(self.current_path, f"{v + 1} {target}\n".encode())  # it reached config.toml
            return v + 1, target
        pending.unlink(missing_ok=True)
        (self.snapshot_dir / self._name(v + 1)).unlink(missing_ok=True)
        _fsync_dir(self.history_dir)
        return cur

    # ------------------------------------------------------------------ file primitives

    @staticmethod
    def _name(n: int) -> str:
        return f"{n:08d}.json"

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """One thread at a time per instance; an OS error (disk full, permissions) becomes a StoreError with
        the folder's name instead of a traceback. A commit cut short this way is finished or undone by the
        next writer, exactly as after a crash."""
        with self._mutex:
            try:
                yield
            except OSError as e:
                raise StoreError(
                    f"Cannot use the configuration store '{self.root}': {e.strerror or e}"
                    + (f" ('{e.filename}')" if e.filename else "")
                ) from None

    @contextmanager
    def _lock(self) -> Iterator[None]:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def _atomic_write(self, path: Path, data: bytes) -> None:
        tmp = self.tmp_dir / f"{path.name}.{os.getpid()}.{next(_tmp_counter)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(path.parent)

    @staticmethod
    def _read_bytes(path: Path) -> bytes | None:
        try:
            with open(path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            return None

    @staticmethod
    def _read_with_key(path: Path) -> tuple[bytes | None, tuple[int, int, int]]:
        """The bytes and the (mtime, size, inode) of the very file read (fstat on the same descriptor)."""
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                return f.read(), (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            return None, (0, -1, 0)
        except OSError as e:
            if e.errno == errno.EISDIR:
                return None, (0, -1, 0)
            raise


__all__ = ["INITIAL_COMMAND", "MANUAL_EDIT_COMMAND", "SNAPSHOT_EVERY", "FileStore", "os_user"]
