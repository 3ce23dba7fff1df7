"""ReceiveConnector: one Exchange receive connector with every `Get-ReceiveConnector | fl` property.

Defaults are the Exchange 2007/2010 Hub Transport values (New-ReceiveConnector, PS-NRC-2018; cmdlets.md §1.2).
Validation and conflict rules live in connector_rules.py and are re-exported here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Iterable, Mapping

from exshell.guid import new_guid
from exshell.model.binding import IPBinding
from exshell.model.connector_rules import find_conflict, validate_auth, validate_connector
from exshell.model.enums import (
    AuthMechanism,
    ExtendedProtectionPolicy,
    MessageRateSource,
    PermissionGroups,
    ProtocolLoggingLevel,
    SizeMode,
    TransportRole,
    UsageType,
)
from exshell.model.errors import ModelDataError, ModelError
from exshell.model.ip import IPRange
from exshell.model.permissions import ACE, derived_permission_groups, group_aces
from exshell.model.records import Prop, coerce_fields, decode_props, encode_props
from exshell.model.size import ByteQuantifiedSize, Unlimited
from exshell.model.timespan import EnhancedTimeSpan

__all__ = [
    "ReceiveConnector",
    "RECEIVE_CONNECTOR_TYPE",
    "PROPERTIES",
    "USAGE_TEMPLATES",
    "UsageTemplate",
    "validate_auth",
    "validate_connector",
    "find_conflict",
]

RECEIVE_CONNECTOR_TYPE = "Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector"
EXCHANGE_VERSION = "0.1 (8.0.535.0)"  # the object schema version stays at the 2007 value (QA-305565)

_MB = 1 << 20


@dataclass(frozen=True, slots=True)
class ReceiveConnector:
    guid: str
    name: str
    server: str
    bindings: tuple[IPBinding, ...] = ()
    remote_ip_ranges: tuple[IPRange, ...] = ()
    permission_groups: PermissionGroups = field(default_factory=PermissionGroups)  # configured, never Custom
    auth_mechanism: AuthMechanism = field(default_factory=lambda: AuthMechanism.parse("Tls"))
    enabled: bool = True
    fqdn: str | None = None  # None: the server's FQDN
    banner: str | None = None
    comment: str | None = None
    max_message_size: ByteQuantifiedSize = ByteQuantifiedSize(10 * _MB)  # 2007/2010: 10 MB
    max_recipients_per_message: int = 200
    max_header_size: ByteQuantifiedSize = ByteQuantifiedSize(64 * 1024)  # 2007-2013: 64 KB
    max_inbound_connection: Unlimited = Unlimited(5000)
    max_inbound_connection_per_source: Unlimited = Unlimited(20)
    max_inbound_connection_percentage_per_source: int = 2
    connection_timeout: EnhancedTimeSpan = EnhancedTimeSpan(600.0)
    connection_inactivity_timeout: EnhancedTimeSpan = EnhancedTimeSpan(300.0)
    message_rate_limit: Unlimited = Unlimited(None)
    message_rate_source: MessageRateSource = MessageRateSource.IPAddress
    max_logon_failures: int = 3
    max_protocol_errors: Unlimited = Unlimited(5)
    max_hop_count: int = 30
    max_local_hop_count: int = 8
    tarpit_interval: EnhancedTimeSpan = EnhancedTimeSpan(5.0)
    auth_tarpit_interval: EnhancedTimeSpan = EnhancedTimeSpan(5.0)
    max_acknowledgement_delay: EnhancedTimeSpan = EnhancedTimeSpan(30.0)
    protocol_logging_level: ProtocolLoggingLevel = ProtocolLoggingLevel.NONE
    require_tls: bool = False
    require_ehlo_domain: bool = False
    domain_secure_enabled: bool = False
    default_domain: str | None = None
    size_enabled: SizeMode = SizeMode.Enabled
    pipelining_enabled: bool = True
    chunking_enabled: bool = True
    binary_mime_enabled: bool = True
    eight_bit_mime_enabled: bool = True
    delivery_status_notification_enabled: bool = True
    enhanced_status_codes_enabled: bool = True
    smtp_utf8_enabled: bool = True
    bare_linefeed_rejection_enabled: bool = False
    enable_auth_gssapi: bool = False
    suppress_x_anonymous_tls: bool = False
    long_addresses_enabled: bool = False
    orar_enabled: bool = False
    proxy_enabled: bool = False
    advertise_client_settings: bool = False
    live_credential_enabled: bool = False
    accept_consumer_mail: bool = False
    extended_protection_policy: ExtendedProtectionPolicy = ExtendedProtectionPolicy.NONE
    tls_certificate_name: str | None = None
    tls_domain_capabilities: tuple[str, ...] = ()
    service_discovery_fqdn: str | None = None
    transport_role: TransportRole = TransportRole.HubTransport
    reject_reserved_top_level_recipient_domains: bool = False
    reject_reserved_second_level_recipient_domains: bool = False
    reject_single_label_recipient_domains: bool = False
    explicit_aces: tuple[ACE, ...] = ()  # added with Add-ADPermission (Allow and Deny)

    # ------------------------------------------------------------------ identity

    @property
    def identity(self) -> str:
        """`SERVER\\Name`, as Exchange prints a receive connector's Identity and the protocol log's
        connector-id."""
        return f"{self.server}\\{self.name}"

    @property
    def effective_permission_groups(self) -> PermissionGroups:
        """The PermissionGroups Get-ReceiveConnector shows: configured groups, plus Custom for extra ACEs."""
        return derived_permission_groups(self.permission_groups, self.explicit_aces)

    def dns_domain(self) -> str:
        """The domain used to name `<Domain>\\Exchange Servers`: from Fqdn, else exshell.local."""
        if self.fqdn and "." in self.fqdn:
            return self.fqdn.split(".", 1)[1]
        return "exshell.local"

    def group_aces(self, domain: str | None = None) -> list[ACE]:
        return group_aces(
            self.identity, self.permission_groups, self.auth_mechanism, domain or self.dns_domain()
        )

    def all_aces(self, domain: str | None = None) -> list[ACE]:
        """Group-derived ACEs then explicit ones (what Get-ADPermission lists for the connector)."""
        return self.group_aces(domain) + [
            dataclasses.replace(a, identity=self.identity) for a in self.explicit_aces
        ]

    # ------------------------------------------------------------------ changes

    def with_changes(self, **values: Any) -> ReceiveConnector:
        """A copy with fields changed; values may be raw (`'10MB'`, `'Tls, BasicAuth'`) and keys may be field
        names or Exchange property names. Custom in PermissionGroups is dropped (read-only, semantics.md
        §b)."""
        fields = coerce_fields(values, PROPERTIES)
        if "permission_groups" in fields:
            fields["permission_groups"] = fields["permission_groups"] - "Custom"
        try:
            return dataclasses.replace(self, **fields)
        except TypeError as exc:
            raise ModelError(f"Unknown receive connector property: {exc}") from None

    def add_aces(self, aces: Iterable[ACE]) -> ReceiveConnector:
        """Add explicit ACEs, skipping exact duplicates (AD keeps one ACE per principal/right/type)."""
        current = list(self.explicit_aces)
        for ace in aces:
            ace = dataclasses.replace(ace, identity=self.identity, origin=None, inherited=False)
            if not any(a.matches(ace.user, ace.right, ace.deny) for a in current):
                current.append(ace)
        return dataclasses.replace(self, explicit_aces=tuple(current))

    def remove_aces(
        self, user: str, rights: Iterable[str], deny: bool = False
    ) -> tuple[ReceiveConnector, list[ACE]]:
        """Remove explicit ACEs for user/rights; returns the new connector and the ACEs removed. Group-derived
        rights can't be removed this way (HFW: use a Deny ACE)."""
        rights = list(rights)
        kept: list[ACE] = []
        removed: list[ACE] = []
        for ace in self.explicit_aces:
            if any(ace.matches(user, r, deny) for r in rights):
                removed.append(ace)
            else:
                kept.append(ace)
        return dataclasses.replace(self, explicit_aces=tuple(kept)), removed

    # ------------------------------------------------------------------ records

    def to_record(self) -> dict[str, Any]:
        record = encode_props(self, PROPERTIES)
        record["ADPermissions"] = [a.to_record() for a in self.explicit_aces]
        return record

    @classmethod
    def from_record(cls, guid: str, record: Mapping[str, Any]) -> ReceiveConnector:
        fields = decode_props(record, PROPERTIES, "receive connector")
        if "name" not in fields or "server" not in fields:
            raise ModelDataError(
                f"The stored receive connector {guid} has no Name or Server.", "InvalidStoredData"
            )
        fields["permission_groups"] = fields.get("permission_groups", PermissionGroups()) - "Custom"
        identity = f"{fields['server']}\\{fields['name']}"
        aces = []
        for raw in record.get("ADPermissions", ()) or ():
            try:
                aces.append(ACE.from_record(identity, raw))
            except (KeyError, ValueError, TypeError) as exc:
                raise ModelDataError(
                    f"The stored receive connector {identity} has an invalid ADPermissions entry "
                    f"{raw!r}: {exc}",
                    "InvalidStoredData",
                ) from None
        return cls(guid=guid, explicit_aces=tuple(aces), **fields)

    def to_properties(self) -> dict[str, Any]:
        """Property name → model value in `Get-ReceiveConnector | Format-List` order, for the cmdlet's
        PSObject.
        PermissionGroups is the reported (derived) value; lists are Python lists."""
        props: dict[str, Any] = {}
        for prop in PROPERTIES:
            value = getattr(self, prop.field)
            props[prop.name] = list(value) if isinstance(value, tuple) else value
        props["PermissionGroups"] = self.effective_permission_groups
        props["ExchangeVersion"] = EXCHANGE_VERSION
        props["Identity"] = self.identity
        props["Guid"] = self.guid
        return props

    # ------------------------------------------------------------------ creation

    @classmethod
    def new(
        cls,
        name: str,
        server: str,
        usage: UsageType | str | None = None,
        *,
        bindings: Iterable[IPBinding | str] | None = None,
        remote_ip_ranges: Iterable[IPRange | str] | None = None,
        guid: str | None = None,
        **fields: Any,
    ) -> ReceiveConnector:
        """New-ReceiveConnector: apply the usage template (semantics.md §a, cmdlets.md §1.1), then the given
        fields (field or property names, raw or model values), then validate. usage None means Custom (the
        2007 RTM behaviour). Raises ModelError with Exchange-style text."""
        kind = UsageType.parse(usage) if usage is not None else UsageType.Custom
        template = USAGE_TEMPLATES[kind]
        binding_list = list(bindings) if bindings is not None else []
        range_list = list(remote_ip_ranges) if remote_ip_ranges is not None else []
        bindings_given = bool(binding_list)
        ranges_given = bool(range_list)
        if template.bindings is not None and bindings_given:
            raise ModelError(
                f"The Bindings parameter can't be used with the {kind} usage type; it is set to "
                f"{', '.join(str(b) for b in template.bindings)}.",
                "BindingsNotAllowedForUsage",
                "Bindings",
            )
        if template.bindings is None and not bindings_given:
            raise ModelError(
                f"The Bindings parameter is required for the {kind} usage type.",
                "BindingsRequired",
                "Bindings",
            )
        if template.remote_ip_ranges is not None and ranges_given:
            raise ModelError(
                f"The RemoteIPRanges parameter can't be used with the {kind} usage type; it is set to "
                f"{', '.join(str(r) for r in template.remote_ip_ranges)}.",
                "RemoteIPRangesNotAllowedForUsage",
                "RemoteIPRanges",
            )
        if template.remote_ip_ranges is None and not ranges_given:
            raise ModelError(
                f"The RemoteIPRanges parameter is required for the {kind} usage type.",
                "RemoteIPRangesRequired",
                "RemoteIPRanges",
            )
        base = cls(
            guid=guid or new_guid(),
            name=name,
            server=server,
            bindings=template.bindings or (),
            remote_ip_ranges=template.remote_ip_ranges or (),
            permission_groups=template.permission_groups,
            auth_mechanism=template.auth_mechanism,
        )
        changes = dict(fields)
        if bindings_given:
            changes["bindings"] = binding_list
        if ranges_given:
            changes["remote_ip_ranges"] = range_list
        try:
            connector = base.with_changes(**changes)
        except ModelError:
            raise
        except ValueError as exc:
            raise ModelError(str(exc)) from None
        problem = validate_connector(connector)
        if problem:
            raise ModelError(problem, "InvalidReceiveConnector")
        return connector


