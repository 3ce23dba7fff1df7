"""Listener manager: one listening socket per distinct binding, kept in step with the configuration.

Where a wildcard (`0.0.0.0:25` / `[::]:25`) and a specific address (`127.0.0.17:25`) share a port, only the
wildcard is bound: the kernel would refuse the second bind without SO_REUSEPORT tricks, and the session picks
its connector from the socket's real local address (`getsockname()`), so both connectors are still served.
IPv6 sockets are bound IPV6_V6ONLY (asyncio does this for AF_INET6), so `[::]:25` and `0.0.0.0:25` coexist.

A binding that cannot be bound (in use, no permission, address not local) is logged as an error naming the
connector(s) and the binding; the other listeners keep running, and the binding is retried whenever the
configuration version changes.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

log = logging.getLogger("exshell.transport")


@dataclass(frozen=True, slots=True)
class ListenKey:
    address: str
    port: int

    def __str__(self) -> str:
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"


def desired_listeners(bindings: dict[Any, list[Any]]) -> dict[ListenKey, list[Any]]:
    """Binding -> connectors, folded so a specific address under a wildcard of its family and port is dropped."""
    wild = {(b.version, b.port) for b in bindings if b.is_wildcard}
    out: dict[ListenKey, list[Any]] = {}
    for b, conns in bindings.items():
        if not b.is_wildcard and (b.version, b.port) in wild:
            continue
        out.setdefault(ListenKey(b.address, b.port), []).extend(conns)
    for b, conns in bindings.items():  # name the folded connectors under their wildcard, for error messages
        if not b.is_wildcard and (b.version, b.port) in wild:
            key = ListenKey("0.0.0.0" if b.version == 4 else "::", b.port)
            out[key].extend(c for c in conns if c not in out[key])
    return out


def bind_socket(key: ListenKey, reuse_port: bool = False) -> socket.socket:
    """A listening socket for the binding, opened the way loop.create_server opens one; used to bind before a
    privilege drop (exshell.service.privileges). Raises OSError."""
    family = socket.AF_INET6 if ":" in key.address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((key.address, key.port))
        sock.listen(1024)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class ListenerManager:
    def __init__(self, protocol_factory: Callable[[], asyncio.Protocol], reuse_port: bool = False) -> None:
        self.factory = protocol_factory
        # SO_REUSEPORT: several worker processes listen on the same bindings and the kernel spreads the
        # connections between them (`exshell serve --workers N`).
        self.reuse_port = reuse_port
        self.servers: dict[ListenKey, asyncio.base_events.Server] = {}
        self.errors: dict[ListenKey, str] = {}
        # Sockets opened for us (systemd socket activation, or bound before a privilege drop): a binding with
        # one is served on it instead of binding again.
        self.inherited: dict[ListenKey, socket.socket] = {}

    async def apply(self, bindings: dict[Any, list[Any]]) -> None:
        want = desired_listeners(bindings)
        for key in list(self.servers):
            if key not in want:
                server = self.servers.pop(key)
                server.close()  # stops accepting; sessions in progress carry on (Server.close semantics)
                log.info("stopped listening on %s", key)
        self.errors = {k: v for k, v in self.errors.items() if k in want}
        loop = asyncio.get_running_loop()
        for key, conns in want.items():
            if key in self.servers:
                continue
            sock = self.inherited.pop(key, None)
            try:
                if sock is not None:
                    server = await loop.create_server(self.factory, sock=sock, backlog=1024)
                else:
                    server = await loop.create_server(
                        self.factory, host=key.address, port=key.port, reuse_address=True, backlog=1024,
                        reuse_port=self.reuse_port or None,
                    )
            except OSError as e:
                names = ", ".join(c.identity for c in conns)
                reason = {
                    errno.EADDRINUSE: "the address is already in use",
                    errno.EACCES: "permission denied (ports below 1024 need privileges)",
                    errno.EADDRNOTAVAIL: "the address is not assigned to this machine",
                }.get(e.errno or 0, e.strerror or str(e))
                msg = f"Receive connector {names} cannot listen on {key}: {reason}."
                if self.errors.get(key) != msg:
                    log.error(msg)
                self.errors[key] = msg
                continue
            self.servers[key] = server
            self.errors.pop(key, None)
            log.info("listening on %s for %s", key, ", ".join(c.identity for c in conns))

    def close(self) -> None:
        for server in self.servers.values():
            server.close()
        self.servers.clear()
        for sock in self.inherited.values():
            sock.close()
        self.inherited.clear()

    @property
    def addresses(self) -> list[str]:
        return [str(k) for k in self.servers]
