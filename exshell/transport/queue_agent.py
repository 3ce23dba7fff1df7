"""An engine's answers to queue requests from shells on other machines (store/queue_requests.py carries them).

`exshell serve` on a shared store runs one agent per server (in worker 0, beside delivery). It answers with what
a shell on this machine would see and do: the queue view read from the state folder (`queues`, `messages`), and
the four actions handed to the delivery service through its local request files (delivery/control.py), whose
acknowledgement goes back as the answer. The views travel as JSON (`encode` / `decode`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from exshell.transport.delivery import control
from exshell.transport.delivery.queue_view import MessageInfo, QueueInfo, read_snapshot

QUEUES = "queues"
MESSAGES = "messages"
DEFAULT_EXPIRATION_S = 2 * 86400.0


def encode(info: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(info):
        value = getattr(info, f.name)
        if isinstance(value, dt.datetime):
            value = {"$dt": value.isoformat()}
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def decode(cls: type[Any], data: dict[str, Any]) -> Any:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        value = data.get(f.name)
        if isinstance(value, dict) and "$dt" in value:
            value = dt.datetime.fromisoformat(value["$dt"])
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return cls(**values)


def decode_queues(rows: list[dict[str, Any]]) -> list[QueueInfo]:
    return [decode(QueueInfo, r) for r in rows]


def decode_messages(rows: list[dict[str, Any]]) -> list[MessageInfo]:
    return [decode(MessageInfo, r) for r in rows]


def expiration_of(store: Any, server: str) -> float:
    """MessageExpirationTimeout of `server` in the newest version (a version that can't be read: the default)."""
    # Lazy: the queue cmdlets import this module for its decoders.
    from exshell.config.cache import current_config
    from exshell.model.errors import ModelDataError

    try:
        return float(current_config(store).settings_for(server).message_expiration_timeout.seconds)
    except ModelDataError:
        return DEFAULT_EXPIRATION_S


def handler_for(state_dir: str | Path, server: str, store: Any) -> Callable[[str, dict[str, Any]], Any]:
    def handle(action: str, args: dict[str, Any]) -> Any:
        if action in (QUEUES, MESSAGES):
            snapshot = read_snapshot(state_dir, server, expiration_of(store, server))
            if action == QUEUES:
                return [encode(q) for q in snapshot.queues]
            return [encode(m) for m in snapshot.messages]
        if action in control.ACTIONS:
            try:
                return control.send_request(state_dir, server, action, args)
            except control.EngineNotRunning as e:
                return {"ok": False, "reason": "not-running", "message": str(e)}
            except control.EngineNoAnswer as e:
                return {"ok": False, "reason": "no-answer", "message": str(e)}
        return {"ok": False, "message": f"The transport engine of {server} doesn't know the request '{action}'."}

    return handle


__all__ = ["MESSAGES", "QUEUES", "decode_messages", "decode_queues", "encode", "expiration_of", "handler_for"]
