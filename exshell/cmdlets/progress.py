"""Progress from cmdlets: Write-Progress's record, $ProgressPreference, and a throttled reporter for long
loops (Remove-Message over many messages, ...)."""

from __future__ import annotations

import time
from typing import Any

from exshell.errors import Category, PSRuntimeError
from exshell.output.progress import ProgressRecord
from exshell.runtime.context import preference_name

# A loop shows progress only once it has run this long (short commands never flash a bar), then at most
# every UPDATE_SECONDS.
SHOW_AFTER_SECONDS = 0.5
UPDATE_SECONDS = 0.1


def emit(cmdlet: Any, record: ProgressRecord) -> None:
    """Honour $ProgressPreference (Continue shows, SilentlyContinue/Ignore don't, Stop stops the command) and
    hand the record to the host."""
    pref = preference_name(cmdlet.runtime.session.get_variable("ProgressPreference", "Continue"))
    if pref in ("silentlycontinue", "ignore"):
        return
    if pref == "stop":  # as $WarningPreference = 'Stop': the script stops, not just this statement
        rec = cmdlet.runtime.make_record(
            'The running command stopped because the preference variable "ProgressPreference" or common '
            f"parameter is set to Stop: {record.activity}",
            "ActionPreferenceStop",
            Category.OperationStopped,
            exception_type="ActionPreferenceStopException",
        )
        raise PSRuntimeError(rec, script_terminating=True)
    cmdlet.runtime.host.write_progress(record)


class LoopProgress:
    """for i, item in enumerate(items): progress.step(i, total, status) ... progress.done()"""

    def __init__(self, cmdlet: Any, activity: str, activity_id: int = 1) -> None:
        self.cmdlet = cmdlet
        self.activity = activity
        self.activity_id = activity_id
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def step(self, done: int, total: int, status: str) -> None:
        now = time.monotonic()
        if now - self.started < SHOW_AFTER_SECONDS or now - self.last < UPDATE_SECONDS:
            return
        self.last = now
        self.shown = True
        percent = int(done * 100 / total) if total > 0 else -1
        emit(self.cmdlet, ProgressRecord(self.activity, f"{done} of {total}: {status}", self.activity_id,
                                         percent_complete=percent))

    def done(self) -> None:
        if self.shown:
            emit(self.cmdlet, ProgressRecord(self.activity, "Completed", self.activity_id, completed=True))
