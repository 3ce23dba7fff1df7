"""New-, Get-, Set-, Remove-SendConnector (cmdlets.md §6): the way out for mail to non-local recipients."""

from __future__ import annotations

from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.cmdlets.exchange_objects import SEND_CONNECTOR_TYPE, send_connector_object
from exshell.cmdlets.exchange_support import (
    FQDN,
    ConfigCmdlet,
    current_config,
    find_all,
    find_one,
    identity_type,
    report_model_error,
)
from exshell.cmdlets.secure import PSCREDENTIAL, PSCredential
from exshell.model.config import SEND_CONNECTORS
from exshell.model.errors import ModelError

# The seam's operations are imported by the methods that change something: a Get- never builds them.
_SC_ID = identity_type("SendConnectorIdParameter")

def _multi(element: str, convert: Any) -> Any:
    return T.custom(f"Microsoft.Exchange.Data.MultiValuedProperty`1[{element}]", convert, array=True,
                    multivalued=True, display="MultiValuedProperty")


ADDRESS_SPACES = _multi("Microsoft.Exchange.Data.AddressSpace", lambda v: _parse("AddressSpace", v))
SMART_HOSTS = _multi("Microsoft.Exchange.Data.SmartHost", lambda v: _parse("SmartHost", v))
SERVERS = _multi("Microsoft.Exchange.Data.Directory.ADObjectId", str)
SIZE_OR_UNLIMITED = T.custom("Microsoft.Exchange.Data.Unlimited`1[Microsoft.Exchange.Data.ByteQuantifiedSize]",
                             lambda v: _parse("Unlimited", v), display="Unlimited")


def _parse(kind: str, value: Any) -> Any:
    # Lazy: a model module loads with the objects it decodes.
    from exshell.model.send_connector import AddressSpace, SmartHost
    from exshell.model.size import Unlimited

    text = value if not isinstance(value, str) else value.strip()
    if kind == "AddressSpace":
        return AddressSpace.parse(text)
    if kind == "SmartHost":
        return SmartHost.parse(text)
    return Unlimited.parse(text, size=True)


def _find(cmdlet: Cmdlet, conns: list[Any], ident: str, get: bool = False) -> Any:
    """SendConnectorIdParameter: GUID or name; `SERVER\\Name` names the same organization-wide object.
    get: every object a Get- returns (a list), else the one object or None."""
    return (find_all if get else find_one)(cmdlet, conns, ident.rsplit("\\", 1)[-1], lambda c: (c.guid, c.name))


_SETTINGS = (
    Parameter("SmartHosts", SMART_HOSTS, allow_null=True, allow_empty=True,
              help="Smart hosts: names or IPs, [ip]:port for another port."),
    Parameter("Port", T.INT, help="The smart host / remote port (default 25)."),
    Parameter("DNSRoutingEnabled", T.BOOL, help="Route by MX records ($false when SmartHosts is given)."),
    Parameter("Enabled", T.BOOL, help="$false stops routing through this connector."),
    Parameter("MaxMessageSize", SIZE_OR_UNLIMITED, help="Largest message sent, or unlimited."),
    Parameter("SourceTransportServers", SERVERS, completer="server", help="Servers allowed to use it."),
    Parameter("Fqdn", FQDN, help="The name used in HELO/EHLO."),
    Parameter("RequireTLS", T.BOOL, help="Refuse to send without TLS."),
    Parameter("IgnoreSTARTTLS", T.BOOL, help="Never use STARTTLS."),
    Parameter("SmartHostAuthMechanism", T.enum("Microsoft.Exchange.Data.Directory.SystemConfiguration.SmtpSendConnectorConfig+AuthMechanisms",
                                               ("None", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer",
                                                "ExternalAuthoritative")),
              help="How to log on to the smart host: None, BasicAuth, BasicAuthRequireTLS (AUTH only after "
                   "STARTTLS), ExternalAuthoritative (no AUTH; trusted path). ExchangeServer is not supported."),
    Parameter("AuthenticationCredential", PSCREDENTIAL, allow_null=True,
              help="The smart host logon: (Get-Credential). The password is stored encrypted, never shown."),
    Parameter("TlsAuthLevel", T.enum("Microsoft.Exchange.Data.TlsAuthLevel",
                                     ("EncryptionOnly", "CertificateValidation", "DomainValidation")),
              allow_null=True,
              help="With RequireTLS: EncryptionOnly, CertificateValidation (trusted chain) or DomainValidation "
                   "(chain and the certificate names TlsDomain)."),
    Parameter("TlsDomain", T.STRING, allow_null=True, help="The domain the smart host's certificate must name "
                                                           "(DomainValidation)."),
    Parameter("Comment", T.STRING, help="An administrator's note."),
)
_SETTING_NAMES = tuple(p.name for p in _SETTINGS)


def _changes(cmdlet: Cmdlet, names: tuple[str, ...]) -> dict[str, Any]:
    """Bound parameters by Exchange property name; @{Add=;Remove=} values become list edits."""
    # Lazy: only a change builds operations; a Get- never imports them.
    from exshell.config.operations import ListEdit

    out: dict[str, Any] = {}
    for name in names:
        if cmdlet.params.is_bound(name):
            value = cmdlet.params[name]
            edit = ListEdit.of(value)
            out[name] = edit if edit is not None else value
    if isinstance(out.get("AuthenticationCredential"), PSCredential):
        out["AuthenticationCredential"] = _sealed(cmdlet, out["AuthenticationCredential"])
    return out


