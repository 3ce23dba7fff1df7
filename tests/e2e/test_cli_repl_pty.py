"""The REPL through a real pseudo-terminal (pexpect): prompt, output, continuation, Ctrl-C, Ctrl-D, errors."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")
pytest.importorskip("exshell.runtime.session")  # runs once the runtime has landed

REPO = Path(__file__).resolve().parents[2]
PROMPT = "[PS] exshell>"  # the trailing space may be drawn after a cursor-movement escape
TIMEOUT = 20
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|\r")


def screen(child) -> str:
    return ANSI.sub("", (child.before or "") + (child.after if isinstance(child.after, str) else ""))


def expect(child, text: str) -> None:
    """Wait for `text`; on failure show expected, what arrived, and the whole screen so far."""
    try:
        child.expect_exact(text, timeout=TIMEOUT)
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        raise AssertionError(
            f"expected {text!r} on the terminal; got {type(e).__name__}.\n"
            f"--- screen since last match (ANSI stripped) ---\n{ANSI.sub('', child.before or '')}\n"
            f"--- raw ---\n{child.before!r}"
        ) from None


@pytest.fixture
def shell(tmp_path: Path):
    env = dict(
        os.environ, PYTHONPATH=str(REPO), TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", COLUMNS="120", LINES="40"
    )
    env.pop("EXSHELL_STATE", None)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "exshell", "--state", str(tmp_path / "state")],
        env=env,
        encoding="utf-8",
        dimensions=(40, 120),
        timeout=TIMEOUT,
        cwd=str(tmp_path),
    )
    expect(child, PROMPT)
    yield child
    if child.isalive():
        child.terminate(force=True)


def test_typed_line_shows_its_output(shell):
    shell.send("Write-Output ('hel' + 'lo')\r")
    expect(shell, "hello")
    expect(shell, PROMPT)


def test_open_brace_continues_with_the_continuation_prompt(shell):
    shell.send("if ($true) {\r")
    expect(shell, ">>")
    shell.send("'inside' + '-block'\r")
    expect(shell, ">>")
    shell.send("}\r")
    expect(shell, "inside-block")
    expect(shell, PROMPT)


def test_ctrl_c_cancels_the_line(shell):
    shell.send("Write-Output ('can' + 'celled')")
    shell.sendcontrol("c")
    expect(shell, PROMPT)
    shell.send("Write-Output ('aft' + 'er')\r")
    expect(shell, "after")
    assert "cancelled" not in screen(shell)


def test_ctrl_d_leaves_with_status_zero(shell):
    shell.sendcontrol("d")
    try:
        shell.expect(pexpect.EOF, timeout=TIMEOUT)
    except pexpect.TIMEOUT:
        raise AssertionError(
            f"expected the shell to exit on Ctrl-D\n--- screen ---\n{screen(shell)}"
        ) from None
    shell.close()
    assert shell.exitstatus == 0


def test_exit_leaves(shell):
    shell.send("exit\r")
    shell.expect(pexpect.EOF, timeout=TIMEOUT)
    shell.close()
    assert shell.exitstatus == 0


def test_bad_line_prints_an_error_and_the_prompt_returns(shell):
    shell.send("Get-NoSuchThing\r")
    expect(shell, "is not recognized")
    expect(shell, PROMPT)
    shell.send("Write-Output ('st' + 'ill alive')\r")
    expect(shell, "still alive")
    assert "Traceback" not in screen(shell)


def test_parse_error_prints_and_the_prompt_returns(shell):
    shell.send("Write-Output (1 +* 2)\r")
    expect(shell, PROMPT)
    shell.send("Write-Output ('o' + 'k')\r")
    expect(shell, "ok")


def test_mandatory_parameters_are_prompted_and_high_impact_asks_to_confirm(shell):
    shell.send("New-AcceptedDomain\r")
    expect(shell, "Supply values for the following parameters:")
    expect(shell, "Name:")
    shell.send("fab\r")
    expect(shell, "DomainName:")
    shell.send("fab.example\r")
    expect(shell, "fab.example")
    expect(shell, PROMPT)
    shell.send("Remove-AcceptedDomain fab\r")
    expect(shell, "Are you sure you want to perform this action?")
    expect(shell, '[Y] Yes  [A] Yes to All  [N] No  [L] No to All  [S] Suspend  [?] Help (default is "Y"):')
    shell.send("y\r")
    expect(shell, PROMPT)
    shell.send("(Get-AcceptedDomain).Name -contains 'fab'\r")
    expect(shell, "False")


def test_tab_completes_names_from_the_store(shell):
    shell.send("(Get-AcceptedDomain).Count\r")
    # Wait for the command's output line: the default store has been created by now (the prompt alone is also
    # redrawn while the line is typed, before the command has run; escape sequences hold digits too).
    shell.expect(r"1\r\n", timeout=TIMEOUT)
    expect(shell, PROMPT)
    shell.send("Get-AcceptedDomain exshell.lo")
    shell.send("\t")
    time.sleep(1.0)  # completion runs as a task of the prompt; the screen shows only the added "cal"
    shell.send("\r")
    # Only the completed name finds the domain; `exshell.lo` would be an error.
    expect(shell, "Authoritative")


def test_ctrl_c_stops_a_running_command(shell):
    shell.send("$i = 0; while ($true) { $i++ }\r")
    time.sleep(1.0)  # let the loop start
    shell.sendcontrol("c")
    expect(shell, PROMPT)
    shell.send("Write-Output ('back' + ' again')\r")
    expect(shell, "back again")
    assert "Traceback" not in screen(shell)
