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


def exshell(state: Path, *args: str, store: str | None = None) -> str:
    env = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")
    env.pop("EXSHELL_STATE", None)
    env.pop("EXSHELL_STORE", None)
    where = ["--store", store] if store else []
    proc = subprocess.run([sys.executable, "-m", "exshell", "--state", str(state), *where, "--server", "EX01", *args],
                          capture_output=True, text=True, env=env, timeout=60, cwd=state.parent, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def commands(state: Path, store: str | None = None) -> list[str]:
    out = exshell(state, "-c", "Get-ConfigVersion | ForEach-Object { $_.Command }", store=store)
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


# Each statement below types a password inline; what the version records is the statement with only the secret
# literal replaced (it still parses and says what was done).
INLINE = [
    ("New-Mailbox -Name Bob -Alias bob -Password (ConvertTo-SecureString 'Inline-Secret-1' -AsPlainText -Force) "
     "| Out-Null",
     "New-Mailbox -Name Bob -Alias bob -Password (ConvertTo-SecureString '********' -AsPlainText -Force) "
     "| Out-Null"),
    ("Set-Mailbox bob -Password ('Inline-Secret-2' | ConvertTo-SecureString -AsPlainText -Force)",
     "Set-Mailbox bob -Password ('********' | ConvertTo-SecureString -AsPlainText -Force)"),
    ("New-SendConnector -Name Out -AddressSpaces * -SmartHosts smtp.example.net -SmartHostAuthMechanism BasicAuth "
     "-AuthenticationCredential (New-Object PSCredential 'relay@example.net', "
     "(ConvertTo-SecureString -String \"Inline-Secret-3\" -AsPlainText -Force)) | Out-Null",
     "New-SendConnector -Name Out -AddressSpaces * -SmartHosts smtp.example.net -SmartHostAuthMechanism BasicAuth "
     "-AuthenticationCredential (New-Object PSCredential 'relay@example.net', "
     "(ConvertTo-SecureString -String '********' -AsPlainText -Force)) | Out-Null"),
    ("if ($true) { $p = 'Inline-Secret-4'; Set-Mailbox bob -Password (ConvertTo-SecureString $p -AsPlainText -Force) }",
     "if ($true) { $p = '********'; Set-Mailbox bob -Password (ConvertTo-SecureString $p -AsPlainText -Force) }"
     "  # Set-Mailbox -Password ******** -Identity bob"),
]
SECRETS = [f"Inline-Secret-{i}".encode() for i in range(1, 5)]


def _files_hold_no_secret(state: Path) -> None:
    for path in state.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in SECRETS:
                assert secret not in data, path


@pytest.mark.parametrize("backend", ["folder", "postgresql"])
def test_a_password_typed_inline_is_masked_in_the_recorded_command(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    store = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    state = tmp_path / "state"
    exshell(state, "-c", "\n".join(typed for typed, _ in INLINE) + "\n", store=store)

    # The recorded commands, one a line; then every property of every version, as Get-ConfigVersion and its diff
    # show them.
    shown = exshell(state, "-c", "Get-ConfigVersion | Select-Object -Last 4 | ForEach-Object { $_.Command }; "
                                 "Get-ConfigVersion | Format-List *; "
                                 "Get-ConfigVersion | Select-Object -Last 4 | Compare-ConfigVersion | Format-List *",
                    store=store)
    assert shown.splitlines()[:4] == [masked for _, masked in INLINE]
    assert "'********'" in shown
    for secret in SECRETS:
        assert secret.decode() not in shown
    _files_hold_no_secret(state)
    if store is not None:
        import psycopg  # lazy: the folder case needs no driver

        with psycopg.connect(store) as conn:
            rows = [str(row) for table in ("exshell_versions", "exshell_changes", "exshell_snapshots")
                    for row in conn.execute(f"SELECT * FROM {table}")]  # noqa: S608 - fixed table names
        assert any("ConvertTo-SecureString '********'" in row for row in rows)
        for secret in SECRETS:
            assert not any(secret.decode() in row for row in rows)