class UsageTemplate:
    """What -Usage sets at creation. bindings/remote_ip_ranges None = the parameter is required; a value =
    the parameter is not allowed and this is what the connector gets.

    A row of the table below, read only by `new`: a plain slotted class, not a dataclass (generating one
    costs about a millisecond of every start-up that decodes a connector)."""

    __slots__ = ("permission_groups", "auth_mechanism", "bindings", "remote_ip_ranges")

    def __init__(
        self,
        permission_groups: PermissionGroups,
        auth_mechanism: AuthMechanism,
        bindings: tuple[IPBinding, ...] | None,
        remote_ip_ranges: tuple[IPRange, ...] | None,
    ) -> None:
        self.permission_groups = permission_groups
        self.auth_mechanism = auth_mechanism
        self.bindings = bindings
        self.remote_ip_ranges = remote_ip_ranges


USAGE_TEMPLATES: dict[UsageType, UsageTemplate] = {
    UsageType.Custom: UsageTemplate(PermissionGroups(), AuthMechanism.parse("Tls"), None, None),
    UsageType.Internet: UsageTemplate(
        PermissionGroups.parse("AnonymousUsers"), AuthMechanism.parse("Tls"), None, (IPRange.all_ipv4(),)
    ),
    UsageType.Partner: UsageTemplate(
        PermissionGroups.parse("Partners"), AuthMechanism.parse("Tls"), None, None
    ),
    UsageType.Internal: UsageTemplate(
        PermissionGroups.parse("ExchangeServers, ExchangeLegacyServers"),
        AuthMechanism.parse("Tls, ExchangeServer"),
        (IPBinding("0.0.0.0", 25),),
        None,
    ),
    UsageType.Client: UsageTemplate(
        PermissionGroups.parse("ExchangeUsers"),
        AuthMechanism.parse("Tls, Integrated, BasicAuth, BasicAuthRequireTLS"),
        (IPBinding("0.0.0.0", 587),),
        None,
    ),
}


