"""The PostgreSQL backend of the store: one configuration shared by a fleet of engines and shells.

    exshell_schema_version  the layout's version (MIGRATIONS below; the application creates and upgrades it)
    exshell_head            one row: the newest version and its content hash; `SELECT ... FOR UPDATE` on it is
                            the writer lock, so commits from any machine are serialized and none is lost
    exshell_versions        one row per version: when, who, command, content hash
    exshell_changes         one row per object a version touched: the record before and after (JSON text, so
                            the key order of a record survives, which jsonb would not keep)
    exshell_snapshots       the full data of version 1 and of every SNAPSHOT_EVERY-th version

A commit is one transaction: lock the head row, rebuild the newest version (from this process's cache when it
has it), run `mutate`, insert the version, its change rows and (every SNAPSHOT_EVERY versions) a snapshot,
move the head and `NOTIFY` the channel of this schema; the notification is delivered at commit. Any version is
rebuilt like the folder store's: the nearest snapshot at or below it plus at most SNAPSHOT_EVERY-1 change
records; from a version this process holds (an engine following commits), copy-on-write: the new version shares
every record the change records leave alone (records.apply_changes_shared). The content hash chains the previous hash with the change records (hashing the whole configuration
would cost a full serialization per commit); a folder store's hashes are kept as they were on import.

Engines call `subscribe(callback)`: a thread LISTENs on a connection of its own (a slow poll of the head row as
a safety net), keeps `current_version()` answered from memory, and reconnects with backoff when the database
goes away, so an engine keeps serving its last good version through an outage and catches up afterwards.

Several stores may share a database, one per PostgreSQL schema (the connection's search_path, e.g.
`postgresql://host/db?options=-csearch_path%3Dsite2`).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from exshell.store.base import (
    ConfigFileError,
    MutableConfig,
    Mutator,
    Snapshot,
    StoreError,
    VersionNotFoundError,
    apply_mutation,
)
from exshell.store.files import INITIAL_COMMAND, SNAPSHOT_EVERY, os_user
from exshell.store.history import ObjectChange, ObjectRef, VersionInfo, diff_data, object_ref
from exshell.store.secrets import CREATING
from exshell.store.records import (
    RecordValueError,
    apply_changes,
    apply_changes_shared,
    changed_objects,
    freeze,
    from_json,
    normalize_data,
    thaw,
    to_json,
)

Data = dict[str, dict[str, dict[str, Any]]]

SCHEMA_LOCK = 0x65787368656C6C  # pg_advisory_xact_lock key while creating / upgrading the tables ("exshell")
CONNECT_TIMEOUT_S = 5
SAFETY_POLL_S = 5.0  # the listener also reads the head row this often, in case a notification was missed
WAKE_S = 0.5
BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
_CACHE_SIZE = 16
_log = logging.getLogger("exshell.store")
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())  # our own messages say what happened

# Each entry upgrades the layout by one version; never edit a released entry, append a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE exshell_versions (
               version integer PRIMARY KEY,
               at timestamptz NOT NULL,
               who text NOT NULL,
               command text NOT NULL,
               hash text NOT NULL)""",
        """CREATE TABLE exshell_changes (
               version integer NOT NULL REFERENCES exshell_versions,
               seq integer NOT NULL,
               collection text NOT NULL,
               key text NOT NULL,
               op text NOT NULL CHECK (op IN ('Added', 'Removed', 'Changed')),
               name text NOT NULL,
               identity text NOT NULL,
               before text,
               after text,
               PRIMARY KEY (version, seq))""",
        "CREATE INDEX exshell_changes_object ON exshell_changes (collection, key, version)",
        """CREATE TABLE exshell_snapshots (
               version integer PRIMARY KEY REFERENCES exshell_versions,
               data text NOT NULL)""",
        """CREATE TABLE exshell_head (
               id boolean PRIMARY KEY DEFAULT true CHECK (id),
               version integer NOT NULL REFERENCES exshell_versions,
               hash text NOT NULL)""",
    ),
    (  # 2: every server's message tracking rows, for Get-MessageTrackingLog across the fleet
        """CREATE TABLE exshell_tracking (
               id bigserial PRIMARY KEY,
               server text NOT NULL,
               at timestamptz NOT NULL,
               fields text NOT NULL)""",
        "CREATE INDEX exshell_tracking_at ON exshell_tracking (at)",
    ),
    (  # 3: key material the configuration refers to (store/secrets.py): never in a version, a change or a diff
        """CREATE TABLE exshell_secrets (
               kind text NOT NULL CHECK (kind IN ('certificate', 'sealed')),
               ref text NOT NULL,
               data bytea NOT NULL,
               at timestamptz NOT NULL DEFAULT now(),
               who text NOT NULL,
               PRIMARY KEY (kind, ref))""",
    ),
    (  # 4: queue requests between shells and other machines' engines (store/queue_requests.py)
        """CREATE TABLE exshell_queue_agents (
               server text PRIMARY KEY,
               seen timestamptz NOT NULL,
               host text NOT NULL,
               pid integer NOT NULL)""",
        """CREATE TABLE exshell_queue_requests (
               id bigserial PRIMARY KEY,
               server text NOT NULL,
               action text NOT NULL,
               args text NOT NULL,
               who text NOT NULL,
               requested timestamptz NOT NULL DEFAULT now(),
               answered timestamptz,
               result text)""",
        "CREATE INDEX exshell_queue_requests_open ON exshell_queue_requests (server, id) WHERE answered IS NULL",
    ),
)
TRACKING_BUFFER = 10_000  # rows an engine keeps while the database is away (its local log has them all)


