"""The session API the CLI/REPL use: Services, Session.run results, lazy store, start-up imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from exshell.cmdlets.registry import default_registry
from exshell.runtime.host import BufferHost
from exshell.app import Services
from exshell.runtime.session import RunResult, Session

ROOT = Path(__file__).resolve().parents[2]


def test_services_paths_and_server_name(tmp_path):
    s = Services(tmp_path, server_name="EX01")
    assert s.state_dir == tmp_path and s.log_dir == tmp_path / "logs" and s.server_name == "EX01"
    assert Services(tmp_path).server_name  # defaults to this machine's name


def test_store_opens_lazily_with_initial_config(tmp_path):
    s = Services(tmp_path / "state", server_name="EX01")
    assert not (tmp_path / "state").exists()
    store = s.store
    assert store is s.store
    assert store.current_version() == 1


def test_session_sets_registry_on_services(tmp_path):
    reg = default_registry()
    services = Services(tmp_path)
    Session(reg, services, BufferHost())
    assert services.registry is reg


def test_run_results(tmp_path):
    session = Session(default_registry(), Services(tmp_path), BufferHost())
    assert session.run("'ok'") == RunResult(True, None)
    assert session.run("Write-Error x") == RunResult(False, None)
    assert session.run("'a' +") == RunResult(False, None)
    assert session.run("exit 4") == RunResult(False, 4)
    assert session.run("exit") == RunResult(True, 0)


def test_importing_the_session_stays_cheap():
    code = (
        "import sys\n"
        "import exshell.runtime.session, exshell.runtime.evaluator, exshell.runtime.commands\n"
        "heavy = [m for m in ('rich', 'prompt_toolkit', 'aiosmtpd', 'tomlkit') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