# Property order of `Get-ReceiveConnector | Format-List` on Exchange 2016 (QA-305565; cmdlets.md §2.1).
PROPERTIES: tuple[Prop, ...] = (
    Prop("AuthMechanism", "auth_mechanism", "auth"),
    Prop("Banner", "banner", "str"),
    Prop("BinaryMimeEnabled", "binary_mime_enabled", "bool"),
    Prop("Bindings", "bindings", "bindings"),
    Prop("ChunkingEnabled", "chunking_enabled", "bool"),
    Prop("DefaultDomain", "default_domain", "str"),
    Prop("DeliveryStatusNotificationEnabled", "delivery_status_notification_enabled", "bool"),
    Prop("EightBitMimeEnabled", "eight_bit_mime_enabled", "bool"),
    Prop("SmtpUtf8Enabled", "smtp_utf8_enabled", "bool"),
    Prop("BareLinefeedRejectionEnabled", "bare_linefeed_rejection_enabled", "bool"),
    Prop("DomainSecureEnabled", "domain_secure_enabled", "bool"),
    Prop("EnhancedStatusCodesEnabled", "enhanced_status_codes_enabled", "bool"),
    Prop("LongAddressesEnabled", "long_addresses_enabled", "bool"),
    Prop("OrarEnabled", "orar_enabled", "bool"),
    Prop("SuppressXAnonymousTls", "suppress_x_anonymous_tls", "bool"),
    Prop("ProxyEnabled", "proxy_enabled", "bool"),
    Prop("AdvertiseClientSettings", "advertise_client_settings", "bool"),
    Prop("Fqdn", "fqdn", "str"),
    Prop("ServiceDiscoveryFqdn", "service_discovery_fqdn", "str"),
    Prop("TlsCertificateName", "tls_certificate_name", "str"),
    Prop("Comment", "comment", "str"),
    Prop("Enabled", "enabled", "bool"),
    Prop("ConnectionTimeout", "connection_timeout", "timespan"),
    Prop("ConnectionInactivityTimeout", "connection_inactivity_timeout", "timespan"),
    Prop("MessageRateLimit", "message_rate_limit", "unlimited"),
    Prop("MessageRateSource", "message_rate_source", "MessageRateSource"),
    Prop("MaxInboundConnection", "max_inbound_connection", "unlimited"),
    Prop("MaxInboundConnectionPerSource", "max_inbound_connection_per_source", "unlimited"),
    Prop("MaxInboundConnectionPercentagePerSource", "max_inbound_connection_percentage_per_source", "int"),
    Prop("MaxHeaderSize", "max_header_size", "size"),
    Prop("MaxHopCount", "max_hop_count", "int"),
    Prop("MaxLocalHopCount", "max_local_hop_count", "int"),
    Prop("MaxLogonFailures", "max_logon_failures", "int"),
    Prop("MaxMessageSize", "max_message_size", "size"),
    Prop("MaxProtocolErrors", "max_protocol_errors", "unlimited"),
    Prop("MaxRecipientsPerMessage", "max_recipients_per_message", "int"),
    Prop("PermissionGroups", "permission_groups", "groups"),
    Prop("PipeliningEnabled", "pipelining_enabled", "bool"),
    Prop("ProtocolLoggingLevel", "protocol_logging_level", "ProtocolLoggingLevel"),
    Prop("RemoteIPRanges", "remote_ip_ranges", "ranges"),
    Prop("RequireEHLODomain", "require_ehlo_domain", "bool"),
    Prop("RequireTLS", "require_tls", "bool"),
    Prop("EnableAuthGSSAPI", "enable_auth_gssapi", "bool"),
    Prop("ExtendedProtectionPolicy", "extended_protection_policy", "ExtendedProtectionPolicy"),
    Prop("LiveCredentialEnabled", "live_credential_enabled", "bool"),
    Prop("TlsDomainCapabilities", "tls_domain_capabilities", "strlist"),
    Prop("Server", "server", "str"),
    Prop("TransportRole", "transport_role", "TransportRole"),
    Prop("RejectReservedTopLevelRecipientDomains", "reject_reserved_top_level_recipient_domains", "bool"),
    Prop(
        "RejectReservedSecondLevelRecipientDomains", "reject_reserved_second_level_recipient_domains", "bool"
    ),
    Prop("RejectSingleLabelRecipientDomains", "reject_single_label_recipient_domains", "bool"),
    Prop("AcceptConsumerMail", "accept_consumer_mail", "bool"),
    Prop("SizeEnabled", "size_enabled", "SizeMode"),
    Prop("TarpitInterval", "tarpit_interval", "timespan"),
    Prop("AuthTarpitInterval", "auth_tarpit_interval", "timespan"),
    Prop("MaxAcknowledgementDelay", "max_acknowledgement_delay", "timespan"),
    Prop("Name", "name", "str"),
)
PROPERTY_BY_NAME: dict[str, Prop] = {p.name.lower(): p for p in PROPERTIES}
