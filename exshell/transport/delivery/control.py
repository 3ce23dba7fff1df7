"""Requests from the shell to the running delivery service, through files under `<state>/queue/control/`.

The shell and the engine are separate processes; the shell never edits queue or spool files (architecture.md:
"The queue is the engine's"). It writes `<uuid>.req.json` atomically and waits for `<uuid>.ack.json`, which
the service writes after executing the request. A heartbeat (`engine.json`) tells the shell whether anyone
is listening, so a request to a stopped engine fails at once with a clear message instead of hanging.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from exshell.errors import ExshellError
from exshell.transport.delivery.queue import QueueStore, utcnow, write_atomic

REQUEST_SUFFIX = ".req.json"
ACK_SUFFIX = ".ack.json"
ACK_TIMEOUT = 5.0

RETRY_QUEUE = "retry-queue"
SUSPEND_MESSAGE = "suspend-message"
RESUME_MESSAGE = "resume-message"
REMOVE_MESSAGE = "remove-message"
ACTIONS = (RETRY_QUEUE, SUSPEND_MESSAGE, RESUME_MESSAGE, REMOVE_MESSAGE)


class EngineNotRunning(ExshellError):
    def __init__(self, server: str, state_dir: str | os.PathLike[str]) -> None:
        path = Path(state_dir) / "queue" / "engine.json"
        super().__init__(
            f"The transport engine isn't running on {server} (no heartbeat in {path}); start it with exshell serve."
        )


class EngineNoAnswer(ExshellError):
    pass


def send_request(
    state_dir: str | os.PathLike[str],
    server: str,
    action: str,
    args: Mapping[str, Any],
    *,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Ask the service to act; return its acknowledgement (`{"ok": bool, "count": n, "message": text}`).
    Waits `timeout` seconds (default ACK_TIMEOUT) for the acknowledgement."""
    timeout = ACK_TIMEOUT if timeout is None else timeout
    queue = QueueStore(state_dir)
    if not queue.engine_alive():
        raise EngineNotRunning(server, state_dir)
    queue.control.mkdir(parents=True, exist_ok=True)
    req_id = uuid.uuid4().hex
    body = {
        "id": req_id,
        "action": action,
        "args": dict(args),
        "requested": utcnow().isoformat(),
        "pid": os.getpid(),
    }
    req_path = queue.control / f"{req_id}{REQUEST_SUFFIX}"
    ack_path = queue.control / f"{req_id}{ACK_SUFFIX}"
    write_atomic(req_path, json.dumps(body).encode("utf-8"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ack_path.exists():
            try:
                ack = json.loads(ack_path.read_bytes())
            except (OSError, ValueError):
                time.sleep(0.02)
                continue
            _unlink(ack_path)
            return ack if isinstance(ack, dict) else {"ok": False, "message": "malformed acknowledgement"}
        time.sleep(0.02)
    # Withdraw the request if the service hasn't taken it, so it can't run after we reported a failure.
    taken = not req_path.exists()
    _unlink(req_path)
    what = "took the request but didn't confirm it" if taken else "didn't answer"
    raise EngineNoAnswer(f"The transport engine on {server} {what} within {timeout:g} seconds.")


def pending_requests(queue: QueueStore) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The service side: requests oldest first. A request file is consumed (deleted) as it is read."""
    if not queue.control.is_dir():
        return
    paths = sorted(
        (p for p in queue.control.iterdir() if p.name.endswith(REQUEST_SUFFIX)),
        key=lambda p: p.stat().st_mtime if p.exists() else 0,
    )
    for path in paths:
        try:
            body = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue
        _unlink(path)
        if isinstance(body, dict) and "id" in body:
            yield path, body


def acknowledge(queue: QueueStore, req_id: str, result: Mapping[str, Any]) -> None:
    write_atomic(
        queue.control / f"{req_id}{ACK_SUFFIX}", json.dumps(dict(result)).encode("utf-8"), fsync=False
    )


def clean_stale_acks(queue: QueueStore, max_age: float = 60.0) -> None:
    """Acknowledgements nobody collected (the shell gave up) are removed after a minute."""
    if not queue.control.is_dir():
        return
    now = time.time()
    for p in queue.control.iterdir():
        if p.name.endswith(ACK_SUFFIX):
            try:
                if now - p.stat().st_mtime > max_age:
                    p.unlink()
            except OSError:
                pass


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
