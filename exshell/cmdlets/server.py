"""Get-ExchangeServer, and Get-/Set-TransportConfig for the organization-wide transport settings the relay
uses (cmdlets.md §8): among them the relay-denied wording (`RelayReplyStyle` 2007 or 2016, semantics.md §g)."""

from __future__ import annotations

from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.cmdlets.exchange_objects import (
    EXCHANGE_SERVER_TYPE,
    TRANSPORT_CONFIG_TYPE,
    server_object,
    settings_object,
)
from exshell.cmdlets.exchange_support import (
    IP_RANGES,
    TIMESPAN,
    ConfigCmdlet,
    current_config,
    not_found,
)


class GetExchangeServer(Cmdlet):
    name = "Get-ExchangeServer"
    aliases = ()
    synopsis = "Lists the Exchange servers the configuration describes."
    output_type = EXCHANGE_SERVER_TYPE
    parameters = (
        Parameter("Identity", T.STRING, position=0, pipeline=True, by_property_name=True, completer="server",
                  help="Server name or FQDN."),
        Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
    )
    examples = (Example("Get-ExchangeServer", "This organization's servers."),)
    related = ("Get-ReceiveConnector",)

    def process(self) -> None:
        config = current_config(self)
        ident = self.params.get("Identity")
        if ident:
            server = config.server(ident)
            if server is None:
                not_found(self, "server", ident)
                return
            self.write_object(server_object(server))
            return
        for server in config.servers:
            self.write_object(server_object(server))


class GetTransportConfig(Cmdlet):
    name = "Get-TransportConfig"
    synopsis = "Shows the organization-wide transport settings."
    output_type = TRANSPORT_CONFIG_TYPE
    parameters = (Parameter("DomainController", T.STRING, help="Accepted for compatibility."),)

    def process(self) -> None:
        self.write_object(settings_object(current_config(self).settings))


def _reply_style(value: Any) -> str:
    text = str(value).strip()
    if text not in ("2007", "2016"):
        raise ValueError("RelayReplyStyle is 2007 ('550 5.7.1 Unable to relay') or 2016 ('550 5.7.54 ...').")
    return text


_SETTINGS = (
    Parameter("RelayReplyStyle", T.custom("System.String", _reply_style, display="String"),
              help="2007: '550 5.7.1 Unable to relay'; 2016: '550 5.7.54 SMTP; Unable to relay recipient in "
                   "non-accepted domain'."),
    Parameter("TarpitEnabled", T.BOOL, help="Delay failure replies to unauthenticated sessions."),
    Parameter("RecipientValidationEnabled", T.BOOL,
              help="Reject unknown recipients of authoritative domains at RCPT (550 5.1.1 User unknown)."),
    Parameter("DelayNotificationTimeout", TIMESPAN, help="When the sender is told a message is delayed."),
    Parameter("MessageTrackingLogEnabled", T.BOOL, help="Write the message tracking log."),
    Parameter("MessageRetryInterval", TIMESPAN, help="Time between delivery retries."),
    Parameter("TransientFailureRetryInterval", TIMESPAN, help="Retry interval after a transient failure."),
    Parameter("TransientFailureRetryCount", T.INT, help="Quick retries before the retry interval applies."),
    Parameter("MessageExpirationTimeout", TIMESPAN, help="How long a message may stay queued (default 2 days)."),
    Parameter("ExternalPostmasterAddress", T.STRING, help="Sender of NDRs (default postmaster@<default domain>)."),
    Parameter("InternalSMTPServers", IP_RANGES, allow_null=True, allow_empty=True,
              help="Internal SMTP servers (multi-valued)."),
)


class SetTransportConfig(ConfigCmdlet):
    name = "Set-TransportConfig"
    synopsis = "Changes organization-wide transport settings."
    supports_should_process = True
    parameters = _SETTINGS + (Parameter("DomainController", T.STRING, help="Accepted for compatibility."),)
    examples = (Example("Set-TransportConfig -RelayReplyStyle 2016",
                        "Answer relay attempts with the Exchange 2016+ wording (5.7.54)."),)

    def process(self) -> None:
        from exshell.config.operations import ListEdit, Update
        from exshell.model.config import SETTINGS, TRANSPORT_SETTINGS_KEY

        p = self.params
        changes: dict[str, Any] = {}
        for param in _SETTINGS:
            if p.is_bound(param.name):
                edit = ListEdit.of(p[param.name])
                changes[param.name] = edit if edit is not None else p[param.name]
        op = Update(SETTINGS, TRANSPORT_SETTINGS_KEY, changes, identity="Transport Settings")
        applied = self.preview(op)
        if applied is None:
            return
        if applied.after == applied.before:
            self.write_warning("The command completed successfully but no settings have been modified.")
            return
        if not self.should_process("Transport Settings", description='Configuring "Transport Settings".'):
            return
        self.change(op)
