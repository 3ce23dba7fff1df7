"""The session API the CLI and REPL use: `Session(registry, services, host).run(text)`.

run() parses (a parse error is shown and nothing runs), executes each top-level statement, sends each
statement's uncaptured output to Out-Default and renders error records PowerShell's way. No Python traceback
ever reaches the user: an unexpected exception is logged to `<state>/logs/exshell.log` and shown as one line.
"""

from __future__ import annotations

import datetime as _dt
import sys
from dataclasses import dataclass
from typing import Any
from collections.abc import Sequence

from exshell.errors import Category, ErrorRecord, ExitRequested, ParseError, PSRuntimeError
from exshell.lang.parser import parse
from exshell.runtime.command_lookup import CommandLookup
from exshell.runtime.commands import render_objects
from exshell.runtime.errorview import format_error
from exshell.runtime.evaluator import HISTORY_LIMIT, Evaluator, FlowControl, block_bodies
from exshell.runtime.host import Host

# The tree walker uses ~20 Python frames per script call and PowerShell allows 100 nested calls
# (evaluator.CALL_DEPTH_LIMIT): raise Python's limit once, when the session module is first imported.
if sys.getrecursionlimit() < 8000:
    sys.setrecursionlimit(8000)


def call_depth_overflow() -> ErrorRecord:
    """PowerShell's ScriptCallDepthException record."""
    return ErrorRecord("The script failed due to call depth overflow.", "CallDepthOverflow",
                       Category.InvalidOperation, exception_type="ScriptCallDepthException", activity="")


@dataclass(frozen=True, slots=True)
class RunResult:
    success: bool
    exit_code: int | None = None


def __getattr__(name: str) -> Any:
    # Services and the server-name rule moved to exshell.app (the application's wiring); kept reachable here
    # for callers written before the move.
    if name in ("Services", "default_server_name", "server_for_store"):
        import exshell.app

        return getattr(exshell.app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Session:
    """Runs text against a command lookup (the registry), a host and the application's services: `services`
    gives cmdlets the store, the server name and the log folder, and `services.out_default` formats output."""

    def __init__(self, registry: CommandLookup, services: Any, host: Host) -> None:
        self.registry = registry
        self.services = services
        if services.registry is None:
            services.registry = registry
        self.evaluator: Evaluator = Evaluator(host, services, registry)

    @property
    def host(self) -> Host:
        return self.evaluator.host

    @host.setter
    def host(self, host: Host) -> None:
        # The REPL swaps in its terminal host: commands must see it, not only the session.
        self.evaluator.host = host

    # ------------------------------------------------------------------ public

    def run(self, text: str, name: str | None = None, args: Sequence[Any] = (), history: bool = False) -> RunResult:
        """Run text (a script when name is its path). history=True records the line for Get-History, as the
        console host does for each line typed at the prompt."""
        if history:
            return self._run_recorded(text)
        try:
            return self._run(text, name, list(args))
        except KeyboardInterrupt:
            # Ctrl+C stops the running pipeline (PowerShell's StopProcessing); the REPL / CLI decide what
            # follows (a fresh prompt, exit code 130). Scopes were restored on the way out.
            self.evaluator.last_ok = False
            raise
        except RecursionError:
            # Nesting deeper than the interpreter's stack (an expression thousands of levels deep, runaway
            # recursion through a pipeline): PowerShell's stack guard answers with the call depth overflow.
            self.evaluator.report_terminating(call_depth_overflow())
            return RunResult(False, None)
        except Exception as exc:  # noqa: BLE001 - the no-traceback guarantee
            self.internal_error(exc)
            return RunResult(False, None)

    def _run_recorded(self, text: str) -> RunResult:
        # automatic.py loads platform, uuid and shutil: only the REPL records history, a one-shot never does.
        from exshell.runtime.automatic import history_entry


        ev = self.evaluator
        start = _dt.datetime.now()
        result = RunResult(False, None)
        try:
            result = self.run(text)
            return result
        finally:
            # The line enters the history when it has run, so Get-History never lists itself (PowerShell).
            entry_id = ev.history[-1].get("Id") + 1 if ev.history else 1
            ev.history.append(history_entry(entry_id, text, result.success, start, _dt.datetime.now()))
            del ev.history[:-HISTORY_LIMIT]

    def get_variable(self, name: str, default: Any = None) -> Any:
        return self.evaluator.get_variable(name, default)

    def set_variable(self, name: str, value: Any) -> None:
        self.evaluator.state.set(name, value, "global")

    def internal_error(self, exc: BaseException) -> None:
        log_path = self.services.log_dir / "exshell.log"
        try:
            self.services.log_dir.mkdir(parents=True, exist_ok=True)
            with open(log_path, "a", encoding="utf-8") as f:
                f.write(f"--- {_dt.datetime.now().isoformat(timespec='seconds')} internal error\n")
                import traceback  # only on the rare internal error: not on every start

                f.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        except OSError:
            pass
        msg = str(exc).splitlines()[0] if str(exc) else ""
        self.host.write_error_text(
            f"An internal error occurred ({type(exc).__name__}: {msg}); details in {log_path}."
        )

    # ------------------------------------------------------------------ internals

    def _run(self, text: str, name: str | None, args: list[Any]) -> RunResult:
        ev = self.evaluator
        try:
            block = parse(text, name)
        except ParseError as e:
            self.host.write_error_text(format_error(e.to_record()))
            ev.add_error(e.to_record())
            ev.last_ok = False
            return RunResult(False, None)
        ev.had_error = False
        saved_scope = ev.state.current
        if name is not None:
            ev.state.push(is_script=True)
        depth = len(ev.call_stack)
        if name is not None:
            ev.call_stack.append((name, None))
        try:
            if block.params or args or name is not None:
                ev.state.set_local("args", list(args))
                if block.params:
                    ev._bind_block_args(block, args)
            for body in block_bodies(block):
                for stmt in body.statements:
                    ev.statement_text = stmt.span.text
                    output: list[Any] = []
                    try:
                        ev.exec_statement(stmt, lambda v: ev.emit_unrolled(v, output.append))  # noqa: B023
                    finally:
                        if output:
                            render_objects(output, self.host, ev.get_variable("FormatEnumerationLimit"),
                                           getattr(self.services, "out_default", None))
        except PSRuntimeError as e:
            ev.report_terminating(e.record)
            return RunResult(False, None)
        except ExitRequested as e:
            return RunResult(not ev.had_error and e.code == 0, e.code)
        except FlowControl:
            pass  # break/continue outside any loop stops the script, as in PowerShell
        finally:
            ev.state.current = saved_scope
            del ev.call_stack[depth:]
        return RunResult(not ev.had_error, None)
