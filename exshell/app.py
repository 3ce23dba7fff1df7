"""The application: where the command registry, the store, the host and the output layer meet.

The runtime (exshell.runtime) knows none of them by name: `Session(registry, services, host)` takes a command
lookup, a host and a `services` object, and cmdlets reach the rest through `self.runtime.services`. This
module builds that object: `Services` opens the store on first use and formats uncaptured output with the
output layer; `make_session` wires a session the way `exshell -c`, `-f` and the REPL run it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from exshell.cmdlets.registry import CommandRegistry, default_registry
from exshell.output import out_default as format_out_default
from exshell.runtime.host import Host
from exshell.runtime.session import Session


def default_server_name() -> str:
    """This machine's short host name, upper case as Exchange shows server names."""
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
        store = open_configuration_store(Path(state_dir), state_dir=Path(state_dir))
    try:
        records = store.snapshot().data.get("servers") or {}
    except Exception:  # noqa: BLE001 - an unreadable store is reported by whoever reads it next
        return host
    names = [str(r.get("Name") or "") for r in records.values() if hasattr(r, "get")]
    names = [n for n in names if n]
    if any(n.lower() == host.lower() for n in names) or len(names) != 1:
        return host
    return names[0]


def open_configuration_store(spec: Path | str, server_name: str | None = None, *, state_dir: Path) -> Any:
    """Open (creating with the default configuration of `server_name` on first use) the store `spec` names;
    `state_dir` is the shell's state folder (the default configuration refers to files in it)."""
    # Imported here, deliberately: the store and the model cost more than the rest of a one-shot command's
    # start-up together, and `Get-Command`, `Get-Date` or a script that touches no configuration never pays it.
    from exshell.config import validate_records
    from exshell.store import open_store

    def initial() -> dict[str, Any]:
        # Only when version 1 is created: the defaults load every model module.
        from exshell.model.defaults import initial_config

        # A fresh store is this server's; the host's name while none is given.
        return initial_config(server_name or default_server_name(), state_dir=state_dir)

    # Hand edits are adopted only when the model accepts them (validate_records).
    return open_store(spec, initial=initial, validate=validate_records)


class Services:
    """What cmdlets reach through `self.runtime.services`: the state folder, the store (opened on first use:
    `store_spec` names a shared store such as a postgresql:// URL, else the state folder holds it), the server
    name, the command registry, the log folder; and for the runtime, `out_default` (how uncaptured output is
    shown)."""

    def __init__(self, state_dir: Path | str, server_name: str | None = None,
                 registry: CommandRegistry | None = None, store_spec: str | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.store_spec = store_spec
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
            # Not server_name: that would look in the store being created.
            self._store = open_configuration_store(self.store_spec or self.state_dir, self._server_name,
                                                   state_dir=self.state_dir)
        return self._store

    def close(self) -> None:
        """Close the store if it was opened (a shared store holds a connection pool and its threads); the
        next use opens it again."""
        store, self._store = self._store, None
        if store is not None:
            store.close()

    def out_default(self, objects: list[Any], host: Any, enumeration_limit: Any = None) -> None:
        """Out-Default: the output layer formats what no command captured."""
        format_out_default(objects, host, enumeration_limit)


def make_session(state_dir: Path | str, server: str | None, host: Host, store_spec: str | None = None,
                 registry: CommandRegistry | None = None) -> Session:
    """A session over the built-in cmdlets, the store of `state_dir` (or `store_spec`) and `host`."""
    registry = registry if registry is not None else default_registry()
    services = Services(state_dir, server_name=server, registry=registry, store_spec=store_spec)
    return Session(registry, services, host)
