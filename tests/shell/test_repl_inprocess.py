"""The REPL in-process: prompt_toolkit pipe input, DummyOutput, a recording session (no runtime needed)."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from exshell.errors import ExitRequested, ParseError
from exshell.lang.position import Source, Span
from exshell.shell.repl import run_repl
from exshell.shell.sources import StaticCatalog, StaticNameSource

from .fakes import CLASSES

CTRL_C = "\x03"
CTRL_D = "\x04"
TAB = "\t"
ENTER = "\r"
# Time between typed chunks: generous, so that a loaded 2-core CI machine still finishes the Tab's completion
# task (or asks its question) before the next keys arrive.
CHUNK_GAP = 1.0


def brace_parse(text: str) -> None:
    """Stands in for the parser: unbalanced braces are incomplete input."""
    if text.count("{") > text.count("}"):
        raise ParseError(
            "Missing closing '}'", "MissingEndCurlyBrace", Span(Source.of(text), 0, 1), incomplete=True
        )


class Result:
    def __init__(self, exit_code: int = 0) -> None:
        self.success = exit_code == 0
        self.exit_code = exit_code or None


class RecordingSession:
    def __init__(self, behaviour: dict[str, Any] | None = None) -> None:
        self.lines: list[str] = []
        self.behaviour = behaviour or {}
        self.host: Any = None
        self.registry = None
        self.services = None

    def run(self, text: str, name: str | None = None, args: tuple[str, ...] = (), history: bool = False) -> Result:
        self.lines.append(text)
        action = self.behaviour.get(text.strip())
        if isinstance(action, BaseException):
            raise action
        self.host.write_line(f"ran: {text}")
        return Result(action if isinstance(action, int) else 0)


def repl(
    tmp_path: Path, keys: str | list[str], session: RecordingSession | None = None
) -> tuple[int, RecordingSession, str]:
    """Run the REPL on typed keys. A list of chunks is sent CHUNK_GAP seconds apart (a Tab's completion runs as a task of
    the prompt's event loop: the next keys must come after it, as they do from a person)."""
    session = session or RecordingSession()
    out = io.StringIO()
    chunks = [keys] if isinstance(keys, str) else keys
    with create_pipe_input() as pipe:
        pipe.send_text(chunks[0])
        timers = [
            threading.Timer(CHUNK_GAP * i, pipe.send_text, (chunk,)) for i, chunk in enumerate(chunks[1:], 1)
        ]
        for t in timers:
            t.start()
        code = run_repl(
            tmp_path,
            pt_input=pipe,
            pt_output=DummyOutput(),
            out=out,
            err=out,
            session=session,
            catalog=StaticCatalog(CLASSES),
            names=StaticNameSource({"receive_connector": ("Relay",)}),
            max_lines=50,
            parse=brace_parse,
        )
        for t in timers:
            t.join()
    return code, session, out.getvalue()


def test_a_line_runs_and_ctrl_d_leaves(tmp_path: Path):
    code, session, out = repl(tmp_path, "Get-ReceiveConnector" + ENTER + CTRL_D)
    assert code == 0
    assert session.lines == ["Get-ReceiveConnector"]
    assert "ran: Get-ReceiveConnector" in out


def test_open_brace_continues_until_closed(tmp_path: Path):
    _, session, _ = repl(tmp_path, "if ($x) {" + ENTER + "  1" + ENTER + "}" + ENTER + CTRL_D)
    assert session.lines == ["if ($x) {\n  1\n}"]


def test_ctrl_c_cancels_the_line_being_typed(tmp_path: Path):
    _, session, _ = repl(tmp_path, "Remove-Everything" + CTRL_C + "Get-ReceiveConnector" + ENTER + CTRL_D)
    assert session.lines == ["Get-ReceiveConnector"]


def test_blank_lines_run_nothing(tmp_path: Path):
    _, session, _ = repl(tmp_path, ENTER + "   " + ENTER + CTRL_D)
    assert session.lines == []


def test_tab_completes_a_command_name(tmp_path: Path):
    _, session, _ = repl(tmp_path, ["get-rec" + TAB, ENTER + CTRL_D])
    assert session.lines == ["Get-ReceiveConnector"]


def test_tab_completes_an_object_name(tmp_path: Path):
    _, session, _ = repl(tmp_path, ["Get-ReceiveConnector Re" + TAB, ENTER + CTRL_D])
    assert session.lines == ["Get-ReceiveConnector Relay"]


def test_history_is_written_under_the_state_folder(tmp_path: Path):
    repl(tmp_path, "Get-ReceiveConnector" + ENTER + CTRL_D)
    assert "+Get-ReceiveConnector" in (tmp_path / "shell_history").read_text()


def test_a_password_typed_inline_is_masked_in_the_history_file_but_run_as_typed(tmp_path: Path):
    line = "$pw = ConvertTo-SecureString 'Hist0ry-Secret' -AsPlainText -Force"
    _, session, _ = repl(tmp_path, line + ENTER + CTRL_D)
    assert session.lines == [line]
    saved = (tmp_path / "shell_history").read_text()
    assert "Hist0ry-Secret" not in saved
    assert "+$pw = ConvertTo-SecureString '********' -AsPlainText -Force" in saved


def test_an_unwritable_history_does_not_stop_the_repl(tmp_path: Path):
    (tmp_path / "shell_history").mkdir()  # cannot be opened as a file
    _, session, _ = repl(tmp_path, "Get-ReceiveConnector" + ENTER + CTRL_D)
    assert session.lines == ["Get-ReceiveConnector"]


def test_history_persists_into_the_next_session(tmp_path: Path):
    repl(tmp_path, "Get-ReceiveConnector Relay" + ENTER + CTRL_D)
    up = "\x1b[A"
    _, session, _ = repl(tmp_path, up + ENTER + CTRL_D)
    assert session.lines == ["Get-ReceiveConnector Relay"]


def test_exit_leaves_with_its_status(tmp_path: Path):
    session = RecordingSession({"exit 3": ExitRequested(3)})
    code, session, _ = repl(tmp_path, "exit 3" + ENTER + "Get-ReceiveConnector" + ENTER + CTRL_D, session)
    assert code == 3
    assert session.lines == ["exit 3"]


def test_an_unexpected_error_is_one_line_and_logged_and_the_repl_goes_on(tmp_path: Path):
    session = RecordingSession({"boom": RuntimeError("kaput")})
    code, session, out = repl(tmp_path, "boom" + ENTER + "Get-ReceiveConnector" + ENTER + CTRL_D, session)
    assert code == 0
    assert session.lines == ["boom", "Get-ReceiveConnector"]
    assert "exshell: internal error: RuntimeError: kaput" in out
    assert "Traceback" not in out
    assert "Traceback" in (tmp_path / "logs" / "exshell.log").read_text()


def test_ctrl_c_while_a_command_runs_returns_to_the_prompt(tmp_path: Path):
    session = RecordingSession({"slow": KeyboardInterrupt()})
    _, session, _ = repl(tmp_path, "slow" + ENTER + "Get-ReceiveConnector" + ENTER + CTRL_D, session)
    assert session.lines == ["slow", "Get-ReceiveConnector"]


def test_the_host_prompts_on_the_same_input(tmp_path: Path):
    class Asking(RecordingSession):
        def run(self, text: str, name: str | None = None, args: tuple[str, ...] = (), history: bool = False) -> Result:
            self.lines.append(text)
            self.answer = self.host.prompt_line("Identity: ")
            self.choice = self.host.choose(
                "Confirm",
                "Are you sure you want to perform this action?",
                [("&Yes", "y"), ("Yes to &All", "a"), ("&No", "n"), ("No to A&ll", "l"), ("&Suspend", "s")],
                0,
            )
            return Result(0)

    session = Asking()
    _, session, out = repl(
        tmp_path, "Set-ReceiveConnector" + ENTER + "Relay" + ENTER + "n" + ENTER + CTRL_D, session
    )
    assert session.answer == "Relay"
    assert session.choice == 2
    assert "Are you sure you want to perform this action?" in out
    assert session.host.interactive is True


@pytest.mark.parametrize("line", ["Get-ReceiveConnector -", "Get-ReceiveConnector -AuthMechanism 'Tls, "])
def test_tab_on_odd_input_never_breaks_the_prompt(tmp_path: Path, line: str):
    _, session, _ = repl(tmp_path, [line + TAB + TAB, CTRL_C + "Get-ReceiveConnector" + ENTER + CTRL_D])
    assert session.lines == ["Get-ReceiveConnector"]


def test_ctrl_r_searches_the_history(tmp_path: Path):
    repl(tmp_path, "Get-ReceiveConnector Relay" + ENTER + "Get-Date" + ENTER + CTRL_D)
    ctrl_r = "\x12"
    _, session, _ = repl(tmp_path, [ctrl_r + "Relay", ENTER, ENTER + CTRL_D])
    assert session.lines == ["Get-ReceiveConnector Relay"]
