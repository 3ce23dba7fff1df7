"""The service-side sub-commands of `exshell`: install-service, status, examples (click commands; the group
in exshell.cli adds them)."""

from __future__ import annotations

import json
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import click

SERVE_INFO = "serve.json"  # <state>/serve.json: written by `exshell serve` (pid, metrics address)


def _state(ctx: click.Context, state: str | None) -> Path:
    from exshell.shell.runner import resolve_state

    parent = (ctx.find_root().obj or {}) if ctx.find_root() is not ctx else {}
    return resolve_state(state or parent.get("state"))


@click.command("install-service")
@click.option("--user", "user", default="exshell", show_default=True, help="The unprivileged user to run as "
              "(created as a system user when missing).")
@click.option("--state", "state", default="/var/lib/exshell", show_default=True, type=click.Path(path_type=Path),
              help="The service's state folder.")
@click.option("--unit-dir", default="/etc/systemd/system", show_default=True, type=click.Path(path_type=Path),
              help="Where to write exshell.service.")
@click.option("--socket", "with_socket", is_flag=True, help="Also write exshell.socket (socket activation).")
@click.option("--no-create-user", is_flag=True, help="Do not create the user when it is missing.")
@click.option("--print", "print_only", is_flag=True, help="Print the unit instead of installing it.")
def install_service(user: str, state: Path, unit_dir: Path, with_socket: bool, no_create_user: bool,
                    print_only: bool) -> None:
    """Install the systemd unit that runs `exshell serve` as a notify service under an unprivileged user.

    Then: systemctl daemon-reload && systemctl enable --now exshell
    """
    from exshell.service import install as inst

    p = inst.plan(user, state, unit_dir, with_socket)
    if print_only:
        click.echo(p.unit, nl=False)
        return
    for w in p.warnings:
        click.echo(f"warning: {w}", err=True)
    try:
        if not no_create_user:
            made = inst.ensure_user(user)
            if made:
                click.echo(made)
        for line in inst.install(p):
            click.echo(line)
    except (OSError, Exception) as e:  # noqa: BLE001 - useradd's CalledProcessError included: one line
        raise click.ClickException(f"install-service: {e}") from None
    click.echo("next: systemctl daemon-reload && systemctl enable --now exshell"
               + (" exshell.socket" if with_socket else ""))


@click.command("status")
@click.option("--state", "state", default=None, help="The state folder of the running engine.")
@click.option("--metrics", "url", default=None, metavar="URL|HOST:PORT",
              help="Scrape this endpoint instead of the one `exshell serve --metrics` recorded.")
@click.option("--raw", is_flag=True, help="Print the scraped metrics as they are.")
@click.pass_context
def status(ctx: click.Context, state: str | None, url: str | None, raw: bool) -> None:
    """Health of the running engine: configuration version, traffic, queues, deliveries (from its metrics).

    Exits 0 when the engine answered, 3 when it is not running or not reachable (as `systemctl status`)."""
    from exshell.service import status as st

    folder = _state(ctx, state)
    info = st.read_serve_info(folder)
    target = url or (info or {}).get("metrics")
    if not target:
        click.echo(f"exshell serve is not running with --metrics on {folder} (no {SERVE_INFO}); "
                   "give --metrics HOST:PORT", err=True)
        ctx.exit(3)
    try:
        text = st.scrape(str(target))
    except OSError as e:
        click.echo(f"the engine's metrics at {target} cannot be read: {e}", err=True)
        ctx.exit(3)
    if raw:
        click.echo(text, nl=False)
        return
    click.echo(st.summary(st.parse(text), info))


@click.command("examples")
@click.argument("name", required=False)
@click.option("--copy", "copy_to", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Copy the example scripts into this folder.")
def examples(name: str | None, copy_to: Path | None) -> None:
    """The example scripts installed with exshell: list them, print one (NAME), or copy them (--copy DIR).

    Run one from the folder the listing names: exshell -f FOLDER/relay-anonymous.ps1"""
    root = resources.files("exshell") / "examples"
    files = sorted((f for f in root.iterdir() if f.name.endswith((".ps1", ".csv"))), key=lambda f: f.name)
    if copy_to is not None:
        copy_to.mkdir(parents=True, exist_ok=True)
        for f in files:
            (copy_to / f.name).write_bytes(f.read_bytes())
        click.echo(f"copied {len(files)} files to {copy_to}")
        return
    if name is not None:
        match = [f for f in files if f.name == name or f.name.rsplit(".", 1)[0] == name]
        if not match:
            raise click.ClickException(f"no example named '{name}'; `exshell examples` lists them")
        click.echo(match[0].read_text(encoding="utf-8"), nl=False)
        return
    width = max(len(f.name) for f in files)
    for f in files:
        first = f.read_text(encoding="utf-8").splitlines()[0] if f.name.endswith(".ps1") else "# data"
        click.echo(f"{f.name:<{width}}  {first.lstrip('# ').strip()}")
    click.echo(f"\nin {root}")


def write_serve_info(state: Path, **fields: Any) -> None:
    """<state>/serve.json: how `exshell status` finds the running engine."""
    doc = {"pid": os.getpid(), "python": sys.version.split()[0], **fields}
    tmp = state / f".{SERVE_INFO}.tmp"
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, state / SERVE_INFO)
