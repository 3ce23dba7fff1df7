"""What Get-ConfigVersion records as a version's Command (issue 11 item 5): the statement as typed; when it
names variables, the values the cmdlet was bound to; for a statement from a script file, the file and line;
never a secret. Through real `exshell` processes, as an administrator runs a script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[2]


def exshell(state: Path, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")
    env.pop("EXSHELL_STATE", None)
    proc = subprocess.run([sys.executable, "-m", "exshell", "--state", str(state), "--server", "EX01", *args],
                          capture_output=True, text=True, env=env, timeout=60, cwd=state.parent, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def commands(state: Path) -> list[str]:
    out = exshell(state, "-c", "Get-ConfigVersion | ForEach-Object { $_.Command }")
    return [line for line in out.splitlines() if line.strip()]


def test_a_script_run_records_the_bound_values_and_the_script_line(tmp_path: Path) -> None:
    script = tmp_path / "relay.ps1"
    script.write_text(
        '$binding = "127.0.0.1:2626"\n'
        '$hosts = "10.0.0.1","10.0.0.2"\n'
        "New-ReceiveConnector -Name Relay -Usage Custom -Bindings $binding -RemoteIPRanges $hosts "
        "-PermissionGroups AnonymousUsers | Out-Null\n"
        'Set-ReceiveConnector Relay -RemoteIPRanges @{Add="10.0.0.3"; Remove=$hosts[0]}\n'
    )
    state = tmp_path / "state"
    exshell(state, "-f", str(script))
    new, edit = commands(state)[-2:]
    assert new.startswith("New-ReceiveConnector -Name Relay -Usage Custom -Bindings $binding")
    assert "-Bindings 127.0.0.1:2626 -RemoteIPRanges 10.0.0.1,10.0.0.2" in new
    assert new.endswith(f"({script}:3)")
    assert "-RemoteIPRanges @{Add=10.0.0.3; Remove=10.0.0.1}" in edit
    assert edit.endswith(f"({script}:4)")


def test_a_typed_command_without_variables_is_recorded_as_typed(tmp_path: Path) -> None:
    state = tmp_path / "state"
    exshell(state, "-c", 'Set-ReceiveConnector "Default EX01" -Comment "front door"')
    assert commands(state)[-1] == 'Set-ReceiveConnector "Default EX01" -Comment "front door"'


def test_a_secret_given_through_a_variable_is_never_recorded(tmp_path: Path) -> None:
    state = tmp_path / "state"
    domain = exshell(state, "-c", "(Get-AcceptedDomain)[0].DomainName.ToString()").strip()
    exshell(state, "-c", "$pw = ConvertTo-SecureString 'Sup3r-Secret!' -AsPlainText -Force; "
                         f"New-Mailbox -Name Alice -Alias alice -PrimarySmtpAddress alice@{domain} -Password $pw "
                         "| Out-Null")
    assert commands(state)[-1].endswith("-Password ********")
    for path in state.rglob("*"):
        if path.is_file():
            assert b"Sup3r-Secret!" not in path.read_bytes(), path


def test_constants_alone_do_not_count_as_variables(tmp_path: Path) -> None:
    state = tmp_path / "state"
    exshell(state, "-c", 'Set-ReceiveConnector "Default EX01" -Enabled:$false -Confirm:$false')
    assert commands(state)[-1] == 'Set-ReceiveConnector "Default EX01" -Enabled:$false -Confirm:$false'
