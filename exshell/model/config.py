"""Config: a whole configuration snapshot as model objects (what the engine compiles and cmdlets read).

The store holds `collection -> key -> record`; these constants name the collections.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from exshell.model.connector import ReceiveConnector
from exshell.model.domain import AcceptedDomain, default_domain, find_accepted_domain
from exshell.model.errors import ModelDataError, ModelError
from exshell.model.ip import IPRange
from exshell.model.mailbox import Mailbox
from exshell.model.permissions import ACE
from exshell.model.records import Prop, coerce_fields, decode_props, encode_props
from exshell.model.send_connector import SendConnector
from exshell.model.server import ExchangeServer
from exshell.model.size import ByteQuantifiedSize, Unlimited
from exshell.model.timespan import EnhancedTimeSpan

SERVERS = "servers"
RECEIVE_CONNECTORS = "receive_connectors"
ACCEPTED_DOMAINS = "accepted_domains"
SETTINGS = "settings"
MAILBOXES = "mailboxes"
SEND_CONNECTORS = "send_connectors"
TRANSPORT_SETTINGS_KEY = "transport"  # the one record in SETTINGS

# The relay-denied reply by emulated version (semantics.md §g): 2007/2010 (and 2013 SP1) vs 2016+.
RELAY_REPLIES: dict[str, str] = {
    "2007": "550 5.7.1 Unable to relay",
    "2016": "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
}

_MB = 1 << 20


@dataclass(frozen=True, slots=True)
class TransportSettings:
    """Organization/transport-service settings that the relay needs (Set-TransportConfig and
    Set-TransportService defaults, cmdlets.md §8; 2007 SP1 values where versions differ)."""

    relay_reply_style: str = "2007"  # '2007' | '2016'
    tarpit_enabled: bool = True
    # Reject unknown recipients of Authoritative, AddressBookEnabled domains at RCPT (`550 5.1.1 User unknown`),
    # as Exchange's Recipient Filter agent does; off by default, as that agent is on a 2007/2010 Hub: the
    # message is accepted and the categorizer bounces it (NDR 5.1.1 RESOLVER.ADR.ExRecipNotFound).
    recipient_validation_enabled: bool = False
    max_receive_size: Unlimited = Unlimited(ByteQuantifiedSize(10 * _MB))
    max_send_size: Unlimited = Unlimited(ByteQuantifiedSize(10 * _MB))
    max_recipient_envelope_limit: Unlimited = Unlimited(5000)
    message_retry_interval: EnhancedTimeSpan = EnhancedTimeSpan(300.0)
    transient_failure_retry_count: int = 6
    transient_failure_retry_interval: EnhancedTimeSpan = EnhancedTimeSpan(300.0)
    outbound_connection_failure_retry_interval: EnhancedTimeSpan = EnhancedTimeSpan(600.0)
    message_expiration_timeout: EnhancedTimeSpan = EnhancedTimeSpan(2 * 86400.0)
    delay_notification_timeout: EnhancedTimeSpan = EnhancedTimeSpan(4 * 3600.0)
    max_outbound_connections: Unlimited = Unlimited(1000)
    max_per_domain_outbound_connections: Unlimited = Unlimited(40)
    external_postmaster_address: str | None = None  # None: postmaster@<default accepted domain>
    internal_smtp_servers: tuple[IPRange, ...] = ()
    receive_protocol_log_max_age: EnhancedTimeSpan = EnhancedTimeSpan(30 * 86400.0)
    receive_protocol_log_max_directory_size: Unlimited = Unlimited(ByteQuantifiedSize(250 * _MB))
    message_tracking_log_enabled: bool = True

    def __post_init__(self) -> None:
        if self.relay_reply_style not in RELAY_REPLIES:
            raise ModelError(
                f"RelayReplyStyle must be one of {', '.join(RELAY_REPLIES)}, not {self.relay_reply_style!r}.",
                property="RelayReplyStyle",
            )

    @property
    def relay_denied_reply(self) -> str:
        return RELAY_REPLIES[self.relay_reply_style]

    def with_changes(self, **values: Any) -> TransportSettings:
        fields = coerce_fields(values, SETTINGS_PROPERTIES)
        try:
            return dataclasses.replace(self, **fields)
        except TypeError as exc:
            raise ModelError(f"Unknown transport setting: {exc}") from None

    def to_record(self) -> dict[str, Any]:
        return encode_props(self, SETTINGS_PROPERTIES)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> TransportSettings:
        fields = decode_props(record, SETTINGS_PROPERTIES, "transport settings")
        try:
            return cls(**fields)
        except ModelError as exc:
            raise ModelDataError(exc.message, "InvalidStoredData", exc.property) from None

    def to_properties(self) -> dict[str, Any]:
        return {p.name: getattr(self, p.field) for p in SETTINGS_PROPERTIES}


SETTINGS_PROPERTIES: tuple[Prop, ...] = (
    Prop("RelayReplyStyle", "relay_reply_style", "str"),
    Prop("TarpitEnabled", "tarpit_enabled", "bool"),
    Prop("RecipientValidationEnabled", "recipient_validation_enabled", "bool"),
    Prop("MaxReceiveSize", "max_receive_size", "unlimited_size"),
    Prop("MaxSendSize", "max_send_size", "unlimited_size"),
    Prop("MaxRecipientEnvelopeLimit", "max_recipient_envelope_limit", "unlimited"),
    Prop("MessageRetryInterval", "message_retry_interval", "timespan"),
    Prop("TransientFailureRetryCount", "transient_failure_retry_count", "int"),
    Prop("TransientFailureRetryInterval", "transient_failure_retry_interval", "timespan"),
    Prop("OutboundConnectionFailureRetryInterval", "outbound_connection_failure_retry_interval", "timespan"),
    Prop("MessageExpirationTimeout", "message_expiration_timeout", "timespan"),
    Prop("DelayNotificationTimeout", "delay_notification_timeout", "timespan"),
    Prop("MaxOutboundConnections", "max_outbound_connections", "unlimited"),
    Prop("MaxPerDomainOutboundConnections", "max_per_domain_outbound_connections", "unlimited"),
    Prop("ExternalPostmasterAddress", "external_postmaster_address", "str"),
    Prop("InternalSMTPServers", "internal_smtp_servers", "ranges"),
    Prop("ReceiveProtocolLogMaxAge", "receive_protocol_log_max_age", "timespan"),
    Prop("ReceiveProtocolLogMaxDirectorySize", "receive_protocol_log_max_directory_size", "unlimited_size"),
    Prop("MessageTrackingLogEnabled", "message_tracking_log_enabled", "bool"),
)


def _decode_collection(collection: str, records: Mapping[str, Mapping[str, Any]]) -> tuple[Any, ...]:
    """The model objects of one stored collection (ModelDataError names the bad object and property)."""
    if collection == SETTINGS:
        record = records.get(TRANSPORT_SETTINGS_KEY)
        return (TransportSettings.from_record(record) if record else TransportSettings(),)
    decode = _DECODERS[collection]
    return tuple(decode(k, r) for k, r in records.items())


_DECODERS: dict[str, Any] = {
    SERVERS: ExchangeServer.from_record,
    RECEIVE_CONNECTORS: ReceiveConnector.from_record,
    ACCEPTED_DOMAINS: AcceptedDomain.from_record,
    SEND_CONNECTORS: SendConnector.from_record,
    MAILBOXES: Mailbox.from_record,
}
_COLLECTIONS = (SERVERS, RECEIVE_CONNECTORS, ACCEPTED_DOMAINS, SETTINGS, SEND_CONNECTORS, MAILBOXES)


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
    ) -> None:
        self._data: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None
        self._loader: Any = None
        self._decoded: dict[str, tuple[Any, ...]] = {
            SERVERS: tuple(servers),
            RECEIVE_CONNECTORS: tuple(receive_connectors),
            ACCEPTED_DOMAINS: tuple(accepted_domains),
            SETTINGS: (settings if settings is not None else TransportSettings(),),
            SEND_CONNECTORS: tuple(send_connectors),
            MAILBOXES: tuple(mailboxes),
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
        self, identity: str, local_server: str | None = None
    ) -> list[ReceiveConnector]:
        """ReceiveConnectorIdParameter: a GUID, `SERVER\\Name`, or a Name (on local_server when given, as
        Exchange resolves a bare name on the local server; else on any server). Case-insensitive."""
        text = identity.strip()
        key = text.lower()
        by_guid = [c for c in self.receive_connectors if c.guid.lower() == key]
        if by_guid:
            return by_guid
        if "\\" in text:
            return [c for c in self.receive_connectors if c.identity.lower() == key]
        named = [c for c in self.receive_connectors if c.name.lower() == key]
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
        return default_domain(self.accepted_domains)

    def find_accepted_domain(self, domain: str) -> AcceptedDomain | None:
        return find_accepted_domain(self.accepted_domains, domain)
