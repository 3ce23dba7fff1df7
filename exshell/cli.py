"""The `exshell` command: arguments in, one call out.

Two doors, one option table (exshell.shell.options): the non-interactive forms (`-c TEXT`, `-Command TEXT`,
`-f PATH ARGS...`, `-File`, `-`, with `--state`/`--server`) go through a hand-rolled parser that imports
nothing heavy, because start-up time is a feature (bench/startup.py); everything else (no arguments → the
REPL, `--help`, `serve ...`) goes to the click group.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from exshell.shell.options import OPTIONS
from exshell.shell.runner import Invocation, parse_fast, resolve_state, resolve_store, run_invocation

# Files exshell creates are owner-only: the state folder holds mailbox password hashes, keys, credentials and
# the spool (other people's mail). A stricter umask the user set is kept.
OWNER_ONLY = 0o077


def owner_only_files() -> None:
    os.umask(os.umask(OWNER_ONLY) | OWNER_ONLY)


def main(argv: Sequence[str] | None = None) -> int:
    owner_only_files()
    args = list(sys.argv[1:] if argv is None else argv)

    inv = parse_fast(args)
    if inv is not None:
        return run_invocation(inv)
    return _click_main(args)


def _click_main(args: list[str]) -> int:
    group = build_group()
    try:
        rv = group.main(args=args, prog_name="exshell", standalone_mode=False)
    except SystemExit as e:  # click's own exits (--help)
        return int(e.code or 0)
    except Exception as e:
        import click

        if isinstance(e, click.exceptions.Abort):
            return 130
        if isinstance(e, click.ClickException):
            e.show()
            return e.exit_code
        raise
    return int(rv or 0)


def build_group() -> Any:
    import click

    def add_options(f: Any) -> Any:
        for opt in reversed(OPTIONS):
            f = click.option(*opt.names, opt.dest, metavar=opt.metavar, help=opt.help, envvar=opt.envvar)(f)
        return f

    @click.group(
        cls=_lazy_group_class(click),
        invoke_without_command=True,
        context_settings={"help_option_names": ["-h", "--help", "-Help"]},
        help="exshell: an SMTP relay configured with Exchange Management Shell commands.\n\n"
        "Without arguments, opens the interactive shell. `exshell -` runs a script read from stdin;\n"
        "`exshell -f PATH ARGS...` passes ARGS to the script as $args.",
    )
    @add_options
    @click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
                  help="Show the version and exit.")
    @click.pass_context
    def group(
        ctx: Any, command: str | None, file: str | None, state: str | None, store: str | None, server: str | None
    ) -> int:
        ctx.ensure_object(dict)
        ctx.obj.update(state=state, server=server, store=store)
        if ctx.invoked_subcommand is not None:
            return 0

        # The fast path normally takes -c/-f/- before click sees them; these keep the two doors equivalent.
        if command is not None:
            return run_invocation(Invocation("command", text=command, state=state, server=server, store=store))
        if file is not None:
            return run_invocation(Invocation("file", path=file, state=state, server=server, store=store))
        if not sys.stdin.isatty():
            # `... | exshell`: no terminal to prompt on, so the piped text is the script (as `exshell -`).
            return run_invocation(Invocation("stdin", state=state, server=server, store=store))
        from exshell.shell.repl import run_repl  # prompt_toolkit: only for the interactive shell

        return run_repl(resolve_state(state), server, store=resolve_store(store))

    @group.group("store", help="Move the configuration store, with its whole history, between backends.")
    def store_group() -> None:
        pass

    def this_store(ctx: Any) -> str:
        parent = ctx.find_root().obj or {}
        return resolve_store(parent.get("store")) or str(resolve_state(parent.get("state")))

    def copy(source: str, target: str, show_progress: bool) -> int:
        from exshell.store import StoreError
        from exshell.store.transfer import copy_store

        reporter = _copy_progress("Copying the store") if show_progress else None
        try:
            done = copy_store(source, target, None if reporter is None else
                              lambda n, total: reporter.step(n, total, "versions"))
        except StoreError as e:
            raise click.ClickException(str(e)) from None
        finally:
            if reporter is not None:
                reporter.done()
        click.echo(f"Copied {done.versions} version(s) and {done.secrets} key(s) and secret(s) from {done.source} to "
                   f"{done.target}.")
        return 0

    no_progress = click.option(
        "--no-progress", "show_progress", flag_value=False, default=True,
        help="Draw no progress bar (one is drawn on stderr when it is a terminal and the copy takes a while).",
    )

    @store_group.command(
        "export",
        help="Copy this store (--store URL, else the --state folder's) with every version into TARGET: a new "
        "folder, or an empty postgresql:// database or schema.",
    )
    @click.argument("target")
    @no_progress
    @click.pass_context
    def store_export(ctx: Any, target: str, show_progress: bool) -> int:
        return copy(this_store(ctx), target, show_progress)

    @store_group.command(
        "import",
        help="Fill this store (--store URL, else the --state folder's), which must be new, with every version "
        "of SOURCE: a state folder or a postgresql:// URL.",
    )
    @click.argument("source")
    @no_progress
    @click.pass_context
    def store_import(ctx: Any, source: str, show_progress: bool) -> int:
        return copy(source, this_store(ctx), show_progress)

    return group


def _copy_progress(activity: str) -> Any:
    """A progress reporter drawing on stderr when it is a terminal (None in a pipe or a file, as PowerShell
    shows progress only where someone watches)."""
    try:
        if not sys.stderr.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    from exshell.output.progress import TerminalProgress
    from exshell.runtime.progress import ProgressReporter

    try:
        width = os.get_terminal_size(sys.stderr.fileno()).columns - 1  # one column spare: no auto-wrap
    except (AttributeError, ValueError, OSError):
        width = -1
    view = TerminalProgress(sys.stderr, width if width >= 20 else 79, before_draw=sys.stdout.flush)
    return ProgressReporter(view.update, activity)


# Sub-commands, imported only when used (or listed by --help): the REPL's start-up pays for none of them.
SUBCOMMANDS = {
    "serve": ("exshell.transport.cli", "serve_command"),
    "status": ("exshell.service.commands", "status"),
    "install-service": ("exshell.service.commands", "install_service"),
    "examples": ("exshell.service.commands", "examples"),
}


def _lazy_group_class(click: Any) -> Any:
    class LazyGroup(click.Group):  # type: ignore[misc, name-defined]
        def list_commands(self, ctx: Any) -> list[str]:
            return sorted(set(SUBCOMMANDS) | set(super().list_commands(ctx)))

        def get_command(self, ctx: Any, name: str) -> Any:
            if name not in SUBCOMMANDS:
                return super().get_command(ctx, name)
            import importlib

            module, attr = SUBCOMMANDS[name]
            return getattr(importlib.import_module(module), attr)

    return LazyGroup


def _print_version(ctx: Any, _param: Any, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    import platform

    from exshell.version import DISTRIBUTION, version

    print(f"exshell {version()} ({DISTRIBUTION}, Python {platform.python_version()})")
    ctx.exit(0)
