"""Write-Progress and cmdlet progress: drawn on a terminal (a real pty), silent in a pipe, $ProgressPreference
honoured; long loops report only once they have run for a while."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect

from exshell.cmdlets import progress as progress_module
from exshell.output.progress import ProgressRecord

SCRIPT = ("Write-Progress -Activity 'Importing relay hosts' -Status 'host 2 of 5' -PercentComplete 40; "
          "'between'; Write-Progress -Activity 'Importing relay hosts' -Completed; 'end'")


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, TERM="xterm")
    env.pop("EXSHELL_STATE", None)
    return env


def run_on_a_terminal(tmp_path: Path, text: str) -> str:
    child = pexpect.spawn(sys.executable, ["-m", "exshell", "--state", str(tmp_path / "state"), "-c", text],
                          env=_env(tmp_path), encoding="utf-8", dimensions=(30, 100), timeout=60)
    out = child.read()
    child.close()
    return str(out)


def test_write_progress_draws_a_bar_on_a_terminal_and_erases_it_when_completed(tmp_path: Path) -> None:
    screen = run_on_a_terminal(tmp_path, SCRIPT)
    assert "Importing relay hosts: host 2 of 5" in screen and "40%" in screen
    assert "\x1b[1F\x1b[J" in screen.split("between", 1)[1]  # the line is erased on -Completed
    assert "end" in screen


def test_progress_preference_silentlycontinue_shows_nothing_even_on_a_terminal(tmp_path: Path) -> None:
    screen = run_on_a_terminal(tmp_path, "$ProgressPreference = 'SilentlyContinue'; " + SCRIPT)
    assert "Importing relay hosts" not in screen and "end" in screen


def test_write_progress_is_silent_in_a_pipe(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "exshell", "--state", str(tmp_path / "state"), "-c", SCRIPT],
                       capture_output=True, text=True, env=_env(tmp_path), timeout=60, check=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "between\nend\n" and p.stderr == ""


def test_progress_preference_stop_stops_the_script(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "exshell", "--state", str(tmp_path / "state"), "-c",
                        "$ProgressPreference = 'Stop'; Write-Progress -Activity Copying; 'after'"],
                       capture_output=True, text=True, env=_env(tmp_path), timeout=60, check=False)
    assert p.returncode == 1 and "after" not in p.stdout
    assert "ActionPreferenceStop" in p.stderr and 'preference variable "ProgressPreference"' in p.stderr


class _Host:
    def __init__(self) -> None:
        self.records: list[ProgressRecord] = []

    def write_progress(self, record: ProgressRecord) -> None:
        self.records.append(record)


class _Session:
    def __init__(self, pref: str) -> None:
        self.pref = pref

    def get_variable(self, name: str, default: object = None) -> object:
        return self.pref if name == "ProgressPreference" else default


class _Runtime:
    def __init__(self, pref: str = "Continue") -> None:
        self.host = _Host()
        self.session = _Session(pref)


class _Cmdlet:
    def __init__(self, pref: str = "Continue") -> None:
        self.runtime = _Runtime(pref)


def test_a_loop_reports_only_after_it_has_run_a_while_then_completes(monkeypatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    cmdlet = _Cmdlet()
    loop = progress_module.LoopProgress(cmdlet, "Removing messages")
    loop.step(0, 2000, "EX01\\3\\1")  # at once: too early to show anything
    assert cmdlet.runtime.host.records == []
    clock[0] += 1.0
    loop.step(500, 2000, "EX01\\3\\501")
    clock[0] += 0.01
    loop.step(501, 2000, "EX01\\3\\502")  # throttled
    loop.done()
    records = cmdlet.runtime.host.records
    assert [r.percent_complete for r in records[:-1]] == [25]
    assert records[0].status == "500 of 2000: EX01\\3\\501"
    assert records[-1].completed and records[-1].activity == "Removing messages"


def test_a_short_loop_shows_nothing_and_silentlycontinue_nothing_at_all(monkeypatch) -> None:
    cmdlet = _Cmdlet()
    loop = progress_module.LoopProgress(cmdlet, "Removing messages")
    loop.step(0, 2, "a")
    loop.done()
    assert cmdlet.runtime.host.records == []
    clock = [0.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    quiet = _Cmdlet("SilentlyContinue")
    loop = progress_module.LoopProgress(quiet, "Removing messages")
    clock[0] = 5.0
    loop.step(1, 2, "b")
    loop.done()
    assert quiet.runtime.host.records == []
