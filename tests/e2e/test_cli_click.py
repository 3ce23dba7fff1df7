"""The click door of `exshell`: --help, `serve` dispatch and usage errors (no runtime needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def exshell(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("EXSHELL_STATE", None)
    proc = subprocess.run(  # noqa: PLW1510 - the status is asserted
        [sys.executable, "-m", "exshell", *args], capture_output=True, text=True, env=env, timeout=60, cwd=cwd
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


def test_help_lists_the_same_options_as_the_fast_path(tmp_path: Path):
    p = exshell("--help", cwd=tmp_path)
    assert p.returncode == 0
    for spelling in ("-c", "-Command", "-f", "-File", "--state", "--server", "serve"):
        assert spelling in p.stdout


def test_serve_is_dispatched_to_the_transport_cli(tmp_path: Path):
    p = exshell("--state", str(tmp_path / "s"), "serve", "--help", cwd=tmp_path)
    assert p.returncode == 0
    assert "exshell serve" in p.stdout


def test_unknown_subcommand_is_a_usage_error(tmp_path: Path):
    p = exshell("frobnicate", cwd=tmp_path)
    assert p.returncode == 2
    assert "No such command 'frobnicate'" in p.stderr


def test_dash_c_without_text_is_a_usage_error(tmp_path: Path):
    p = exshell("-c", cwd=tmp_path)
    assert p.returncode == 2
    assert "requires an argument" in p.stderr
