"""The delivery side's writer of the message tracking log: one row per event, unless MessageTrackingLogEnabled is
$false on this server (Set-TransportService), mirrored to a fleet's shared store when it keeps rows too.

Rows made on the event loop wait for the end of the loop's current iteration and go out together, in one write
(a burst of deliveries finishing together costs one system call, not one each); a row made in a worker thread
(a bounce) writes what is waiting and itself at once, so the file keeps the order the rows were made in.
`flush()` writes what is waiting (before the service acknowledges a shell request, and at stop).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from exshell.transport.delivery import tracking


class Tracker:
    def __init__(self, state_dir: Path, store: Any, server_name: str, enabled: Callable[[], bool]) -> None:
        self.state_dir = state_dir
        self.server_name = server_name
        self._enabled = enabled  # read per row: the setting follows the configuration version
        self._mirror = getattr(store, "track", None)  # PostgreSQL: Get-MessageTrackingLog -Server reads there
        self._lock = threading.Lock()
        self._waiting: list[tracking.TrackingRow] = []
        self._flush_scheduled = False

    def track(self, event_id: str, **fields: Any) -> None:
        if not self._enabled():
            return
        row = tracking.make_row(event_id, **fields)
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self._lock:
            self._waiting.append(row)
            if loop is not None:
                if not self._flush_scheduled:
                    self._flush_scheduled = True
                    loop.call_soon(self.flush)
            else:
                self._write_waiting()
        if self._mirror is not None:
            self._mirror(self.server_name, row.fields)

    def flush(self) -> None:
        with self._lock:
            self._flush_scheduled = False
            self._write_waiting()

    def _write_waiting(self) -> None:
        rows, self._waiting = self._waiting, []
        if rows:
            tracking.write_rows(self.state_dir, rows)
