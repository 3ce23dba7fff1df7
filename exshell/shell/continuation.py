"""Does Enter submit the buffer or open a continuation line (`>> `)? pgcli's pgbuffer idea, PowerShell's rule.

PowerShell's console parses the typed text and, when the parser reports incomplete input (an open brace,
paren, quote or here-string, a trailing pipe or backtick, `if (...)` without its block), prompts for
more with `>> ` instead of running it. Any other parse error is submitted so that it gets reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exshell.errors import ParseError
from exshell.lang.parser import parse

CONTINUATION_PROMPT = ">> "


def _default_parse(text: str) -> Any:
    return parse(text)


def needs_more_input(text: str, parse: Callable[[str], Any] | None = None) -> bool:
    """True when `text` is incomplete PowerShell and Enter should insert a newline."""
    if not text.strip():
        return False
    try:
        (parse or _default_parse)(text)
    except ParseError as e:
        return bool(e.incomplete)
    except Exception:  # noqa: BLE001 - a parser crash is reported when the line runs, not here
        return False
    return False


def submit_condition(parse: Callable[[str], Any] | None = None) -> Any:
    """A prompt_toolkit Filter: True when Enter should accept the current buffer."""
    from prompt_toolkit.application.current import get_app
    from prompt_toolkit.filters import Condition

    @Condition
    def _complete() -> bool:
        return not needs_more_input(get_app().current_buffer.text, parse)

    return _complete
