"""Progress from cmdlets: the runtime's reporter (exshell.runtime.progress) called with a cmdlet."""

from __future__ import annotations

from typing import Any

from exshell.runtime.progress import ProgressRecord
from exshell.runtime import progress as _runtime_progress


def emit(cmdlet: Any, record: ProgressRecord) -> None:
    """Write-Progress's record to the host, $ProgressPreference honoured."""
    _runtime_progress.emit(cmdlet.runtime, record)


class LoopProgress(_runtime_progress.LoopProgress):
    """A cmdlet's long loop: `LoopProgress(self, "Removing messages")`, then step()/phase() and done()."""

    def __init__(self, cmdlet: Any, activity: str,
                 activity_id: int = _runtime_progress.LOOP_ACTIVITY_BASE) -> None:
        super().__init__(cmdlet.runtime, activity, activity_id)
