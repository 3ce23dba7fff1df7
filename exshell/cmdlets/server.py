"""Get-/New-/Remove-ExchangeServer (the fleet: the servers that share this configuration), and
Get-/Set-TransportConfig for the organization-wide transport settings the relay
uses (cmdlets.md §8): among them the relay-denied wording (`RelayReplyStyle` 2007 or 2016, semantics.md §g)."""

from __future__ import annotations

import re
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
    UNLIMITED_INT,
    UNLIMITED_SIZE,
    ConfigCmdlet,
    current_config,
    find_all,
    find_one,
)
from exshell.model.config import RECEIVE_CONNECTORS, SERVERS, SETTINGS, TRANSPORT_SETTINGS_KEY


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
            for server in find_all(self, config.servers, ident, lambda s: (s.name, s.fqdn)):
                self.write_object(server_object(server))
            return
        for server in config.servers:
            self.write_object(server_object(server))


_SERVER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,14}$")  # a NetBIOS computer name, as Exchange servers have


class NewExchangeServer(ConfigCmdlet):
    name = "New-ExchangeServer"
    synopsis = "Adds a transport server to the organization (what Exchange setup does on a new machine)."
    description = (
        "Creates the server object and, as Exchange setup does, its two setup receive connectors "
        "(Default <SERVER> on 0.0.0.0:25, Client <SERVER> on 0.0.0.0:587) and its self-signed certificate "
        "(CN=<SERVER>, the name and FQDN, IMAP/POP/SMTP, the server's default SMTP certificate; its key with the "
        "store's secrets). The new server's engine is "
        "`exshell serve --server <NAME> --store <URL>` on its own machine, with a state folder of its own."
    )
    supports_should_process = True
    output_type = EXCHANGE_SERVER_TYPE
    parameters = (
        Parameter("Name", T.STRING, position=0, mandatory=True,
                  help="The server's name: up to 15 letters, digits or hyphens (a computer name)."),
        Parameter("Fqdn", T.STRING, help="Its DNS name (default: <name>.<the organization's domain>)."),
        Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
    )
    examples = (Example("New-ExchangeServer -Name EX02 -Fqdn ex02.contoso.com",
                        "A second relay sharing this configuration."),)
    related = ("Get-ExchangeServer", "Remove-ExchangeServer", "New-ReceiveConnector")

    def process(self) -> None:
        # Lazy: loaded when this command runs, not at start-up.
        from exshell.config.operations import Create
        from exshell.model.certificate import CERTIFICATES
        from exshell.model.defaults import server_setup, setup_certificate
        from exshell.store.secrets import key_store
        from exshell.model.domain import validate_domain_name

        name = str(self.params["Name"]).strip()
        if not _SERVER_NAME.match(name):
            self.write_error(
                f"'{name}' isn't a valid server name: use 1 to 15 letters, digits or hyphens, not starting "
                "with a hyphen.", f"InvalidServerName,{self.name}", "InvalidArgument", name)
            return
        config = self.config
        domain = _organization_domain(config)
        fqdn = self.params.get("Fqdn")
        if fqdn:
            try:
                fqdn = validate_domain_name(str(fqdn)).lower()
            except ValueError as exc:
                self.write_error(f"'{fqdn}' isn't a valid FQDN: {exc}", f"InvalidFqdn,{self.name}",
                                 "InvalidArgument", fqdn)
                return
            domain = fqdn.split(".", 1)[1] if "." in fqdn else domain
        server, connectors = server_setup(name, fqdn or None, domain)
        if self.preview(Create(SERVERS, server), name) is None:
            return
        if not self.should_process(name, description=f'Adding Exchange server "{name}" ({server.fqdn}) with its '
                                   "setup receive connectors."):
            return
        services = self.runtime.services
        cert = setup_certificate(key_store(services.store, services.state_dir, cache=False), name, server.fqdn)
        if self.change(Create(SERVERS, server), name, emit=True) is None:
            return
        for rc in connectors:
            self.change(Create(RECEIVE_CONNECTORS, rc), rc.identity)
        self.change(Create(CERTIFICATES, cert), cert.identity)

    def emit(self, obj: Any) -> None:
        self.write_object(server_object(obj))


class RemoveExchangeServer(ConfigCmdlet):
    name = "Remove-ExchangeServer"
    synopsis = "Removes a server from the organization; refused while receive connectors name it."
    supports_should_process = True
    confirm_impact = "High"
    parameters = (
        Parameter("Identity", T.STRING, position=0, mandatory=True, pipeline=True, by_property_name=True,
                  completer="server", help="Server name or FQDN."),
        Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
    )
    examples = (Example("Get-ReceiveConnector -Server EX02 | Remove-ReceiveConnector -Confirm:$false; "
                        "Remove-ExchangeServer EX02 -Confirm:$false", "Retire EX02."),)
    related = ("Get-ExchangeServer", "New-ExchangeServer")

    def process(self) -> None:
        # Lazy: only a change builds operations; a Get- never imports them.
        from exshell.config.operations import Delete

        ident = str(self.params["Identity"])
        server = find_one(self, self.config.servers, ident, lambda s: (s.name, s.fqdn))
        if server is None:
            return
        # Checked before asking: a removal the rules refuse is reported, not offered (and again at commit,
        # on the newest version: a connector created for it meanwhile refuses it too).
        if self.preview(Delete(SERVERS, server.guid, server.name), server.name) is None:
            return
        self.remove(SERVERS, server, f'Removing Exchange server "{server.name}".')


def _organization_domain(config: Any) -> str:
    """The default accepted domain (else the first server's domain): where a new server's FQDN lives."""
    for d in config.accepted_domains:
        if getattr(d, "default", False) and "*" not in d.domain_name:
            return str(d.domain_name).lower()
    for s in config.servers:
        return str(s.domain)
    return "exshell.local"


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
    Parameter("MaxReceiveSize", UNLIMITED_SIZE,
              help="Largest message the organization receives (or Unlimited); the lower of this and a receive "
                   "connector's MaxMessageSize applies."),
    Parameter("MaxSendSize", UNLIMITED_SIZE,
              help="Largest message sent out (or Unlimited); the lower of this and the send connector's "
                   "MaxMessageSize applies."),
    Parameter("MaxRecipientEnvelopeLimit", UNLIMITED_INT,
              help="Most recipients of one message (or Unlimited); the lower of this and a receive connector's "
                   "MaxRecipientsPerMessage applies (452 4.5.3)."),
)


class SetTransportConfig(ConfigCmdlet):
    name = "Set-TransportConfig"
    synopsis = "Changes organization-wide transport settings."
    supports_should_process = True
    parameters = _SETTINGS + (Parameter("DomainController", T.STRING, help="Accepted for compatibility."),)
    examples = (Example("Set-TransportConfig -RelayReplyStyle 2016",
                        "Answer relay attempts with the Exchange 2016+ wording (5.7.54)."),)

    def process(self) -> None:
        # Lazy: only a change builds operations; a Get- never imports them.
        from exshell.config.operations import ListEdit, Update

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
