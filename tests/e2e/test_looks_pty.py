"""The shell's looks through a real pseudo-terminal (pexpect): a risky prompt defaults to No, errors are red
and warnings yellow on a terminal (never in a pipe or with NO_COLOR), the open-relay warning names the hosts,
soft-wrapped lines carry no continuation marker, and Ctrl+C stops a running loop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_cli_repl_pty import ANSI, PROMPT, REPO, TIMEOUT, expect

pexpect = pytest.importorskip("pexpect")

RED = "\x1b[91m"
YELLOW = "\x1b[93m"


def spawn(tmp_path: Path, columns: int = 120, **extra_env: str):
    env = dict(os.environ, PYTHONPATH=str(REPO), TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", COLUMNS=str(columns),
               LINES="40", **extra_env)
    env.pop("EXSHELL_STATE", None)
    if "NO_COLOR" not in extra_env:
        env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "exshell", "--state", str(tmp_path / "state")], env=env,
                          encoding="utf-8", dimensions=(40, columns), timeout=TIMEOUT, cwd=str(tmp_path))
    expect(child, PROMPT)
    return child


@pytest.fixture
def shell(tmp_path: Path):
    child = spawn(tmp_path)
    yield child
    child.terminate(force=True)


def test_open_relay_prompt_defaults_to_no_and_names_the_host(shell):
    shell.send("New-ReceiveConnector -Name Relay -Usage Custom -Bindings 0.0.0.0:2525 -RemoteIPRanges 203.0.113.5 "
               "-PermissionGroups AnonymousUsers | Out-Null\r")
    expect(shell, PROMPT)
    shell.send('Get-ReceiveConnector Relay | Add-ADPermission -User "NT AUTHORITY\\ANONYMOUS LOGON" '
               "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient\r")
    expect(shell, '(default is "N"):')
    text = ANSI.sub("", shell.before or "")
    assert "the host 203.0.113.5" in " ".join(text.split())
    assert "any host on the Internet" not in text
    shell.send("\r")  # Enter takes the default: No
    expect(shell, PROMPT)
    shell.send("(Get-ADPermission Relay | Where-Object { \"$($_.ExtendedRights)\" -like '*Any-Recipient*' }).Count\r")
    expect(shell, "0")
    expect(shell, PROMPT)


def test_warnings_are_yellow_on_a_terminal(shell):
    shell.send("Write-Warning 'careful now'\r")
    expect(shell, "WARNING: careful now")
    assert (shell.before or "").endswith(YELLOW)


def test_error_text_is_red(shell):
    shell.send("Get-ReceiveConnector NoSuchConnector\r")
    shell.expect_exact("couldn't be found", timeout=TIMEOUT)
    expect(shell, PROMPT)
    assert RED in (shell.before or "")


def test_no_color_turns_colour_off(tmp_path):
    child = spawn(tmp_path, NO_COLOR="1")
    try:
        child.send("Get-ReceiveConnector NoSuchConnector; Write-Warning 'plain'\r")
        expect(child, "WARNING: plain")
        expect(child, PROMPT)
        assert RED not in (child.before or "") and YELLOW not in (child.before or "")
    finally:
        child.terminate(force=True)


def test_errors_in_a_pipe_are_plain_text(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("NO_COLOR", None)
    p = subprocess.run([sys.executable, "-m", "exshell", "--state", str(tmp_path / "s"), "-c",
                        "Get-ReceiveConnector NoSuchConnector; Write-Warning w"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert "NoSuchConnector" in p.stderr and "WARNING: w" in p.stdout
    assert "\x1b[" not in p.stderr + p.stdout


def test_soft_wrapped_line_has_no_continuation_marker(tmp_path):
    child = spawn(tmp_path, columns=40)
    try:
        child.send("Write-Output '" + "x" * 70 + "'")
        child.expect_exact("x" * 10, timeout=TIMEOUT)
        child.expect(pexpect.TIMEOUT, timeout=1.5)  # let the prompt finish drawing the wrapped line
        assert ">>" not in ANSI.sub("", child.before or "")
        child.send("\r")
        expect(child, "x" * 30)
    finally:
        child.terminate(force=True)


def test_ctrl_c_stops_a_running_loop(shell):
    shell.send("while ($true) { $i++ }\r")
    shell.expect(pexpect.TIMEOUT, timeout=1.5)
    shell.sendintr()
    expect(shell, PROMPT)
    shell.send("'still here'\r")
    expect(shell, "still here")
