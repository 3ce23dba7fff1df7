"""Get-History, the pager (Out-Host -Paging, more), $Host and $PSVersionTable in the REPL, in-process with
prompt_toolkit's pipe input and a real Session."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input

from exshell.cmdlets.registry import default_registry
from exshell.output.pager import PAGER_PROMPT
from exshell.runtime.host import BufferHost
from exshell.runtime.session import Services, Session
from exshell.shell.repl import run_repl
from exshell.version import version

from .typist import ScreenOutput, Seen, Typist, drawn

ENTER = "\r"
CTRL_D = "\x04"


def repl(tmp_path: Path, first: str, steps: list[tuple[Seen, str]] | None = None) -> str:
    """Type `first`, then each step's keys once the screen shows what a person would wait for."""
    session = Session(default_registry(), Services(tmp_path / "state", "EX01"), BufferHost())
    out = io.StringIO()
    screen = ScreenOutput()
    with create_pipe_input() as pipe:
        pipe.send_text(first)
        with Typist(pipe, out, screen, steps or []) as typist:
            run_repl(tmp_path / "state", pt_input=pipe, pt_output=screen, out=out, err=out, session=session,
                     max_lines=20)
    assert typist.timed_out is None, typist.timed_out
    return out.getvalue()


def test_get_history_lists_the_typed_lines_but_not_itself(tmp_path: Path):
    out = repl(tmp_path, "$a = 1" + ENTER + "Write-Output hi" + ENTER + "Get-History" + ENTER
               + "(Get-History -Count 1).CommandLine" + ENTER + CTRL_D)
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[
        lines.index("  Id CommandLine"):lines.index("  Id CommandLine") + 4] == ["  Id CommandLine", "  -- -----------", "   1 $a = 1", "   2 Write-Output hi"]
    assert "   3 Get-History" not in lines
    assert lines[-1] == "Get-History"


def test_out_host_paging_stops_at_q(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # A page is the terminal height less one line; Space shows the next page, Enter one line, Q stops.
    # Each key is typed once the pager asks again (its question drawn anew), as a person would.
    monkeypatch.setenv("LINES", "25")  # the test's own terminal (if any) must not decide the page
    out = repl(tmp_path, "1..100 | Out-Host -Paging" + ENTER,
               [(drawn(PAGER_PROMPT), "\r"), (drawn(PAGER_PROMPT), " "), (drawn(PAGER_PROMPT), "q"),
                (drawn("exshell>"), CTRL_D)])
    numbers = [line for line in out.splitlines() if line.strip().isdigit()]
    assert numbers == [str(i) for i in range(1, 24 + 1 + 24 + 1)]


def test_more_pages_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LINES", "25")
    text = tmp_path / "log.txt"
    text.write_text("".join(f"line {i}\n" for i in range(1, 41)), encoding="utf-8")
    out = repl(tmp_path, f"more '{text}'" + ENTER, [(drawn(PAGER_PROMPT), "q"), (drawn("exshell>"), CTRL_D)])
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
