"""Durable per-message delivery state under `<state>/queue/`.

Layout (the delivery service is the only writer; the shell only reads, and asks for changes through
`control/`):

- `messages/<id>.json` — one file per spooled message (`id` = the spool id = Exchange's InternalId): the
  envelope summary and one *group* per next hop (Exchange bifurcates a message per next hop, and each copy
  sits in that hop's queue). Each group lists its recipients with their status. Written atomically: temp
  file, fsync, rename — a reader sees the old or the new state, never half a file.
- `queues.json` — next-hop key → queue number, so a queue keeps its `<server>\\<n>` identity across
  restarts (Exchange numbers delivery queues; Submission, Unreachable and Poison are named).
- `engine.json` — the service's heartbeat. `control/` — requests from the shell (see `control.py`).

Delivery is at-least-once: a recipient is marked Delivered only after its destination acknowledged it, and
Failed only after its NDR was durably spooled; a message leaves the spool only when no recipient is
pending. Losing a state update (a crash between the acknowledgement and the write) means a duplicate,
never a loss.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from exshell.transport.durable import write_new_file

# Recipient status within a group.
PENDING = "Ready"
DELIVERED = "Delivered"
FAILED = "Failed"

# Message (group) status values Exchange shows (cmdlets.md §7.3).
READY = "Ready"
RETRY = "Retry"
SUSPENDED = "Suspended"
ACTIVE = "Active"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def to_iso(when: dt.datetime | None) -> str | None:
    return None if when is None else when.astimezone(dt.UTC).isoformat()


def from_iso(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def write_atomic(path: Path, payload: bytes, *, fsync: bool = True) -> None:
    """temp + fsync + rename in the same directory (rename is atomic on POSIX)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    write_new_file(tmp, (payload,), fsync=fsync)
    os.replace(tmp, path)


@dataclass(slots=True)
class RecipientState:
    address: str
    status: str = PENDING
    last_error: str | None = None


@dataclass(slots=True)
class GroupState:
    """One bifurcated copy of a message: the recipients that share a next hop (and so a queue)."""

    queue: str  # the next-hop key (router.NextHop.key)
    delivery_type: str
    next_hop_domain: str
    connector: str | None = None
    recipients: list[RecipientState] = field(default_factory=list)
    status: str = READY
    retry_count: int = 0
    last_error: str | None = None
    next_retry: str | None = None  # ISO-8601 UTC
    last_retry: str | None = None

    @property
    def pending(self) -> list[RecipientState]:
        return [r for r in self.recipients if r.status == PENDING]

    @property
    def done(self) -> bool:
        return not self.pending

    def due(self, now: dt.datetime) -> bool:
        if self.done or self.status == SUSPENDED:
            return False
        when = from_iso(self.next_retry)
        return when is None or when <= now


@dataclass(slots=True)
class MessageState:
    id: str
    sender: str
    message_id: str
    subject: str
    size: int
    date_received: str  # ISO-8601 UTC
    connector_id: str = ""
    client_ip: str = ""
    delay_notified: bool = False  # a delay DSN went out (at most one per message)
    groups: list[GroupState] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return all(g.done for g in self.groups)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> MessageState:
        groups = [
            GroupState(**{**g, "recipients": [RecipientState(**r) for r in g.get("recipients", ())]})
            for g in data.get("groups", ())
        ]
        fields = {k: v for k, v in data.items() if k != "groups"}
        return cls(**fields, groups=groups)


class QueueStore:
    """Reads and (for the service) writes the queue folder. Safe to read from another process."""

    def __init__(self, state_dir: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.root = Path(state_dir) / "queue"
        self.messages = self.root / "messages"
        self.control = self.root / "control"
        self.fsync = fsync

    def ensure(self) -> None:
        self.messages.mkdir(parents=True, exist_ok=True)
        self.control.mkdir(parents=True, exist_ok=True)

    # ---- messages
    def path_of(self, msg_id: str) -> Path:
        return self.messages / f"{msg_id}.json"

    def save(self, state: MessageState) -> None:
        self.write_raw(state.id, state.to_json())

    def write_raw(self, msg_id: str, payload: bytes) -> None:
        write_atomic(self.path_of(msg_id), payload, fsync=self.fsync)

    def load(self, msg_id: str) -> MessageState | None:
        try:
            data = json.loads(self.path_of(msg_id).read_bytes())
            return MessageState.from_mapping(data)
        except (OSError, ValueError, TypeError):
            return None

    def ids(self) -> list[str]:
        if not self.messages.is_dir():
            return []
        ids = [n[:-5] for n in os.listdir(self.messages) if n.endswith(".json") and not n.startswith(".")]
        return sorted(ids, key=lambda s: (len(s), s))

    def all(self) -> Iterator[MessageState]:
        for msg_id in self.ids():
            state = self.load(msg_id)
            if state is not None:
                yield state

    def remove(self, msg_id: str) -> None:
        try:
            os.unlink(self.path_of(msg_id))
        except FileNotFoundError:
            pass

    def clean_temp(self) -> None:
        for folder in (self.messages, self.control, self.root):
            if folder.is_dir():
                for name in os.listdir(folder):
                    if name.startswith(".") and name.endswith(".tmp"):
                        try:
                            os.unlink(folder / name)
                        except OSError:
                            pass

    # ---- queue numbers
    @property
    def queues_file(self) -> Path:
        return self.root / "queues.json"

    def queue_numbers(self) -> dict[str, int]:
        try:
            data = json.loads(self.queues_file.read_bytes())
            return {str(k): int(v) for k, v in data.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return {}

    def save_queue_numbers(self, numbers: Mapping[str, int]) -> None:
        write_atomic(self.queues_file, json.dumps(dict(numbers)).encode("utf-8"), fsync=self.fsync)

    # ---- heartbeat
    @property
    def heartbeat_file(self) -> Path:
        return self.root / "engine.json"

    def write_heartbeat(self, info: Mapping[str, Any]) -> None:
        write_atomic(self.heartbeat_file, json.dumps(dict(info)).encode("utf-8"), fsync=False)

    def read_heartbeat(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.heartbeat_file.read_bytes())
            return data if isinstance(data, dict) else None
        except (OSError, ValueError):
            return None

    def engine_alive(self, max_age: float = 10.0) -> bool:
        info = self.read_heartbeat()
        if not info or info.get("stopped"):
            return False
        when = from_iso(info.get("heartbeat"))
        return when is not None and (utcnow() - when).total_seconds() <= max_age
