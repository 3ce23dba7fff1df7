"""The session API the CLI and REPL use: `Session(registry, services, host).run(text)`.

run() parses (a parse error is shown and nothing runs), executes each top-level statement, sends each
statement's uncaptured output to Out-Default and renders error records PowerShell's way. No Python traceback
ever reaches the user: an unexpected exception is logged to `<state>/logs/exshell.log` and shown as one line.
"""

from __future__ import annotations

import datetime as _dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from exshell.errors import Category, ErrorRecord, ExitRequested, ParseError, PSRuntimeError

if TYPE_CHECKING:  # pragma: no cover
    from exshell.cmdlets.registry import CommandRegistry
    from exshell.runtime.evaluator import Evaluator
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


def default_server_name() -> str:
    import os

    # os.uname().nodename is gethostname() without importing socket (~3 ms of every start).
    return (os.uname().nodename.split(".")[0] or "EXSHELL").upper()


def server_for_store(state_dir: Path | str, store: Any = None) -> str:
    """The server a shell or engine on `state_dir` administers when no --server is given: this machine's
    short host name when the store has a server of that name (or no store exists yet, so it will); else the
    store's only server (a store made with `--server EX01` is EX01's, wherever it is opened). With several
    servers and none named like this host, the host name (the caller reports that it serves nothing)."""
    host = default_server_name()
    if store is None:
        if not (Path(state_dir) / "CURRENT").exists():
            return host
        from exshell.config import validate_records
        from exshell.store import open_store

        store = open_store(Path(state_dir), validate=validate_records)
    try:
        records = store.snapshot().data.get("servers") or {}
    except Exception:  # noqa: BLE001 - an unreadable store is reported by whoever reads it next
        return host
    names = [str(r.get("Name") or "") for r in records.values() if hasattr(r, "get")]
    names = [n for n in names if n]
    if any(n.lower() == host.lower() for n in names) or len(names) != 1:
        return host
    return names[0]


class Services:
    """What cmdlets reach through `self.runtime.services`: the state folder, the store (opened on first use:
    `store_spec` names a shared store such as a postgresql:// URL, else the state folder holds it), the server
    name, the command registry and the log folder."""

    def __init__(self, state_dir: Path | str, server_name: str | None = None,
                 registry: "CommandRegistry | None" = None, store_spec: str | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.store_spec = store_spec
        # The Exchange server this shell administers: given, or this machine's short host name (upper case,
        # as Exchange shows server names).
        self._server_name = server_name
        self.registry = registry
        self._store: Any = None

    @property
    def server_name(self) -> str:
        """Given, else `server_for_store` (looked up on first use, so `-c` pays nothing when unused)."""
        if self._server_name is None:
            store = self._store
            if store is None and self.store_spec:
                store = self.store  # a shared store is the only place that knows its servers
            self._server_name = server_for_store(self.state_dir, store)
        return self._server_name

    @server_name.setter
    def server_name(self, value: str) -> None:
        self._server_name = value

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def store(self) -> Any:
        if self._store is None:
            from exshell.config import validate_records
            from exshell.store import open_store  # imported on first use: keeps start-up cheap

            def initial() -> dict[str, Any]:
                from exshell.model.defaults import initial_config

                # A fresh store is this server's; the host's name while none is given (not server_name: that
                # looks in the store being created).
                return initial_config(self._server_name or default_server_name(), state_dir=self.state_dir)

            self._store = open_store(self.store_spec or self.state_dir, initial=initial, validate=validate_records)
        return self._store


class Session:
    def __init__(self, registry: "CommandRegistry", services: Services, host: "Host") -> None:
        from exshell.runtime.evaluator import Evaluator

        self.registry = registry
        self.services = services
        if services.registry is None:
            services.registry = registry
        self.evaluator: Evaluator = Evaluator(host, services, registry)

    @property
    def host(self) -> "Host":
        return self.evaluator.host

    @host.setter
    def host(self, host: "Host") -> None:
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
        from exshell.runtime.automatic import history_entry
        from exshell.runtime.evaluator import HISTORY_LIMIT

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
        from exshell.lang.parser import parse
        from exshell.runtime.commands import render_objects
        from exshell.runtime.errorview import format_error
        from exshell.runtime.evaluator import FlowControl, block_bodies

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
                        ev.exec_statement(stmt, lambda v: ev.emit_unrolled(v, output.append))
                    finally:
                        if output:
                            render_objects(output, self.host, ev.get_variable("FormatEnumerationLimit"))
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
