"""Get-History, the pager (Out-Host -Paging, more), $Host and $PSVersionTable in the REPL, in-process with
prompt_toolkit's pipe input and a real Session."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from exshell.cmdlets.registry import default_registry
from exshell.runtime.host import BufferHost
from exshell.runtime.session import Services, Session
from exshell.shell.repl import run_repl
from exshell.version import version

ENTER = "\r"
CTRL_D = "\x04"
CHUNK_GAP = 1.0


def repl(tmp_path: Path, chunks: list[str]) -> str:
    session = Session(default_registry(), Services(tmp_path / "state", "EX01"), BufferHost())
    out = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(chunks[0])
        timers = [threading.Timer(CHUNK_GAP * i, pipe.send_text, (c,)) for i, c in enumerate(chunks[1:], 1)]
        for t in timers:
            t.start()
        run_repl(tmp_path / "state", pt_input=pipe, pt_output=DummyOutput(), out=out, err=out, session=session,
                 max_lines=20)
        for t in timers:
            t.join()
    return out.getvalue()


def test_get_history_lists_the_typed_lines_but_not_itself(tmp_path: Path):
    out = repl(tmp_path, ["$a = 1" + ENTER + "Write-Output hi" + ENTER + "Get-History" + ENTER
                          + "(Get-History -Count 1).CommandLine" + ENTER + CTRL_D])
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[
        lines.index("  Id CommandLine"):lines.index("  Id CommandLine") + 4] == ["  Id CommandLine", "  -- -----------", "   1 $a = 1", "   2 Write-Output hi"]
    assert "   3 Get-History" not in lines
    assert lines[-1] == "Get-History"


def test_out_host_paging_stops_at_q(tmp_path: Path):
    # A page is the terminal height less one line (25 without a terminal); Space shows the next page,
    # Enter one line, Q stops.
    out = repl(tmp_path, ["1..100 | Out-Host -Paging" + ENTER, "\r", " ", "q", CTRL_D])
    numbers = [line for line in out.splitlines() if line.strip().isdigit()]
    assert numbers == [str(i) for i in range(1, 24 + 1 + 24 + 1)]


def test_more_pages_a_file(tmp_path: Path):
    text = tmp_path / "log.txt"
    text.write_text("".join(f"line {i}\n" for i in range(1, 41)), encoding="utf-8")
    out = repl(tmp_path, [f"more '{text}'" + ENTER, "q", CTRL_D])
    shown = [line for line in out.splitlines() if line.startswith("line ")]
    assert shown == [f"line {i}" for i in range(1, 25)]


def test_paging_without_a_terminal_writes_everything(tmp_path: Path):
    host = BufferHost()
    session = Session(default_registry(), Services(tmp_path / "state", "EX01"), host)
    assert session.run("1..60 | Out-Host -Paging; 'a','b' | more").success
    assert host.lines == [str(i) for i in range(1, 61)] + ["a", "b"]


def test_version_table_and_host(tmp_path: Path):
    host = BufferHost(width=97)
    session = Session(default_registry(), Services(tmp_path / "state", "EX01"), host)
    session.run("$PSVersionTable.PSVersion.Major; $PSVersionTable.PSVersion.Minor; $PSVersionTable.PSEdition; "
                "$PSVersionTable.ExshellVersion; $Host.Name; $Host.UI.RawUI.WindowSize.Width; "
                "$Host.UI.RawUI.BufferSize.Width; \"$($Host.Version)\"")
    assert host.lines == ["5", "1", "Desktop", version(), "ConsoleHost", "97", "97", version()]


def test_get_alias(tmp_path: Path):
    host = BufferHost()
    session = Session(default_registry(), Services(tmp_path / "state", "EX01"), host)
    session.run("(Get-Alias -Definition Where-Object).Name; (Get-Alias gal).Definition; Get-Alias nope")
    assert host.lines == ["?", "where", "Get-Alias"]
    assert "This command cannot find a matching alias because an alias with the name 'nope' does not exist." in (
        host.error_text)
