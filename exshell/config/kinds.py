"""One table per object type: how its objects are decoded and encoded, which Exchange property is which
model field (the one parameter -> property map of the type), how elements of its lists compare, and the
rules an object must keep with the rest of the configuration. The seam (apply.py) and the hand-edit check
(validation.py) read these tables; other object types (certificates, transport-service settings) register
theirs with `register_kind`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from exshell.model import config as mconfig
from exshell.model.connector import PROPERTIES as RC_PROPERTIES
from exshell.model.connector import ReceiveConnector, find_conflict, validate_connector
from exshell.model.domain import PROPERTIES as DOMAIN_PROPERTIES
from exshell.model.domain import AcceptedDomain
from exshell.model.errors import ModelError
from exshell.model.mailbox import PROPERTIES as MAILBOX_PROPERTIES
from exshell.model.mailbox import Mailbox, address_conflict
from exshell.model.send_connector import PROPERTIES as SC_PROPERTIES
from exshell.model.send_connector import SendConnector
from exshell.model.server import PROPERTIES as SERVER_PROPERTIES
from exshell.model.server import ExchangeServer
from exshell.model.transport_service import PROPERTIES as TS_PROPERTIES
from exshell.model.transport_service import TransportService

if TYPE_CHECKING:  # pragma: no cover
    from exshell.config.working import Working


def range_key(r: Any) -> Any:
    """An IP range is its addresses: `10.0.0.1`, `10.0.0.1/32` and `10.0.0.1-10.0.0.1` are one element."""
    return (r.version, r.first, r.last)


def binding_key(b: Any) -> Any:
    return (b.address, b.port)


def text_key(v: Any) -> Any:
    return str(v).strip().lower()


def smtp_key(v: Any) -> Any:
    """SMTP addresses compare case-insensitively, with or without the `smtp:` prefix."""
    text = str(v).strip().lower()
    return text[5:] if text.startswith("smtp:") else text


@dataclass(frozen=True)
class Kind:
    """What the seam knows about one object type (one store collection)."""

    collection: str
    label: str  # "Receive connector": how messages and Compare-ConfigVersion name the type
    decode: Callable[[str, Mapping[str, Any]], Any]
    encode: Callable[[Any], dict[str, Any]]
    # Exchange property name -> model field: the one map from parameters (and record keys) to fields
    properties: Mapping[str, str]
    change: Callable[[Any, dict[str, Any]], Any]  # (object, {field: value}) -> changed object (validated)
    check: Callable[[Any, Working], None] = lambda obj, working: None  # rules with the other objects
    after: Callable[[Any, Working], None] | None = None  # follow-up changes (exactly one default domain)
    # rules for removing an object, checked on the newest version (a server still named by connectors)
    check_remove: Callable[[Any, Working], None] | None = None
    element_keys: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)  # field -> identity
    extra_keys: tuple[str, ...] = ()  # record keys that are not properties (ADPermissions, Identity)
    key_of: Callable[[Any], str] = lambda obj: obj.guid  # type: ignore[no-any-return]
    singleton: str | None = None  # the one key of a one-record collection (settings)
    write_only: tuple[str, ...] = ()  # properties a cmdlet sets but a record never holds (Password)

    def field_of(self, prop: str) -> str:
        """The model field of an Exchange property name (case-insensitive)."""
        found = self._lower.get(prop.lower())
        if found is None:
            raise ModelError(f"'{prop}' isn't a property of a {self.label.lower()}.", "UnknownProperty", prop)
        return found

    @property
    def _lower(self) -> dict[str, str]:
        cache = self.__dict__.get("_lower_cache")
        if cache is None:
            cache = {k.lower(): v for k, v in self.properties.items()}
            object.__setattr__(self, "_lower_cache", cache)
        return cache  # type: ignore[no-any-return]

    def known_keys(self) -> list[str]:
        return [p for p in self.properties if p not in self.write_only] + list(self.extra_keys)

    def element_key(self, fld: str) -> Callable[[Any], Any]:
        return self.element_keys.get(fld, text_key)


_KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> None:
    _KINDS[kind.collection] = kind


def kind_of(collection: str) -> Kind:
    try:
        return _KINDS[collection]
    except KeyError:
        raise ModelError(f"Unknown configuration collection '{collection}'.", "UnknownCollection") from None


def known_kinds() -> dict[str, Kind]:
    return dict(_KINDS)


def _props(table: Any) -> dict[str, str]:
    return {p[0]: p[1] for p in table} if table and isinstance(table[0], tuple) else {p.name: p.field for p in table}


# ---------------------------------------------------------------------- receive connectors


def check_receive_connector(rc: ReceiveConnector, working: Working) -> None:
    """The connector's own rules, then: a unique name per server, and the binding / remote-range rules
    with the other connectors of its server (semantics.md §e)."""
    problem = validate_connector(rc)
    if problem:
        raise ModelError(problem, "InvalidReceiveConnector")
    # Only connectors of its server sharing its name or a port can conflict (connector_index.py); they come
    # in the working set's order, so the first conflict named is the one a pass over all of them would name.
    index = working.receive_connector_index()
    if index.same_name(rc):
        raise ModelError(
            f"A receive connector named '{rc.name}' already exists on server '{rc.server}'.",
            "ADObjectAlreadyExistsException",
            "Name",
        )
    problem = find_conflict(rc, index.sharing_a_port(rc))
    if problem:
        raise ModelError(problem, "ReceiveConnectorConflict", "Bindings")


def _change_receive_connector(rc: ReceiveConnector, fields: dict[str, Any]) -> ReceiveConnector:
    return rc.with_changes(**fields)


# ---------------------------------------------------------------------- accepted domains


def check_accepted_domain(domain: AcceptedDomain, working: Working) -> None:
    for d in working.objects(mconfig.ACCEPTED_DOMAINS).values():
        if d.guid == domain.guid:
            continue
        if d.name.lower() == domain.name.lower():
            raise ModelError(f"An accepted domain named '{domain.name}' already exists.",
                             "ADObjectAlreadyExistsException", "Name")
        if d.domain_name.lower() == domain.domain_name.lower():
            raise ModelError(
                f"The domain name '{domain.domain_name}' is already used by the accepted domain '{d.name}'.",
                "DuplicateAcceptedDomainException", "DomainName")


def _one_default(domain: AcceptedDomain, working: Working) -> None:
    """Exactly one default accepted domain: making one the default clears the others."""
    if not domain.default:
        return
    for d in list(working.objects(mconfig.ACCEPTED_DOMAINS).values()):
        if d.guid != domain.guid and d.default:
            working.put(mconfig.ACCEPTED_DOMAINS, d.guid, d.with_changes(default=False))


# ---------------------------------------------------------------------- mailboxes and send connectors


def check_mailbox(mbx: Mailbox, working: Working) -> None:
    """Addresses unique among recipients, each in an accepted domain that holds recipients."""
    from exshell.model.domain import find_accepted_domain  # lazy: loads with the accepted domains

    problem = address_conflict(mbx, working.objects(mconfig.MAILBOXES).values())
    if problem:
        raise ModelError(problem, "ProxyAddressExistsException", "EmailAddresses")
    domains = list(working.objects(mconfig.ACCEPTED_DOMAINS).values())
    for addr in mbx.all_addresses:
        accepted = find_accepted_domain(domains, addr.rsplit("@", 1)[1])
        if accepted is None or str(accepted.domain_type) == "ExternalRelay":
            raise ModelError(
                f"The address '{addr}' isn't in an accepted domain of this organization (Authoritative or "
                "InternalRelay). Add the domain with New-AcceptedDomain first.",
                "InvalidSmtpAddress", "PrimarySmtpAddress",
            )


def check_send_connector(conn: SendConnector, working: Working) -> None:
    problem = conn.validate()
    if problem:
        raise ModelError(problem, "InvalidSendConnector")
    for other in working.objects(mconfig.SEND_CONNECTORS).values():
        if other.guid != conn.guid and other.name.lower() == conn.name.lower():
            raise ModelError(f"A send connector named '{conn.name}' already exists.",
                             "ADObjectAlreadyExistsException", "Name")


def _decode_settings(key: str, record: Mapping[str, Any]) -> Any:
    return mconfig.TransportSettings.from_record(record)


def check_server(server: ExchangeServer, working: Working) -> None:
    """One server per name and per FQDN in the organization."""
    for other in working.objects(mconfig.SERVERS).values():
        if other.guid == server.guid:
            continue
        if other.name.lower() == server.name.lower():
            raise ModelError(f"An Exchange server named '{server.name}' already exists.",
                             "ADObjectAlreadyExistsException", "Name")
        if other.fqdn.lower() == server.fqdn.lower():
            raise ModelError(f"The Exchange server '{other.name}' already has the FQDN '{server.fqdn}'.",
                             "ADObjectAlreadyExistsException", "Fqdn")


def check_server_removal(server: ExchangeServer, working: Working) -> None:
    """A server goes only when no receive connector names it, and not the organization's last one."""
    name = server.name.lower()
    named = sorted(c.name for c in working.objects(mconfig.RECEIVE_CONNECTORS).values() if c.server.lower() == name)
    if named:
        shown = ", ".join(f"'{server.name}\\{n}'" for n in named[:5]) + (" ..." if len(named) > 5 else "")
        raise ModelError(
            f"The Exchange server '{server.name}' can't be removed while receive connectors name it ({shown}). "
            f"Remove them first: Get-ReceiveConnector -Server {server.name} | Remove-ReceiveConnector",
            "ServerHasReceiveConnectorsException",
        )
    if len(working.objects(mconfig.SERVERS)) <= 1:
        raise ModelError(f"'{server.name}' is the organization's only Exchange server and can't be removed.",
                         "LastServerException")


