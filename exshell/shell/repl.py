"""The interactive shell: prompt `[PS] exshell> `, completion, highlighting, history, multi-line input.

- Enter runs the buffer unless the parser reports incomplete input (an open brace, quote, paren or a
  trailing pipe): then a continuation line `>> ` opens (continuation.py), as in PowerShell's console.
- Ctrl+C cancels the line being typed (or stops the running command); Ctrl+D on an empty line or `exit`
  leaves. Ctrl+R searches the history, which persists in `<state>/shell_history`.
- The REPL survives any line: known errors are printed PowerShell-style by the runtime; anything else is
  logged with its traceback to `<state>/logs/exshell.log` and shown as one line.
"""

from __future__ import annotations

import sys
from pathlib import Path
from collections.abc import Callable
from typing import Any, TextIO

from exshell import app
from exshell.errors import ExitRequested
from exshell.shell.continuation import CONTINUATION_PROMPT, submit_condition
from exshell.shell.runner import log_unexpected, terminal_width
from exshell.shell.sources import RegistryCatalog, StoreNameSource

PROMPT = "[PS] exshell> "
# `<state>/history/` is the configuration store's version history; the typed-line history sits beside it.
HISTORY_FILE = "shell_history"


def _continuation(width: int, line_number: int, is_soft_wrap: int) -> str:
    """`>> ` before each further line of a multi-line command; nothing before the rest of a long line that
    merely wraps at the window's edge (PowerShell's console wraps to column 0)."""
    return "" if is_soft_wrap else CONTINUATION_PROMPT


def build_prompt_session(
    catalog: Any,
    names: Any,
    history_path: Path | None,
    pt_input: Any = None,
    pt_output: Any = None,
    parse: Any = None,
    variables: Any = None,
    mask: Callable[[str], str] = lambda line: line,
) -> Any:
    """The PromptSession with completer, lexer, history and the Enter-submits condition. `mask` is applied to
    each line before it is written to the history file (the session's own memory keeps the line as typed)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.filters import Condition
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    # The completer and the lexer build on prompt_toolkit and pygments: loaded with the REPL only.
    from exshell.shell.completer import make_completer
    from exshell.shell.highlight import powershell_lexer

    class SafeFileHistory(FileHistory):
        """A history file that cannot take the REPL down: a full disk or a read-only state folder only
        means lines are not remembered."""

        def load_history_strings(self) -> Any:
            try:
                yield from super().load_history_strings()
            except OSError:
                return

        def store_string(self, string: str) -> None:
            try:
                super().store_string(mask(string))
            except OSError:
                pass

    history: Any = InMemoryHistory()
    if history_path is not None and not history_path.is_dir():
        try:
            history_path.parent.mkdir(parents=True, exist_ok=True)
            history = SafeFileHistory(str(history_path))
        except OSError:
            pass
    complete = submit_condition(parse)
    bindings = KeyBindings()

    @bindings.add("enter", filter=~complete)
    def _newline(event: Any) -> None:
        # A plain newline: PowerShell's console does not copy the previous line's indentation (and
        # prompt_toolkit's default would indent every line of a typed-in block a little more).
        event.current_buffer.insert_text("\n")

    return PromptSession(
        message=PROMPT,
        multiline=Condition(lambda: not complete()),
        key_bindings=bindings,
        prompt_continuation=_continuation,
        completer=make_completer(catalog, names, variables),
        complete_while_typing=False,
        lexer=powershell_lexer(),
        history=history,
        enable_history_search=False,  # Ctrl+R reverse search stays on; Up walks the whole history
        input=pt_input,
        output=pt_output,
    )


def _variable_names(session: Any) -> list[str]:
    """The session's visible variables, for `$` completion (none when the session cannot say)."""
    try:
        return [v.name for v in session.evaluator.state.visible_variables()]
    except Exception:  # noqa: BLE001 - completion must never break the prompt
        return []


def run_repl(
    state_dir: Path,
    server: str | None = None,
    *,
    pt_input: Any = None,
    pt_output: Any = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    session: Any = None,
    catalog: Any = None,
    names: Any = None,
    max_lines: int | None = None,
    parse: Any = None,
    store: str | None = None,
) -> int:
    """Read-eval-print until Ctrl+D or `exit`; returns the exit status (`exit n` gives n)."""
    from exshell.shell.terminal_host import TerminalHost  # prompt_toolkit's output: loaded with the REPL only

    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stdout
    is_terminal = pt_output is None and out is sys.stdout and sys.stdout.isatty()
    host = TerminalHost(out, err, pt_input, pt_output, width=terminal_width(out), is_terminal=is_terminal)
    owned = session is None  # a session handed in (tests) is closed by whoever made it
    if session is None:
        session = app.make_session(state_dir, server, host, store_spec=store)
    else:
        session.host = host
    try:
        return _read_eval_print(session, host, state_dir, out, err, pt_input, pt_output, catalog, names, max_lines,
                                parse)
    finally:
        if owned:
            session.services.close()


def _read_eval_print(session: Any, host: Any, state_dir: Path | str, out: TextIO, err: TextIO, pt_input: Any,
                     pt_output: Any, catalog: Any, names: Any, max_lines: int | None, parse: Any) -> int:
    registry = getattr(session, "registry", None)
    # A password typed inline (ConvertTo-SecureString 'P@ss' -AsPlainText) never reaches the history file.
    from exshell.cmdlets.registry import default_registry  # lazy: cmdlet modules load with the REPL only
    from exshell.cmdlets.secret_masking import mask_secrets

    commands = registry if registry is not None else default_registry()
    if catalog is None:
        catalog = RegistryCatalog(registry)
    if names is None:
        names = StoreNameSource(getattr(session, "services", None))
    prompt = build_prompt_session(
        catalog,
        names,
        Path(state_dir) / HISTORY_FILE,
        pt_input,
        pt_output,
        parse,
        lambda: _variable_names(session),
        lambda line: mask_secrets(line, commands),
    )

    count = 0
    while max_lines is None or count < max_lines:
        count += 1
        try:
            text = prompt.prompt()
        except KeyboardInterrupt:
            continue  # Ctrl+C: the line is dropped, a fresh prompt follows
        except EOFError:
            break  # Ctrl+D
        if not text.strip():
            continue
        host.width = terminal_width(out)  # the window may have been resized since the last line
        try:
            result = session.run(text, history=True)
            if getattr(result, "exit_code", None) is not None:  # only `exit [n]` sets it (RunResult)
                return int(result.exit_code)
        except ExitRequested as e:
            return e.code
        except KeyboardInterrupt:
            out.write("\n")  # Ctrl+C stopped the command
        except Exception as e:  # noqa: BLE001 - the REPL survives any line
            out.flush()
            err.write(log_unexpected(Path(state_dir), e) + "\n")
        out.flush()
    return 0