def display_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def chain_hash(previous: str, changes: list[dict[str, Any]]) -> str:
    return hashlib.sha256(previous.encode("ascii") + b"\n" + to_json(changes)).hexdigest()


def _reason(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    first = text.splitlines()[0].removeprefix("connection failed: ").rstrip(".")
    return first


class PostgresStore:
    """The `Store` protocol over PostgreSQL tables (see the module docstring)."""

    def __init__(
        self,
        url: str,
        initial: Callable[[], dict[str, Any]] | None = None,
        snapshot_every: int = SNAPSHOT_EVERY,
        safety_poll: float = SAFETY_POLL_S,
        create: bool = True,
    ) -> None:
        self.url = url
        self.display = display_url(url)
        self.snapshot_every = max(1, snapshot_every)
        self.safety_poll = safety_poll
        self.file_error: ConfigFileError | None = None  # no file to edit by hand
        self._cache: OrderedDict[int, Snapshot] = OrderedDict()
        self._infos: dict[int, VersionInfo] = {}
        self._mutex = threading.RLock()
        self._subscribers: list[Callable[[int], None]] = []
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        self._head: int | None = None  # kept by the listener once subscribed
        self._connected = threading.Event()
        self._tracking: deque[tuple[str, dict[str, str]]] = deque()
        self._tracking_dropped = 0
        self._tracking_ready = threading.Event()
        self._tracker: threading.Thread | None = None
        self._preparing: tuple[int, psycopg.Connection[Any]] | None = None  # (thread, conn) creating version 1
        try:
            # One direct connection first: its error is the one the user needs ("Connection refused", "password
            # authentication failed"), which a pool's timeout would hide.
            with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
                self._prepare(conn, initial if create else None, create)
        except psycopg.Error as e:
            raise self._error(e) from None
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=4,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
            open=False,
            check=ConnectionPool.check_connection,  # a connection that died with the server is replaced
            timeout=CONNECT_TIMEOUT_S,
            name="exshell-store",
        )
        self._pool.open(wait=False)
        atexit.register(self.close)

    # ------------------------------------------------------------------ public API

    def current_version(self) -> int:
        head = self._head
        if head is not None and self._listener is not None:
            return head  # kept current by notifications (and served through an outage)
        with self._conn() as conn:
            return self._read_head(conn)[0]

    def snapshot(self, version: int | None = None) -> Snapshot:
        if version is not None:
            with self._mutex:
                cached = self._cache.get(int(version))
            if cached is not None:
                return cached
        with self._conn() as conn:
            v = self._read_head(conn)[0]
            target = v if version is None else int(version)
            if not 1 <= target <= v:
                raise VersionNotFoundError(target, v)
            return self._snapshot(conn, target)

    def commit(self, mutate: Mutator, command: str = "", who: str | None = None) -> VersionInfo | None:
        with self._conn() as conn, conn.transaction():
            v, h = conn.execute("SELECT version, hash FROM exshell_head FOR UPDATE").fetchone()  # type: ignore[misc]
            base = self._snapshot(conn, v).data
            doc = MutableConfig(v, base=base)  # copy-on-write: a commit costs what it changes
            mutate(doc)
            try:
                new, changes = apply_mutation(doc, base)
            except RecordValueError as e:
                raise StoreError(f"Cannot store the change: {e}") from None
            if not changes:
                return None
            info = self._write_version(conn, v + 1, h, new, changes, command, who or os_user(), None)
        self._set_head(info.version)
        return info

    def history(
        self, collection: str | None = None, key: str | None = None, last: int | None = None
    ) -> list[VersionInfo]:
        """Oldest first; the filtering is done by the database (an index on collection, key, version)."""
        with self._conn() as conn:
            if collection is None and key is None:
                rows = conn.execute(
                    "SELECT version FROM exshell_versions ORDER BY version DESC LIMIT %s", (last,)
                ).fetchall()
            else:
                rows = conn.execute(
                    """SELECT DISTINCT version FROM exshell_changes
                       WHERE (%(c)s::text IS NULL OR collection = %(c)s) AND (%(k)s::text IS NULL OR key = %(k)s)
                       ORDER BY version DESC LIMIT %(n)s""",
                    {"c": collection, "k": key, "n": last},
                ).fetchall()
            versions = sorted(r[0] for r in rows)
            return self._infos_for(conn, versions)

    def version_info(self, version: int) -> VersionInfo:
        with self._mutex:
            info = self._infos.get(version)
        if info is not None:
            return info
        with self._conn() as conn:
            newest = self._read_head(conn)[0]
            if not 1 <= version <= newest:
                raise VersionNotFoundError(version, newest)
            return self._infos_for(conn, [version])[0]

    def diff(self, a: int, b: int) -> list[ObjectChange]:
        return diff_data(self.snapshot(a).data, self.snapshot(b).data)

    # ------------------------------------------------------------------ version records (export / import)

    def newest_or_zero(self) -> int:
        """The newest version, 0 for a store without any (opened with create=False)."""
        with self._conn() as conn:
            row = conn.execute("SELECT version FROM exshell_head").fetchone()
            return int(row[0]) if row else 0

    def version_records(self, start: int = 1) -> Iterator[dict[str, Any]]:
        """Every version from `start` on as {version, when, who, command, hash, changes}, the folder store's
        change record format."""
        with self._conn() as conn:
            newest = self._read_head(conn)[0]
            for lo in range(start, newest + 1, 500):
                hi = min(newest, lo + 499)
                metas = conn.execute(
                    "SELECT version, at, who, command, hash FROM exshell_versions"
                    " WHERE version BETWEEN %s AND %s ORDER BY version",
                    (lo, hi),
                ).fetchall()
                changes: dict[int, list[dict[str, Any]]] = {}
                for ver, coll, key, op, before, after in conn.execute(
                    "SELECT version, collection, key, op, before, after FROM exshell_changes"
                    " WHERE version BETWEEN %s AND %s ORDER BY version, seq",
                    (lo, hi),
                ):
                    changes.setdefault(ver, []).append(_change(coll, key, op, before, after))
                for ver, at, who, command, h in metas:
                    yield {
                        "version": ver,
                        "when": at.astimezone(UTC).isoformat(),
                        "who": who,
                        "command": command,
                        "hash": h,
                        "changes": changes.get(ver, []),
                    }

    def append_records(self, records: Iterator[dict[str, Any]]) -> int:
        """Append versions recorded elsewhere (an import), keeping when, who, command and hash. The store must
        be empty or hold exactly the versions before the first record. Returns the newest version."""
        with self._conn() as conn, conn.transaction():
            row = conn.execute("SELECT version, hash FROM exshell_head FOR UPDATE").fetchone()
            v = row[0] if row else 0
            h = row[1] if row else ""
            data: Data = thaw(self._snapshot(conn, v).data) if v else {}
            for rec in records:
                n = int(rec["version"])
                if n != v + 1:
                    raise StoreError(f"Cannot import version {n}: the store's newest version is {v}.")
                apply_changes(data, rec["changes"])
                when = datetime.fromisoformat(rec["when"])
                self._write_version(
                    conn, n, h, data, rec["changes"], rec["command"], rec["who"], (when, rec["hash"]),
                    remember=False,
                )
                v, h = n, rec["hash"]
        if v:
            self._set_head(v)
        return v

    # ------------------------------------------------------------------ key material (store/secrets.py)

    def put_secret(self, kind: str, ref: str, data: bytes) -> None:
        """Write once: a reference names one content for ever (a thumbprint, a random id), so a second write of
        the same reference is the same content and is ignored. While version 1 is being created, inside its
        transaction (the table may be new in it)."""
        statement = (
            "INSERT INTO exshell_secrets (kind, ref, data, who) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (kind, ref) DO NOTHING"
        )
        args = (kind, ref, data, os_user())
        preparing = self._preparing
        if preparing is not None and preparing[0] == threading.get_ident():
            preparing[1].execute(statement, args)
            return
        with self._conn() as conn:
            conn.execute(statement, args)

    def secret_entries(self) -> list[tuple[str, str, bytes]]:
        """Every (kind, reference, content): what `exshell store export` copies."""
        with self._conn() as conn:
            rows = conn.execute("SELECT kind, ref, data FROM exshell_secrets ORDER BY kind, ref").fetchall()
        return [(str(k), str(r), bytes(d)) for k, r, d in rows]

    def get_secrets(self, kind: str, refs: list[str]) -> dict[str, bytes]:
        """ref -> data for those of `refs` the table holds."""
        if not refs:
            return {}
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT ref, data FROM exshell_secrets WHERE kind = %s AND ref = ANY(%s)", (kind, refs)
            ).fetchall()
        return {str(ref): bytes(data) for ref, data in rows}

    # ------------------------------------------------------------------ queues across the fleet

    def ask_queue(self, server: str, action: str, args: dict[str, Any], timeout: float | None = None) -> Any:
        """Ask `server`'s engine (its queue agent) to answer `action`: see store/queue_requests.py."""
        from exshell.store import queue_requests  # lazy: only the queue cmdlets ask another server

        if timeout is None:
            return queue_requests.ask(self, server, action, args)
        return queue_requests.ask(self, server, action, args, timeout)

    def queue_agent(self, server: str, handler: Callable[[str, dict[str, Any]], Any]) -> Any:
        """The engine side of ask_queue: a QueueAgent to start() and stop()."""
        from exshell.store.queue_requests import QueueAgent  # lazy: only an engine answers queue requests

        return QueueAgent(self, server, handler)

    def error(self, e: BaseException) -> StoreError:
        """A database error as the StoreError a user reads (no traceback, no password)."""
        return self._error(e)

    # ------------------------------------------------------------------ message tracking across the fleet

    def track(self, server: str, fields: dict[str, str]) -> None:
        """Queue one tracking row of `server` for the database; written in batches by a thread of its own,
        so delivery never waits for the database. While it is away the rows wait (at most TRACKING_BUFFER;
        the engine's own tracking log keeps every row)."""
        with self._mutex:
            if len(self._tracking) >= TRACKING_BUFFER:
                self._tracking.popleft()
                self._tracking_dropped += 1
            self._tracking.append((server, fields))
            if self._tracker is None:
                self._tracker = threading.Thread(target=self._write_tracking, name="exshell-tracking", daemon=True)
                self._tracker.start()
        self._tracking_ready.set()

    def tracking_rows(self, servers: list[str] | None = None) -> Iterator[tuple[str, dict[str, str]]]:
        """(server, row) of the given servers (all when None), oldest first."""
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT server, fields FROM exshell_tracking WHERE %(s)s::text[] IS NULL OR lower(server) = ANY(%(s)s)"
                " ORDER BY at, id",
                {"s": None if servers is None else [s.lower() for s in servers]},
            ).fetchall()
        for server, fields in rows:
            yield server, from_json(fields.encode("utf-8"))

    def _write_tracking(self) -> None:
        attempt = 0
        failing = False
        while True:
            self._tracking_ready.wait(1.0)
            self._tracking_ready.clear()
            with self._mutex:
                batch = list(self._tracking)
            if not batch:
                if self._stop.is_set():
                    return
                continue
            try:
                with self._conn() as conn, conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO exshell_tracking (server, at, fields) VALUES (%s, %s, %s)",
                        [(server, row.get("date-time", "").rstrip("Z") + "+00:00",
                          to_json(row).decode("utf-8")) for server, row in batch],
                    )
            except StoreError as e:
                if not failing:
                    _log.warning("message tracking rows wait for the configuration store (%s)", e)
                    failing = True
                if self._stop.wait(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]):
                    return
                attempt += 1
                self._tracking_ready.set()
                continue
            failing, attempt = False, 0
            with self._mutex:
                for _ in range(min(len(batch), len(self._tracking))):
                    self._tracking.popleft()

    # ------------------------------------------------------------------ notifications

    def subscribe(self, callback: Callable[[int], None]) -> None:
        """Call `callback(version)` (from a background thread) whenever a newer version is known. From now on
        `current_version()` is answered from memory, also while the database cannot be reached."""
        with self._mutex:
            self._subscribers.append(callback)
            if self._listener is None:
                with self._conn() as conn:
                    self._head = self._read_head(conn)[0]
                self._listener = threading.Thread(target=self._listen, name="exshell-store-listen", daemon=True)
                self._listener.start()

    def close(self) -> None:
        """Stop the listener and tracking threads and close the pool (its worker and scheduler threads); a
        second call does nothing."""
        atexit.unregister(self.close)
        self._stop.set()
        self._tracking_ready.set()  # the tracking writer sends what it holds, then stops
        for thread in (self._listener, self._tracker):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=2)
        self._pool.close()

    def _set_head(self, version: int) -> None:
        with self._mutex:
            if self._head is not None and version <= self._head:
                return
            self._head = version
            subscribers = list(self._subscribers)
        for cb in subscribers:
            try:
                cb(version)
            except Exception:  # a subscriber's bug must not stop the listener
                _log.exception("configuration change callback failed")

    def _listen(self) -> None:
        lost_since: float | None = None
        attempt = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                    keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3,
                ) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    head = self._read_head(conn)[0]
                    if lost_since is not None:
                        _log.warning(
                            "configuration store %s is reachable again after %.1f s; newest version is %d",
                            self.display, time.monotonic() - lost_since, head,
                        )
                        lost_since, attempt = None, 0
                    self._connected.set()
                    self._set_head(head)
                    polled = time.monotonic()
                    while not self._stop.is_set():
                        # Short waits, so that close() is not held up; the head row is read every safety_poll.
                        for note in conn.notifies(timeout=WAKE_S):
                            if note.payload.isdigit():
                                self._set_head(int(note.payload))
                            if self._stop.is_set():
                                break
                        if time.monotonic() - polled >= self.safety_poll:
                            self._set_head(self._read_head(conn)[0])  # the safety net; also tests the link
                            polled = time.monotonic()
            except (psycopg.Error, StoreError) as e:
                self._connected.clear()
                if lost_since is None:
                    lost_since = time.monotonic()
                    _log.error(
                        "lost the configuration store %s (%s); serving version %s until it is back; reconnecting",
                        self.display, _reason(e), self._head,
                    )
                self._stop.wait(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
                attempt += 1

    # ------------------------------------------------------------------ internals

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection; database errors become StoreErrors that say what failed, without traceback."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as e:
            raise self._error(e) from None
        except psycopg.Error as e:
            raise self._error(e) from None

    def _error(self, e: BaseException) -> StoreError:
        if isinstance(e, (psycopg.OperationalError, PoolTimeout)):
            return StoreError(
                f"Cannot reach the configuration store {self.display}: {_reason(e)}. Nothing was changed."
            )
        return StoreError(f"The configuration store {self.display} failed: {_reason(e)}. Nothing was changed.")

    def _prepare(
        self, conn: psycopg.Connection[Any], initial: Callable[[], dict[str, Any]] | None, create: bool
    ) -> None:
        """Create or upgrade the tables and version 1, under an advisory lock (two processes opening a fresh
        database at once create one layout and one version 1)."""
        schema = conn.execute("SELECT current_schema()").fetchone()[0]  # type: ignore[index]
        if schema is None:
            raise StoreError(
                f"The configuration store {self.display} has no schema to create its tables in (search_path)."
            )
        self.schema = str(schema)
        self.channel = f"exshell_config.{schema}"  # NOTIFY is database-wide: one channel per store (schema)
        if _layout_ready(conn, create):
            return  # the usual case: the layout is current and version 1 exists; no lock needed
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS exshell_schema_version (version integer NOT NULL)")
            row = conn.execute("SELECT version FROM exshell_schema_version").fetchone()
            have = row[0] if row else 0
            if have > len(MIGRATIONS):
                raise StoreError(
                    f"The configuration store {self.display} has table layout {have}; this exshell knows layouts "
                    f"up to {len(MIGRATIONS)}. Upgrade exshell."
                )
            for step in MIGRATIONS[have:]:
                for statement in step:
                    conn.execute(statement)  # type: ignore[arg-type]  # literal SQL from MIGRATIONS
            if row is None:
                conn.execute("INSERT INTO exshell_schema_version VALUES (%s)", (len(MIGRATIONS),))
            elif have < len(MIGRATIONS):
                conn.execute("UPDATE exshell_schema_version SET version = %s", (len(MIGRATIONS),))
                _log.info("configuration store %s upgraded from layout %d to %d", self.display, have, len(MIGRATIONS))
            if create and conn.execute("SELECT 1 FROM exshell_head").fetchone() is None:
                # initial() may write key material (setup's certificate) through put_secret: in this transaction.
                self._preparing = (threading.get_ident(), conn)
                token = CREATING.set(self)
                try:
                    data = normalize_data(initial() if initial is not None else {})
                except RecordValueError as e:
                    raise StoreError(f"Cannot store the initial configuration: {e}") from None
                finally:
                    CREATING.reset(token)
                    self._preparing = None
                self._write_version(conn, 1, "", data, changed_objects({}, data), INITIAL_COMMAND, os_user(), None)

    def _read_head(self, conn: psycopg.Connection[Any]) -> tuple[int, str]:
        row = conn.execute("SELECT version, hash FROM exshell_head").fetchone()
        if row is None:
            raise StoreError(f"The configuration store {self.display} has no version yet.")
        return int(row[0]), str(row[1])

    def _write_version(
        self,
        conn: psycopg.Connection[Any],
        n: int,
        previous_hash: str,
        data: Mapping[str, Mapping[str, Mapping[str, Any]]],
        changes: list[dict[str, Any]],
        command: str,
        who: str,
        recorded: tuple[datetime, str] | None,
        remember: bool = True,
    ) -> VersionInfo:
        """Inside the caller's transaction, holding the head row (or the schema lock for version 1)."""
        when, h = recorded if recorded is not None else (datetime.now(UTC), chain_hash(previous_hash, changes))
        conn.execute(
            "INSERT INTO exshell_versions (version, at, who, command, hash) VALUES (%s, %s, %s, %s, %s)",
            (n, when, who, command, h),
        )
        refs = [object_ref(ch) for ch in changes]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO exshell_changes (version, seq, collection, key, op, name, identity, before, after)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (n, i, ch["collection"], ch["key"], ch["op"], ref.name, ref.identity,
                     None if ch["before"] is None else to_json(ch["before"]).decode("utf-8"),
                     None if ch["after"] is None else to_json(ch["after"]).decode("utf-8"))
                    for i, (ch, ref) in enumerate(zip(changes, refs, strict=True))
                ],
            )
        if n == 1 or n % self.snapshot_every == 0:
            conn.execute(
                "INSERT INTO exshell_snapshots (version, data) VALUES (%s, %s)",
                (n, to_json(thaw(data)).decode("utf-8")),
            )
        if n == 1:
            conn.execute("INSERT INTO exshell_head (version, hash) VALUES (%s, %s)", (n, h))
        else:
            conn.execute("UPDATE exshell_head SET version = %s, hash = %s", (n, h))
        conn.execute("SELECT pg_notify(%s, %s)", (self.channel, str(n)))
        info = VersionInfo(n, when, who, command, tuple(refs), h)
        if remember:
            with self._mutex:
                self._infos[n] = info
                self._remember(Snapshot(n, freeze(data), when, who, command, h))
        return info

    def _snapshot(self, conn: psycopg.Connection[Any], version: int) -> Snapshot:
        with self._mutex:
            cached = self._cache.get(version)
            if cached is not None:
                self._cache.move_to_end(version)
                return cached
        data = self._rebuild(conn, version)
        info = self._infos_for(conn, [version])[0]
        snap = Snapshot(version, freeze(data), info.when, info.who, info.command, info.content_hash)
        with self._mutex:
            self._remember(snap)
        return snap

    def _remember(self, snap: Snapshot) -> None:
        self._cache[snap.version] = snap
        self._cache.move_to_end(snap.version)
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)

    def _rebuild(self, conn: psycopg.Connection[Any], version: int) -> Mapping[str, Mapping[str, Any]]:
        """The nearest cached version or snapshot at or below `version`, then the change records after it."""
        with self._mutex:
            below = [n for n in self._cache if n <= version]
            best = max(below) if below else 0
            cached = self._cache[best] if best else None
        row = conn.execute(
            "SELECT max(version) FROM exshell_snapshots WHERE version <= %s", (version,)
        ).fetchone()
        stored = row[0] if row and row[0] is not None else 0
        if cached is not None and best >= stored:
            # Copy-on-write: an engine following commits copies what each one changed, not the configuration.
            if best == version:
                return cached.data
            return apply_changes_shared(cached.data, self._change_rows(conn, best, version))
        if not stored:
            raise StoreError(f"The configuration store {self.display} has no snapshot at or below version {version}.")
        raw = conn.execute("SELECT data FROM exshell_snapshots WHERE version = %s", (stored,)).fetchone()
        data: Data = from_json(raw[0].encode("utf-8"))  # type: ignore[index]
        if stored < version:
            apply_changes(data, self._change_rows(conn, stored, version))
        return data

    @staticmethod
    def _change_rows(conn: psycopg.Connection[Any], start: int, version: int) -> list[dict[str, Any]]:
        rows = conn.execute(
            "SELECT collection, key, after FROM exshell_changes WHERE version > %s AND version <= %s"
            " ORDER BY version, seq",
            (start, version),
        )
        return [{"collection": c, "key": k, "after": None if a is None else from_json(a.encode("utf-8"))}
                for c, k, a in rows]

    def _infos_for(self, conn: psycopg.Connection[Any], versions: list[int]) -> list[VersionInfo]:
        with self._mutex:
            missing = [v for v in versions if v not in self._infos]
        if missing:
            objects: dict[int, list[ObjectRef]] = {v: [] for v in missing}
            for ver, coll, key, op, name, identity in conn.execute(
                "SELECT version, collection, key, op, name, identity FROM exshell_changes"
                " WHERE version = ANY(%s) ORDER BY version, seq",
                (missing,),
            ):
                objects[ver].append(ObjectRef(coll, key, name, identity, op))
            found = {}
            for ver, at, who, command, h in conn.execute(
                "SELECT version, at, who, command, hash FROM exshell_versions WHERE version = ANY(%s)", (missing,)
            ):
                found[ver] = VersionInfo(ver, at.astimezone(UTC), who, command, tuple(objects[ver]), h)
            with self._mutex:
                self._infos.update(found)
        with self._mutex:
            try:
                return [self._infos[v] for v in versions]
            except KeyError as e:
                raise StoreError(f"The history of version {e.args[0]} is missing from {self.display}.") from None


def _layout_ready(conn: psycopg.Connection[Any], create: bool) -> bool:
    """The layout is the newest and (when `create`) version 1 exists, without locking or creating anything."""
    if conn.execute("SELECT to_regclass('exshell_schema_version') IS NOT NULL").fetchone()[0] is not True:  # type: ignore[index]
        return False
    row = conn.execute("SELECT version FROM exshell_schema_version").fetchone()
    if row is None or row[0] != len(MIGRATIONS):
        return False
    return not create or conn.execute("SELECT 1 FROM exshell_head").fetchone() is not None


def _change(coll: str, key: str, op: str, before: str | None, after: str | None) -> dict[str, Any]:
    return {
        "collection": coll,
        "key": key,
        "op": op,
        "before": None if before is None else from_json(before.encode("utf-8")),
        "after": None if after is None else from_json(after.encode("utf-8")),
    }


__all__ = ["MIGRATIONS", "PostgresStore", "display_url"]
