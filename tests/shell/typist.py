"""Typing into the in-process REPL the way a person does: each chunk of keys is sent once the screen shows what
the person waits for (the pager's question, the next prompt, a completion), never after a fixed pause.

The REPL renders through prompt_toolkit's output; ScreenOutput keeps what was drawn, so a test can wait for a
prompt to be on screen, which means its application is running and reading keys."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from typing import Any

from prompt_toolkit.output import DummyOutput

# Bounded: a loaded 2-core machine still draws a prompt within this; a test that never sees it fails, it does not hang.
WAIT_LIMIT = 30.0

# A condition on what appeared since the previous keys were sent: (output printed, screen drawn) -> ready.
Seen = Callable[[str, str], bool]


class ScreenOutput(DummyOutput):
    """prompt_toolkit output that records the text drawn (escape sequences are written apart, through write_raw)."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._lock = threading.Lock()

    def write(self, data: str) -> None:
        with self._lock:
            self._parts.append(data)

    def text(self) -> str:
        with self._lock:
            return "".join(self._parts)


def drawn(text: str) -> Seen:
    """The screen drew `text` since the previous keys (a prompt drawn again is a new question; after a Tab,
    prompt_toolkit draws only the characters the completion added)."""
    return lambda out, screen: text in screen


def printed(text: str) -> Seen:
    """The REPL printed `text` since the previous keys."""
    return lambda out, screen: text in out


class Typist:
    """Sends (condition, keys) steps to a pipe input from a thread; records the first condition that timed out."""

    def __init__(self, pipe: Any, out: io.StringIO, screen: ScreenOutput, steps: list[tuple[Seen, str]]) -> None:
        self.pipe, self.out, self.screen, self.steps = pipe, out, screen, steps
        self.timed_out: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Typist:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(WAIT_LIMIT)

    def _run(self) -> None:
        out_mark = screen_mark = 0  # the first keys were sent before the REPL started
        for index, (seen, keys) in enumerate(self.steps):
            deadline = time.monotonic() + WAIT_LIMIT
            while not seen(self.out.getvalue()[out_mark:], self.screen.text()[screen_mark:]):
                if self._stop.is_set():
                    return
                if time.monotonic() > deadline:
                    self.timed_out = f"step {index} ({keys!r}) waited {WAIT_LIMIT:.0f} s for the screen"
                    for _ in range(20):  # Ctrl+D until the REPL ends, so the test reports instead of hanging
                        self.pipe.send_text("\x04")
                        if self._stop.wait(0.5):
                            return
                    return
                time.sleep(0.01)  # polling interval of the condition, not a pause that assumes speed
            out_mark, screen_mark = len(self.out.getvalue()), len(self.screen.text())
            self.pipe.send_text(keys)
