"""The click sub-commands an operator uses: --version, examples, install-service, status, serve --help, and
shell completion, through the real `exshell` process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import version as distribution_version
from pathlib import Path

from exshell.version import DISTRIBUTION

REPO = Path(__file__).resolve().parents[2]


def exshell(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    e = dict(os.environ, **(env or {}))
    e.pop("EXSHELL_STATE", None)
    proc = subprocess.run([sys.executable, "-m", "exshell", *args], capture_output=True, text=True, env=e,
                          timeout=60, cwd=cwd, check=False)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


def test_version_is_the_installed_distributions(tmp_path: Path) -> None:
    p = exshell("--version", cwd=tmp_path)
    assert p.returncode == 0
    assert p.stdout.startswith(f"exshell {distribution_version(DISTRIBUTION)} ({DISTRIBUTION},")


def test_help_lists_every_subcommand_and_serve_help_its_options(tmp_path: Path) -> None:
    p = exshell("--help", cwd=tmp_path)
    for name in ("serve", "status", "install-service", "examples", "--version"):
        assert name in p.stdout
    p = exshell("serve", "--help", cwd=tmp_path)
    assert p.returncode == 0
    for option in ("--metrics", "--user", "--log-level", "--log-target", "--log-rotate", "--workers", "--store"):
        assert option in p.stdout


def test_serve_refuses_a_bad_option_value_with_a_usage_error(tmp_path: Path) -> None:
    p = exshell("--state", str(tmp_path / "s"), "serve", "--metrics", "nowhere", cwd=tmp_path)
    assert p.returncode == 2 and "'nowhere' is not HOST:PORT" in p.stderr
    p = exshell("--state", str(tmp_path / "s"), "serve", "--log-level", "chatty", cwd=tmp_path)
    assert p.returncode == 2 and "the level is one of" in p.stderr
    p = exshell("--state", str(tmp_path / "s"), "serve", "--user", "no-such-user-here", cwd=tmp_path)
    assert p.returncode == 2 and "there is no user named 'no-such-user-here'" in p.stderr


def test_examples_are_installed_with_the_package_and_listed(tmp_path: Path) -> None:
    p = exshell("examples", cwd=tmp_path)
    assert p.returncode == 0
    for name in ("relay-anonymous.ps1", "relay-externally-secured.ps1", "copier-relay-setup.ps1", "relay-hosts.csv"):
        assert name in p.stdout
    shown = exshell("examples", "relay-anonymous", cwd=tmp_path)
    assert shown.stdout == (REPO / "examples" / "relay-anonymous.ps1").read_text(encoding="utf-8")
    copied = exshell("examples", "--copy", str(tmp_path / "ex"), cwd=tmp_path)
    assert copied.returncode == 0 and (tmp_path / "ex" / "import-relay-hosts.ps1").is_file()
    missing = exshell("examples", "nope", cwd=tmp_path)
    assert missing.returncode == 1 and "no example named 'nope'" in missing.stderr


def test_the_readme_example_paths_still_work_from_a_checkout(tmp_path: Path) -> None:
    p = exshell("--state", str(tmp_path / "s"), "-f", "examples/relay-anonymous.ps1", "127.0.0.9",
                "127.0.0.1:2525", cwd=REPO)
    assert p.returncode == 0, p.stdout + p.stderr


def test_install_service_writes_a_unit_systemd_accepts(tmp_path: Path) -> None:
    p = exshell("install-service", "--user", "exshell-test", "--no-create-user", "--unit-dir", str(tmp_path),
                "--socket", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    unit = (tmp_path / "exshell.service").read_text()
    for line in ("Type=notify", "User=exshell-test", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                 "StateDirectory=exshell", "UMask=0077", "NoNewPrivileges=yes", "ExecReload=/bin/kill -HUP $MAINPID",
                 f"ExecStart={sys.executable} -m exshell serve --state /var/lib/exshell"):
        assert line in unit.splitlines(), line
    assert (tmp_path / "exshell.socket").is_file()
    analyze = shutil.which("systemd-analyze")
    if analyze is not None:  # systemd's own parser, where the machine has it
        check = subprocess.run([analyze, "verify", str(tmp_path / "exshell.service")], capture_output=True,
                               text=True, timeout=60, check=False)
        assert "Unknown key" not in check.stderr and "Invalid" not in check.stderr, check.stderr


def test_status_without_a_running_engine_exits_3(tmp_path: Path) -> None:
    p = exshell("--state", str(tmp_path / "s"), "status", cwd=tmp_path)
    assert p.returncode == 3 and "not running with --metrics" in p.stderr


def test_bash_completion_offers_subcommands_and_serve_options(tmp_path: Path) -> None:
    env = {"_EXSHELL_COMPLETE": "bash_complete", "COMP_WORDS": "exshell ins", "COMP_CWORD": "1"}
    assert "plain,install-service" in exshell(cwd=tmp_path, env=env).stdout
    env = {"_EXSHELL_COMPLETE": "bash_complete", "COMP_WORDS": "exshell serve --log-f", "COMP_CWORD": "2"}
    assert "plain,--log-format" in exshell(cwd=tmp_path, env=env).stdout
    source = exshell(cwd=tmp_path, env={"_EXSHELL_COMPLETE": "zsh_source"}).stdout
    assert "compdef" in source
