"""The delivery service: spool → route → queue → Maildir / smart host → done, retried, or bounced.

The engine runs it beside the listeners (`DeliveryService(state_dir, store, server_name)`, `await start()`,
`await stop()`); `main(argv)` runs it on its own against a state folder (tests, and a delivery-only node).

One pass every `poll_interval` (or at once after `notify()`):
1. reload the routing table when the store version changed;
2. execute the shell's control requests (Retry-Queue, Suspend/Resume/Remove-Message);
3. pick up new spool files: route every recipient, write the message's queue state (the Submission queue is
   "spooled, not yet routed");
4. start a delivery task for every message with a due group, at most `concurrency` at once.

A message leaves the spool only when none of its recipients is pending (queue.py explains why a crash can
only duplicate). Retries follow TransportSettings: TransientFailureRetryInterval for the first
TransientFailureRetryCount attempts, MessageRetryInterval after that, MessageExpirationTimeout then NDR
`550 4.4.7 QUEUE.Expired; message expired` (Exchange's wording).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import itertools
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exshell.transport import metrics
from exshell.transport.delivery import actions, control, tracking
from exshell.transport.delivery.dsn import FailedRecipient, build_ndr, header_value, spool_dsn
from exshell.transport.delivery.outcome import tracking_rows
from exshell.transport.delivery.queue import (
    DELIVERED,
    FAILED,
    READY,
    RETRY,
    SUSPENDED,
    GroupState,
    MessageState,
    QueueStore,
    RecipientState,
    from_iso,
    to_iso,
    utcnow,
)
from exshell.transport.delivery.router import (
    DNS,
    MAILBOX,
    POISON_KEY,
    RECIPIENT_NOT_FOUND,
    UNREACHABLE,
    UNREACHABLE_KEY,
    Router,
)
from exshell.model.config import Config
from exshell.model.errors import ModelDataError
from exshell.transport.spool import Spool

log = logging.getLogger("exshell.transport.delivery")

EXPIRED = "550 4.4.7 QUEUE.Expired; message expired"
SIZE_LIMIT = "550 5.3.4 ROUTING.SizeLimit; message size exceeds fixed maximum size for route"
NO_CONNECTOR = (
    "451 4.4.0 DNS query failed; a matching connector cannot be found to route the external recipient"
)
HEARTBEAT_SECONDS = 1.0
POISON_THRESHOLD = 3
PICKUP_BATCH = 256


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
    ) -> None:
        self.state_dir = Path(state_dir)
        self.store = store
        self.server_name = server_name
        self.poll_interval = poll_interval
        self.concurrency = concurrency
        self.fsync = fsync
        self.spool = Spool(self.state_dir / "spool", fsync=fsync)
        self.queue = QueueStore(self.state_dir, fsync=fsync)
        self.states: dict[str, MessageState] = {}
        self.numbers: dict[str, int] = {}
        self._router: Router | None = None
        self._version: int | None = None
        self._wake = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._save_locks: dict[str, asyncio.Lock] = {}
        self._crashes: dict[str, int] = {}
        self._dsn_ids = itertools.count()
        self._pool: Any = None  # smtp_client.ConnectionPool, made on first use (imports aiosmtplib)
        self._loop_task: asyncio.Task[None] | None = None
        self._beat_task: asyncio.Task[None] | None = None
        self._started = utcnow()
        self.delivered = 0  # counters for tests and the bench
        self.failed = 0
        metrics.QUEUE_DEPTH.set_function(self.queue_depths)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        await asyncio.to_thread(self._recover)
        self._refresh_router()
        self._write_heartbeat()
        self._loop_task = asyncio.get_running_loop().create_task(self._run())
        self._beat_task = asyncio.get_running_loop().create_task(self._heartbeat())
        log.info("delivery service for %s started: %d message(s) queued", self.server_name, len(self.states))

    async def stop(self, grace: float = 5.0) -> None:
        """Stop picking up work; let deliveries in flight finish (bounded by `grace`), cancel the rest.
        A cancelled delivery leaves its state as it was: the message is retried at the next start."""
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
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        try:
            self.queue.write_heartbeat(
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
        """The engine calls this after spooling a message, so delivery starts without waiting for a poll."""
        self._wake.set()

    # ------------------------------------------------------------------ start-up
    def _recover(self) -> None:
        self.queue.ensure()
        self.queue.clean_temp()
        self.spool.recover()
        self.numbers = self.queue.queue_numbers()
        spooled = set(self.spool.list())
        for msg_id in self.queue.ids():
            if msg_id not in spooled:
                # The spool file went first (the message was finished): the state file is a leftover.
                self.queue.remove(msg_id)
                continue
            state = self.queue.load(msg_id)
            if state is not None:
                self.states[msg_id] = state

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await asyncio.to_thread(self._write_heartbeat)
                await asyncio.to_thread(control.clean_stale_acks, self.queue)
            except OSError as exc:
                log.warning("cannot write the heartbeat: %s", exc)

    def _write_heartbeat(self) -> None:
        self.queue.write_heartbeat(
            {
                "server": self.server_name,
                "pid": os.getpid(),
                "started": to_iso(self._started),
                "heartbeat": to_iso(utcnow()),
                "stopped": False,
            }
        )

    # ------------------------------------------------------------------ the pass
    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the service must outlive a bug in one pass
                log.error("delivery pass failed: %r", exc)
                log.debug("delivery pass failed", exc_info=True)
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            except TimeoutError:
                pass
            self._wake.clear()

    async def run_once(self) -> None:
        self._refresh_router()
        for _, request in await asyncio.to_thread(lambda: list(control.pending_requests(self.queue))):
            result = await actions.execute(self, request)
            await asyncio.to_thread(control.acknowledge, self.queue, request["id"], result)
        new_ids = [i for i in await asyncio.to_thread(self.spool.list) if i not in self.states]
        for msg_id in new_ids[:PICKUP_BATCH]:  # a burst must not hold deliveries back: the rest next pass
            await self._pickup(msg_id)
        if len(new_ids) > PICKUP_BATCH:
            self._wake.set()
        now = utcnow()
        for msg_id, state in list(self.states.items()):
            if len(self._tasks) >= self.concurrency:
                break
            if msg_id in self._tasks:
                continue
            if any(g.due(now) for g in state.groups):
                task = asyncio.get_running_loop().create_task(self._deliver_message(msg_id))
                self._tasks[msg_id] = task
                task.add_done_callback(functools.partial(self._task_done, msg_id))

    def _task_done(self, msg_id: str, _task: object = None) -> None:
        task = self._tasks.pop(msg_id, None)
        if task is not None and not task.cancelled() and task.exception() is not None:
            self._delivery_crashed(msg_id, task.exception())
        self._wake.set()

    def _delivery_crashed(self, msg_id: str, exc: BaseException | None) -> None:
        """A delivery attempt raised (a bug, or a message that trips one): back off, and after
        POISON_THRESHOLD crashes park the message in the Poison queue, suspended, as Exchange does with a
        message that keeps crashing the transport service — never a hot loop, never a silent drop."""
        log.error("delivery of message %s failed: %r", msg_id, exc)
        log.debug("delivery of message %s failed", msg_id, exc_info=exc)
        state = self.states.get(msg_id)
        if state is None:
            return
        crashes = self._crashes[msg_id] = self._crashes.get(msg_id, 0) + 1
        if crashes >= POISON_THRESHOLD:
            for g in state.groups:
                if not g.done:
                    g.queue, g.delivery_type, g.next_hop_domain = POISON_KEY, "Undefined", "Poison Message"
                    g.status, g.last_error = SUSPENDED, f"The delivery attempt failed: {exc!r}"
        else:
            later = self._later(self.settings.transient_failure_retry_interval.seconds)
            for g in state.groups:
                if not g.done:
                    g.next_retry, g.status, g.last_error = (
                        later,
                        RETRY,
                        f"The delivery attempt failed: {exc!r}",
                    )
        asyncio.get_running_loop().create_task(self._save(state))

    @property
    def router(self) -> Router:
        self._refresh_router()
        assert self._router is not None
        return self._router

    def _refresh_router(self) -> None:
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
        self._router, self._version = router, snap.version

    @property
    def settings(self) -> Any:
        return self.router.config.settings_for(self.server_name)  # Set-TransportService on this server

    # ------------------------------------------------------------------ pickup (Submission → queues)
    def _number_for(self, key: str) -> None:
        if key in (UNREACHABLE_KEY, POISON_KEY) or key in self.numbers:
            return
        self.numbers[key] = max(self.numbers.values(), default=0) + 1
        self.queue.save_queue_numbers(self.numbers)

    async def _pickup(self, msg_id: str) -> None:
        """Route a newly spooled message. File reads run in a thread; the routing and the in-memory state
        change on the loop, so they never race a delivery task."""
        try:
            msg = await asyncio.to_thread(self.spool.load, msg_id)
            env = msg.envelope
            recipients = [str(r) for r in env["recipients"]]
            sender = str(env.get("sender") or "")
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            await asyncio.to_thread(self._poison, msg_id, f"The spool file can't be read: {exc}")
            return
        router = self.router
        state = MessageState(
            id=msg_id,
            sender=sender,
            message_id=str(env.get("message_id") or header_value(msg.data, "Message-ID")),
            subject=header_value(msg.data, "Subject"),
            size=int(env.get("size") or len(msg.data)),
            date_received=str(env.get("received") or to_iso(utcnow())),
            connector_id=str(env.get("connector") or ""),
            client_ip=str(env.get("remote") or "").rpartition(":")[0],
        )
        self._add_routes(state, recipients, router)
        if not all(g.due(utcnow()) for g in state.groups):
            # Nothing about to be attempted (Unreachable): write the state now so Get-Queue shows it. Otherwise
            # the first attempt starts at once and the state is written only if the message outlives it: the
            # spool file alone is enough to start over after a crash (at-least-once), and one fsync per
            # message is saved.
            await asyncio.to_thread(self.queue.save, state)
        self.states[msg_id] = state
        if not env.get("tracking_logged"):
            self._track(
                "RECEIVE",
                source="DSN" if env.get("dsn") else "SMTP",
                message_id=state.message_id,
                internal_message_id=msg_id,
                sender=sender,
                recipients=recipients,
                total_bytes=state.size,
                connector_id=state.connector_id,
                subject=state.subject,
                client_ip=state.client_ip,
                server_hostname=router.server_fqdn,
            )

    def _add_routes(self, state: MessageState, recipients: Sequence[str], router: Router) -> None:
        for rcpt in recipients:
            hop = router.route(rcpt).hop
            group = next(
                (g for g in state.groups if g.queue == hop.key and not g.done and g.status != SUSPENDED), None
            )
            if group is None:
                self._number_for(hop.key)
                group = GroupState(hop.key, hop.delivery_type, hop.next_hop_domain, hop.connector)
                if hop.key == UNREACHABLE_KEY:
                    group.status, group.last_error = RETRY, NO_CONNECTOR
                    group.next_retry = self._later(self.settings.message_retry_interval.seconds)
                state.groups.append(group)
            group.recipients.append(RecipientState(rcpt))

    def _poison(self, msg_id: str, reason: str) -> None:
        state = MessageState(
            id=msg_id,
            sender="",
            message_id="",
            subject="",
            size=0,
            date_received=to_iso(utcnow()) or "",
            groups=[
                GroupState(
                    POISON_KEY,
                    "Undefined",
                    "Poison Message",
                    status=SUSPENDED,
                    last_error=reason,
                    recipients=[RecipientState("")],
                )
            ],
        )
        self.queue.save(state)
        self.states[msg_id] = state
        log.error("message %s moved to the Poison queue: %s", msg_id, reason)

    @staticmethod
    def _later(seconds: float) -> str | None:
        return to_iso(utcnow() + dt.timedelta(seconds=seconds))

    # ------------------------------------------------------------------ delivery
    async def _deliver_message(self, msg_id: str) -> None:
        state = self.states.get(msg_id)
        if state is None:
            return
        try:
            msg = await asyncio.to_thread(self.spool.load, msg_id)
        except FileNotFoundError:
            self.states.pop(msg_id, None)
            await asyncio.to_thread(self.queue.remove, msg_id)
            return
        now = utcnow()
        received = from_iso(state.date_received) or now
        expired = (now - received).total_seconds() > self.settings.message_expiration_timeout.seconds
        for group in list(state.groups):
            if not group.due(now):
                continue
            if expired:
                outcome = {r.address: ("fail", EXPIRED, "") for r in group.pending}
            else:
                outcome = await self._attempt(state, group, msg.data)
            await self._apply(state, group, outcome, msg.data)
        await self._finish_if_done(state)

    async def _attempt(
        self, state: MessageState, group: GroupState, data: bytes
    ) -> dict[str, tuple[str, str, str]]:
        """recipient → (ok|fail|retry, reply, remote host) for the group's pending recipients."""
        router = self.router
        pending = [r.address for r in group.pending]
        if group.queue == POISON_KEY:
            return {}
        if group.delivery_type == UNREACHABLE:
            if any(router.route(r).hop.key != UNREACHABLE_KEY for r in pending):
                self._reroute(state, group, router)  # the configuration has a route now
                return {}
            return {r: ("retry", NO_CONNECTOR, "") for r in pending}
        if group.delivery_type == MAILBOX:
            out: dict[str, tuple[str, str, str]] = {}
            for rcpt in pending:
                mbx = router.find_mailbox(rcpt)
                if mbx is None:
                    hop = router.route(rcpt).hop
                    if hop.delivery_type != MAILBOX:  # InternalRelay, mailbox removed: the connector's turn
                        self._reroute(state, group, router, only=[rcpt])
                        continue
                    out[rcpt] = ("fail", RECIPIENT_NOT_FOUND, "")
                    continue
                try:
                    await asyncio.to_thread(self._to_maildir, mbx, state.sender, rcpt, data)
                    out[rcpt] = ("ok", "250 2.0.0 Delivered to mailbox", mbx.alias)
                except OSError as exc:
                    out[rcpt] = ("retry", f"451 4.3.1 Insufficient system resources: {exc.strerror}", "")
            return out
        connector = router.connector(group.connector)
        if connector is None:
            self._reroute(state, group, router)  # connector removed or disabled: route again
            return {}
        limit = connector.max_message_size.value
        # The lower of the send connector's MaxMessageSize (cmdlets.md §6.1) and the organization's MaxSendSize;
        # DSNs (sender <>) are exempt from size limits (§8).
        limits = [int(getattr(v, "bytes", v)) for v in (limit, self.settings.max_send_size.value) if v is not None]
        if limits and state.sender and state.size > min(limits):
            return {r: ("fail", SIZE_LIMIT, "") for r in pending}
        # Lazy: the SMTP client and the header rewriting load with the first remote delivery.
        from exshell.transport.delivery import smtp_client
        from exshell.transport.headers import strip_organization_headers

        # Leaving the organization: the header firewall removes the organization's own headers (HFW).
        data = strip_organization_headers(data)

        if group.delivery_type == DNS:
            try:
                targets = await smtp_client.resolve_mx(group.next_hop_domain)
            except LookupError as exc:
                verdict = "fail" if str(exc).startswith("5") else "retry"
                return {r: (verdict, str(exc), "") for r in pending}
        else:
            targets = smtp_client.targets_for(connector)
        if self._pool is None:
            self._pool = smtp_client.ConnectionPool()
        result = await smtp_client.send(
            targets,
            state.sender,
            pending,
            data,
            helo=connector.fqdn or router.server_fqdn,
            pool=self._pool,
            security=await self._security(connector),
        )
        if result.connection_error:
            return {r: ("retry", result.connection_error, "") for r in pending}
        out = {}
        for rcpt in pending:
            reply = result.replies.get(rcpt, "451 4.4.0 No reply for this recipient")
            kind = "ok" if reply.startswith("2") else "fail" if reply.startswith("5") else "retry"
            out[rcpt] = (kind, reply, result.remote)
        return out

    async def _security(self, connector: Any) -> Any:
        """The connector's TLS and logon settings, the smart-host password unsealed from the key store."""
        from exshell.transport.delivery import smtp_client  # lazy: as in _attempt

        cred = getattr(connector, "authentication_credential", None)
        password = None
        if cred is not None and getattr(connector, "smart_host_auth_mechanism", "None") in ("BasicAuth",
                                                                                           "BasicAuthRequireTLS"):
            # Lazy: the key store only for a smart host's password.
            from exshell.store.keystore import KeyStoreError
            from exshell.store.secrets import key_store

            try:  # a fleet's shared store holds it (organization-wide, as AD does); else the state folder
                raw = await asyncio.to_thread(key_store(self.store, self.state_dir).unseal, cred.secret_ref)
                password = raw.decode("utf-8")
            except KeyStoreError as exc:
                log.error("send connector %s: the smart host password can't be read: %s", connector.name, exc)
                password = None
        return smtp_client.Security(
            require_tls=connector.require_tls, ignore_starttls=connector.ignore_starttls,
            tls_auth_level=getattr(connector, "tls_auth_level", None), tls_domain=getattr(connector, "tls_domain", None),
            auth_mechanism=getattr(connector, "smart_host_auth_mechanism", "None"),
            user_name=cred.user_name if cred is not None else None, password=password,
        )

    async def _save(self, state: MessageState) -> None:
        """Serialize on the loop (the state can't change mid-dump), write in a thread, one writer per message
        at a time so an older snapshot never lands after a newer one."""
        lock = self._save_locks.setdefault(state.id, asyncio.Lock())
        async with lock:
            if state.id not in self.states:
                return  # finished meanwhile: don't resurrect its state file
            await asyncio.to_thread(self.queue.write_raw, state.id, state.to_json())

    def _to_maildir(self, mbx: Any, sender: str, rcpt: str, data: bytes) -> None:
        from exshell.transport.delivery import maildir  # lazy: only mailbox delivery writes a maildir

        maildir.deliver(
            maildir.mailbox_folder(self.state_dir, mbx), data, sender=sender, recipient=rcpt, fsync=self.fsync
        )

    async def _apply(
        self, state: MessageState, group: GroupState, outcome: dict[str, tuple[str, str, str]], data: bytes
    ) -> None:
        if not outcome:
            await self._save(state)
            return
        _count_outcome(state, group, outcome)
        router = self.router
        failed = [
            FailedRecipient(r, reply, remote)
            for r, (kind, reply, remote) in outcome.items()
            if kind == "fail"
        ]
        if failed:
            # The NDR is durably spooled BEFORE the recipients are marked failed (issue 5, point 6).
            await asyncio.to_thread(self._send_ndr, state, failed, data, self.router)
            self._wake.set()
        retry_errors = []
        for rcpt in group.recipients:
            if rcpt.address not in outcome:
                continue
            kind, reply, _ = outcome[rcpt.address]
            rcpt.last_error = None if kind == "ok" else reply
            if kind == "ok":
                rcpt.status = DELIVERED
                self.delivered += 1
            elif kind == "fail":
                rcpt.status = FAILED
                self.failed += 1
            else:
                retry_errors.append(reply)
        group.last_retry = to_iso(utcnow())
        if retry_errors:
            group.retry_count += 1
            s = self.settings
            interval = (
                s.transient_failure_retry_interval.seconds
                if group.retry_count <= s.transient_failure_retry_count
                else s.message_retry_interval.seconds
            )
            group.status, group.last_error, group.next_retry = RETRY, retry_errors[0], self._later(interval)
        elif group.done:
            group.status, group.next_retry = READY, None
        if retry_errors and not state.delay_notified and state.sender:
            await self._maybe_delay_notice(state, group, data)
        if not state.done:  # a finished message is removed next: no state write for it
            await self._save(state)
        # After the state write, so a tracking row never shows what Get-Queue cannot show yet.
        for event_id, fields in tracking_rows(state, group, outcome, router.server_fqdn):
            self._track(event_id, **fields)
        _log_outcome(state, group, outcome)

    def queue_depths(self) -> dict[tuple[str, ...], float]:
        """Messages with recipients still pending, per next-hop domain (Get-Queue's NextHopDomain); at scrape."""
        depth: dict[tuple[str, ...], float] = {}
        for state in list(self.states.values()):
            for group in state.groups:
                if not group.done:
                    key = (group.next_hop_domain,)
                    depth[key] = depth.get(key, 0) + 1
        return depth

    def _track(self, event_id: str, **fields: Any) -> None:
        """One tracking log row, unless MessageTrackingLogEnabled is $false (Set-TransportService)."""
        router = self._router
        if router is not None and not router.config.settings_for(self.server_name).message_tracking_log_enabled:
            return
        row = tracking.log_event(self.state_dir, event_id, **fields)
        mirror = getattr(self.store, "track", None)  # a fleet's shared store keeps every server's rows too
        if mirror is not None:
            mirror(self.server_name, row)

    async def _maybe_delay_notice(self, state: MessageState, group: GroupState, data: bytes) -> None:
        """One delay DSN per message once it has waited DelayNotificationTimeout (default 4 hours)."""
        received = from_iso(state.date_received) or utcnow()
        if (utcnow() - received).total_seconds() < self.settings.delay_notification_timeout.seconds:
            return
        waiting = [FailedRecipient(r.address, r.last_error or group.last_error or "") for r in group.pending]
        await asyncio.to_thread(self._send_ndr, state, waiting, data, self.router, True)
        state.delay_notified = True
        self._wake.set()

    def _send_ndr(
        self,
        state: MessageState,
        failed: list[FailedRecipient],
        data: bytes,
        router: Router,
        delayed: bool = False,
    ) -> None:
        """Runs in a worker thread: only files and the tracking log (which has its own lock) are touched."""
        if not state.sender:
            return  # never an NDR for a <> sender (RFC 5321 §4.5.5): it would loop
        ndr = build_ndr(
            original=data,
            original_sender=state.sender,
            failed=failed,
            reporting_mta=router.server_fqdn,
            postmaster=router.postmaster,
            arrival=from_iso(state.date_received),
            delayed=delayed,
        )
        message_id = header_value(ndr, "Message-ID").strip("<>")
        envelope = {
            "message_id": message_id,
            "sender": "",
            "recipients": [state.sender],
            "connector": "",
            "received": to_iso(utcnow()),
            "size": len(ndr),
            "dsn": True,
            "tracking_logged": True,
            "original": state.id,
        }
        ndr_id = self._spool_dsn(envelope, ndr)
        self._track(
            "DSN",
            source="DSN",
            message_id=message_id,
            internal_message_id=ndr_id,
            sender=router.postmaster,
            recipients=[state.sender],
            total_bytes=len(ndr),
            subject=header_value(ndr, "Subject"),
            reference=f"<{state.message_id}>",
            related_recipient_address=";".join(f.address for f in failed),
            return_path="",
            server_hostname=router.server_fqdn,
        )

    def _spool_dsn(self, envelope: dict[str, Any], data: bytes) -> str:
        return spool_dsn(
            Path(self.spool.path),
            Path(self.spool.tmp),
            envelope,
            data,
            counter=self._dsn_ids,
            fsync=self.fsync,
        )

    def _reroute(
        self, state: MessageState, group: GroupState, router: Router, only: list[str] | None = None
    ) -> None:
        moving = [r.address for r in group.pending if only is None or r.address in only]
        group.recipients = [r for r in group.recipients if r.address not in moving]
        if not group.recipients:
            state.groups.remove(group)
        self._add_routes(state, moving, router)

    async def _finish_if_done(self, state: MessageState) -> None:
        if not state.done:
            return

        def finish() -> None:
            try:
                self.spool.remove(state.id)  # first the spool: a leftover state file is cleaned at start
            except FileNotFoundError:
                pass
            self.queue.remove(state.id)

        self.states.pop(state.id, None)
        self._crashes.pop(state.id, None)
        lock = self._save_locks.pop(state.id, None) or asyncio.Lock()
        async with lock:
            await asyncio.to_thread(finish)


