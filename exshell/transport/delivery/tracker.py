"""The delivery side's writer of the message tracking log: one row per event, unless MessageTrackingLogEnabled is
$false on this server (Set-TransportService), mirrored to a fleet's shared store when it keeps rows too."""

from __future__ import annotations

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

    def track(self, event_id: str, **fields: Any) -> None:
        if not self._enabled():
            return
        row = tracking.log_event(self.state_dir, event_id, **fields)
        if self._mirror is not None:
            self._mirror(self.server_name, row)
