"""The REPL in-process with the real runtime: output, errors, prompting, confirmation, completion from the store."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input

pytest.importorskip("exshell.runtime.session")  # runs once the runtime has landed

from exshell.shell.repl import run_repl

from .typist import ScreenOutput, Seen, Typist, drawn, printed

ENTER = "\r"
CTRL_D = "\x04"


def repl(tmp_path: Path, first: str, steps: list[tuple[Seen, str]] | None = None) -> tuple[int, str]:
    """Type `first`, then each step's keys once the screen shows its question: answers arrive after it is asked."""
    out = io.StringIO()
    screen = ScreenOutput()
    with create_pipe_input() as pipe:
        pipe.send_text(first)
        with Typist(pipe, out, screen, steps or []) as typist:
            code = run_repl(tmp_path / "state", pt_input=pipe, pt_output=screen, out=out, err=out, max_lines=30)
    assert typist.timed_out is None, typist.timed_out
    return code, out.getvalue()


def test_output_and_errors_are_printed_and_the_repl_goes_on(tmp_path: Path):
    code, out = repl(tmp_path, "Get-NoSuchThing" + ENTER + "Write-Output ('ok' + 'ay')" + ENTER + CTRL_D)
    assert code == 0
    assert "is not recognized" in out
    assert "okay" in out
    assert "Traceback" not in out


def test_mandatory_parameters_are_prompted(tmp_path: Path):
    _, out = repl(
        tmp_path,
        "New-AcceptedDomain" + ENTER,
        [
            (drawn("Name:"), "fab" + ENTER),
            (drawn("DomainName:"), "fab.example" + ENTER),
            (drawn("exshell>"), "(Get-AcceptedDomain fab).DomainName" + ENTER + CTRL_D),
        ],
    )
    assert "cmdlet New-AcceptedDomain at command pipeline position 1" in out
    assert "Supply values for the following parameters:" in out
    assert out.rstrip().endswith("fab.example")


def test_high_impact_change_asks_and_no_keeps_the_object(tmp_path: Path):
    _, out = repl(
        tmp_path,
        "New-AcceptedDomain -Name fab -DomainName fab.example | Out-Null" + ENTER + "Remove-AcceptedDomain fab" + ENTER,
        [(drawn("[N] No"), "n" + ENTER), (drawn("exshell>"), "(Get-AcceptedDomain fab).Name" + ENTER + CTRL_D)],
    )
    assert "Are you sure you want to perform this action?" in out
    assert out.rstrip().endswith("fab")


def test_exit_with_a_status_leaves_the_repl(tmp_path: Path):
    code, out = repl(tmp_path, "exit 4" + ENTER + "Write-Output never" + ENTER + CTRL_D)
    assert code == 4
    assert "never" not in out


def test_tab_completes_an_accepted_domain_from_the_store(tmp_path: Path):
    _, out = repl(
        tmp_path,
        "(Get-AcceptedDomain).Count" + ENTER,  # the default store exists once this has printed
        [(printed("1"), "(Get-AcceptedDomain exshell.lo\t"), (drawn("cal"), ").DomainType" + ENTER + CTRL_D)],
    )
    assert out.rstrip().endswith("Authoritative")


def test_tab_completes_a_session_variable(tmp_path: Path):
    # Tab is typed once the assignment has run (it prints 'set'); the next keys once the completion is drawn.
    _, out = repl(tmp_path, "$relayHosts = 'a', 'b'; 'set'" + ENTER,
                  [(printed("set"), "$relayH\t"), (drawn("osts"), ".Count" + ENTER + CTRL_D)])
    assert out.rstrip().endswith("2")
