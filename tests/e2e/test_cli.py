"""The `exshell` command end to end, through a subprocess: -c/-Command, -f with $args, stdin, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("exshell.runtime.session")  # runs once the runtime has landed

PYTHON = sys.executable
REPO = Path(__file__).resolve().parents[2]


def exshell(
    *args: str,
    state: Path,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    use_state: bool = True,
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")
    full_env.pop("EXSHELL_STATE", None)
    full_env.update(env or {})
    argv = [PYTHON, "-m", "exshell", *(("--state", str(state)) if use_state else ()), *args]
    proc = subprocess.run(  # noqa: PLW1510 - the status is asserted
        argv, input=stdin, capture_output=True, text=True, env=full_env, timeout=60, cwd=state.parent
    )
    assert "Traceback" not in proc.stdout + proc.stderr, (
        f"traceback shown for {args}:\n{proc.stdout}{proc.stderr}"
    )
    return proc


def test_dash_c_runs_text_and_exits_zero(tmp_path: Path):
    p = exshell("-c", "Write-Output hello", state=tmp_path / "s")
    assert (p.returncode, p.stdout) == (0, "hello\n"), p.stderr


def test_dash_command_is_the_same_as_dash_c(tmp_path: Path):
    p = exshell("-Command", "'a' + 'b'", state=tmp_path / "s")
    assert (p.returncode, p.stdout) == (0, "ab\n"), p.stderr


def test_get_command_measure_counts_the_commands(tmp_path: Path):
    p = exshell("-c", "(Get-Command | Measure-Object).Count", state=tmp_path / "s")
    assert p.returncode == 0, p.stderr
    assert int(p.stdout.strip()) >= 3


def test_dash_f_runs_a_script_with_args(tmp_path: Path):
    script = tmp_path / "show.ps1"
    script.write_text('Write-Output $args.Count\nforeach ($a in $args) { Write-Output "arg=$a" }\n')
    p = exshell("-f", str(script), "a", "b c", state=tmp_path / "s")
    assert (p.returncode, p.stdout) == (0, "2\narg=a\narg=b c\n"), p.stderr


def test_dash_file_spelling_and_missing_script(tmp_path: Path):
    script = tmp_path / "one.ps1"
    script.write_text("1\n")
    assert exshell("-File", str(script), state=tmp_path / "s").stdout == "1\n"
    p = exshell("-File", str(tmp_path / "missing.ps1"), state=tmp_path / "s")
    assert p.returncode == 1
    assert "is not recognized as the name of a script file" in p.stderr


def test_dash_reads_the_script_from_stdin(tmp_path: Path):
    p = exshell("-", state=tmp_path / "s", stdin="$x = 20\n$x + 1\n")
    assert (p.returncode, p.stdout) == (0, "21\n"), p.stderr


def test_an_error_record_makes_the_exit_status_one(tmp_path: Path):
    p = exshell("-c", "Get-NoSuchThing", state=tmp_path / "s")
    assert p.returncode == 1
    assert "Get-NoSuchThing" in p.stderr and "is not recognized" in p.stderr


def test_exit_sets_the_status(tmp_path: Path):
    assert exshell("-c", "exit 7", state=tmp_path / "s").returncode == 7


def test_parse_error_runs_nothing_and_exits_one(tmp_path: Path):
    p = exshell("-c", "Write-Output before; Write-Output (", state=tmp_path / "s")
    assert p.returncode == 1
    assert "before" not in p.stdout
    assert "Missing" in p.stderr or "missing" in p.stderr


def test_parse_error_changes_nothing_in_the_store(tmp_path: Path):
    state = tmp_path / "s"
    p = exshell("-c", "New-AcceptedDomain -Name a -DomainName a.example | Out-Null", state=state)
    assert p.returncode == 0, p.stderr
    before = {p: p.read_bytes() for p in state.rglob("*") if p.is_file() and "logs" not in p.parts}
    p = exshell("-c", "New-AcceptedDomain -Name b -DomainName b.example; Write-Output (", state=state)
    assert p.returncode == 1
    after = {p: p.read_bytes() for p in state.rglob("*") if p.is_file() and "logs" not in p.parts}
    assert after == before
    p = exshell("-c", "(Get-AcceptedDomain).Name", state=state)
    assert "a" in p.stdout.split() and "b" not in p.stdout.split(), p.stdout + p.stderr


def test_state_option_and_environment_variable_choose_the_store(tmp_path: Path):
    exshell("-c", "Get-ConfigVersion | Out-Null", state=tmp_path / "by-option")
    assert any((tmp_path / "by-option").iterdir())
    exshell(
        "-c",
        "Get-ConfigVersion | Out-Null",
        state=tmp_path / "unused",
        use_state=False,
        env={"EXSHELL_STATE": str(tmp_path / "by-env")},
    )
    assert any((tmp_path / "by-env").iterdir())
    assert not (tmp_path / "unused").exists()


def test_no_ansi_escapes_when_stdout_is_not_a_terminal(tmp_path: Path):
    p = exshell("-c", "Get-Command | Select-Object -First 2; Get-NoSuchThing", state=tmp_path / "s")
    assert "\x1b[" not in p.stdout and "\x1b[" not in p.stderr


NASTY = [
    "(",
    "'",
    "}",
    "@{",
    "$null.Foo()",
    "1/0",
    "Get-NoSuchThing -x",
    "exit abc",
    "[int]'x'",
    "$x =",
    "| |",
    "Get-Help Nope",
    "Get-Command -Name",
    "Get-Command -Nope",
    "& { throw 'x' }",
    "'\u00e9' * 3",
    "@(1..5) | ForEach-Object { $_ / 0 }",
    "$args[9]",
    "Get-Help",
]


@pytest.mark.parametrize("text", NASTY)
def test_no_traceback_on_any_input(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]):
    # In-process (the same code path as the subprocess, minus interpreter start-up): an escaping exception
    # would fail the test, and nothing may print a traceback.
    from exshell.cli import main

    code = main(["--state", str(tmp_path / "s"), "-c", text])
    captured = capsys.readouterr()
    assert code in (0, 1)
    assert "Traceback" not in captured.out + captured.err


def test_no_traceback_on_binary_garbage_from_stdin(tmp_path: Path):
    p = exshell("-", state=tmp_path / "s", stdin="Write-Output a\x00b\n\x1b[A\x07\n{{{{\n")
    assert p.returncode in (0, 1)


def test_fast_path_imports_nothing_heavy(tmp_path: Path):
    env = dict(os.environ, PYTHONPATH=str(REPO), EXSHELL_STATE=str(tmp_path / "s"))
    p = subprocess.run(  # noqa: PLW1510 - the status is asserted
        [PYTHON, "-X", "importtime", "-m", "exshell", "-c", "Get-Command | Measure-Object"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    modules = {
        line.rsplit("|", 1)[-1].strip() for line in p.stderr.splitlines() if line.startswith("import time:")
    }
    heavy = {
        m
        for m in modules
        if m.split(".")[0] in {"click", "prompt_toolkit", "rich", "pygments", "tomlkit", "aiosmtpd"}
    }
    assert heavy == set()
    cmdlet_modules = {m for m in modules if m.startswith("exshell.cmdlets.")}
    allowed = {
        "exshell.cmdlets.base",
        "exshell.cmdlets.registry",
        "exshell.cmdlets.manifest",
        "exshell.cmdlets.help",
        "exshell.cmdlets.core",
        "exshell.cmdlets.format",
    }
    assert cmdlet_modules <= allowed, cmdlet_modules - allowed


def test_piped_stdin_without_arguments_runs_as_a_script(tmp_path: Path):
    p = exshell(state=tmp_path / "s", stdin="Write-Output ('pi' + 'ped')\n")
    assert (p.returncode, p.stdout) == (0, "piped\n"), p.stderr


def test_a_closed_output_pipe_is_not_an_error(tmp_path: Path):
    env = dict(os.environ, PYTHONPATH=str(REPO), EXSHELL_STATE=str(tmp_path / "s"))
    proc = subprocess.Popen(
        [PYTHON, "-m", "exshell", "-c", "1..30000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"1\n"
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    proc.stderr.close()
    assert "internal error" not in err and "Traceback" not in err and "BrokenPipe" not in err, err
