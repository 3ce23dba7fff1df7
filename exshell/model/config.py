"""Config: a whole configuration snapshot as model objects (what the engine compiles and cmdlets read).

The store holds `collection -> key -> record`; these constants name the collections. The model module of a
collection is imported when the collection is first decoded: a command that reads accepted domains never
imports (and builds the dataclasses of) receive connectors, permissions or IP ranges.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Iterable, Mapping

if TYPE_CHECKING:  # pragma: no cover
    from exshell.model.connector import ReceiveConnector
    from exshell.model.domain import AcceptedDomain
    from exshell.model.mailbox import Mailbox
    from exshell.model.permissions import ACE
    from exshell.model.send_connector import SendConnector
    from exshell.model.server import ExchangeServer
    from exshell.model.settings import TransportSettings as TransportSettings  # re-exported lazily (__getattr__)
    from exshell.model.transport_service import TransportService

SERVERS = "servers"
RECEIVE_CONNECTORS = "receive_connectors"
ACCEPTED_DOMAINS = "accepted_domains"
SETTINGS = "settings"
MAILBOXES = "mailboxes"
SEND_CONNECTORS = "send_connectors"
TRANSPORT_SETTINGS_KEY = "transport"  # the one record in SETTINGS
TRANSPORT_SERVICES = "transport_services"  # per-server transport settings, keyed by the server's GUID


def _decode_collection(collection: str, records: Mapping[str, Mapping[str, Any]]) -> tuple[Any, ...]:
    """The model objects of one stored collection (ModelDataError names the bad object and property)."""
    if collection == SETTINGS:
        from exshell.model.settings import TransportSettings  # lazy: see the module docstring

        record = records.get(TRANSPORT_SETTINGS_KEY)
        return (TransportSettings.from_record(record) if record else TransportSettings(),)
    module, cls = _DECODERS[collection]
    decode = getattr(importlib.import_module(module), cls).from_record
    return tuple(decode(k, r) for k, r in records.items())


# collection -> (module, class) whose from_record(key, record) decodes it
_DECODERS: dict[str, tuple[str, str]] = {
    SERVERS: ("exshell.model.server", "ExchangeServer"),
    RECEIVE_CONNECTORS: ("exshell.model.connector", "ReceiveConnector"),
    ACCEPTED_DOMAINS: ("exshell.model.domain", "AcceptedDomain"),
    SEND_CONNECTORS: ("exshell.model.send_connector", "SendConnector"),
    MAILBOXES: ("exshell.model.mailbox", "Mailbox"),
    TRANSPORT_SERVICES: ("exshell.model.transport_service", "TransportService"),
}
_SETTINGS_NAMES = ("TransportSettings", "SETTINGS_PROPERTIES", "RELAY_REPLIES")


def __getattr__(name: str) -> Any:
    """TransportSettings and its tables live in settings.py (imported when first asked for)."""
    if name in _SETTINGS_NAMES:
        from exshell.model import settings

        return getattr(settings, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_COLLECTIONS = (SERVERS, RECEIVE_CONNECTORS, ACCEPTED_DOMAINS, SETTINGS, SEND_CONNECTORS, MAILBOXES,
                TRANSPORT_SERVICES)
MODEL_COLLECTIONS = frozenset(_COLLECTIONS)  # what a Config holds (other kinds are decoded by the seam)


class Config:
    """A whole configuration as model objects. `Config.from_data` decodes every collection at once (and
    raises ModelDataError for a bad record); `Config.lazy` decodes each collection the first time it is
    read, so a command that reads accepted domains never decodes a thousand receive connectors."""

    __slots__ = ("_data", "_decoded", "_loader")

    def __init__(
        self,
        servers: Iterable[ExchangeServer] = (),
        receive_connectors: Iterable[ReceiveConnector] = (),
        accepted_domains: Iterable[AcceptedDomain] = (),
        settings: TransportSettings | None = None,
        send_connectors: Iterable[SendConnector] = (),
        mailboxes: Iterable[Mailbox] = (),
        transport_services: Iterable[TransportService] = (),
    ) -> None:
        self._data: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None
        self._loader: Any = None
        self._decoded: dict[str, tuple[Any, ...]] = {
            SERVERS: tuple(servers),
            RECEIVE_CONNECTORS: tuple(receive_connectors),
            ACCEPTED_DOMAINS: tuple(accepted_domains),
            SETTINGS: (settings,) if settings is not None else _default_settings(),
            SEND_CONNECTORS: tuple(send_connectors),
            MAILBOXES: tuple(mailboxes),
            TRANSPORT_SERVICES: tuple(transport_services),
        }

    @classmethod
    def lazy(
        cls,
        data: Mapping[str, Mapping[str, Mapping[str, Any]]] | None,
        loader: Any = None,
    ) -> Config:
        """Over a store snapshot's data; each collection is decoded on first use (ModelDataError then).
        `loader(collection)`, when given, supplies a collection's objects instead (the seam's working set)."""
        config = cls.__new__(cls)
        config._data = data
        config._loader = loader
        config._decoded = {}
        return config

    @classmethod
    def from_data(cls, data: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Config:
        """Build from a store snapshot's data. Missing collections are empty; a bad record raises
        ModelDataError naming the object and property."""
        config = cls.lazy(data)
        for collection in _COLLECTIONS:
            config.decoded(collection)
        return config

    def decoded(self, collection: str) -> tuple[Any, ...]:
        """The model objects of one collection (decoded now if not yet)."""
        found = self._decoded.get(collection)
        if found is None and self._loader is not None:
            found = self._decoded[collection] = tuple(self._loader(collection))
        if found is None:
            records = (self._data or {}).get(collection) or {}
            found = self._decoded[collection] = _decode_collection(collection, records)
        return found

    @property
    def servers(self) -> tuple[ExchangeServer, ...]:
        return self.decoded(SERVERS)

    @property
    def receive_connectors(self) -> tuple[ReceiveConnector, ...]:
        return self.decoded(RECEIVE_CONNECTORS)

    @property
    def accepted_domains(self) -> tuple[AcceptedDomain, ...]:
        return self.decoded(ACCEPTED_DOMAINS)

    @property
    def settings(self) -> TransportSettings:
        return self.decoded(SETTINGS)[0]  # type: ignore[no-any-return]

    @property
    def send_connectors(self) -> tuple[SendConnector, ...]:
        return self.decoded(SEND_CONNECTORS)

    @property
    def mailboxes(self) -> tuple[Mailbox, ...]:
        return self.decoded(MAILBOXES)

    @property
    def transport_services(self) -> tuple[TransportService, ...]:
        return self.decoded(TRANSPORT_SERVICES)

    def transport_service(self, server: str) -> TransportService | None:
        """What Set-TransportService set on `server` (name or FQDN), or None."""
        s = self.server(server)
        key = server.strip().lower()
        for ts in self.transport_services:
            if (s is not None and ts.guid == s.guid) or ts.server.lower() == key:
                return ts
        return None

    def settings_for(self, server: str) -> TransportSettings:
        """The organization's settings with what Set-TransportService set on `server` in place."""
        ts = self.transport_service(server)
        if ts is None:
            return self.settings
        import dataclasses

        return dataclasses.replace(self.settings, **ts.overrides())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return all(self.decoded(c) == other.decoded(c) for c in _COLLECTIONS)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Config({', '.join(f'{c}={len(self.decoded(c))}' for c in _COLLECTIONS)})"

    def to_data(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            SERVERS: {s.guid: s.to_record() for s in self.servers},
            ACCEPTED_DOMAINS: {d.guid: d.to_record() for d in self.accepted_domains},
            RECEIVE_CONNECTORS: {c.guid: c.to_record() for c in self.receive_connectors},
            SETTINGS: {TRANSPORT_SETTINGS_KEY: self.settings.to_record()},
            SEND_CONNECTORS: {c.guid: c.to_record() for c in self.send_connectors},
            MAILBOXES: {m.guid: m.to_record() for m in self.mailboxes},
            TRANSPORT_SERVICES: {t.guid: t.to_record() for t in self.transport_services},
        }

    # ------------------------------------------------------------------ lookups

    def server(self, name: str) -> ExchangeServer | None:
        """By name or FQDN, case-insensitive."""
        key = name.strip().lower()
        for s in self.servers:
            if s.name.lower() == key or s.fqdn.lower() == key:
                return s
        return None

    def connectors_on(self, server: str) -> list[ReceiveConnector]:
        key = server.strip().lower()
        return [c for c in self.receive_connectors if c.server.lower() == key]

    def resolve_receive_connector(
        self, identity: str, local_server: str | None = None, match: Callable[[str], bool] | None = None
    ) -> list[ReceiveConnector]:
        """ReceiveConnectorIdParameter: a GUID, `SERVER\\Name`, or a Name (on local_server when given, as
        Exchange resolves a bare name on the local server; else on any server). Case-insensitive. `match`
        compares the name part instead of equality (the cmdlets' wildcard identities); it never matches a
        GUID."""
        text = identity.strip()
        key = text.lower()
        if match is None:
            by_guid = [c for c in self.receive_connectors if c.guid.lower() == key]
            if by_guid:
                return by_guid
            match = lambda name: name.lower() == key  # noqa: E731
        if "\\" in text:
            return [c for c in self.receive_connectors if match(c.identity)]
        named = [c for c in self.receive_connectors if match(c.name)]
        if local_server is not None:
            local = [c for c in named if c.server.lower() == local_server.lower()]
            if local:
                return local
        return named

    def connector_aces(self, connector: ReceiveConnector) -> list[ACE]:
        """Group and explicit ACEs of a connector, naming `<Domain>\\Exchange Servers` after its server's
        domain (falling back to the connector's Fqdn when the server isn't in the configuration)."""
        server = self.server(connector.server)
        return connector.all_aces(server.domain if server else None)

    @property
    def default_accepted_domain(self) -> AcceptedDomain | None:
        from exshell.model.domain import default_domain  # lazy: loads with the accepted domains

        return default_domain(self.accepted_domains)

    def find_accepted_domain(self, domain: str) -> AcceptedDomain | None:
        from exshell.model.domain import find_accepted_domain  # lazy: loads with the accepted domains

        return find_accepted_domain(self.accepted_domains, domain)


def _default_settings() -> tuple[Any, ...]:
    from exshell.model.settings import TransportSettings  # lazy: see the module docstring

    return (TransportSettings(),)
