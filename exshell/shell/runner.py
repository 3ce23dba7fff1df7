"""Running text non-interactively (`exshell -c`, `-f`, `-`), finding the state folder, logging crashes.

Kept free of click, prompt_toolkit, rich and tomlkit: this is the start-up path whose cost bench/startup.py
measures. The session is wired by exshell.app.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exshell import app
from exshell.errors import ExshellError
from exshell.runtime.host import TextHost
from exshell.shell.options import find_option

# Exit statuses: PowerShell's $LASTEXITCODE convention for pwsh -c / -File (0 ok, 1 an error was written).
EXIT_OK = 0
EXIT_ERROR = 1


class Invocation:
    """What the command line asked for. mode: 'command' (text), 'file' (path + args), 'stdin', 'repl'.

    A plain slotted class with value equality, not a dataclass: generating one costs about a millisecond of
    every start-up, which is what this module exists to keep short."""

    __slots__ = ("mode", "text", "path", "args", "state", "server", "store")

    def __init__(
        self,
        mode: str,
        text: str | None = None,
        path: str | None = None,
        args: tuple[str, ...] = (),
        state: str | None = None,
        server: str | None = None,
        store: str | None = None,
    ) -> None:
        self.mode = mode
        self.text = text
        self.path = path
        self.args = args
        self.state = state
        self.server = server
        self.store = store

    def _key(self) -> tuple[Any, ...]:
        return (self.mode, self.text, self.path, self.args, self.state, self.server, self.store)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Invocation) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return "Invocation(" + ", ".join(f"{n}={v!r}" for n, v in zip(self.__slots__, self._key())) + ")"


def _is_exshell_checkout(folder: Path) -> bool:
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file() or not (folder / "state").is_dir():
        return False
    try:
        head = pyproject.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return False
    return any(f"name = {q}{n}{q}" in head for n in ("exshell-relay", "exshell") for q in "\"'")


def default_state_dir(
    cwd: Path | None = None, env: dict[str, str] | None = None, package_root: Path | None = None
) -> Path:
    """`$EXSHELL_STATE`; else `./state` in an exshell checkout (the current folder, or the folder holding the
    package); else the XDG state folder `$XDG_STATE_HOME/exshell` (default `~/.local/state/exshell`)."""
    env = dict(os.environ) if env is None else env
    if env.get("EXSHELL_STATE"):
        return Path(env["EXSHELL_STATE"])
    here = cwd or Path.cwd()
    package_parent = package_root or Path(__file__).resolve().parent.parent.parent
    for folder in (here, package_parent):
        if _is_exshell_checkout(folder):
            return folder / "state"
    xdg = env.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg else Path(env.get("HOME") or Path.home()) / ".local" / "state"
    return base / "exshell"


def resolve_state(option: str | None) -> Path:
    return Path(option) if option else default_state_dir()


def resolve_store(option: str | None) -> str | None:
    """`--store`, else `$EXSHELL_STORE`; None: the state folder holds the store."""
    return option or os.environ.get("EXSHELL_STORE") or None


def log_unexpected(state_dir: Path | None, exc: BaseException) -> str:
    """Write the traceback to <state>/logs/exshell.log; return the one line the user sees."""
    import traceback

    where = ""
    if state_dir is not None:
        try:
            logs = Path(state_dir) / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            log = logs / "exshell.log"
            import datetime as _dt

            with log.open("a", encoding="utf-8") as f:
                f.write(f"--- {_dt.datetime.now(_dt.UTC).isoformat()} internal error\n")
                f.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
            where = f" (details in {log})"
        except OSError:
            where = ""
    return f"exshell: internal error: {type(exc).__name__}: {exc}{where}"


def terminal_width(stream: Any) -> int:
    try:
        if stream.isatty():
            import shutil

            return max(20, shutil.get_terminal_size((120, 24)).columns)
    except (AttributeError, ValueError, OSError):
        pass
    return 120


def _pipe_safe_host() -> Any:
    """A TextHost on stdout/stderr that goes quiet when the reader of stdout goes away (`exshell -c ... | head`):
    the rest of the output is discarded instead of surfacing BrokenPipeError as an internal error."""
    class PipeSafeTextHost(TextHost):
        def write(self, text: str) -> None:
            try:
                super().write(text)
            except BrokenPipeError:
                _silence_stdout()
                self.out = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the host

    return PipeSafeTextHost(sys.stdout, sys.stderr, interactive=False, width=terminal_width(sys.stdout))


def _silence_stdout() -> None:
    # Python's recipe for SIGPIPE: point fd 1 at /dev/null so the interpreter's final flush cannot fail again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def exit_status(result: Any) -> int:
    """`exit n` gives n; otherwise 0 when no error record was written, 1 when one was."""
    code = getattr(result, "exit_code", None)
    if code is not None:
        return int(code)
    return EXIT_OK if result.success else EXIT_ERROR


def make_session(state_dir: Path, server: str | None, host: Any, store: str | None = None) -> Any:
    return app.make_session(state_dir, server, host, store_spec=resolve_store(store))


def run_invocation(inv: Invocation) -> int:
    """Run `-c TEXT`, `-f PATH ARGS`, or a script from stdin; return the process exit status."""
    state_dir = resolve_state(inv.state)
    try:
        host = _pipe_safe_host()
        if inv.mode == "file":
            assert inv.path is not None
            path = Path(inv.path)
            if not path.is_file():
                sys.stderr.write(
                    f"The argument '{inv.path}' is not recognized as the name of a script file. Check the spelling "
                    "of the name, or if a path was included, verify that the path is correct and try again.\n"
                )
                return EXIT_ERROR
            text = path.read_text(encoding="utf-8-sig")
            name: str | None = str(path.resolve())
        elif inv.mode == "stdin":
            text = sys.stdin.read()
            name = None
        else:
            text = inv.text or ""
            name = None
        session = make_session(state_dir, inv.server, host, inv.store)
        try:
            result = session.run(text, name=name, args=tuple(inv.args))
        finally:
            session.services.close()
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
        return exit_status(result)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - the last line of defence: one line, traceback to the log

        if isinstance(e, ExshellError):
            sys.stderr.write(f"{e}\n")
        else:
            sys.stderr.write(log_unexpected(state_dir, e) + "\n")
        return EXIT_ERROR


def parse_fast(argv: Sequence[str]) -> Invocation | None:
    """The hand-rolled parser for the non-interactive forms; None hands the arguments to click."""
    values: dict[str, str] = {}
    mode: str | None = None
    text_parts: list[str] = []
    path: str | None = None
    script_args: tuple[str, ...] = ()
    i = 0
    argv = list(argv)
    while i < len(argv):
        arg = argv[i]
        if arg == "-":
            if mode is not None:
                return None
            mode = "stdin"
            i += 1
            continue
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        opt = find_option(name) if arg.startswith("-") else None
        if opt is None:
            if mode == "command":  # pwsh joins the rest of the line into the command text
                text_parts.append(arg)
                i += 1
                continue
            return None  # a subcommand (serve), --help, or something click should report
        if eq:
            value = inline
            i += 1
        else:
            if i + 1 >= len(argv):
                return None  # let click print its "requires an argument" usage error
            value = argv[i + 1]
            i += 2
        if opt.dest == "command":
            if mode is not None:
                return None
            if value == "-":  # pwsh: `-Command -` reads the commands from stdin
                mode = "stdin"
                continue
            mode = "command"
            text_parts.append(value)
        elif opt.dest == "file":
            if mode is not None:
                return None
            mode = "file"
            path = value
            script_args = tuple(argv[i:])  # everything after the script path is $args (pwsh -File)
            break
        else:
            values[opt.dest] = value
    if mode is None:
        return None
    return Invocation(
        mode=mode,
        text=" ".join(text_parts) if mode == "command" else None,
        path=path,
        args=script_args,
        state=values.get("state"),
        server=values.get("server"),
        store=values.get("store"),
    )
