"""The objects the Exchange cmdlets emit, and their default views (Exchange's *.format.ps1xml).

Model dataclasses become PSObjects whose properties carry Exchange's names and order, so `Format-List`,
`Select-Object`, `Export-Csv` and `$rc.RemoteIPRanges += "10.1.1.1"` all see what they see in Exchange.
"""

from __future__ import annotations

from typing import Any

from exshell.output.views import Column, ListView, TableView, register_view
from exshell.runtime.values import PSObject

RECEIVE_CONNECTOR_TYPE = "Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector"
ACE_TYPE = "Microsoft.Exchange.Management.RecipientTasks.ADAcePresentationObject"
ACCEPTED_DOMAIN_TYPE = "Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain"
EXCHANGE_SERVER_TYPE = "Microsoft.Exchange.Data.Directory.Management.ExchangeServer"
TRANSPORT_CONFIG_TYPE = "Microsoft.Exchange.Data.Directory.SystemConfiguration.TransportConfigContainer"
MAILBOX_TYPE = "Microsoft.Exchange.Data.Directory.Management.Mailbox"
SEND_CONNECTOR_TYPE = "Microsoft.Exchange.Data.Directory.SystemConfiguration.SmtpSendConnectorConfig"

_TAIL = ("System.Object",)


def _psobject(props: dict[str, Any], type_name: str, to_string: str) -> Any:
    # Lazy: a model module loads with the objects it decodes.
    from exshell.model.identity import ObjectIdentity

    if isinstance(props.get("Identity"), str):
        # Identity is an object in Exchange (ADObjectId): `.Identity.Name`, `.Identity.Parent`; it prints as text.
        guid = props.get("Guid")
        props = dict(props, Identity=ObjectIdentity(props["Identity"], str(guid) if guid else None))

    return PSObject(props, type_names=(type_name, "Microsoft.Exchange.Data.Directory.ADObject") + _TAIL,
                    to_string=to_string)


def connector_object(rc: Any) -> Any:
    return _psobject(rc.to_properties(), RECEIVE_CONNECTOR_TYPE, rc.identity)


def ace_object(ace: Any) -> Any:
    """One ADAcePresentationObject row: Identity, User, Deny, IsInherited, ExtendedRights, AccessRights."""
    props = {
        "Identity": ace.identity,
        "User": ace.user,
        "Deny": ace.deny,
        "IsInherited": ace.inherited,
        "ExtendedRights": [ace.right],
        "AccessRights": ["ExtendedRight"],
        "InheritanceType": "All",
        "Origin": ace.origin or "Explicit",
    }
    return _psobject(props, ACE_TYPE, ace.identity)


def _as(parse: Any, value: Any) -> Any:
    """A stored text as its Exchange value type (SmtpAddress, SmtpDomainWithSubdomains); text that does not
    parse (a hand-edited store) stays text rather than failing the whole Get-."""
    try:
        return parse(value) if isinstance(value, str) else value
    except ValueError:
        return value


def domain_object(domain: Any) -> Any:
    from exshell.model.smtp import SmtpDomain  # lazy: a model module loads with the objects it decodes

    props = domain.to_properties()
    props["DomainName"] = _as(SmtpDomain.parse, props.get("DomainName"))
    return _psobject(props, ACCEPTED_DOMAIN_TYPE, domain.name)


def server_object(server: Any) -> Any:
    return _psobject(server.to_properties(), EXCHANGE_SERVER_TYPE, server.name)


def settings_object(settings: Any) -> Any:
    props = dict(settings.to_properties())
    props["Identity"] = "Transport Settings"
    return _psobject(props, TRANSPORT_CONFIG_TYPE, "Transport Settings")


def mailbox_object(mbx: Any) -> Any:
    from exshell.model.smtp import SmtpAddress  # lazy: a model module loads with the objects it decodes

    props = mbx.to_properties()
    props["PrimarySmtpAddress"] = _as(SmtpAddress.parse, props.get("PrimarySmtpAddress"))
    return _psobject(props, MAILBOX_TYPE, mbx.name)


def send_connector_object(conn: Any) -> Any:
    return _psobject(conn.to_properties(), SEND_CONNECTOR_TYPE, conn.name)


def _rights_cell(obj: Any) -> Any:
    rights = obj.get("ExtendedRights")
    if rights:
        return ", ".join(str(r) for r in rights)
    return ", ".join(str(r) for r in obj.get("AccessRights") or ())


register_view(
    RECEIVE_CONNECTOR_TYPE,
    TableView((Column("Identity"), Column("Bindings"), Column("Enabled"))),
)
# cmdlets.md §4.2: Identity  User  Deny  Inherited  Rights.
register_view(
    ACE_TYPE,
    TableView(
        (
            Column("Identity", width=30),
            Column("User", width=35),
            Column("Deny", width=5),
            Column("Inherited", "IsInherited", width=9),
            Column("Rights", _rights_cell),
        )
    ),
)
register_view(
    ACCEPTED_DOMAIN_TYPE,
    TableView((Column("Name", width=30), Column("DomainName", width=30), Column("DomainType", width=14),
               Column("Default", width=7))),
)
register_view(
    EXCHANGE_SERVER_TYPE,
    TableView((Column("Name", width=20), Column("Site", lambda o: o.get("Domain"), width=25),
               Column("ServerRole", width=20), Column("Edition", lambda o: "Standard", width=10),
               Column("AdminDisplayVersion"))),
)
register_view(TRANSPORT_CONFIG_TYPE, ListView(("RelayReplyStyle", "TarpitEnabled", "MaxReceiveSize",
                                                "MaxSendSize", "MaxRecipientEnvelopeLimit",
                                                "MessageRetryInterval", "MessageExpirationTimeout",
                                                "ExternalPostmasterAddress", "InternalSMTPServers")))
register_view(
    MAILBOX_TYPE,
    TableView((Column("Name"), Column("Alias"), Column("DisplayName"), Column("PrimarySmtpAddress"))),
)
register_view(SEND_CONNECTOR_TYPE, TableView((Column("Identity"), Column("AddressSpaces"), Column("Enabled"))))
