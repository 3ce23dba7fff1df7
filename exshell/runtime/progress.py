"""Progress from commands: the record (Write-Progress's), $ProgressPreference, a reporter for long loops (silent
at first, then throttled), and the progress a changing cmdlet shows over its pipeline input
(`Get-ReceiveConnector | Set-ReceiveConnector ...`, reported by runtime.pipeline). How a terminal draws the
records is exshell.output.progress's business; the host decides whether it draws them at all."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from exshell.errors import Category, PSRuntimeError
from exshell.runtime.context import preference_name
from exshell.runtime.values import to_string

if TYPE_CHECKING:  # pragma: no cover
    from exshell.runtime.context import CommandRuntime

# A long loop's reporter stays silent for its first SHOW_AFTER_SECONDS (a command that finishes quickly never
# flashes a bar), then builds a record at most every UPDATE_SECONDS: a loop over 100,000 objects pays one clock
# read per object.
SHOW_AFTER_SECONDS = 0.5
UPDATE_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class ProgressRecord:
    activity: str
    status: str = "Processing"
    activity_id: int = 0
    parent_id: int = -1
    percent_complete: int = -1  # -1: unknown (no bar)
    seconds_remaining: int = -1
    current_operation: str = ""
    completed: bool = False


class ProgressReporter:
    """for i, item in enumerate(items): reporter.step(i, total, status) ... reporter.done()

    Records go to `sink` (a host through $ProgressPreference, or a TerminalProgress). `total` < 0: the count is
    not known (pipeline input still arriving); the status then says how many so far. `phase(status, percent)`:
    one step of a command made of a few long steps (read, compare, check, write)."""

    def __init__(self, sink: Callable[[ProgressRecord], None], activity: str, activity_id: int = 0) -> None:
        self.sink = sink
        self.activity = activity
        self.activity_id = activity_id
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def due(self) -> bool:
        """Whether a record is due now (the command has run a while, and the last one is old enough)."""
        now = time.monotonic()
        if now - self.started < SHOW_AFTER_SECONDS or now - self.last < UPDATE_SECONDS:
            return False
        self.last = now
        return True

    def step(self, done: int, total: int, status: str) -> None:
        if self.due():
            self.show(done, total, status)

    def show(self, done: int, total: int, status: str) -> None:
        if total >= 0:
            percent = int(done * 100 / total) if total > 0 else 100
            text = f"{done} of {total}: {status}"
        else:
            percent, text = -1, f"{done} so far: {status}"
        self.sink(ProgressRecord(self.activity, text, self.activity_id, percent_complete=percent))
        self.shown = True

    def phase(self, status: str, percent: int = -1) -> None:
        """A new step of the command (few and long: not throttled, but silent in the first moments)."""
        now = time.monotonic()
        if now - self.started < SHOW_AFTER_SECONDS:
            return
        self.last = now
        self.sink(ProgressRecord(self.activity, status, self.activity_id, percent_complete=percent))
        self.shown = True

    def done(self) -> None:
        if self.shown:
            self.shown = False
            self.sink(ProgressRecord(self.activity, "Completed", self.activity_id, completed=True))


# Activity ids of the progress cmdlets report themselves, away from the small ids scripts give Write-Progress
# (-Id 0, 1, 2, ...), so a script's own bar and a cmdlet's never replace each other.
PIPELINE_ACTIVITY_BASE = 1_000_000
LOOP_ACTIVITY_BASE = 2_000_000


def emit(runtime: "CommandRuntime", record: ProgressRecord) -> None:
    """Honour $ProgressPreference (Continue shows, SilentlyContinue/Ignore don't, Stop stops the command) and
    hand the record to the host."""
    pref = preference_name(runtime.session.get_variable("ProgressPreference", "Continue"))
    if pref in ("silentlycontinue", "ignore"):
        return
    if pref == "stop":  # as $WarningPreference = 'Stop': the script stops, not just this statement
        rec = runtime.make_record(
            'The running command stopped because the preference variable "ProgressPreference" or common '
            f"parameter is set to Stop: {record.activity}",
            "ActionPreferenceStop",
            Category.OperationStopped,
            exception_type="ActionPreferenceStopException",
        )
        raise PSRuntimeError(rec, script_terminating=True)
    runtime.host.write_progress(record)


class LoopProgress(ProgressReporter):
    """A command's long loop or steps, reported through $ProgressPreference to the command's host."""

    def __init__(self, runtime: "CommandRuntime", activity: str, activity_id: int = LOOP_ACTIVITY_BASE) -> None:
        super().__init__(lambda record: emit(runtime, record), activity, activity_id)
        self.runtime = runtime

    @staticmethod
    def status_of(params: Any) -> str:
        return input_status(params)


def input_status(params: Any) -> str:
    """What a pipeline progress line names: the input object's Identity as bound (the object's name)."""
    value = params.get("Identity") if params is not None else None
    if value is None:
        return "..."
    try:
        return to_string(value)
    except Exception:  # noqa: BLE001 - a display string must never fail the command it describes
        return "..."
