"""New-, Get-, Set-, Remove-ReceiveConnector (cmdlets.md §1–§3), with the guards Exchange lacks: a plain
-RemoteIPRanges/-Bindings that drops entries, a change that opens a relay to public address space, and a
-PermissionGroups value that takes rights away are never made silently.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, SetAttrs, T
from exshell.cmdlets.connector_guards import connector_change_guard, open_relay_guard
from exshell.cmdlets.exchange_objects import RECEIVE_CONNECTOR_TYPE, connector_object
from exshell.cmdlets.exchange_support import (
    AUTH_MECHANISM,
    BINDINGS,
    FQDN,
    IP_RANGES,
    PERMISSION_GROUPS,
    PROTOCOL_LOGGING_LEVEL,
    SIZE,
    TIMESPAN,
    TRANSPORT_ROLE,
    UNLIMITED_INT,
    USAGE,
    ConfigCmdlet,
    confirm_risk,
    current_config,
    forced,
    identity_type,
    not_found,
    identity_matcher,
    is_wildcard,
    pick_all,
    pick_one,
    report_model_error,
    server_name_of,
)
from exshell.model.config import RECEIVE_CONNECTORS
from exshell.model.errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from exshell.config.operations import Guard

# The seam's operations are imported by the methods that change something: a Get- never builds them.

_RC_ID = identity_type("ReceiveConnectorIdParameter")

# Settings shared by New- and Set-ReceiveConnector, declared once (cmdlets.md §1.2).
SETTINGS: tuple[Parameter, ...] = (
    Parameter("AuthMechanism", AUTH_MECHANISM, help="Authentication offered and accepted: None, Tls, Integrated, "
              "BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative (comma list)."),
    Parameter("PermissionGroups", PERMISSION_GROUPS, help="Who may use the connector and with which rights: "
              "None, AnonymousUsers, ExchangeUsers, ExchangeServers, ExchangeLegacyServers, Partners. Replaces "
              "the whole set."),
    Parameter("Enabled", T.BOOL, help="$true to listen and accept, $false to stop."),
    Parameter("Fqdn", FQDN, help="The name in the banner, EHLO reply and Received header."),
    Parameter("Banner", T.STRING, help="A custom greeting; must start with 220."),
    Parameter("Comment", T.STRING, help="An administrator's note."),
    Parameter("MaxMessageSize", SIZE, help="Largest message accepted (65536 bytes to 2 GB), e.g. 10MB."),
    Parameter("MaxRecipientsPerMessage", T.INT, help="Recipients per message (1-512000); more get 452 4.5.3."),
    Parameter("MaxHeaderSize", SIZE, help="Largest message header."),
    Parameter("MaxInboundConnection", UNLIMITED_INT, help="Concurrent connections, or unlimited."),
    Parameter("MaxInboundConnectionPerSource", UNLIMITED_INT, help="Concurrent connections per remote IP."),
    Parameter("MaxInboundConnectionPercentagePerSource", T.INT, help="Share of the slots per remote IP."),
    Parameter("ConnectionTimeout", TIMESPAN, help="Longest connection lifetime, dd.hh:mm:ss."),
    Parameter("ConnectionInactivityTimeout", TIMESPAN, help="Idle time before 451 4.7.0 and disconnect."),
    Parameter("MessageRateLimit", UNLIMITED_INT, help="Messages per minute per source."),
    Parameter("MaxLogonFailures", T.INT, help="AUTH failures before disconnect (0: never)."),
    Parameter("AuthTarpitInterval", TIMESPAN, help="Delay before the 535 reply to a failed AUTH (00:00:00: none)."),
    Parameter("TlsCertificateName", T.STRING, allow_null=True,
              help='The STARTTLS certificate, "<I>issuer<S>subject" (else the SMTP certificate matching Fqdn).'),
    Parameter("MaxProtocolErrors", UNLIMITED_INT, help="Protocol errors before disconnect."),
    Parameter("MaxHopCount", T.INT, help="Received headers allowed before the message is refused."),
    Parameter("MaxLocalHopCount", T.INT, help="Local Received headers allowed."),
    Parameter("TarpitInterval", TIMESPAN, help="Delay before failure replies to unauthenticated sessions."),
    Parameter("ProtocolLoggingLevel", PROTOCOL_LOGGING_LEVEL, help="None or Verbose (SMTP receive protocol log)."),
    Parameter("RequireTLS", T.BOOL, help="Require TLS for inbound messages (needs Tls in AuthMechanism)."),
    Parameter("RequireEHLODomain", T.BOOL, help="Disconnect when EHLO gives no domain."),
    Parameter("DomainSecureEnabled", T.BOOL, help="Mutual TLS (Domain Security): not supported by this server, "
                                                   "$true is refused."),
    Parameter("EnhancedStatusCodesEnabled", T.BOOL, help="Advertise ENHANCEDSTATUSCODES."),
    Parameter("PipeliningEnabled", T.BOOL, help="Advertise PIPELINING."),
    Parameter("EightBitMimeEnabled", T.BOOL, help="Advertise 8BITMIME."),
    Parameter("DeliveryStatusNotificationEnabled", T.BOOL, help="Advertise DSN."),
    Parameter("TransportRole", TRANSPORT_ROLE, help="FrontendTransport or HubTransport (2013+)."),
    Parameter("DomainController", T.STRING, help="Accepted for compatibility; exshell has one store."),
)
_SETTING_NAMES = tuple(p.name for p in SETTINGS if p.name != "DomainController")


def _changes(params: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: params[n] for n in names if params.is_bound(n)}


def _entries(values: Any) -> list[Any]:
    return list(values) if isinstance(values, (list, tuple)) else [values]


class NewReceiveConnector(ConfigCmdlet):
    name = "New-ReceiveConnector"
    synopsis = "Creates a receive connector: where the server listens and whom it accepts mail from."
    description = (
        "A usage type (-Usage, or a switch such as -Custom) applies a template of permission groups and "
        "authentication; Bindings (local IP:port) and RemoteIPRanges (the hosts served) complete it. Several "
        "connectors may share a binding when their remote ranges differ; the most specific range wins."
    )
    supports_should_process = True
    default_set = "Custom"
    output_type = RECEIVE_CONNECTOR_TYPE
    _bind_sets = ("Custom", "Internet", "Partner", "UsageType")
    _range_sets = ("Custom", "Partner", "Internal", "Client", "UsageType")
    parameters = (
        Parameter("Name", T.STRING, position=0, mandatory=True, help="Connector name, unique per server."),
        Parameter("Usage", USAGE, sets=("UsageType",), mandatory=True,
                  help="Template: Client, Custom, Internal, Internet or Partner."),
        Parameter("Custom", T.SWITCH, sets=("Custom",), help="Custom usage: no permission groups, Tls."),
        Parameter("Internet", T.SWITCH, sets=("Internet",), mandatory=True,
                  help="Internet usage: AnonymousUsers, all remote addresses."),
        Parameter("Partner", T.SWITCH, sets=("Partner",), mandatory=True, help="Partner usage: Partners."),
        Parameter("Internal", T.SWITCH, sets=("Internal",), mandatory=True,
                  help="Internal usage: ExchangeServers, ExchangeLegacyServers on 0.0.0.0:25."),
        Parameter("Client", T.SWITCH, sets=("Client",), mandatory=True,
                  help="Client usage: ExchangeUsers on 0.0.0.0:587."),
        Parameter("Bindings", BINDINGS, help="Local IP:port pairs to listen on: 0.0.0.0:25, [::]:25, 10.0.0.1:25.",
                  per_set={"Custom": SetAttrs(mandatory=True), "Internet": SetAttrs(mandatory=True),
                           "Partner": SetAttrs(mandatory=True), "UsageType": SetAttrs()}),
        Parameter("RemoteIPRanges", IP_RANGES,
                  help="Remote addresses served: single IPs, a-b ranges, CIDR (comma list).",
                  per_set={"Custom": SetAttrs(mandatory=True), "Partner": SetAttrs(mandatory=True),
                           "Internal": SetAttrs(mandatory=True), "Client": SetAttrs(mandatory=True),
                           "UsageType": SetAttrs()}),
        Parameter("Server", T.STRING, by_property_name=True, completer="server",
                  help="The server that gets the connector (default: this server)."),
    ) + SETTINGS
    examples = (
        Example(
            "New-ReceiveConnector -Name RelayConnector -Usage Custom -Bindings '192.168.1.17:25' "
            "-Fqdn server.domain.com -RemoteIPRanges 192.168.1.100 -PermissionGroups AnonymousUsers",
            "A connector for one copier: anonymous, relay to be granted with Add-ADPermission.",
        ),
        Example(
            "New-ReceiveConnector -Name RelayConnector -Usage Custom -Bindings '192.168.1.17:25' "
            "-RemoteIPRanges 192.168.1.100 -PermissionGroups ExchangeServers "
            "-AuthMechanism 'TLS, ExternalAuthoritative'",
            "Trust the host completely (externally secured): it relays, bypasses anti-spam and size limits.",
        ),
    )
    related = ("Get-ReceiveConnector", "Set-ReceiveConnector", "Add-ADPermission", "Test-RelayPolicy")

    def process(self) -> None:
        # Lazy: loaded when this command runs, not at start-up.
        from exshell.config.operations import Create
        from exshell.model.connector import ReceiveConnector

        p = self.params
        usage = p.get("Usage")
        for switch in ("Custom", "Internet", "Partner", "Internal", "Client"):
            if p.get(switch):
                usage = switch
        usage = usage or "Custom"
        config = self.config
        server_name = p.get("Server") or server_name_of(self)
        server = config.server(server_name)
        if server is None:
            not_found(self, "server", server_name)
            return
        fields = _changes(p, _SETTING_NAMES)
        if not p.is_bound("Fqdn"):
            fields["Fqdn"] = server.fqdn
        try:
            rc = ReceiveConnector.new(
                p["Name"],
                server.name,
                usage,
                bindings=_entries(p["Bindings"]) if p.is_bound("Bindings") else None,
                remote_ip_ranges=_entries(p["RemoteIPRanges"]) if p.is_bound("RemoteIPRanges") else None,
                **fields,
            )
        except ModelError as exc:
            report_model_error(self, exc, p["Name"])
            return
        if not security_in_force(self, rc):
            return
        if self.preview(Create(RECEIVE_CONNECTORS, rc), p["Name"]) is None:
            return
        if not self.should_process(rc.identity, description=f'Creating Receive connector "{rc.identity}".'):
            return
        risk = open_relay_guard(None, rc, None)
        if risk and not confirm_risk(self, rc.identity, risk):
            return
        self.change(Create(RECEIVE_CONNECTORS, rc, guard=_guard(self, open_relay_guard, risk)), rc.identity,
                    emit=True)

    def emit(self, obj: Any) -> None:
        self.write_object(connector_object(obj))


class GetReceiveConnector(Cmdlet):
    name = "Get-ReceiveConnector"
    synopsis = "Lists receive connectors (by default those of this server)."
    description = (
        "Identity may be a name (resolved on this server), SERVER\\Name or a GUID. The default view shows "
        "Identity, Bindings and Enabled; pipe to Format-List for every property."
    )
    default_set = "Identity"
    output_type = RECEIVE_CONNECTOR_TYPE
    parameters = (
        Parameter("Identity", _RC_ID, position=0, pipeline=True, by_property_name=True, sets=("Identity",),
                  allow_null=True, completer="receive_connector",
                  help="Name, SERVER\\Name or GUID of the connector."),
        Parameter("Server", T.STRING, sets=("Server",), pipeline=True, by_property_name=False,
                  completer="server", help="List the connectors of this server."),
        Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
    )
    examples = (
        Example("Get-ReceiveConnector", "The connectors of this server."),
        Example("Get-ReceiveConnector Relay | Format-List", "Every property of one connector."),
        Example("Get-ReceiveConnector | Get-ADPermission | where {$_.ExtendedRights -like '*Any-Recipient*'}",
                "Audit which connectors let whom relay."),
    )
    related = ("New-ReceiveConnector", "Set-ReceiveConnector", "Get-ADPermission")

    def process(self) -> None:
        config = current_config(self)
        ident = self.params.get("Identity")
        local = server_name_of(self)
        if ident:
            found = resolve_all(self, config, ident)
            self.expect_output(len(found))
            for rc in found:
                self.write_object(connector_object(rc))
            return
        server = self.params.get("Server")
        if server:
            srv = config.server(server)
            if srv is None:
                not_found(self, "server", server)
                return
            connectors = config.connectors_on(srv.name)
        else:
            connectors = config.connectors_on(local) if config.server(local) else list(config.receive_connectors)
        self.expect_output(len(connectors))
        for rc in connectors:
            self.write_object(connector_object(rc))


def _resolve(config: Any, cmdlet: Cmdlet, ident: str) -> list[Any]:
    match = identity_matcher(ident) if is_wildcard(ident) else None
    return config.resolve_receive_connector(ident, server_name_of(cmdlet), match)


def resolve_one(cmdlet: Cmdlet, config: Any, ident: str) -> Any:
    """The one connector an identity names (a wildcard too), or None after writing Exchange's
    not-found/ambiguous error."""
    return pick_one(cmdlet, ident, _resolve(config, cmdlet, ident))


def resolve_all(cmdlet: Cmdlet, config: Any, ident: str) -> list[Any]:
    """Get-: the connectors an identity names (every match of a wildcard, none without an error)."""
    return pick_all(cmdlet, ident, _resolve(config, cmdlet, ident))


class SetReceiveConnector(ConfigCmdlet):
    name = "Set-ReceiveConnector"
    synopsis = "Changes a receive connector."
    description = (
        "Multi-valued properties (RemoteIPRanges, Bindings) take either a full list, which REPLACES the stored "
        "list, or @{Add=...; Remove=...} to edit it. A replacement that drops entries, a change that lets "
        "anonymous hosts on public addresses relay, and a PermissionGroups value that removes rights need "
        "confirmation (-Force or -Confirm:$false in scripts)."
    )
    supports_should_process = True
    output_type = None
    parameters = (
        Parameter("Identity", _RC_ID, position=0, mandatory=True, pipeline=True, by_property_name=True,
                  completer="receive_connector", help="Name, SERVER\\Name or GUID of the connector."),
        Parameter("Name", T.STRING, help="A new name."),
        Parameter("Bindings", BINDINGS, help="Local IP:port pairs; a list replaces, @{Add=;Remove=} edits."),
        Parameter("RemoteIPRanges", IP_RANGES,
                  help="Remote addresses served; a list replaces, @{Add=...;Remove=...} edits."),
        Parameter("Force", T.SWITCH, help="Make a risky change without asking."),
    ) + SETTINGS
    examples = (
        Example('Set-ReceiveConnector Relay -RemoteIPRanges @{Add="10.0.0.5","10.0.0.6"}',
                "Add two hosts to the connector's remote ranges."),
        Example('Set-ReceiveConnector Relay -RemoteIPRanges @{Remove="10.0.0.5"}', "Remove one host."),
        Example("Set-ReceiveConnector Relay -Enabled $false", "Stop the connector."),
    )
    related = ("Get-ReceiveConnector", "New-ReceiveConnector")

    def process(self) -> None:
        # Lazy: only a change builds operations; a Get- never imports them.
        from exshell.config.operations import ListEdit, Update

        p = self.params
        rc = resolve_one(self, self.config, p["Identity"])
        if rc is None:
            return
        changes: dict[str, Any] = _changes(p, _SETTING_NAMES)
        replaced: list[str] = []
        for prop in ("Bindings", "RemoteIPRanges"):
            if p.is_bound(prop):
                edit = ListEdit.of(p[prop])
                changes[prop] = edit if edit is not None else _entries(p[prop])
                if edit is None:
                    replaced.append(prop)  # a whole list: dropping entries needs confirmation
        if p.is_bound("Name"):
            changes["Name"] = p["Name"]
        op = Update(RECEIVE_CONNECTORS, rc.guid, changes, identity=rc.identity)
        applied = self.preview(op, rc.identity)
        if applied is None:
            return
        if applied.after == applied.before:
            self.write_warning(
                f"The command completed successfully but no settings of '{rc.identity}' have been modified."
            )
            return
        if not security_in_force(self, applied.after, warn="AuthMechanism" in changes):
            return
        check = connector_change_guard(tuple(replaced))
        risk = check(applied.before, applied.after, self.changes.view)
        description = f'Configuring Receive connector "{rc.identity}".'
        if risk:
            description += " " + risk
        if not self.should_process(rc.identity, description=description):
            return
        if risk and not confirm_risk(self, rc.identity, risk):
            return
        self.change(dataclasses.replace(op, guard=_guard(self, check, risk)), rc.identity)


def security_in_force(cmdlet: Cmdlet, rc: Any, warn: bool = True) -> bool:
    """A security setting this server can't enforce is refused; one that is partly in force is said to be
    (issue 9: never shown as if it worked). False after writing the error."""
    # Lazy: loaded when this command runs, not at start-up.
    from exshell.model.certificate import parse_tls_certificate_name
    from exshell.transport.auth import not_in_force, unsupported_dependency

    if rc.domain_secure_enabled:
        cmdlet.write_error("DomainSecureEnabled (Domain Security, mutual TLS) is not supported by this server.",
                           f"NotSupportedByThisServer,{cmdlet.name}", "NotImplemented", rc.identity)
        return False
    name = rc.tls_certificate_name
    if name and parse_tls_certificate_name(name) is None:
        cmdlet.write_error(f"The TlsCertificateName value '{name}' isn't valid: use \"<I>issuer<S>subject\", e.g. "
                           "\"<I>$($c.Issuer)<S>$($c.Subject)\" of a certificate from Get-ExchangeCertificate.",
                           f"InvalidTlsCertificateName,{cmdlet.name}", "InvalidArgument", rc.identity)
        return False
    problem = unsupported_dependency(rc)
    if problem:
        cmdlet.write_error(problem, f"NotSupportedByThisServer,{cmdlet.name}", "NotImplemented", rc.identity)
        return False
    for note in not_in_force(rc) if warn else ():
        cmdlet.write_warning(f"{rc.identity}: {note}.")
    return True


def _guard(cmdlet: Cmdlet, check: Any, risk: str | None) -> Guard | None:
    """The risk the administrator saw (or that there was none) is re-checked on the newest version at
    commit; -Force/-Confirm:$false said yes to any risk in advance."""
    # Lazy: only a change builds operations; a Get- never imports them.
    from exshell.config.operations import Guard

    return None if forced(cmdlet) else Guard(check, risk)


class RemoveReceiveConnector(ConfigCmdlet):
    name = "Remove-ReceiveConnector"
    synopsis = "Deletes a receive connector."
    description = "Asks for confirmation (ConfirmImpact High); -Confirm:$false skips the question."
    supports_should_process = True
    confirm_impact = "High"
    parameters = (
        Parameter("Identity", _RC_ID, position=0, mandatory=True, pipeline=True, by_property_name=True,
                  completer="receive_connector", help="Name, SERVER\\Name or GUID of the connector."),
        Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
    )
    examples = (Example("Remove-ReceiveConnector Relay -Confirm:$false", "Delete without asking."),)
    related = ("Get-ReceiveConnector",)

    def process(self) -> None:
        rc = resolve_one(self, self.config, self.params["Identity"])
        if rc is not None:
            self.remove(RECEIVE_CONNECTORS, rc, f'Removing Receive connector "{rc.identity}".')