def _count_outcome(state: MessageState, group: GroupState, outcome: dict[str, tuple[str, str, str]]) -> None:
    """Delivery attempts per recipient and, for the delivered ones, the latency since acceptance (metrics)."""
    hop = group.connector or group.next_hop_domain
    received = from_iso(state.date_received)
    for kind, _reply, _remote in outcome.values():
        result = {"ok": "delivered", "fail": "bounced"}.get(kind, "deferred")
        metrics.DELIVERY_ATTEMPTS.inc(next_hop=hop, result=result)
        if kind == "ok" and received is not None:
            metrics.DELIVERY_LATENCY.observe(max(0.0, (utcnow() - received).total_seconds()), next_hop=hop)


def _log_outcome(state: MessageState, group: GroupState, outcome: dict[str, tuple[str, str, str]]) -> None:
    """One console/log line per delivered, deferred or bounced copy (`exshell serve --log-level`)."""
    by_kind: dict[str, list[str]] = {}
    for rcpt, (kind, _reply, _remote) in outcome.items():
        by_kind.setdefault(kind, []).append(rcpt)
    where = group.connector or group.next_hop_domain
    for kind, rcpts in by_kind.items():
        reply, remote = outcome[rcpts[0]][1], outcome[rcpts[0]][2]
        who = ", ".join(rcpts)
        if kind == "ok":
            log.info("delivered <%s> (InternalId %s) to %s via %s%s", state.message_id, state.id, who, where,
                     f" [{remote}]" if remote else "")
        elif kind == "retry":
            log.warning("deferred <%s> (InternalId %s) for %s via %s: %s", state.message_id, state.id, who,
                        where, reply)
        else:
            log.warning("bounced <%s> (InternalId %s) for %s via %s: %s", state.message_id, state.id, who, where,
                        reply)


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
