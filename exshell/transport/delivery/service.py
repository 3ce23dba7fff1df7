"""The delivery service: spool → ledger (route, bifurcate) → attempt → delivered, retried, or bounced.

The engine runs it beside the listeners (`DeliveryService(state_dir, store, server_name)`, `await start()`,
`await stop()`); `main(argv)` runs it on its own against a state folder (tests, and a delivery-only node).

The stages, one module each:
- `pickup`: a spool file becomes a ledger entry; `bifurcation`: its recipients split per next hop;
- `ledger`: the messages, their copies and recipients, in memory and durably under `<state>/queue/`;
- `mailbox_delivery`, `smtp_delivery` (over `smtp_client`, `mx`): one attempt, a typed `outcome`;
- `retry_policy`: what a deferral, an expiry or a crash leads to (pure);
- `bounces`: NDRs and delay notices; `tracker`, `attempt_log`: the tracking log, metrics and log lines;
- `actions`: the shell's requests (Retry-Queue, Suspend-/Resume-/Remove-Message) through this service's
  public methods.

Every pass reloads the routing table when the store version changed. A full pass every `poll_interval` (or at
once after `wake()`) also does:
1. execute the shell's control requests;
2. pick up new spool files (the folder is listed every full pass, so a message nobody announced is found within
   `poll_interval`): route every recipient, write the message's queue state when it isn't attempted at once
   (the Submission queue is "spooled, not yet routed");
3. mark the messages with a due copy ready. Only the messages whose attempt ended since the last full pass are
   looked at, unless a copy's retry time came (the earliest one is known), `wake()` was called (the shell's
   actions), or WALK_SECONDS passed: then every queued message is. Walking 2,000 queued messages every
   `poll_interval` was most of a busy delivery process's time.
Between full passes, light ones (after the engine's `notify(spool_id)`, or an attempt that finished) pick up
the announced messages; every pass starts a delivery task per ready message, at most `concurrency` at once.

A message leaves the spool only when none of its recipients is pending (queue.py explains why a crash can
only duplicate).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exshell.transport import metrics
from exshell.transport.delivery import actions, attempt_log, bifurcation, control, mailbox_delivery, retry_policy
from exshell.transport.delivery.bounces import Bounces
from exshell.transport.delivery.connection_pool import Limits
from exshell.transport.delivery.dsn import FailedRecipient
from exshell.transport.delivery.ledger import Ledger
from exshell.transport.delivery.outcome import FAIL, OK, RETRY, AttemptOutcome, tracking_rows
from exshell.transport.delivery.pickup import envelope_recipients, poison_state, state_from_spool
from exshell.transport.delivery.queue import (
    DELIVERED,
    FAILED,
    READY,
    RETRY as RETRY_STATUS,
    SUSPENDED,
    GroupState,
    MessageState,
    QueueStore,
    from_iso,
    to_iso,
    utcnow,
)
from exshell.transport.delivery.router import (
    DNS,
    MAILBOX,
    POISON_KEY,
    SMART_HOST,
    UNREACHABLE,
    UNREACHABLE_KEY,
    Router,
)
from exshell.transport.delivery.smtp_delivery import SmtpDelivery
from exshell.transport.delivery.tracker import Tracker
from exshell.model.config import Config
from exshell.model.errors import ModelDataError
from exshell.transport.spool import SUFFIX as SPOOL_SUFFIX, IncompleteMessage, Spool, SpooledMessage

log = logging.getLogger("exshell.transport.delivery")

HEARTBEAT_SECONDS = 1.0
PICKUP_BATCH = 256
START_SCAN_LIMIT = 4096  # ready messages looked at per pass
WALK_SECONDS = 1.0  # every queued message is looked at for a due copy at least this often (a clock step)
BODY_CACHE_BYTES = 64 * 1024  # a message this small stays in memory from pickup to its first attempt
INLINE_LOAD_BYTES = BODY_CACHE_BYTES  # a spool file this small is read at pickup on the loop, not in a thread


class DeliveryService:
    def __init__(
        self,
        state_dir: Path | str,
        store: Any,
        server_name: str,
        *,
        poll_interval: float = 0.2,
        concurrency: int = 16,
        fsync: bool = True,
        count_metrics: bool = True,
    ) -> None:
        """`count_metrics=False`: no process can scrape this one's counters (the delivery process: `--metrics`
        makes serve deliver inline), so an attempt doesn't update them."""
        self.state_dir = Path(state_dir)
        self.store = store
        self.server_name = server_name
        self.poll_interval = poll_interval
        self.concurrency = concurrency
        self.fsync = fsync
        self.count_metrics = count_metrics
        self.spool = Spool(self.state_dir / "spool", fsync=fsync)
        self.ledger = Ledger(QueueStore(self.state_dir, fsync=fsync), self.spool)
        self.tracker = Tracker(self.state_dir, store, server_name, self._tracking_enabled)
        self.bounces = Bounces(Path(self.spool.path), Path(self.spool.tmp), self.tracker, fsync=fsync)
        self.smtp = SmtpDelivery(self.state_dir, store)
        self._router: Router | None = None
        self._version: int | None = None
        self._settings: Any = None
        self._timers = retry_policy.RetryTimers()
        self._arrived: list[str] = []  # spool ids the engine announced since the last pass
        self._ready: dict[str, None] = {}  # messages to start, in order (a dict: ordered and without repeats)
        self._bodies: dict[str, bytes] = {}  # small messages read at pickup, for their first attempt
        self._full_pass_due = 0.0  # time.monotonic() of the next full pass
        self._walk_at = 0.0  # time.monotonic() when every queued message is looked at again (0: next full pass)
        self._recheck: set[str] = set()  # messages to look at in the next full pass (their attempt ended)
        self._wake = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._task_destinations: dict[str, set[str]] = {}  # message -> the remote next hops it attempts
        self._in_flight: dict[str, int] = {}  # remote next hop (queue key) -> attempts in flight
        self._loop_task: asyncio.Task[None] | None = None
        self._beat_task: asyncio.Task[None] | None = None
        self._started = utcnow()
        self._stopping = False
        self.delivered = 0  # counters for tests and the bench
        self.failed = 0
        metrics.QUEUE_DEPTH.set_function(self.ledger.depths)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        await asyncio.to_thread(self.ledger.recover)
        self.refresh()
        self._write_heartbeat()
        self._loop_task = asyncio.get_running_loop().create_task(self._run())
        self._beat_task = asyncio.get_running_loop().create_task(self._heartbeat())
        log.info("delivery service for %s started: %d message(s) queued", self.server_name, len(self.ledger))

    async def stop(self, grace: float = 5.0) -> None:
        """Stop picking up work; let deliveries in flight finish (bounded by `grace`), cancel the rest.
        A cancelled delivery leaves its state as it was: the message is retried at the next start."""
        self._stopping = True
        self._wake.set()
        for task in (self._loop_task, self._beat_task):
            if task is not None:
                task.cancel()
        for task in (self._loop_task, self._beat_task):
            if task is not None:
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        self._loop_task = self._beat_task = None
        pending = list(self._tasks.values())
        if pending:
            _, still = await asyncio.wait(pending, timeout=grace)
            for t in still:
                t.cancel()
            if still:
                await asyncio.wait(still, timeout=1.0)
        self._tasks.clear()
        await self.ledger.drain()
        self.tracker.flush()
        await self.smtp.close()
        try:
            self.ledger.queue.write_heartbeat(
                {
                    "server": self.server_name,
                    "pid": os.getpid(),
                    "heartbeat": to_iso(utcnow()),
                    "stopped": True,
                }
            )
        except OSError:
            pass
        log.info("delivery service stopped")

    def notify(self, spool_id: str | None = None) -> None:
        """The engine calls this after spooling a message, so delivery starts without waiting for a poll: the
        next pass picks that message up without listing the spool folder."""
        if spool_id:
            self._arrived.append(spool_id)
        else:
            self._full_pass_due = 0.0
        self._wake.set()

    def wake(self) -> None:
        """Look at every queue again now (the shell's actions changed what is due)."""
        self._full_pass_due = 0.0
        self._walk_at = 0.0
        self._wake.set()

    async def settle(self, msg_id: str, timeout: float = 5.0) -> None:
        """Wait (bounded) for an attempt in flight for the message: its outcome must not be lost or
        overwritten by an action on the same message."""
        task = self._tasks.get(msg_id)
        if task is not None:
            await asyncio.wait({task}, timeout=timeout)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await asyncio.to_thread(self._write_heartbeat)
                await asyncio.to_thread(control.clean_stale_acks, self.ledger.queue)
            except OSError as exc:
                log.warning("cannot write the heartbeat: %s", exc)

    def _write_heartbeat(self) -> None:
        self.ledger.queue.write_heartbeat(
            {
                "server": self.server_name,
                "pid": os.getpid(),
                "started": to_iso(self._started),
                "heartbeat": to_iso(utcnow()),
                "stopped": False,
            }
        )

    # ------------------------------------------------------------------ configuration
    @property
    def router(self) -> Router:
        """The routing table of the version loaded at the start of the pass (`refresh`)."""
        if self._router is None:
            self.refresh()
        assert self._router is not None
        return self._router

    def refresh(self) -> None:
        """Load the routing table of the store's current version, if it changed."""
        version = self.store.current_version()
        if self._router is not None and version == self._version:
            return

        snap = self.store.snapshot(version)
        try:
            router = Router(Config.from_data(snap.data), self.server_name)
        except ModelDataError as exc:
            if self._router is None:
                raise
            # As the engine does: a broken version must not stop delivery; keep routing with the last good one.
            if self._version != snap.version:
                log.error(
                    "configuration version %s can't be loaded (%s); delivery keeps version %s",
                    snap.version,
                    exc,
                    self._version,
                )
            self._version = snap.version
            return
        settings = router.config.settings_for(self.server_name)  # Set-TransportService on this server
        self._router, self._version = router, snap.version
        self._settings, self._timers = settings, retry_policy.RetryTimers.of(settings)
        # MaxOutboundConnections / MaxPerDomainOutboundConnections of this version, from the next attempt on.
        self.smtp.set_limits(Limits.of(settings))

    @property
    def settings(self) -> Any:
        """This server's transport settings (TransportSettings with its Set-TransportService values)."""
        if self._router is None:
            self.refresh()
        return self._settings

    @property
    def timers(self) -> retry_policy.RetryTimers:
        if self._router is None:
            self.refresh()
        return self._timers

    def _tracking_enabled(self) -> bool:
        return self._router is None or bool(self._settings.message_tracking_log_enabled)

    # ------------------------------------------------------------------ the pass
    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the service must outlive a bug in one pass
                log.error("delivery pass failed: %r", exc)
                log.debug("delivery pass failed", exc_info=True)
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancellation that arrives as the
            # event is set, and stop() then waited for ever on a loop that kept running.
            try:
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()

    async def run_once(self) -> None:
        """One pass. A pass that routes (a full one, or one with announced messages) first loads a new
        configuration version if there is one. A full pass (every `poll_interval`, or after `wake()`) also
        executes the shell's requests, lists the spool and looks at every queued message for a due copy; the
        passes in between (a message announced by the engine, an attempt finished) pick up the announced
        messages and start what is ready, so a busy relay never lists its spool per message."""
        now_mono = time.monotonic()
        full = now_mono >= self._full_pass_due
        # Light passes too when they pick up: a message is routed with a version at least as new as the one the
        # engine accepted it under (a mailbox created just before is found). One small read when nothing
        # changed; a pass that only starts what finished attempts made room for reads nothing (the version is
        # at most `poll_interval` old, as an attempt already under way would use it).
        if full or self._arrived:
            self.refresh()
        if full:
            self._full_pass_due = now_mono + self.poll_interval
            await self._full_pass()
        arrived, self._arrived = self._arrived, []
        fresh = [i for i in dict.fromkeys(arrived) if i not in self.ledger]
        if fresh:
            await self._pickup_batch(fresh)
        self._start_ready()

    async def _full_pass(self) -> None:
        for _, request in await asyncio.to_thread(lambda: list(control.pending_requests(self.ledger.queue))):
            result = await actions.execute(self, request)
            self.tracker.flush()  # what the action logged is in the file before the shell hears back
            await asyncio.to_thread(control.acknowledge, self.ledger.queue, request["id"], result)
        new_ids = [i for i in await asyncio.to_thread(self.spool.list) if i not in self.ledger]
        await self._pickup_batch(new_ids[:PICKUP_BATCH])  # a burst must not hold deliveries back: the rest next pass
        if len(new_ids) > PICKUP_BATCH:
            self._full_pass_due = 0.0
            self._wake.set()
        self._mark_due()
        for msg_id in [i for i in self._bodies if i not in self.ledger]:  # removed before their first attempt
            del self._bodies[msg_id]

    def _mark_due(self) -> None:
        """Mark the messages with a due copy ready: those whose attempt ended meanwhile, or every queued one when
        the walk is due; note when the earliest copy not yet due will be."""
        now_mono, now = time.monotonic(), utcnow()
        walk = now_mono >= self._walk_at
        ids, self._recheck = self._recheck, set()
        states = self.ledger if walk else (s for s in map(self.ledger.get, ids) if s is not None)
        if walk:
            self._walk_at = now_mono + WALK_SECONDS
        for state in states:
            if state.id in self._tasks:
                continue
            due = False
            for g in state.groups:
                if g.due(now):
                    due = True
                elif g.next_retry and not g.done and g.status != SUSPENDED:
                    self._retry_at(g.next_retry, now, now_mono)
            if due:
                self._ready[state.id] = None

    def _retry_at(self, next_retry: str, now: dt.datetime, now_mono: float) -> None:
        """A copy becomes due at `next_retry`: walk the queue then, if that is before the next walk."""
        when = from_iso(next_retry)
        if when is not None:
            self._walk_at = min(self._walk_at, now_mono + max(0.0, (when - now).total_seconds()))

    def _start_ready(self) -> None:
        """Start an attempt task for ready messages, oldest first, at most `concurrency` at once and at most
        MaxPerDomainOutboundConnections per destination: more would only wait for a connection, holding the
        slots of messages to other destinations (those stay ready for a later pass)."""
        if len(self._tasks) >= self.concurrency or not self._ready:
            return  # no copy of the ready list when nothing can start
        per_destination = self.smtp.pool.limits.max_per_destination
        now = utcnow()
        loop = asyncio.get_running_loop()
        taken: list[str] = []  # leave the ready list: started, gone, or nothing due
        # The ready list is read in place (no copy per pass: a backlog is thousands long) and changed after.
        for scanned, msg_id in enumerate(self._ready):
            if len(self._tasks) >= self.concurrency or scanned >= START_SCAN_LIMIT:
                break  # a long queue for a destination at its limit is not walked on every pass
            state = self.ledger.get(msg_id)
            if state is None or msg_id in self._tasks:
                taken.append(msg_id)
                continue
            due = [g for g in state.groups if g.due(now)]
            if not due:
                taken.append(msg_id)
                continue
            remote = {g.queue for g in due if g.delivery_type in (SMART_HOST, DNS)}
            if per_destination is not None and remote and all(
                self._in_flight.get(d, 0) >= per_destination for d in remote
            ):
                continue
            taken.append(msg_id)
            task = loop.create_task(self._deliver_message(msg_id))
            self._tasks[msg_id] = task
            self._task_destinations[msg_id] = remote
            for d in remote:
                self._in_flight[d] = self._in_flight.get(d, 0) + 1
            task.add_done_callback(functools.partial(self._task_done, msg_id))
        for msg_id in taken:
            del self._ready[msg_id]

    def _task_done(self, msg_id: str, _task: object = None) -> None:
        for d in self._task_destinations.pop(msg_id, ()):
            left = self._in_flight.get(d, 0) - 1
            if left > 0:
                self._in_flight[d] = left
            else:
                self._in_flight.pop(d, None)
        task = self._tasks.pop(msg_id, None)
        if task is not None and not task.cancelled() and task.exception() is not None:
            self._delivery_crashed(msg_id, task.exception())
        self._recheck.add(msg_id)  # the next full pass looks at what the attempt left due or scheduled
        self._wake.set()

    def _delivery_crashed(self, msg_id: str, exc: BaseException | None) -> None:
        """A delivery attempt raised (a bug, or a message that trips one): never a hot loop, never a silent
        drop (retry_policy.after_crash decides between a back-off and the Poison queue)."""
        log.error("delivery of message %s failed: %r", msg_id, exc)
        log.debug("delivery of message %s failed", msg_id, exc_info=exc)
        state = self.ledger.get(msg_id)
        if state is None:
            return
        error = f"The delivery attempt failed: {exc!r}"
        action = retry_policy.after_crash(self.ledger.record_crash(msg_id), utcnow(), self.timers, error)
        for g in state.groups:
            if g.done:
                continue
            if isinstance(action, retry_policy.Park):
                g.queue, g.delivery_type, g.next_hop_domain = POISON_KEY, "Undefined", "Poison Message"
                g.status, g.last_error = SUSPENDED, action.reason
            else:
                g.next_retry, g.status, g.last_error = to_iso(action.when), RETRY_STATUS, error
        asyncio.get_running_loop().create_task(self.ledger.save(state))

    # ------------------------------------------------------------------ pickup (Submission → queues)
    async def _pickup_batch(self, ids: Sequence[str]) -> None:
        """Route newly spooled messages. The files are read in one thread hop; the routing and the in-memory
        state change on the loop, so they never race a delivery task."""
        if not ids:
            return
        loaded = self._load_small(ids)
        if len(loaded) < len(ids):
            done = {msg_id for msg_id, _ in loaded}
            loaded += await asyncio.to_thread(self._load_all, [i for i in ids if i not in done])
        unroutable: list[tuple[str, str]] = []
        to_write: list[MessageState] = []
        router = self.router
        for msg_id, msg in loaded:
            if isinstance(msg, str):
                unroutable.append((msg_id, msg))
                continue
            try:
                recipients = envelope_recipients(msg)
                state = state_from_spool(msg_id, msg)
            except (ValueError, KeyError, TypeError) as exc:
                unroutable.append((msg_id, f"The spool file can't be read: {exc}"))
                continue
            self._route(state, recipients, router)
            if all(g.due(utcnow()) for g in state.groups):
                # The first attempt starts at once; the state is written only if the message outlives it: the
                # spool file alone is enough to start over after a crash (at-least-once), and one fsync per
                # message is saved.
                self._ready[msg_id] = None
                if len(msg.data) <= BODY_CACHE_BYTES:
                    self._bodies[msg_id] = msg.data
            else:
                to_write.append(state)  # nothing about to be attempted (Unreachable): Get-Queue shows it now
                self._recheck.add(msg_id)  # its retry time
            self.ledger.add(state)
            if not msg.envelope.get("tracking_logged"):
                self.tracker.track(
                    "RECEIVE",
                    source="DSN" if msg.envelope.get("dsn") else "SMTP",
                    message_id=state.message_id,
                    internal_message_id=msg_id,
                    sender=state.sender,
                    recipients=recipients,
                    total_bytes=state.size,
                    connector_id=state.connector_id,
                    subject=state.subject,
                    client_ip=state.client_ip,
                    server_hostname=router.server_fqdn,
                )
        if to_write:
            await asyncio.to_thread(self.ledger.write_all, to_write)
        for msg_id, reason in unroutable:
            await asyncio.to_thread(self._poison, msg_id, reason)

    def _load_small(self, ids: Sequence[str]) -> list[tuple[str, SpooledMessage | str]]:
        """On the loop: the messages of at most INLINE_LOAD_BYTES (a file the engine wrote a moment ago, read from
        the page cache: a hop to a worker thread cost ten times the read). The others are left to `_load_all`."""
        out: list[tuple[str, SpooledMessage | str]] = []
        for msg_id in ids:
            try:
                if os.stat(os.path.join(self.spool.path, msg_id + SPOOL_SUFFIX)).st_size > INLINE_LOAD_BYTES:
                    continue
            except OSError:
                continue  # _load_all tells why
            out += self._load_all((msg_id,))
        return out

    def _load_all(self, ids: Sequence[str]) -> list[tuple[str, SpooledMessage | str]]:
        """In a worker thread: each message, or why it can't be read (a message delivered meanwhile: left out)."""
        out: list[tuple[str, SpooledMessage | str]] = []
        for msg_id in ids:
            try:
                out.append((msg_id, self.spool.load(msg_id)))
            except (FileNotFoundError, IncompleteMessage):
                continue  # delivered meanwhile, or a write in flight (a crash's leftover: recover() moves it aside)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                out.append((msg_id, f"The spool file can't be read: {exc}"))
        return out

    def _route(self, state: MessageState, recipients: Sequence[str], router: Router) -> None:
        retry_at = retry_policy.unreachable_retry(utcnow(), self.timers)
        for key in bifurcation.assign(state, recipients, router, retry_at):
            self.ledger.number_for(key)

    def reroute(self, state: MessageState, group: GroupState, only: Sequence[str] | None = None) -> None:
        """Route the copy's pending recipients (or `only` those) again with the current configuration."""
        retry_at = retry_policy.unreachable_retry(utcnow(), self.timers)
        for key in bifurcation.reroute(state, group, self.router, retry_at, only):
            self.ledger.number_for(key)

    def _poison(self, msg_id: str, reason: str) -> None:
        state = poison_state(msg_id, reason)
        self.ledger.write_now(state)
        self.ledger.add(state)
        log.error("message %s moved to the Poison queue: %s", msg_id, reason)

    # ------------------------------------------------------------------ delivery
    async def _deliver_message(self, msg_id: str) -> None:
        data = self._bodies.pop(msg_id, None)
        state = self.ledger.get(msg_id)
        if state is None:
            return
        if data is None:
            try:
                data = (await asyncio.to_thread(self.spool.load, msg_id)).data
            except FileNotFoundError:
                await self.ledger.forget(msg_id)
                return
        now = utcnow()
        expired = retry_policy.expired(from_iso(state.date_received) or now, now, self.timers)
        for group in list(state.groups):
            if not group.due(now):
                continue
            if expired:
                outcome = AttemptOutcome.every((r.address for r in group.pending), FAIL, retry_policy.EXPIRED)
            else:
                outcome = await self._attempt(state, group, data)
            await self._apply(state, group, outcome, data)
        if state.done:
            await self.ledger.finish(state)

    async def _attempt(self, state: MessageState, group: GroupState, data: bytes) -> AttemptOutcome:
        """One attempt for the copy's pending recipients, by the copy's delivery type."""
        router = self.router
        pending = [r.address for r in group.pending]
        if group.queue == POISON_KEY:
            return AttemptOutcome()
        if group.delivery_type == UNREACHABLE:
            if any(router.route(r).hop.key != UNREACHABLE_KEY for r in pending):
                return AttemptOutcome.route_again()  # the configuration has a route now
            return AttemptOutcome.every(pending, RETRY, bifurcation.NO_CONNECTOR)
        if group.delivery_type == MAILBOX:
            return await mailbox_delivery.deliver(self.state_dir, router, state.sender, pending, data,
                                                  fsync=self.fsync)
        return await self.smtp.deliver(router, self.settings, group.connector, group.queue, group.next_hop_domain,
                                       group.delivery_type, state.sender, state.size, pending, data)

    async def _apply(self, state: MessageState, group: GroupState, outcome: AttemptOutcome, data: bytes) -> None:
        if outcome.reroute_all or outcome.reroute:
            self.reroute(state, group, None if outcome.reroute_all else outcome.reroute)
        if not outcome.results:
            await self.ledger.save(state)
            return
        now = utcnow()
        if self.count_metrics:
            attempt_log.count(state, group, outcome, now)
        router = self.router
        failed = [FailedRecipient(r.address, r.reply, r.remote) for r in outcome.of_kind(FAIL)]
        if failed:
            # The NDR is durably spooled BEFORE the recipients are marked failed (issue 5, point 6).
            await asyncio.to_thread(self.bounces.send, state, failed, data, router)
            self._wake.set()
        by_address = {r.address: r for r in outcome.results}
        retry_errors = []
        for rcpt in group.recipients:
            result = by_address.get(rcpt.address)
            if result is None:
                continue
            rcpt.last_error = None if result.kind == OK else result.reply
            if result.kind == OK:
                rcpt.status = DELIVERED
                self.delivered += 1
            elif result.kind == FAIL:
                rcpt.status = FAILED
                self.failed += 1
            else:
                retry_errors.append(result.reply)
        group.last_retry = to_iso(now)
        timers = self.timers
        if retry_errors:
            nxt = retry_policy.after_deferral(group.retry_count, now, timers)
            group.retry_count = nxt.retry_count
            group.status, group.last_error, group.next_retry = RETRY_STATUS, retry_errors[0], to_iso(nxt.when)
            received = from_iso(state.date_received) or now
            if state.sender and retry_policy.delay_notice_due(received, now, state.delay_notified, timers):
                waiting = [FailedRecipient(r.address, r.last_error or group.last_error or "") for r in group.pending]
                await asyncio.to_thread(functools.partial(self.bounces.send, delayed=True), state, waiting, data,
                                        router)
                state.delay_notified = True
                self._wake.set()
        elif group.done:
            group.status, group.next_retry = READY, None
        if not state.done:  # a finished message is removed next: no state write for it
            await self.ledger.save(state)
        # After the state write, so a tracking row never shows what Get-Queue cannot show yet.
        for event_id, fields in tracking_rows(state, group, outcome.results, router.server_fqdn):
            self.tracker.track(event_id, **fields)
        attempt_log.write(state, group, outcome)

    def queue_depths(self) -> dict[tuple[str, ...], float]:
        return self.ledger.depths()


# ---------------------------------------------------------------------- standalone entry


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="exshell-delivery", description="Run exshell's delivery service alone.")
    p.add_argument("--state", required=True, help="state folder")
    p.add_argument("--server", default="EX01", help="this server's name")
    p.add_argument("--store", default=os.environ.get("EXSHELL_STORE") or None,
                   help="the shared configuration store (postgresql://...); default: the state folder's")
    p.add_argument("--poll-interval", type=float, default=0.2)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--no-fsync", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(list(argv))


async def _serve(args: argparse.Namespace) -> int:
    # Lazy: this module's own command line (python -m) only.
    from exshell.config import validate_records
    from exshell.store import open_store

    store = open_store(args.store or args.state, validate=validate_records)
    if hasattr(store, "subscribe"):
        store.subscribe(lambda _version: None)  # current_version() from notifications, also through an outage
    service = DeliveryService(
        args.state,
        store,
        args.server,
        poll_interval=args.poll_interval,
        concurrency=args.concurrency,
        fsync=not args.no_fsync,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await service.start()
    await stop.wait()
    await service.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # one line for the user
        log.debug("delivery service failed", exc_info=True)
        print(f"exshell delivery: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
