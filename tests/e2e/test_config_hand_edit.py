"""A hand edit of config.toml is adopted only when the model accepts every object (issue 8 item 3): through
real `exshell -c` processes, as an administrator meets it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exshell.config import validate_records
from exshell.store import open_store
from exshell.store.files import FileStore

pytestmark = pytest.mark.timeout(120)
REPO = Path(__file__).resolve().parents[2]
RANGES = "(Get-ReceiveConnector Relay).RemoteIPRanges | ForEach-Object { \"$_\" }"


def run(state: Path, text: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")
    env.pop("EXSHELL_STATE", None)
    proc = subprocess.run([sys.executable, "-m", "exshell", "--state", str(state), "-c", text],
                          capture_output=True, text=True, env=env, timeout=60, cwd=state.parent, check=False)
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both and "internal error" not in both, both
    return proc


def edit(state: Path, old: str, new: str) -> None:
    path = state / "config.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    past = time.time_ns() - 5_000_000_000  # saved a few seconds ago: past the settle time
    os.utime(path, ns=(past, past))


@pytest.fixture
def state(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    proc = run(state, "New-ReceiveConnector Relay -Custom -Bindings 0.0.0.0:2525 -RemoteIPRanges 10.0.0.1")
    assert proc.returncode == 0, proc.stderr
    return state


def test_invalid_value_is_refused_naming_file_table_key_and_reason(state: Path) -> None:
    edit(state, 'RemoteIPRanges = ["10.0.0.1"]', 'RemoteIPRanges = ["300.1.1.1"]')
    proc = run(state, "Get-AcceptedDomain")
    assert proc.returncode == 0  # every cmdlet keeps working on the last good version
    assert "Authoritative" in proc.stdout
    assert str(state / "config.toml") in proc.stderr
    assert "[receive_connectors." in proc.stderr and "RemoteIPRanges (line " in proc.stderr
    assert "300.1.1.1" in proc.stderr and "Version 2 stays in effect" in proc.stderr
    assert "Restore-ConfigVersion" in proc.stderr
    assert open_store(state, validate=validate_records).current_version() == 2  # not adopted
    listed = run(state, RANGES)
    assert listed.stdout.split() == ["10.0.0.1"]


def test_cmdlet_changes_are_refused_until_the_file_is_fixed_then_the_fix_is_adopted(state: Path) -> None:
    edit(state, 'RemoteIPRanges = ["10.0.0.1"]', 'RemoteIPRanges = ["300.1.1.1"]')
    refused = run(state, "Set-ReceiveConnector Relay -Enabled $false")
    assert refused.returncode == 1
    assert "ConfigFileUnreadable" in refused.stderr
    edit(state, 'RemoteIPRanges = ["300.1.1.1"]', 'RemoteIPRanges = ["10.0.0.7"]')
    proc = run(state, RANGES)
    assert proc.stdout.split() == ["10.0.0.7"]
    assert run(state, "(Get-ConfigVersion -Last 1).Command").stdout.strip() == "(manual edit of config.toml)"


def test_misspelled_key_is_refused_naming_the_nearest_known_one(state: Path) -> None:
    edit(state, 'RemoteIPRanges = ["10.0.0.1"]', 'RemoteIPRange = ["10.0.0.9"]')
    proc = run(state, RANGES)
    assert proc.stdout.split() == ["10.0.0.1"]
    assert "'RemoteIPRange' isn't a property of a receive connector. Did you mean 'RemoteIPRanges'?" in proc.stderr
    assert open_store(state, validate=validate_records).current_version() == 2


def test_a_bad_version_stored_before_checks_existed_gives_powershell_errors_and_can_be_restored(
    state: Path,
) -> None:
    edit(state, 'RemoteIPRanges = ["10.0.0.1"]', 'RemoteIPRanges = ["300.1.1.1"]')
    assert FileStore(state).current_version() == 3  # a store opened without the model's check adopts it
    domains = run(state, "Get-AcceptedDomain")  # does not even read the receive connectors
    assert domains.returncode == 0 and "Authoritative" in domains.stdout
    listed = run(state, "Get-ReceiveConnector")
    assert listed.returncode == 1
    assert "InvalidStoredConfiguration" in listed.stderr and "Restore-ConfigVersion" in listed.stderr
    changed = run(state, "Set-ReceiveConnector Relay -Enabled $false")
    assert changed.returncode == 1 and "300.1.1.1" in changed.stderr
    restored = run(state, "Restore-ConfigVersion 2 -Confirm:$false; " + RANGES)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.split() == ["10.0.0.1"]
