"""A one-shot command reads only what it touches (issue 8 item 2): the modules a real `exshell -c` process
has imported when it exits (sys.modules: the model's collections are imported with importlib, which
`-X importtime` does not show)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)
REPO = Path(__file__).resolve().parents[2]


_PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.__stderr__.write('MODULES ' + ' '.join(sorted(sys.modules)) + '\\n'))\n"
    "sys.argv = ['exshell'] + sys.argv[1:]\n"
    "from exshell.cli import main\n"
    "raise SystemExit(main())\n"
)


def imported(state: Path, command: str) -> set[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")
    env.pop("EXSHELL_STATE", None)
    p = subprocess.run([sys.executable, "-c", _PROBE, "--state", str(state), "-c", command],
                       capture_output=True, text=True, env=env, timeout=60, check=False)
    assert p.returncode == 0, p.stderr[-2000:]
    line = next(x for x in p.stderr.splitlines() if x.startswith("MODULES "))
    return set(line.split()[1:])


@pytest.fixture
def state(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    imported(state, "New-ReceiveConnector Relay -Custom -Bindings 0.0.0.0:2525 -RemoteIPRanges 10.0.0.1")
    return state


def test_get_accepted_domain_decodes_no_connector_and_builds_no_operation(state: Path) -> None:
    modules = imported(state, "Get-AcceptedDomain")
    assert "exshell.model.domain" in modules
    unwanted = {"exshell.model.connector", "exshell.model.ip", "exshell.model.permissions",
                "exshell.model.mailbox", "exshell.config.operations", "exshell.config.kinds", "tomlkit",
                "uuid"}
    assert modules & unwanted == set()


def test_get_receive_connector_reads_without_the_write_path(state: Path) -> None:
    modules = imported(state, "Get-ReceiveConnector")
    assert "exshell.model.connector" in modules
    assert modules & {"exshell.config.operations", "exshell.config.kinds", "tomlkit", "exshell.model.mailbox"} == set()
    # Start-up (bench/startup.py): no history types (write and history paths only), no socket (the stored
    # addresses are parsed without it), no Format-Table -Property machinery.
    assert modules & {"exshell.store.history", "socket", "exshell.output.properties"} == set()


def test_a_change_edits_the_file_without_tomlkit(state: Path) -> None:
    modules = imported(state, 'Set-ReceiveConnector Relay -RemoteIPRanges @{Add="10.0.0.2"}')
    assert "exshell.config.operations" in modules
    assert "tomlkit" not in modules  # the changed line is rewritten, not the parsed document
    assert 'RemoteIPRanges = ["10.0.0.1", "10.0.0.2"]' in (state / "config.toml").read_text()
