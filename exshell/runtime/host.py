"""The host: where the shell writes text and asks the user questions (PowerShell's PSHost UI).

The runtime never prints directly: output, errors, warnings and prompts go through a Host so the REPL, the CLI
and tests can each supply their own.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

# The console host's colours (PowerShell 5: ErrorForegroundColor Red, Warning/Verbose/Debug Yellow), as ANSI.
ERROR_COLOUR = "\x1b[91m"
WARNING_COLOUR = "\x1b[93m"
RESET = "\x1b[0m"


def colour_wanted(stream: object) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set to anything non-empty (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def painted(text: str, colour: str) -> str:
    """text in colour, line by line, so a pager or a cut line never leaves the terminal coloured."""
    return "\n".join(f"{colour}{line}{RESET}" if line else line for line in text.split("\n"))


class Host:
    """Base host: non-interactive, width 120, writes nowhere. Subclasses override the write_* methods."""

    width: int = 120
    interactive: bool = False
    is_terminal: bool = False
    # Errors red, warnings yellow: set by hosts that write to a terminal (colour_wanted).
    colour_errors: bool = False
    colour_warnings: bool = False

    def write(self, text: str) -> None:
        """Write text without a newline."""

    def write_line(self, text: str = "") -> None:
        self.write(text + "\n")

    def write_error_text(self, text: str) -> None:
        self.write_line(text)

    def write_warning_text(self, text: str) -> None:
        self.write_line(text)

    def write_verbose_text(self, text: str) -> None:
        self.write_line(text)

    def write_progress(self, record: Any) -> None:
        """A progress record (exshell.output.progress.ProgressRecord): shown only where a person watches."""

    def prompt_line(self, prompt: str) -> str:
        """Read one line of input after showing prompt. Raises EOFError when no answer can be had."""
        raise EOFError("the host is not interactive")

    def read_secret(self, prompt: str) -> str:
        return self.prompt_line(prompt)

    def choose(self, caption: str, message: str, choices: list[tuple[str, str]], default: int) -> int:
        """PowerShell's PromptForChoice: choices are (label with & hot key, help); returns the chosen index."""
        return default


class TextHost(Host):
    """A host writing to text streams (stdout/stderr by default)."""

    _progress: Any = None  # the TerminalProgress drawn on err, once a progress record came on a terminal

    def __init__(
        self,
        out: TextIO | None = None,
        err: TextIO | None = None,
        interactive: bool = False,
        width: int = 120,
        input: TextIO | None = None,
    ) -> None:
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.interactive = interactive
        self.width = width
        self.input = input if input is not None else sys.stdin
        self.colour_errors = colour_wanted(self.err)
        self.colour_warnings = colour_wanted(self.out)

    def clear_progress(self) -> None:
        """Erase the progress lines before anything else is written, so output and questions never land below
        a bar that is later erased over them; the next progress update draws the bar again below them."""
        view = self._progress
        if view is not None and view.drawn:
            view.clear()

    def write(self, text: str) -> None:
        if self._progress is not None:
            self.clear_progress()
        self.out.write(text)

    def write_error_text(self, text: str) -> None:
        if self._progress is not None:
            self.clear_progress()
        self.err.write((painted(text, ERROR_COLOUR) if self.colour_errors else text) + "\n")

    def write_warning_text(self, text: str) -> None:
        if self._progress is not None:
            self.clear_progress()
        self.out.write((painted(text, WARNING_COLOUR) if self.colour_warnings else text) + "\n")

    def write_verbose_text(self, text: str) -> None:
        self.write_warning_text(text)

    def write_progress(self, record: Any) -> None:
        # Drawn on a terminal only (stderr, beside the output); silent in a pipe or a file, as in PowerShell.
        try:
            if not self.err.isatty():
                return
        except (AttributeError, ValueError):
            return
        view = self._progress
        if view is None:
            from exshell.output.progress import TerminalProgress

            try:  # the terminal's own width (output may go to a pipe of another width); one column spare
                width = os.get_terminal_size(self.err.fileno()).columns - 1
            except (AttributeError, ValueError, OSError):
                width = -1
            view = self._progress = TerminalProgress(self.err, width if width >= 20 else self.width,
                                                     before_draw=self._flush_out)
        view.update(record)

    def _flush_out(self) -> None:
        try:
            self.out.flush()
        except (OSError, ValueError):  # output to a reader that went away: the pipe-safe host deals with it
            pass

    def prompt_line(self, prompt: str) -> str:
        if not self.interactive:
            raise EOFError("the host is not interactive")
        self.write(prompt)
        self.out.flush()
        line = self.input.readline()
        if not line:
            raise EOFError("end of input")
        return line.rstrip("\r\n")

    def choose(self, caption: str, message: str, choices: list[tuple[str, str]], default: int) -> int:
        return choose_on_text(self, caption, message, choices, default)


