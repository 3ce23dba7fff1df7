"""TransportService: one server's transport settings (Get-/Set-TransportService, 2013+; Get-/Set-TransportServer,
2007/2010; tls-auth.md §4). Stored per server (collection `transport_services`, keyed by the server's GUID);
a property not set on the server takes the organization-wide value of TransportSettings, which is also where
`Set-TransportConfig` keeps the timers it accepted before these cmdlets existed (exshell's compatibility)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from collections.abc import Mapping

from exshell.model.errors import ModelDataError, ModelError
from exshell.model.records import Prop, coerce_fields, decode_props, encode_props
from exshell.model.size import Unlimited
from exshell.model.timespan import EnhancedTimeSpan

TRANSPORT_SERVER_TYPE = "Microsoft.Exchange.Data.Directory.Management.TransportServer"


@dataclass(frozen=True, slots=True)
class TransportService:
    guid: str  # the server's GUID
    server: str  # the server's name
    message_tracking_log_enabled: bool | None = None
    message_tracking_log_max_age: EnhancedTimeSpan | None = None
    message_tracking_log_max_directory_size: Unlimited | None = None
    receive_protocol_log_max_age: EnhancedTimeSpan | None = None
    receive_protocol_log_max_directory_size: Unlimited | None = None
    send_protocol_log_max_age: EnhancedTimeSpan | None = None
    send_protocol_log_max_directory_size: Unlimited | None = None
    message_retry_interval: EnhancedTimeSpan | None = None
    transient_failure_retry_count: int | None = None
    transient_failure_retry_interval: EnhancedTimeSpan | None = None
    outbound_connection_failure_retry_interval: EnhancedTimeSpan | None = None
    message_expiration_timeout: EnhancedTimeSpan | None = None
    delay_notification_timeout: EnhancedTimeSpan | None = None
    max_outbound_connections: Unlimited | None = None
    max_per_domain_outbound_connections: Unlimited | None = None

    def __post_init__(self) -> None:
        count = self.transient_failure_retry_count
        if count is not None and not 0 <= count <= 15:
            raise ModelError("TransientFailureRetryCount must be between 0 and 15.",
                             property="TransientFailureRetryCount")
        timeout = self.message_expiration_timeout
        if timeout is not None and not 5 <= timeout.seconds <= 90 * 86400:
            raise ModelError("MessageExpirationTimeout must be between 00:00:05 and 90.00:00:00.",
                             property="MessageExpirationTimeout")

    @property
    def identity(self) -> str:
        return self.server

    def overrides(self) -> dict[str, Any]:
        """The fields set on this server (TransportSettings field name -> value)."""
        return {p.field: getattr(self, p.field) for p in PROPERTIES if getattr(self, p.field) is not None}

    def with_changes(self, **values: Any) -> TransportService:
        fields = coerce_fields(values, PROPERTIES)
        try:
            return dataclasses.replace(self, **fields)
        except TypeError as exc:
            raise ModelError(f"Unknown transport service setting: {exc}") from None

    def to_record(self) -> dict[str, Any]:
        return {"Server": self.server, **encode_props(self, PROPERTIES)}

    @classmethod
    def from_record(cls, guid: str, record: Mapping[str, Any]) -> TransportService:
        fields = decode_props(record, PROPERTIES, "transport service")
        try:
            return cls(guid=guid, server=str(record.get("Server") or guid), **fields)
        except ModelError as exc:
            raise ModelDataError(exc.message, "InvalidStoredData", exc.property) from None


PROPERTIES: tuple[Prop, ...] = (
    Prop("MessageTrackingLogEnabled", "message_tracking_log_enabled", "bool"),
    Prop("MessageTrackingLogMaxAge", "message_tracking_log_max_age", "timespan"),
    Prop("MessageTrackingLogMaxDirectorySize", "message_tracking_log_max_directory_size", "unlimited_size"),
    Prop("ReceiveProtocolLogMaxAge", "receive_protocol_log_max_age", "timespan"),
    Prop("ReceiveProtocolLogMaxDirectorySize", "receive_protocol_log_max_directory_size", "unlimited_size"),
    Prop("SendProtocolLogMaxAge", "send_protocol_log_max_age", "timespan"),
    Prop("SendProtocolLogMaxDirectorySize", "send_protocol_log_max_directory_size", "unlimited_size"),
    Prop("MessageRetryInterval", "message_retry_interval", "timespan"),
    Prop("TransientFailureRetryCount", "transient_failure_retry_count", "int"),
    Prop("TransientFailureRetryInterval", "transient_failure_retry_interval", "timespan"),
    Prop("OutboundConnectionFailureRetryInterval", "outbound_connection_failure_retry_interval", "timespan"),
    Prop("MessageExpirationTimeout", "message_expiration_timeout", "timespan"),
    Prop("DelayNotificationTimeout", "delay_notification_timeout", "timespan"),
    Prop("MaxOutboundConnections", "max_outbound_connections", "unlimited"),
    Prop("MaxPerDomainOutboundConnections", "max_per_domain_outbound_connections", "unlimited"),
)
