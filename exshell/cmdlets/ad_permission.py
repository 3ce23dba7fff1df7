"""Add-, Get-, Remove-ADPermission on receive connectors (cmdlets.md §4, semantics.md §k).

Permission-group rights appear as ACE rows but are not stored: they follow from PermissionGroups and
AuthMechanism, so Remove-ADPermission can't take them away (Exchange's rule: add a Deny ACE instead).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, SetAttrs, T
from exshell.cmdlets.connector_guards import open_relay_guard
from exshell.cmdlets.exchange_objects import ACE_TYPE, ace_object
from exshell.cmdlets.exchange_support import (
    ConfigCmdlet,
    confirm_risk,
    current_config,
    forced,
    identity_type,
)
from exshell.cmdlets.receive_connector import resolve_all, resolve_one
from exshell.runtime.values import PSObject, to_string

# The seam's operations are imported by the methods that change something: a Get- never builds them.
_ADRAW_ID = identity_type("ADRawEntryIdParameter")


def _instance(value: Any) -> Any:
    if isinstance(value, PSObject) and ACE_TYPE in value.type_names:
        return value
    raise ValueError("The value is not an ADAcePresentationObject (pipe the output of Get-ADPermission).")


INSTANCE = T.custom(
    "Microsoft.Exchange.Management.RecipientTasks.ADAcePresentationObject", _instance,
    display="ADAcePresentationObject",
)
EXTENDED_RIGHTS = T.custom(
    "Microsoft.Exchange.Configuration.Tasks.ExtendedRightIdParameter[]",
    lambda v: _canonical_right(v),
    display="ExtendedRightIdParameter[]",
    array=True,
)
ACCESS_RIGHTS = T.flags(
    "System.DirectoryServices.ActiveDirectoryRights",
    ("CreateChild", "DeleteChild", "ListChildren", "Self", "ReadProperty", "WriteProperty", "DeleteTree",
     "ListObject", "ExtendedRight", "Delete", "ReadControl", "GenericExecute", "GenericWrite", "GenericRead",
     "WriteDacl", "WriteOwner", "GenericAll", "Synchronize", "AccessSystemSecurity"),
    display="ActiveDirectoryRights[]",
)


def _canonical_right(value: Any) -> str:
    # Lazy: a model module loads with the objects it decodes.
    from exshell.model.permissions import EXTENDED_RIGHTS as KNOWN
    from exshell.model.permissions import canonical_right

    text = to_string(value).strip()
    try:
        return canonical_right(text)
    except ValueError:
        raise ValueError(
            f"'{text}' isn't an extended right that applies to receive connectors. Valid rights include "
            f"{', '.join(KNOWN[:4])}, ..."
        ) from None


_COMMON = (
    Parameter("User", T.STRING, completer="principal", help="The principal, e.g. \"NT AUTHORITY\\ANONYMOUS LOGON\".",
              per_set={"AccessRights": SetAttrs(mandatory=True), "Instance": SetAttrs()}),
    Parameter("ExtendedRights", EXTENDED_RIGHTS, completer="extended_right",
              help="One or more rights, e.g. ms-Exch-SMTP-Accept-Any-Recipient.",
              sets=("AccessRights", "Instance")),
    Parameter("AccessRights", ACCESS_RIGHTS, sets=("AccessRights", "Instance"),
              help="Only ExtendedRight applies to SMTP rights (implied when -ExtendedRights is given)."),
    Parameter("Deny", T.SWITCH, sets=("AccessRights", "Instance"), help="A Deny entry: takes the right away, "
              "even one a permission group grants."),
    Parameter("InheritanceType", T.enum("System.DirectoryServices.ActiveDirectorySecurityInheritance",
                                        ("None", "All", "Descendents", "SelfAndChildren", "Children")),
              sets=("AccessRights", "Instance"), help="Accepted for compatibility (connectors have no children)."),
    Parameter("Instance", INSTANCE, sets=("Instance",), mandatory=True, pipeline=True,
              help="An ACE object from Get-ADPermission."),
    Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
)
_IDENTITY = Parameter(
    "Identity", _ADRAW_ID, position=0, pipeline=True, by_property_name=True, completer="receive_connector",
    help="The connector: name, SERVER\\Name or GUID.",
    per_set={"AccessRights": SetAttrs(mandatory=True, position=0, pipeline=True, by_property_name=True),
             "Instance": SetAttrs(position=0, by_property_name=True)},
)


def _request(cmdlet: Cmdlet) -> tuple[str | None, str, list[str], bool] | None:
    """(identity, user, rights, deny) from the parameters or the piped ACE."""
    p = cmdlet.params
    inst = p.get("Instance")
    ident = p.get("Identity")
    user = p.get("User")
    rights = list(p.get("ExtendedRights") or [])
    deny = bool(p.get("Deny"))
    if inst is not None:
        ident = ident or inst.get("Identity")
        user = user or inst.get("User")
        rights = rights or [_canonical_right(r) for r in (inst.get("ExtendedRights") or [])]
        deny = deny or bool(inst.get("Deny"))
    access = p.get("AccessRights")
    if access and any(a != "ExtendedRight" for a in access):
        cmdlet.write_error(
            "Only extended rights (ms-Exch-SMTP-*, ms-Exch-Accept-*, ms-Exch-Bypass-*) apply to receive "
            f"connectors; -AccessRights {', '.join(access)} isn't stored by exshell.",
            f"InvalidAccessRights,{cmdlet.name}", "InvalidArgument", access,
        )
        return None
    if not rights:
        cmdlet.write_error("Specify the rights with -ExtendedRights (e.g. ms-Exch-SMTP-Accept-Any-Recipient).",
                           f"ExtendedRightsRequired,{cmdlet.name}", "InvalidArgument")
        return None
    if not user:
        cmdlet.write_error("Specify the principal with -User.", f"UserRequired,{cmdlet.name}", "InvalidArgument")
        return None
    return ident, str(user), rights, deny


class AddADPermission(ConfigCmdlet):
    name = "Add-ADPermission"
    synopsis = "Grants (or, with -Deny, takes away) extended rights on a receive connector."
    description = (
        "The documented way to let an anonymous host relay through one connector: grant "
        "ms-Exch-SMTP-Accept-Any-Recipient to NT AUTHORITY\\ANONYMOUS LOGON. The right applies to that "
        "connector only. A grant that would make an open relay needs confirmation."
    )
    supports_should_process = True
    default_set = "AccessRights"
    output_type = ACE_TYPE
    parameters = (_IDENTITY,) + _COMMON + (Parameter("Force", T.SWITCH, help="Grant without asking."),)
    examples = (
        Example('Get-ReceiveConnector "Relay" | Add-ADPermission -User "NT AUTHORITY\\ANONYMOUS LOGON" '
                '-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient',
                "Let the hosts of the Relay connector relay anonymously."),
        Example('Add-ADPermission Relay -User "NT AUTHORITY\\ANONYMOUS LOGON" -ExtendedRights '
                'ms-Exch-SMTP-Accept-Authoritative-Domain-Sender -Deny',
                "Stop anonymous hosts sending as your own domains, whatever the permission groups grant."),
    )
    related = ("Get-ADPermission", "Remove-ADPermission", "Test-RelayPolicy")

    def process(self) -> None:
        # Lazy: loaded when this command runs, not at start-up.
        from exshell.config.operations import AddAces, Guard
        from exshell.model.permissions import ACE, canonical_principal

        req = _request(self)
        if req is None:
            return
        ident, user, rights, deny = req
        if not ident:
            self.write_error("Specify the connector with -Identity.", f"IdentityRequired,{self.name}",
                             "InvalidArgument")
            return
        config = self.config
        rc = resolve_one(self, config, ident)
        if rc is None:
            return
        server = config.server(rc.server)
        user = canonical_principal(user, server.domain if server else None)
        aces = tuple(ACE(rc.identity, user, r, deny=deny) for r in rights)
        kind = "Deny" if deny else "Allow"
        description = (
            f'Adding Active Directory permission "{rc.identity}" for user "{user}" with access rights '
            f"\"'{', '.join(rights)}'\" ({kind})."
        )
        op = AddAces(rc.guid, aces, identity=rc.identity)
        risk = None if deny else open_relay_guard(rc, rc.add_aces(aces), None)
        if risk:
            description += " " + risk
        if not self.should_process(rc.identity, description=description):
            return
        if risk and not confirm_risk(self, rc.identity, risk):
            return
        guard = None if deny or forced(self) else Guard(open_relay_guard, risk)
        if self.change(dataclasses.replace(op, guard=guard), rc.identity) is not None:
            self.added.extend(aces)

    def begin(self) -> None:
        super().begin()
        self.added: list[Any] = []

    def committed(self, results: list[Any]) -> None:
        for ace in self.added:  # Add-ADPermission returns the entries it added (cmdlets.md §4.2)
            self.write_object(ace_object(ace))


class GetADPermission(Cmdlet):
    name = "Get-ADPermission"
    synopsis = "Lists the permissions (ACEs) on a receive connector, group-granted and explicit."
    description = (
        "One row per principal and extended right. Rows granted by a permission group show the group in "
        "their Origin property; rows added with Add-ADPermission show Explicit."
    )
    default_set = "AccessRights"
    output_type = ACE_TYPE
    parameters = (
        Parameter("Identity", _ADRAW_ID, position=0, mandatory=True, pipeline=True, by_property_name=True,
                  completer="receive_connector", help="The connector: name, SERVER\\Name or GUID."),
        Parameter("User", T.STRING, completer="principal", help="Only this principal's entries."),
        Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
    )
    examples = (
        Example('Get-ADPermission Relay -User "NT AUTHORITY\\ANONYMOUS LOGON"',
                "What an anonymous host may do on the Relay connector."),
        Example("Get-ADPermission Relay | where {($_.Deny -eq $false) -and ($_.IsInherited -eq $false)} | "
                "Format-Table User,ExtendedRights", "The explicit Allow entries."),
    )
    related = ("Add-ADPermission", "Remove-ADPermission")

    def process(self) -> None:
        # Lazy: a model module loads with the objects it decodes.
        from exshell.model.permissions import same_principal

        config = current_config(self)
        user = self.params.get("User")
        for rc in resolve_all(self, config, self.params["Identity"]):
            server = config.server(rc.server)
            for ace in rc.all_aces(server.domain if server else None):
                if user and not same_principal(user, ace.user):
                    continue
                self.write_object(ace_object(ace))


class RemoveADPermission(ConfigCmdlet):
    name = "Remove-ADPermission"
    synopsis = "Removes explicit permission entries (added with Add-ADPermission) from a receive connector."
    description = (
        "Rights that come from a permission group can't be removed this way (as in Exchange): add a Deny "
        "entry with Add-ADPermission -Deny, or change the connector's PermissionGroups. Asks for confirmation."
    )
    supports_should_process = True
    confirm_impact = "High"
    default_set = "AccessRights"
    parameters = (_IDENTITY,) + _COMMON
    examples = (
        Example('Remove-ADPermission Relay -User "NT AUTHORITY\\ANONYMOUS LOGON" -ExtendedRights '
                'ms-Exch-SMTP-Accept-Any-Recipient -Confirm:$false', "Stop anonymous relay on Relay."),
        Example("Get-ADPermission Relay -User 'NT AUTHORITY\\Anonymous Logon' | where {$_.ExtendedRights -like "
                "'*any-recipient'} | Remove-ADPermission", "The same, by piping the entry."),
    )
    related = ("Add-ADPermission", "Get-ADPermission")

    def process(self) -> None:
        # Lazy: loaded when this command runs, not at start-up.
        from exshell.config.operations import RemoveAces
        from exshell.model.permissions import canonical_principal

        req = _request(self)
        if req is None:
            return
        ident, user, rights, deny = req
        config = self.config
        rc = resolve_one(self, config, ident or "")
        if rc is None:
            return
        server = config.server(rc.server)
        user = canonical_principal(user, server.domain if server else None)
        _, removed = rc.remove_aces(user, rights, deny)
        removed_rights = {a.right for a in removed}
        for right in rights:
            if right in removed_rights:
                continue
            groups = sorted({a.origin for a in rc.group_aces(server.domain if server else None)
                             if a.origin and a.matches(user, right, deny)})
            if groups:
                self.write_error(
                    f"{right} for '{user}' on '{rc.identity}' is granted by the permission group "
                    f"{', '.join(groups)} and can't be removed with Remove-ADPermission. Add a Deny entry "
                    f"(Add-ADPermission -Deny) or change the connector's PermissionGroups.",
                    f"CannotRemoveGroupPermission,{self.name}", "InvalidOperation", right,
                    "InvalidOperationException",
                )
            else:
                self.write_error(
                    f"The access control entry for '{user}' with {right} ({'Deny' if deny else 'Allow'}) "
                    f"doesn't exist on '{rc.identity}'.",
                    f"ACENotFound,{self.name}", "ObjectNotFound", right, "ManagementObjectNotFoundException",
                )
        if not removed:
            return
        description = (
            f'Removing Active Directory permission "{rc.identity}" for user "{user}" with access rights '
            f"\"'{', '.join(a.right for a in removed)}'\"."
        )
        if not self.should_process(rc.identity, description=description):
            return
        gone = tuple(a.right for a in removed)
        self.change(RemoveAces(rc.guid, user, gone, deny, identity=rc.identity), rc.identity)
