"""Write-Progress and cmdlet progress: drawn on a terminal (a real pty), silent in a pipe, $ProgressPreference
honoured; long loops report only once they have run for a while. Bulk Set-/Remove- through the pipeline,
Restore-ConfigVersion and `exshell store export`/`import` report their progress the same way."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect
import pyte
import pytest

from exshell import cli
from exshell.app import make_session
from exshell.cmdlets import progress as progress_module
from exshell.runtime import progress as runtime_progress
from exshell.runtime.progress import ProgressRecord
from exshell.runtime.host import BufferHost

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


def final_screen(stream: str, columns: int = 100) -> list[str]:
    """What the terminal shows once the stream is played on it (a VT100 emulator: erased lines are gone)."""
    screen = pyte.Screen(columns, 30)
    pyte.Stream(screen).feed(stream)
    return [line.rstrip() for line in screen.display if line.strip()]


def test_write_progress_draws_a_bar_on_a_terminal_and_erases_it_when_completed(tmp_path: Path) -> None:
    stream = run_on_a_terminal(tmp_path, SCRIPT)
    assert "Importing relay hosts: host 2 of 5" in stream and "40%" in stream
    # The bar is erased before the output is written, so the output stays and the bar goes.
    assert final_screen(stream) == ["between", "end"]


# An upstream that keeps feeding one connector for a second: the bulk change runs long enough to report on any
# machine (a reporter stays silent for its first half second).
SLOW_FEED = ("$rc = Get-ReceiveConnector 'Client*'; "
             "& { $end = (Get-Date).AddSeconds(0.8); while ((Get-Date) -lt $end) { $rc } }")
BULK = (f"{SLOW_FEED} | Set-ReceiveConnector -MaxMessageSize 20MB -WarningAction SilentlyContinue; "
        "(Get-ReceiveConnector 'Client*').MaxMessageSize.ToMB()")


def test_bulk_set_through_the_pipeline_shows_its_progress_on_a_terminal_then_leaves_only_the_output(
        tmp_path: Path) -> None:
    stream = run_on_a_terminal(tmp_path, BULK)
    bars = re.findall(r"Set-ReceiveConnector: (\d+) so far: \S+\\Client \S+", stream)
    assert bars, stream
    assert final_screen(stream) == ["20"]  # one version made, and no bar left behind


def test_bulk_progress_in_the_repl_is_drawn_then_erased_before_the_output(tmp_path: Path) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "exshell", "--state", str(tmp_path / "state")],
                          env=dict(_env(tmp_path), PROMPT_TOOLKIT_NO_CPR="1"), encoding="utf-8",
                          dimensions=(30, 100), timeout=60)
    try:
        child.expect("exshell>")
        child.sendline(BULK.replace("(Get-ReceiveConnector", "'do' + 'ne'; (Get-ReceiveConnector"))
        child.expect("done")  # the output, not the typed line ('do' + 'ne')
        stream = str(child.before)
        child.expect("exshell>")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert "Set-ReceiveConnector:" in stream
    assert not any("Set-ReceiveConnector:" in line for line in final_screen(stream))


def test_bulk_progress_is_silent_in_a_pipe_and_with_progress_preference_silentlycontinue(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "exshell", "--state", str(tmp_path / "state"), "-c", BULK],
                       capture_output=True, text=True, env=_env(tmp_path), timeout=60, check=False)
    assert (p.returncode, p.stdout, p.stderr) == (0, "20\n", "")
    stream = run_on_a_terminal(tmp_path, "$ProgressPreference = 'SilentlyContinue'; " + BULK)
    assert "Set-ReceiveConnector:" not in stream and "\x1b[" not in stream
    assert final_screen(stream) == ["20"]


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
    monkeypatch.setattr(runtime_progress.time, "monotonic", lambda: clock[0])
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
    monkeypatch.setattr(runtime_progress.time, "monotonic", lambda: clock[0])
    quiet = _Cmdlet("SilentlyContinue")
    loop = progress_module.LoopProgress(quiet, "Removing messages")
    clock[0] = 5.0
    loop.step(1, 2, "b")
    loop.done()
    assert quiet.runtime.host.records == []


# ---------------------------------------------------------------------- in-process, on a clock that runs fast


class RecordingHost(BufferHost):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[ProgressRecord] = []

    def write_progress(self, record: Any) -> None:
        self.records.append(record)


@pytest.fixture
def fast_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every clock read is 0.6 s after the one before: every reporter is due at every step."""
    clock = [1000.0]

    def tick() -> float:
        clock[0] += 0.6
        return clock[0]

    monkeypatch.setattr(runtime_progress.time, "monotonic", tick)


