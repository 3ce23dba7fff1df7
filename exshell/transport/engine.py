"""The engine: store snapshot -> PolicyIndex -> listeners -> sessions -> spool, with hot reload.

A background task polls `store.current_version()` every POLL_SECONDS (one small file read; a shared store
that notifies, PostgreSQL's LISTEN/NOTIFY, answers it from memory and wakes the task at once through
`store.subscribe`). A new version is compiled into a new PolicyIndex off to the side and swapped in with one
assignment; sessions capture the index when they connect, so new sessions see the change within a poll
interval while sessions in progress finish under the version they started with. Listeners are then added /
removed to match the new bindings. No restart, no dropped connection. A version that cannot be loaded (or a
store that cannot be reached) leaves the last good version in force.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any
from collections.abc import Callable

from exshell.store.keystore import KeyStoreError
from exshell.store.secrets import key_store
from exshell.transport import metrics
from exshell.transport.headers import Directory
from exshell.transport.limits import ResourceGuard
from exshell.transport.listeners import ListenerManager
from exshell.transport.log_retention import Retention, prune
from exshell.transport.policy import PolicyIndex, _limit, _seconds
from exshell.transport.protocol_log import ProtocolLog
from exshell.transport.session import EngineContext, ExchangeSMTP
from exshell.transport.spool import Spool
from exshell.transport.tls import TlsContexts
from exshell.config.cache import config_of
from exshell.model.certificate import certificates_from_data
from exshell.model.config import Config

log = logging.getLogger("exshell.transport")

POLL_SECONDS = 0.25
STOP_GRACE_SECONDS = 10.0


def load_config(data: Any) -> Any:
    return Config.from_data(data)


def snapshot_config(snap: Any) -> Any:
    """The snapshot's Config, decoded once per version in this process (shared with the shell's cmdlets)."""
    return config_of(snap)


class Engine:
    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        server_name: str,
        *,
        store: Any = None,
        store_spec: str | None = None,
        directory: Directory | None = None,
        poll_seconds: float = POLL_SECONDS,
        fsync: bool = True,
        spool_threads: int | None = None,
        on_spooled: Callable[[str], None] | None = None,
        worker: int = 0,
        workers: int = 1,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.server_name = server_name
        self._store = store
        self._owns_store = store is None  # opened here on first use, so closed here (close_store)
        self.store_spec = store_spec  # a shared store (postgresql:// URL); None: the one in the state folder
        self.poll_seconds = poll_seconds
        self.directory = directory  # None: each version's mailboxes (PolicyIndex.directory)
        self.worker, self.workers = worker, workers
        self.spool = Spool(self.state_dir / "spool", fsync=fsync, io_threads=spool_threads,
                           id_stride=workers, id_offset=worker, slots=True)
        self.tls = TlsContexts(self.state_dir, key_store(store, self.state_dir) if store is not None else None)
        self.protocol_log = ProtocolLog(self.state_dir / "logs" / "ProtocolLog" / "SmtpReceive")
        self.ctx: EngineContext | None = None
        self.listeners = ListenerManager(self._new_session, reuse_port=workers > 1)
        self._reload_task: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()  # set by a notifying store (new version) to cut the poll short
        self.reloads = 0
        self._failed_version: int | None = None
        self.on_spooled = on_spooled

    # ---- store
    @property
    def store(self) -> Any:
        if self._store is None:
            # Lazy: the store opens on first use (a test engine is given one).
            from exshell.config import validate_records
            from exshell.model.defaults import initial_config
            from exshell.store import open_store

            name, state = self.server_name, self.state_dir
            initial = lambda: initial_config(name, state_dir=state)  # noqa: E731
            self._store = open_store(self.store_spec or self.state_dir, initial, validate=validate_records)
            self.tls.keys = key_store(self._store, self.state_dir)  # a shared store's table, cached in state/
        return self._store

    def _compile(self, version: int | None = None) -> PolicyIndex:
        snap = self.store.snapshot(version)
        index = PolicyIndex.build(snapshot_config(snap), self.server_name, version=snap.version,
                                  certificates=certificates_from_data(snap.data))
        index.tls = self.tls.for_index(index)  # before the swap: a session sees index and contexts together
        index.keys = self.tls.keys
        try:  # a shared store's password hashes, cached now: AUTH keeps working through a database outage
            index.keys.prefetch([m.password_ref for m in index.mailboxes if getattr(m, "password_ref", None)])
        except KeyStoreError as e:
            log.warning("mailbox password hashes not cached for version %d: %s", index.version, e)
        return index

    def current_bindings(self) -> dict[Any, list[Any]]:
        """Binding -> connectors of the newest version (what start() will listen on)."""
        return self._compile().bindings()

    def _new_session(self) -> ExchangeSMTP:
        assert self.ctx is not None
        return ExchangeSMTP(self.ctx)

    # ---- lifecycle
    async def start(self) -> None:
        # Nothing of ours is in flight yet; with several workers, only temp files old enough to be nobody's.
        stale = self.spool.recover(0 if self.workers == 1 else 60)
        if stale:
            log.warning("removed %d partially written spool file(s) left by a crash (never acknowledged)", stale)
        self.spool.start()
        index = self._compile()
        self.ctx = EngineContext(index=index, spool=self.spool, protocol_log=self.protocol_log,
                                 guard=ResourceGuard(self.spool.path),
                                 directory=self.directory, on_spooled=self.on_spooled)
        metrics.CONFIG_VERSION.set(index.version)
        await self.listeners.apply(index.bindings())
        await asyncio.get_running_loop().run_in_executor(None, self.prune_logs)
        log.info("exshell engine for %s serving configuration version %d on %s", index.server_name,
                 index.version, ", ".join(self.listeners.addresses) or "no address")
        loop = asyncio.get_running_loop()
        subscribe = getattr(self.store, "subscribe", None)
        if subscribe is not None:
            wake = self._wakeup.set
            await loop.run_in_executor(None, subscribe, lambda _v: loop.call_soon_threadsafe(wake))
        self._reload_task = loop.create_task(self._watch())

    def nothing_to_serve(self) -> str | None:
        """Why this engine serves nothing (no enabled connector of its server, or not one binding could be
        opened), naming the failed bindings; None when at least one listener is up."""
        if self.listeners.servers:
            return None
        index = self.index
        if not index.connectors:
            config = load_config(self.store.snapshot(index.version).data)
            names = ", ".join(s.name for s in config.servers) or "none"
            if config.server(index.server_name) is None:
                store = ""
                if self.store_spec:
                    from exshell.store.postgres import display_url  # without the password: this is logged

                    store = f" --store '{display_url(self.store_spec)}'"
                return (f"the configuration store has no server named {index.server_name} (servers in the store: "
                        f"{names}); add it with: exshell{store} -c 'New-ExchangeServer -Name {index.server_name}', "
                        "then give it receive connectors (New-ReceiveConnector ... -Server "
                        f"{index.server_name})")
            return (f"server {index.server_name} has no enabled receive connector in configuration version "
                    f"{index.version} (servers in the store: {names}); name the server with --server")
        failed = " ".join(self.listeners.errors.values()) or "no binding could be opened."
        return f"no binding of an enabled receive connector could be opened: {failed}"

    @property
    def index(self) -> PolicyIndex:
        assert self.ctx is not None
        return self.ctx.index

    async def reload_if_changed(self) -> bool:
        assert self.ctx is not None
        loop = asyncio.get_running_loop()
        version = await loop.run_in_executor(None, self.store.current_version)
        if version == self.ctx.index.version or version == self._failed_version:
            return False  # a version that failed to load is reported once, not at every poll
        try:
            index = await loop.run_in_executor(None, self._compile, version)
        except Exception as e:  # a broken version must not stop the running engine
            self._failed_version = version
            log.error("configuration version %s could not be loaded (%s); keeping version %d",
                      version, e, self.ctx.index.version)
            return False
        self.ctx.index = index
        self.reloads += 1
        metrics.CONFIG_VERSION.set(index.version)
        metrics.CONFIG_RELOADS.inc()
        log.info("configuration version %d is now in effect for new sessions", index.version)
        await self.listeners.apply(index.bindings())
        await loop.run_in_executor(None, self.prune_logs)
        return True

    def retention_rules(self) -> list[Retention]:
        """ReceiveProtocolLogMaxAge/-MaxDirectorySize and MessageTrackingLogMaxAge/-MaxDirectorySize."""
        s = self.index.settings
        logs = self.state_dir / "logs"

        def get(name: str) -> object:
            return getattr(s, name, None) if s is not None else None

        return [
            Retention(str(logs / "ProtocolLog" / "SmtpReceive"), "RECV",
                      _seconds(get("receive_protocol_log_max_age")) or None,
                      _limit(get("receive_protocol_log_max_directory_size"))),
            Retention(str(logs / "MessageTracking"), "MSGTRK",
                      _seconds(get("message_tracking_log_max_age")) or None,
                      _limit(get("message_tracking_log_max_directory_size"))),
        ]

    def prune_logs(self) -> None:
        if self.worker != 0:
            return  # one pruner per server is enough
        for rule in self.retention_rules():
            try:
                prune(rule)
            except OSError as e:
                log.warning("log retention in %s failed: %s", rule.directory, e)

    async def _watch(self) -> None:
        failing: str | None = None
        while True:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for returns the result when a cancel arrives just
            # as the wait ends (the wake-up set at that moment), swallowing the cancel, and stop() then waits forever.
            try:
                async with asyncio.timeout(self.poll_seconds):
                    await self._wakeup.wait()
            except TimeoutError:
                pass
            self._wakeup.clear()
            try:
                await self.reload_if_changed()
                failing = None
            except asyncio.CancelledError:
                raise
            except Exception as e:  # said once per distinct failure, not four times a second
                if str(e) != failing:
                    log.error("configuration reload failed (%s); keeping version %d", e, self.index.version)
                    failing = str(e)

    def close_store(self) -> None:
        """Close the store this engine opened (its pool threads); one handed in belongs to the caller. Call
        after stop(), once nothing (delivery, queue agent) reads the store any more."""
        if self._owns_store and self._store is not None:
            self._store.close()
            self._store = None

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop accepting, let sessions in progress finish (bounded by `grace`), then close the rest."""
        if self._reload_task is not None:
            self._reload_task.cancel()
            try:
                await self._reload_task
            except asyncio.CancelledError:
                pass
            self._reload_task = None
        self.listeners.close()
        ctx = self.ctx
        if ctx is not None:
            deadline = time.monotonic() + grace
            while ctx.sessions and time.monotonic() < deadline:
                for s in list(ctx.sessions):
                    if not s.in_transaction:
                        s.shutdown()  # idle: nothing in flight, answer 421 now (RFC 5321 §3.8)
                await asyncio.sleep(0.05)
            for s in list(ctx.sessions):
                s.shutdown()
            if ctx.sessions:
                await asyncio.sleep(0.1)
        self.protocol_log.close()
        self.spool.close()
        log.info("exshell engine stopped")
