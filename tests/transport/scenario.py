"""Test helpers: the seed scenario as store records, free ports, and an engine running on its own thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path
from typing import Any
from collections.abc import Callable

from exshell.model.config import ACCEPTED_DOMAINS, RECEIVE_CONNECTORS, SERVERS, SETTINGS, TRANSPORT_SETTINGS_KEY
from exshell.model.connector import ReceiveConnector
from exshell.model.domain import AcceptedDomain
from exshell.model.permissions import ACE, ANONYMOUS
from exshell.model.server import ExchangeServer
from exshell.store import open_store

SERVER = "EX01"
FQDN = "ex01.domain.example"
DOMAIN = "domain.example"
TRUSTED_HOST = "127.0.0.50"  # recipe 1: externally secured
RELAY_HOSTS = ("127.0.0.100", "127.0.0.101")  # recipe 2: anonymous relay, a range covering both
INTERNET_HOST = "127.0.0.200"  # reaches the wildcard connector
STRANGER = "127.0.0.99"  # no connector covers it
LISTEN = "127.0.0.17"


def free_port() -> int:
    """A port free on every address: the seed binds it on 0.0.0.0 as well as on 127.0.0.17, so a port that is
    only free on 127.0.0.1 (another test's listener on 127.0.0.x) would make the engine's bind fail."""
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        return s.getsockname()[1]


def connector(name: str, bindings: list[str], ranges: list[str], groups: str, auth: str = "Tls",
              **fields: Any) -> ReceiveConnector:
    fields.setdefault("tarpit_interval", "00:00:00")
    return ReceiveConnector.new(name, SERVER, "Custom", bindings=bindings, remote_ip_ranges=ranges,
                                permission_groups=groups, auth_mechanism=auth, **fields)


def seed_connectors(port: int, **overrides: Any) -> list[ReceiveConnector]:
    return [
        connector("Secured Relay", [f"{LISTEN}:{port}"], [TRUSTED_HOST], "ExchangeServers",
                  "Tls, ExternalAuthoritative", fqdn=FQDN, **overrides),
        connector("Anonymous Relay", [f"{LISTEN}:{port}"], ["-".join(RELAY_HOSTS)], "AnonymousUsers",
                  fqdn=FQDN, **overrides),
        connector("Internet", [f"0.0.0.0:{port}"], ["127.0.0.200-127.0.0.210"], "AnonymousUsers", fqdn=FQDN,
                  **overrides),
    ]


def config_data(connectors: list[ReceiveConnector], relay_style: str = "2007") -> dict[str, Any]:
    server = ExchangeServer(guid="00000000-0000-0000-0000-0000000000e1", name=SERVER, fqdn=FQDN, domain=DOMAIN)
    accepted = AcceptedDomain.new(DOMAIN, DOMAIN, "Authoritative", default=True,
                                  guid="00000000-0000-0000-0000-0000000000d1")
    relay = AcceptedDomain.new("partner", "partner.example", "InternalRelay",
                               guid="00000000-0000-0000-0000-0000000000d2")
    return {
        SERVERS: {server.guid: server.to_record()},
        ACCEPTED_DOMAINS: {accepted.guid: accepted.to_record(), relay.guid: relay.to_record()},
        RECEIVE_CONNECTORS: {c.guid: c.to_record() for c in connectors},
        SETTINGS: {TRANSPORT_SETTINGS_KEY: {"RelayReplyStyle": relay_style}},
    }


def make_store(state: Path, connectors: list[ReceiveConnector], relay_style: str = "2007") -> Any:
    data = config_data(connectors, relay_style)
    return open_store(state, lambda: data)


def grant(store: Any, connector_name: str, right: str, user: str = ANONYMOUS, deny: bool = False) -> None:
    """What `Get-ReceiveConnector X | Add-ADPermission -User U -ExtendedRights R` commits."""

    def mutate(doc: Any) -> None:
        for key, record in doc.items(RECEIVE_CONNECTORS):
            c = ReceiveConnector.from_record(key, record)
            if c.name == connector_name:
                c = c.add_aces([ACE(c.identity, user, right, deny=deny)])
                doc.put(RECEIVE_CONNECTORS, key, c.to_record())

    store.commit(mutate, command=f"Add-ADPermission {connector_name} {right}")


def update_connector(store: Any, connector_name: str, change: Callable[[ReceiveConnector], ReceiveConnector]) -> None:
    def mutate(doc: Any) -> None:
        for key, record in doc.items(RECEIVE_CONNECTORS):
            c = ReceiveConnector.from_record(key, record)
            if c.name == connector_name:
                doc.put(RECEIVE_CONNECTORS, key, change(c).to_record())

    store.commit(mutate, command=f"Set-ReceiveConnector {connector_name}")


class EngineThread:
    """The real engine on its own event loop thread, so tests can drive it with blocking smtplib."""

    def __init__(self, state: Path, store: Any, directory: Any = None, poll_seconds: float = 0.05) -> None:
        from exshell.transport.engine import Engine

        self.loop = asyncio.new_event_loop()
        self.engine = Engine(state, SERVER, store=store, directory=directory, poll_seconds=poll_seconds)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def run(self, coro: Any, timeout: float = 15.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], Any], timeout: float = 15.0) -> Any:
        async def wrapper() -> Any:
            return fn()

        return self.run(wrapper(), timeout)

    def __enter__(self) -> "EngineThread":
        self.thread.start()
        self.run(self.engine.start())
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.run(self.engine.stop(grace=2.0), timeout=20.0)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()