def _session(tmp_path: Path) -> tuple[Any, RecordingHost]:
    host = RecordingHost()
    return make_session(tmp_path / "state", "EX01", host), host


def test_a_bulk_change_knows_its_total_when_the_command_before_it_does(tmp_path: Path, fast_clock: None) -> None:
    session, host = _session(tmp_path)
    assert session.run("Get-ReceiveConnector | Set-ReceiveConnector -MaxMessageSize 20MB").success
    statuses = [r.status for r in host.records if r.activity == "Set-ReceiveConnector"]
    assert statuses[0] == "0 of 2: EX01\\Default EX01" and statuses[1] == "1 of 2: EX01\\Client EX01"
    assert "saving as one configuration version" in statuses[2]  # the commit re-applies each change
    assert host.records[-1].completed and host.records[-1].activity == "Set-ReceiveConnector"
    host.records.clear()
    assert session.run("$names = 'Default EX01', 'Client EX01'; $names | Set-ReceiveConnector -MaxMessageSize 25MB"
                       ).success
    assert [r.percent_complete for r in host.records][:2] == [0, 50]
    host.records.clear()
    assert session.run("Get-ReceiveConnector -Identity 'Default EX01' | Format-List Name").success
    assert host.records == []  # a Get- reports nothing; only the commands that change things do


def test_restore_config_version_reports_reading_comparing_checking_and_saving(
        tmp_path: Path, fast_clock: None) -> None:
    session, host = _session(tmp_path)
    assert session.run("Set-ReceiveConnector 'Client EX01' -MaxMessageSize 20MB").success
    host.records.clear()
    assert session.run("Restore-ConfigVersion 1 -Confirm:$false").success
    statuses = [r.status for r in host.records]
    assert statuses[:2] == ["Reading version 1", "Comparing version 1 with version 2"]
    assert any(re.fullmatch(r"\d+ of \d+: checking its objects", s) for s in statuses), statuses
    assert "Saving version 1's content as version 3" in statuses and host.records[-1].completed
    assert session.run("(Get-ConfigVersion -Last 1).Version").success and host.output.strip().endswith("3")


def test_store_export_draws_on_a_terminal_only(tmp_path: Path, fast_clock: None,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    session, _ = _session(tmp_path)
    for size in (11, 12, 13):
        assert session.run(f"Set-ReceiveConnector 'Client EX01' -MaxMessageSize {size}MB").success
    master, slave = pty.openpty()
    os.set_blocking(master, False)

    def written() -> str:  # everything the command wrote to the terminal (it has returned: all of it is there)
        chunks = []
        while True:
            try:
                chunks.append(os.read(master, 65536))
            except BlockingIOError:
                return b"".join(chunks).decode("utf-8", "replace")

    with open(slave, "w", encoding="utf-8", closefd=True) as terminal:  # a real terminal as stderr
        monkeypatch.setattr(sys, "stderr", terminal)
        assert cli.main(["--state", str(tmp_path / "state"), "store", "export", str(tmp_path / "copy")]) == 0
        drawn = written()
        assert cli.main(["--state", str(tmp_path / "state"), "store", "export", "--no-progress",
                         str(tmp_path / "quiet")]) == 0
        quiet = written()
    os.close(master)
    assert "Copying the store: 4 of 4: versions" in drawn and "100%" in drawn
    assert drawn.rstrip().endswith("\x1b[1F\x1b[J")  # erased when done
    assert quiet == ""
    monkeypatch.setattr(sys, "stderr", sys.__stderr__)
    assert cli.main(["--state", str(tmp_path / "copy"), "store", "export", str(tmp_path / "piped")]) == 0
    out = capsys.readouterr()
    assert "Copied 4 version(s)" in out.out and out.err == ""  # not a terminal: nothing drawn
