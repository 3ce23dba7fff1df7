"""What Get-Queue and Get-Message show: the queue folder and the spool, read without writing anything.

Queue identities follow Exchange (cmdlets.md §7.1): `<server>\\<n>` for delivery queues (numbers kept in
`queues.json`), `<server>\\Submission` (spooled, not yet routed), `<server>\\Unreachable` and
`<server>\\Poison`. A message in a queue is `<queue identity>\\<InternalId>`; a message bifurcated to two
next hops shows once per queue, as in Exchange.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exshell.transport.delivery.queue import (
    PENDING,
    READY,
    RETRY,
    SUSPENDED,
    GroupState,
    MessageState,
    QueueStore,
    from_iso,
)
from exshell.transport.delivery.router import (
    POISON_KEY,
    SUBMISSION_KEY,
    UNDEFINED,
    UNREACHABLE,
    UNREACHABLE_KEY,
)
from exshell.transport.spool import is_complete


@dataclass(frozen=True, slots=True)
class QueueInfo:
    key: str
    identity: str
    delivery_type: str
    status: str
    message_count: int
    next_hop_domain: str
    next_hop_connector: str
    last_error: str | None
    next_retry_time: dt.datetime | None
    last_retry_time: dt.datetime | None
    retry_count: int

    def to_properties(self) -> dict[str, Any]:
        return {
            "Identity": self.identity,
            "DeliveryType": self.delivery_type,
            "NextHopDomain": self.next_hop_domain,
            "NextHopConnector": self.next_hop_connector,
            "Status": self.status,
            "MessageCount": self.message_count,
            "LastError": self.last_error,
            "RetryCount": self.retry_count,
            "LastRetryTime": _local(self.last_retry_time),
            "NextRetryTime": _local(self.next_retry_time),
            "NextHopCategory": "Internal" if self.delivery_type == "SmtpDeliveryToMailbox" else "External",
        }


@dataclass(frozen=True, slots=True)
class MessageInfo:
    internal_id: str
    queue_key: str
    identity: str
    queue_identity: str
    from_address: str
    status: str
    size: int
    subject: str
    last_error: str | None
    retry_count: int
    date_received: dt.datetime | None
    expiration_time: dt.datetime | None
    internet_message_id: str
    recipients: tuple[str, ...]
    source_ip: str

    def to_properties(self, include_recipients: bool = True) -> dict[str, Any]:
        return {
            "Identity": self.identity,
            "Subject": self.subject,
            "FromAddress": self.from_address,
            "Status": self.status,
            "Size": self.size,
            "SourceIP": self.source_ip,
            "Queue": self.queue_identity,
            "LastError": self.last_error,
            "RetryCount": self.retry_count,
            "DateReceived": _local(self.date_received),
            "ExpirationTime": _local(self.expiration_time),
            "InternetMessageId": f"<{self.internet_message_id}>"
            if self.internet_message_id and not self.internet_message_id.startswith("<")
            else self.internet_message_id,
            "Recipients": list(self.recipients) if include_recipients else [],
            "MessageSourceName": "SMTP",
        }


def _local(when: dt.datetime | None) -> dt.datetime | None:
    """The shell shows DateTime values in local time, as Exchange's cmdlets do."""
    return None if when is None else when.astimezone().replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """Every queue and every queued message of one server at one moment: what Get-Queue and Get-Message show
    (and what a fleet-wide view collects per server)."""

    server: str
    queues: tuple[QueueInfo, ...]
    messages: tuple[MessageInfo, ...]


def read_snapshot(
    state_dir: str | os.PathLike[str], server: str, expiration_seconds: float = 2 * 86400.0
) -> QueueSnapshot:
    """From the queue folder and the spool, read without writing anything (another process may be the writer)."""
    store = QueueStore(state_dir)
    states = list(store.all())
    submission = read_submission(Path(state_dir) / "spool", {s.id for s in states})
    return build_snapshot(server, states, submission, store.queue_numbers(), expiration_seconds)


