"""The hand-rolled fast command-line parser and the state-folder default, without running anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from exshell.shell.options import OPTIONS
from exshell.shell.runner import Invocation, default_state_dir, parse_fast


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["-c", "Get-Command"], Invocation("command", text="Get-Command")),
        (["-Command", "Get-Command"], Invocation("command", text="Get-Command")),
        (["-command", "gcm"], Invocation("command", text="gcm")),
        (["--command=gcm"], Invocation("command", text="gcm")),
        (["-c", "Write-Output", "a", "b"], Invocation("command", text="Write-Output a b")),
        (["--state", "/s", "-c", "gcm"], Invocation("command", text="gcm", state="/s")),
        (
            ["-c", "gcm", "--state", "/s", "--server", "EX01"],
            Invocation("command", text="gcm", state="/s", server="EX01"),
        ),
        (["-f", "x.ps1", "a", "--state", "b"], Invocation("file", path="x.ps1", args=("a", "--state", "b"))),
        (["-File", "x.ps1"], Invocation("file", path="x.ps1")),
        (["--state=/s", "-"], Invocation("stdin", state="/s")),
        (["-Command", "-"], Invocation("stdin")),
    ],
)
def test_fast_path_parses_noninteractive_forms(argv: list[str], expected: Invocation):
    assert parse_fast(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--help"],
        ["serve"],
        ["--state", "/s"],
        ["--state", "/s", "serve", "--port", "25"],
        ["-c"],
        ["-", "-"],
        ["-c", "a", "-f", "b"],
        ["--bogus"],
    ],
)
def test_other_forms_go_to_click(argv: list[str]):
    assert parse_fast(argv) is None


def test_every_option_has_a_long_spelling_click_can_show():
    assert all(any(n.startswith("--") for n in o.names) for o in OPTIONS)


def test_state_defaults_to_env_variable(tmp_path: Path):
    assert default_state_dir(tmp_path, {"EXSHELL_STATE": str(tmp_path / "s")}) == tmp_path / "s"


def test_state_defaults_to_checkout_state_folder(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "exshell"\n')
    (tmp_path / "state").mkdir()
    assert default_state_dir(tmp_path, {"HOME": str(tmp_path / "home")}) == tmp_path / "state"


def test_state_ignores_other_projects_and_uses_xdg(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n')
    (tmp_path / "state").mkdir()
    env = {"HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "xdg")}
    assert default_state_dir(tmp_path, env, package_root=tmp_path / "pkg") == tmp_path / "xdg" / "exshell"


def test_state_falls_back_to_home_local_state(tmp_path: Path):
    got = default_state_dir(tmp_path, {"HOME": str(tmp_path / "home")}, package_root=tmp_path / "pkg")
    assert got == tmp_path / "home" / ".local" / "state" / "exshell"


def test_state_defaults_to_the_checkout_holding_the_package(tmp_path: Path):
    root = tmp_path / "checkout"
    (root / "state").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "exshell"\n')
    assert default_state_dir(tmp_path, {"HOME": str(tmp_path)}, package_root=root) == root / "state"