def choice_prompt_text(choices: list[tuple[str, str]], default: int) -> str:
    """`[Y] Yes  [A] Yes to All  [N] No  [L] No to All  [S] Suspend  [?] Help (default is "Y"):`"""
    parts = []
    for label, _help in choices:
        hot, plain = _hot_key(label)
        parts.append(f"[{hot}] {plain}")
    default_hot = _hot_key(choices[default][0])[0]
    return "  ".join(parts) + f'  [?] Help (default is "{default_hot}"): '


def _hot_key(label: str) -> tuple[str, str]:
    i = label.find("&")
    if i >= 0 and i + 1 < len(label):
        return label[i + 1].upper(), label.replace("&", "", 1)
    return label[:1].upper(), label


def choose_on_text(host: Host, caption: str, message: str, choices: list[tuple[str, str]], default: int) -> int:
    """The console host's PromptForChoice loop: caption, message, the choice line; `?` shows help."""
    host.write_line(caption)
    host.write_line(message)
    for _ in range(20):  # bounded: a script feeding garbage must not spin forever
        answer = host.prompt_line(choice_prompt_text(choices, default)).strip()
        if answer == "":
            return default
        if answer == "?":
            for label, help_text in choices:
                host.write_line(f"{_hot_key(label)[0]} - {help_text}")
            continue
        for i, (label, _help) in enumerate(choices):
            hot, plain = _hot_key(label)
            if answer.upper() == hot or answer.lower() == plain.lower():
                return i
    return default


class BufferHost(Host):
    """A host for tests: collects lines; answers prompts from a script of answers (EOFError when they run out)."""

    def __init__(self, answers: list[str] | None = None, interactive: bool = False, width: int = 120) -> None:
        self.interactive = interactive
        self.width = width
        self.answers = list(answers or [])
        self.prompts: list[str] = []
        self._out: list[str] = []
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def write(self, text: str) -> None:
        self._out.append(text)

    @property
    def output(self) -> str:
        """Everything written to the output (not errors), as one string."""
        return "".join(self._out)

    @property
    def lines(self) -> list[str]:
        text = self.output
        if text.endswith("\n"):
            text = text[:-1]
        return text.split("\n") if text else []

    @property
    def error_text(self) -> str:
        return "\n".join(self.errors)

    def write_error_text(self, text: str) -> None:
        self.errors.append(text)

    def write_warning_text(self, text: str) -> None:
        self.warnings.append(text)
        self.write_line(text)

    def prompt_line(self, prompt: str) -> str:
        self.prompts.append(prompt)
        self.write(prompt)
        if not self.interactive or not self.answers:
            raise EOFError("no more scripted answers")
        answer = self.answers.pop(0)
        self.write(answer + "\n")
        return answer

    def choose(self, caption: str, message: str, choices: list[tuple[str, str]], default: int) -> int:
        return choose_on_text(self, caption, message, choices, default)
