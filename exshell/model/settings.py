"""TransportSettings: the organization-wide transport settings the relay uses (Set-TransportConfig), one
record `settings.transport` in the store."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from collections.abc import Mapping

from exshell.model.errors import ModelDataError, ModelError
from exshell.model.ip import IPRange
from exshell.model.records import Prop, coerce_fields, decode_props, encode_props
from exshell.model.size import ByteQuantifiedSize, Unlimited
from exshell.model.timespan import EnhancedTimeSpan

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
    message_tracking_log_max_age: EnhancedTimeSpan = EnhancedTimeSpan(30 * 86400.0)
    message_tracking_log_max_directory_size: Unlimited = Unlimited(ByteQuantifiedSize(250 * _MB))  # 2007/2010
    # Per-server only (Set-TransportService); here for the merged view of Config.settings_for().
    send_protocol_log_max_age: EnhancedTimeSpan = EnhancedTimeSpan(30 * 86400.0)
    send_protocol_log_max_directory_size: Unlimited = Unlimited(ByteQuantifiedSize(250 * _MB))

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
    Prop("MessageTrackingLogMaxAge", "message_tracking_log_max_age", "timespan"),
    Prop("MessageTrackingLogMaxDirectorySize", "message_tracking_log_max_directory_size", "unlimited_size"),
)