def read_submission(spool: Path, known: Collection[str]) -> list[tuple[str, dict[str, Any]]]:
    """Spool files the service hasn't routed yet: only their first line (the envelope) is read."""
    out: list[tuple[str, dict[str, Any]]] = []
    if not spool.is_dir():
        return out
    for name in sorted(os.listdir(spool), key=lambda n: (len(n), n)):
        if not name.endswith(".msg") or name[:-4] in known:
            continue
        try:
            with open(spool / name, "rb") as f:
                env = json.loads(f.readline().decode("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(env, dict) and (not env.pop("sealed", None) or is_complete(os.fspath(spool / name))):
            out.append((name[:-4], env))
    return out


def build_snapshot(
    server: str,
    states: Sequence[MessageState],
    submission: Sequence[tuple[str, Mapping[str, Any]]],
    numbers: Mapping[str, int],
    expiration_seconds: float,
) -> QueueSnapshot:
    view = _View(server, numbers, dt.timedelta(seconds=expiration_seconds))
    return QueueSnapshot(server, tuple(view.queues(states, len(submission))),
                         tuple(view.messages(states, submission)))


@dataclass(frozen=True, slots=True)
class _View:
    server: str
    numbers: Mapping[str, int]
    expiration: dt.timedelta

    def queue_identity(self, key: str) -> str:
        if key in (UNREACHABLE_KEY, POISON_KEY, SUBMISSION_KEY):
            return f"{self.server}\\{key}"
        return f"{self.server}\\{self.numbers.get(key, 0)}"

    def messages(
        self, states: Sequence[MessageState], submission: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[MessageInfo]:
        out: list[MessageInfo] = []
        for msg_id, env in submission:
            received = from_iso(str(env.get("received") or ""))
            out.append(
                MessageInfo(
                    msg_id,
                    SUBMISSION_KEY,
                    f"{self.queue_identity(SUBMISSION_KEY)}\\{msg_id}",
                    self.queue_identity(SUBMISSION_KEY),
                    str(env.get("sender") or ""),
                    READY,
                    int(env.get("size") or 0),
                    "",
                    None,
                    0,
                    received,
                    received + self.expiration if received else None,
                    str(env.get("message_id") or ""),
                    tuple(str(r) for r in env.get("recipients") or ()),
                    str(env.get("remote") or "").rpartition(":")[0],
                )
            )
        for state in states:
            out.extend(self._state_messages(state))
        return out

    def _state_messages(self, state: MessageState) -> list[MessageInfo]:
        received = from_iso(state.date_received)
        rows = []
        for group in state.groups:
            pending = [r.address for r in group.recipients if r.status == PENDING]
            if not pending:
                continue
            qid = self.queue_identity(group.queue)
            rows.append(
                MessageInfo(
                    state.id,
                    group.queue,
                    f"{qid}\\{state.id}",
                    qid,
                    state.sender,
                    group.status,
                    state.size,
                    state.subject,
                    group.last_error,
                    group.retry_count,
                    received,
                    received + self.expiration if received else None,
                    state.message_id,
                    tuple(pending),
                    state.client_ip,
                )
            )
        return rows

    def queues(self, states: Sequence[MessageState], submitted: int) -> list[QueueInfo]:
        by_key: dict[str, list[GroupState]] = {}
        for state in states:
            for group in state.groups:
                if any(r.status == PENDING for r in group.recipients):
                    by_key.setdefault(group.queue, []).append(group)
        out = [
            QueueInfo(
                SUBMISSION_KEY,
                self.queue_identity(SUBMISSION_KEY),
                UNDEFINED,
                READY,
                submitted,
                "Submission",
                "",
                None,
                None,
                None,
                0,
            )
        ]
        keys = sorted(by_key, key=lambda k: (k in (UNREACHABLE_KEY, POISON_KEY), self.numbers.get(k, 0), k))
        for key in keys:
            groups = by_key[key]
            first = groups[0]
            active = [g for g in groups if g.status != SUSPENDED]
            status = RETRY if active and all(g.status == RETRY for g in active) else READY
            if key == POISON_KEY:
                status = SUSPENDED
            retry_times = [t for t in (from_iso(g.next_retry) for g in active) if t is not None]
            last_times = [t for t in (from_iso(g.last_retry) for g in groups) if t is not None]
            errors = [g.last_error for g in groups if g.last_error]
            out.append(
                QueueInfo(
                    key,
                    self.queue_identity(key),
                    UNREACHABLE if key == UNREACHABLE_KEY else first.delivery_type,
                    status,
                    len(groups),
                    first.next_hop_domain,
                    first.connector or "",
                    errors[-1] if errors else None,
                    min(retry_times) if status == RETRY and retry_times else None,
                    max(last_times) if last_times else None,
                    max(g.retry_count for g in groups),
                )
            )
        return out