def _sealed(cmdlet: Cmdlet, cred: PSCredential) -> Any:
    """The password goes to the owner-only key store, encrypted; the configuration keeps the user name and a
    reference (never the password, so Get-SendConnector, history and diffs can't show it)."""
    # Lazy: loaded when this command runs, not at start-up.
    from exshell.model.send_connector import SmartHostCredential
    from exshell.store.secrets import key_store

    services = cmdlet.runtime.services  # a fleet's shared store: every server's delivery reads it
    ref = key_store(services.store, services.state_dir, cache=False).seal(cred.Password.reveal().encode("utf-8"))
    return SmartHostCredential(cred.UserName, ref)


class NewSendConnector(ConfigCmdlet):
    name = "New-SendConnector"
    synopsis = "Creates a send connector: the address spaces it serves and how it delivers (smart hosts)."
    supports_should_process = True
    default_set = "AddressSpaces"
    output_type = SEND_CONNECTOR_TYPE
    parameters = (
        Parameter("Name", T.STRING, position=0, mandatory=True, help="A unique name."),
        Parameter("AddressSpaces", ADDRESS_SPACES, mandatory=True,
                  help="Domains served: *, contoso.com, *.contoso.com, SMTP:*;1 (with cost)."),
        Parameter("Usage", T.enum("Microsoft.Exchange.Management.SystemConfigurationTasks.UsageType",
                                  ("Custom", "Internal", "Internet", "Partner")),
                  help="Template (default Custom)."),
        Parameter("Internet", T.SWITCH, help="Internet usage."),
        Parameter("Internal", T.SWITCH, help="Internal usage."),
        Parameter("Custom", T.SWITCH, help="Custom usage."),
    ) + _SETTINGS
    examples = (
        Example("New-SendConnector -Name Outbound -AddressSpaces * -SmartHosts smtp.isp.example "
                "-DNSRoutingEnabled $false", "Send everything through the ISP's smart host."),
    )
    related = ("Get-SendConnector", "Get-Queue")

    def process(self) -> None:
        # Lazy: loaded when this command runs, not at start-up.
        from exshell.config.kinds import kind_of
        from exshell.config.operations import Create, ListEdit
        from exshell.model.send_connector import SendConnector

        p = self.params
        usage = p.get("Usage") or next((u for u in ("Internet", "Internal", "Custom") if p.get(u)), "Custom")
        spaces = p["AddressSpaces"]
        spaces = list(spaces) if isinstance(spaces, (list, tuple)) else [spaces]
        kind = kind_of(SEND_CONNECTORS)
        fields = {kind.field_of(k): v for k, v in _changes(self, _SETTING_NAMES).items()
                  if not isinstance(v, ListEdit)}
        try:
            conn = SendConnector.new(p["Name"], spaces, usage=usage, **fields)
        except ModelError as exc:
            report_model_error(self, exc, p["Name"])
            return
        if self.preview(Create(SEND_CONNECTORS, conn), conn.name) is None:
            return
        if not self.should_process(conn.name, description=f'Creating send connector "{conn.name}".'):
            return
        self.change(Create(SEND_CONNECTORS, conn), conn.name, emit=True)

    def emit(self, obj: Any) -> None:
        self.write_object(send_connector_object(obj))


class GetSendConnector(Cmdlet):
    name = "Get-SendConnector"
    synopsis = "Lists send connectors."
    output_type = SEND_CONNECTOR_TYPE
    parameters = (
        Parameter("Identity", _SC_ID, position=0, pipeline=True, by_property_name=True, completer="send_connector",
                  help="Name or GUID."),
    )

    def process(self) -> None:
        conns = list(current_config(self).send_connectors)
        ident = self.params.get("Identity")
        if ident:
            found = _find(self, conns, ident, get=True)
            self.expect_output(len(found))
            for conn in found:
                self.write_object(send_connector_object(conn))
            return
        self.expect_output(len(conns))
        for conn in conns:
            self.write_object(send_connector_object(conn))


class SetSendConnector(ConfigCmdlet):
    name = "Set-SendConnector"
    synopsis = "Changes a send connector."
    supports_should_process = True
    parameters = (
        Parameter("Identity", _SC_ID, position=0, mandatory=True, pipeline=True, by_property_name=True,
                  completer="send_connector", help="Name or GUID."),
        Parameter("Name", T.STRING, help="A new name."),
        Parameter("AddressSpaces", ADDRESS_SPACES, help="Domains served; a list replaces, @{Add=...} edits."),
    ) + _SETTINGS

    def process(self) -> None:
        # Lazy: only a change builds operations; a Get- never imports them.
        from exshell.config.operations import Update

        conn = _find(self, list(self.config.send_connectors), self.params["Identity"])
        if conn is None:
            return
        op = Update(SEND_CONNECTORS, conn.guid, _changes(self, _SETTING_NAMES + ("Name", "AddressSpaces")),
                    identity=conn.name)
        if self.preview(op, conn.name) is None:
            return
        if not self.should_process(conn.name, description=f'Configuring send connector "{conn.name}".'):
            return
        self.change(op, conn.name)


class RemoveSendConnector(ConfigCmdlet):
    name = "Remove-SendConnector"
    synopsis = "Removes a send connector. Asks for confirmation."
    supports_should_process = True
    confirm_impact = "High"
    parameters = (
        Parameter("Identity", _SC_ID, position=0, mandatory=True, pipeline=True, by_property_name=True,
                  completer="send_connector", help="Name or GUID."),
    )

    def process(self) -> None:
        conn = _find(self, list(self.config.send_connectors), self.params["Identity"])
        if conn is None:
            return
        self.remove(SEND_CONNECTORS, conn, f'Removing send connector "{conn.name}".')