def _with_changes(obj: Any, fields: dict[str, Any]) -> Any:
    return obj.with_changes(**fields)


register_kind(Kind(
    mconfig.RECEIVE_CONNECTORS, "Receive connector", ReceiveConnector.from_record, ReceiveConnector.to_record,
    _props(RC_PROPERTIES), _change_receive_connector, check_receive_connector,
    element_keys={"bindings": binding_key, "remote_ip_ranges": range_key},
    extra_keys=("ADPermissions", "Identity"),
))
register_kind(Kind(
    mconfig.ACCEPTED_DOMAINS, "Accepted domain", AcceptedDomain.from_record, AcceptedDomain.to_record,
    _props(DOMAIN_PROPERTIES), _with_changes, check_accepted_domain, after=_one_default,
    extra_keys=("Identity",),
))
register_kind(Kind(
    mconfig.MAILBOXES, "Mailbox", Mailbox.from_record, Mailbox.to_record, _props(MAILBOX_PROPERTIES),
    _with_changes, check_mailbox, element_keys={"email_addresses": smtp_key}, extra_keys=("Identity",),
    write_only=("Password",),
))
register_kind(Kind(
    mconfig.SEND_CONNECTORS, "Send connector", SendConnector.from_record, SendConnector.to_record,
    _props(SC_PROPERTIES), _with_changes, check_send_connector, extra_keys=("Identity",),
))
register_kind(Kind(
    mconfig.SERVERS, "Exchange server", ExchangeServer.from_record, ExchangeServer.to_record,
    _props(SERVER_PROPERTIES), lambda obj, fields: dataclasses.replace(obj, **fields), check_server,
    extra_keys=("Identity",), check_remove=check_server_removal,
))
register_kind(Kind(
    mconfig.SETTINGS, "Transport settings", _decode_settings, mconfig.TransportSettings.to_record,
    _props(mconfig.SETTINGS_PROPERTIES), _with_changes,
    element_keys={"internal_smtp_servers": range_key},
    key_of=lambda obj: mconfig.TRANSPORT_SETTINGS_KEY, singleton=mconfig.TRANSPORT_SETTINGS_KEY,
))
register_kind(Kind(
    mconfig.TRANSPORT_SERVICES, "Transport service", TransportService.from_record, TransportService.to_record,
    _props(TS_PROPERTIES), _with_changes, extra_keys=("Identity", "Server"),
))


from exshell.config import certificate_kind as _certificate_kind  # noqa: E402,F401 - registers the certificates kind
