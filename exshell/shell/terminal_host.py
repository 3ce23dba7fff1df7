"""The REPL's host: interactive, so mandatory parameters are prompted (binding.md §7) and ConfirmImpact High
asks `[Y] Yes  [A] Yes to All  [N] No  [L] No to All  [S] Suspend  [?] Help (default is "Y"):` (§11).

Questions are read with prompt_toolkit on the REPL's own input and output, so the in-process tests (pipe
input) and a real terminal behave alike. Ctrl+C while answering raises KeyboardInterrupt, which stops the
running command (PowerShell's console host cancels the pipeline); Ctrl+D raises EOFError (no answer).
"""

from __future__ import annotations

import os
from typing import Any, TextIO

from exshell.runtime.host import ERROR_COLOUR, TextHost, choose_on_text, painted


class TerminalHost(TextHost):
    def __init__(
        self,
        out: TextIO,
        err: TextIO | None = None,
        pt_input: Any = None,
        pt_output: Any = None,
        width: int = 120,
        is_terminal: bool = False,
    ) -> None:
        super().__init__(out, err if err is not None else out, interactive=True, width=width)
        self.is_terminal = is_terminal
        # The REPL decides what a terminal is (its output may be prompt_toolkit's, not a tty stream).
        self.colour_errors = self.colour_warnings = is_terminal and not os.environ.get("NO_COLOR")
        self._pt_input = pt_input
        self._pt_output = pt_output

    def write_error_text(self, text: str) -> None:
        # In the REPL errors share the screen with output; flushing keeps their order.
        self.clear_progress()
        self.out.flush()
        self.err.write((painted(text, ERROR_COLOUR) if self.colour_errors else text) + "\n")
        self.err.flush()

    def prompt_line(self, prompt: str) -> str:
        from prompt_toolkit import PromptSession

        self.clear_progress()
        self.out.flush()
        session: PromptSession[str] = PromptSession(input=self._pt_input, output=self._pt_output)
        return session.prompt(prompt)

    def read_secret(self, prompt: str) -> str:
        from prompt_toolkit import PromptSession

        self.clear_progress()
        self.out.flush()
        session: PromptSession[str] = PromptSession(input=self._pt_input, output=self._pt_output)
        return session.prompt(prompt, is_password=True)

    def read_key(self, prompt: str) -> str:
        """One key press after showing prompt (the pager's question); the prompt line is cleared after."""
        from prompt_toolkit import PromptSession
        from prompt_toolkit.key_binding import KeyBindings

        bindings = KeyBindings()

        @bindings.add("<any>")
        def _key(event: Any) -> None:
            event.app.exit(result=event.data)

        @bindings.add("enter")
        def _enter(event: Any) -> None:
            event.app.exit(result="\n")

        self.clear_progress()
        self.out.flush()
        session: PromptSession[str] = PromptSession(input=self._pt_input, output=self._pt_output,
                                                    key_bindings=bindings, erase_when_done=True)
        return session.prompt(prompt)

    def choose(self, caption: str, message: str, choices: list[tuple[str, str]], default: int) -> int:
        return choose_on_text(self, caption, message, choices, default)
