"""The REPL in-process with the real runtime: output, errors, prompting, confirmation, completion from the store."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

pytest.importorskip("exshell.runtime.session")  # runs once the runtime has landed

from exshell.shell.repl import run_repl

ENTER = "\r"
# Time between typed chunks: generous, so that a loaded 2-core CI machine still finishes the Tab's completion
# task (or asks its question) before the next keys arrive.
CHUNK_GAP = 1.0
CTRL_D = "\x04"


def repl(tmp_path: Path, chunks: list[str]) -> tuple[int, str]:
    """Each chunk is sent CHUNK_GAP seconds after the previous one: answers must arrive after their question is asked."""
    out = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(chunks[0])
        timers = [threading.Timer(CHUNK_GAP * i, pipe.send_text, (c,)) for i, c in enumerate(chunks[1:], 1)]
        for t in timers:
            t.start()
        code = run_repl(
            tmp_path / "state", pt_input=pipe, pt_output=DummyOutput(), out=out, err=out, max_lines=30
        )
        for t in timers:
            t.join()
    return code, out.getvalue()


def test_output_and_errors_are_printed_and_the_repl_goes_on(tmp_path: Path):
    code, out = repl(tmp_path, ["Get-NoSuchThing" + ENTER + "Write-Output ('ok' + 'ay')" + ENTER + CTRL_D])
    assert code == 0
    assert "is not recognized" in out
    assert "okay" in out
    assert "Traceback" not in out


def test_mandatory_parameters_are_prompted(tmp_path: Path):
    _, out = repl(
        tmp_path,
        [
            "New-AcceptedDomain" + ENTER,
            "fab" + ENTER,
            "fab.example" + ENTER,
            "(Get-AcceptedDomain fab).DomainName" + ENTER + CTRL_D,
        ],
    )
    assert "cmdlet New-AcceptedDomain at command pipeline position 1" in out
    assert "Supply values for the following parameters:" in out
    assert out.rstrip().endswith("fab.example")


def test_high_impact_change_asks_and_no_keeps_the_object(tmp_path: Path):
    _, out = repl(
        tmp_path,
        [
            "New-AcceptedDomain -Name fab -DomainName fab.example | Out-Null"
            + ENTER
            + "Remove-AcceptedDomain fab"
            + ENTER,
            "n" + ENTER,
            "(Get-AcceptedDomain fab).Name" + ENTER + CTRL_D,
        ],
    )
    assert "Are you sure you want to perform this action?" in out
    assert out.rstrip().endswith("fab")


def test_exit_with_a_status_leaves_the_repl(tmp_path: Path):
    code, out = repl(tmp_path, ["exit 4" + ENTER + "Write-Output never" + ENTER + CTRL_D])
    assert code == 4
    assert "never" not in out


def test_tab_completes_an_accepted_domain_from_the_store(tmp_path: Path):
    _, out = repl(
        tmp_path,
        [
            "Get-AcceptedDomain | Out-Null" + ENTER,
            "(Get-AcceptedDomain exshell.lo\t",
            ").DomainType" + ENTER + CTRL_D,
        ],
    )
    assert out.rstrip().endswith("Authoritative")


def test_tab_completes_a_session_variable(tmp_path: Path):
    _, out = repl(tmp_path, ["$relayHosts = 'a', 'b'" + ENTER, "$relayH\t", ".Count" + ENTER + CTRL_D])
    assert out.rstrip().endswith("2")
