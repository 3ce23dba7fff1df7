"""New-, Get-, Set-, Remove-AcceptedDomain (cmdlets.md §5): the domains this organization accepts mail for.
A recipient in an accepted domain (of any type) is not relay; exactly one domain is the default."""

from __future__ import annotations

from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.cmdlets.exchange_objects import ACCEPTED_DOMAIN_TYPE, domain_object
from exshell.cmdlets.exchange_support import (
    ACCEPTED_DOMAIN_TYPE as DOMAIN_TYPE_PARAM,
)
from exshell.cmdlets.exchange_support import (
    ConfigCmdlet,
    current_config,
    find_all,
    find_one,
    identity_type,
    report_model_error,
)
from exshell.model.config import ACCEPTED_DOMAINS
from exshell.model.errors import ModelError

# The seam's operations are imported by the methods that change something: a Get- never builds them.
_AD_ID = identity_type("AcceptedDomainIdParameter")


def _find(cmdlet: Cmdlet, domains: Any, ident: str, get: bool = False) -> Any:
    """AcceptedDomainIdParameter: GUID or name, then the domain name. get: every object a Get- returns (a
    list), else the one object or None."""
    return (find_all if get else find_one)(
        cmdlet, domains, ident, lambda d: (d.guid, d.name), lambda d: (d.domain_name,))


class NewAcceptedDomain(ConfigCmdlet):
    name = "New-AcceptedDomain"
    synopsis = "Adds a domain the organization accepts mail for."
    description = (
        "Authoritative: every recipient of the domain is here. InternalRelay: some recipients are elsewhere "
        "(mail for unknown ones goes out through a send connector). ExternalRelay: none are here; mail is "
        "relayed. *.contoso.com accepts contoso.com and all its subdomains."
    )
    supports_should_process = True
    output_type = ACCEPTED_DOMAIN_TYPE
    parameters = (
        Parameter("Name", T.STRING, position=0, mandatory=True, help="A unique name."),
        Parameter("DomainName", T.STRING, mandatory=True, help="contoso.com or *.contoso.com."),
        Parameter("DomainType", DOMAIN_TYPE_PARAM, help="Authoritative (default), InternalRelay, ExternalRelay."),
        Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
    )
    examples = (Example("New-AcceptedDomain -Name Contoso -DomainName contoso.com -DomainType Authoritative",
                        "Accept mail for contoso.com."),)
    related = ("Get-AcceptedDomain", "Set-AcceptedDomain")

    def process(self) -> None:
        # Lazy: loaded when this command runs, not at start-up.
        from exshell.config.operations import Create
        from exshell.model.domain import AcceptedDomain

        p = self.params
        try:
            domain = AcceptedDomain.new(p["Name"], p["DomainName"], p.get("DomainType") or "Authoritative")
        except ModelError as exc:
            report_model_error(self, exc, p["Name"])
            return
        if not self.config.accepted_domains:
            domain = domain.with_changes(default=True)  # the first domain is the default
        if self.preview(Create(ACCEPTED_DOMAINS, domain), p["Name"]) is None:
            return
        if not self.should_process(domain.name, description=f'Creating accepted domain "{domain.name}" '
                                   f"({domain.domain_name}, {domain.domain_type})."):
            return
        self.change(Create(ACCEPTED_DOMAINS, domain), domain.name, emit=True)

    def emit(self, obj: Any) -> None:
        self.write_object(domain_object(obj))


class GetAcceptedDomain(Cmdlet):
    name = "Get-AcceptedDomain"
    synopsis = "Lists the accepted domains."
    output_type = ACCEPTED_DOMAIN_TYPE
    parameters = (
        Parameter("Identity", _AD_ID, position=0, pipeline=True, by_property_name=True, allow_null=True,
                  completer="accepted_domain", help="Name or GUID."),
        Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
    )
    examples = (Example("Get-AcceptedDomain | where {$_.DomainType -eq 'Authoritative'}",
                        "The authoritative domains."),)
    related = ("New-AcceptedDomain",)

    def process(self) -> None:
        domains = current_config(self).accepted_domains
        ident = self.params.get("Identity")
        if ident:
            found = _find(self, domains, ident, get=True)
            self.expect_output(len(found))
            for d in found:
                self.write_object(domain_object(d))
            return
        self.expect_output(len(domains))
        for d in domains:
            self.write_object(domain_object(d))


class SetAcceptedDomain(ConfigCmdlet):
    name = "Set-AcceptedDomain"
    synopsis = "Changes an accepted domain's type, name or default status."
    supports_should_process = True
    parameters = (
        Parameter("Identity", _AD_ID, position=0, mandatory=True, pipeline=True, by_property_name=True,
                  completer="accepted_domain", help="Name or GUID."),
        Parameter("DomainType", DOMAIN_TYPE_PARAM, help="Authoritative, InternalRelay, ExternalRelay."),
        Parameter("MakeDefault", T.BOOL, help="$true makes this the default domain (and clears the old one)."),
        Parameter("AddressBookEnabled", T.BOOL, help="Recipient lookup for the domain."),
        Parameter("MatchSubDomains", T.BOOL, help="Also accept any subdomain."),
        Parameter("Name", T.STRING, help="A new name."),
        Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
    )
    examples = (Example("Set-AcceptedDomain Contoso -MakeDefault $true", "Make Contoso the default domain."),)
    related = ("Get-AcceptedDomain",)

    def process(self) -> None:
        # Lazy: only a change builds operations; a Get- never imports them.
        from exshell.config.operations import Update

        p = self.params
        d = _find(self, self.config.accepted_domains, p["Identity"])
        if d is None:
            return
        changes = {k: p[k] for k in ("DomainType", "AddressBookEnabled", "MatchSubDomains", "Name") if p.is_bound(k)}
        make_default = p.get("MakeDefault")
        if make_default is False and d.default:
            self.write_error(
                f"'{d.name}' is the default accepted domain; make another domain the default instead.",
                f"CannotClearDefaultDomain,{self.name}", "InvalidOperation", d.name)
            return
        if make_default:
            changes["Default"] = True
        op = Update(ACCEPTED_DOMAINS, d.guid, changes, identity=d.name)
        applied = self.preview(op, d.name)
        if applied is None:
            return
        if applied.after == applied.before:
            self.write_warning(f"The command completed successfully but no settings of '{d.name}' have been modified.")
            return
        if not self.should_process(d.name, description=f'Configuring accepted domain "{d.name}".'):
            return
        self.change(op, d.name)


class RemoveAcceptedDomain(ConfigCmdlet):
    name = "Remove-AcceptedDomain"
    synopsis = "Removes an accepted domain (not the default one). Asks for confirmation."
    supports_should_process = True
    confirm_impact = "High"
    parameters = (
        Parameter("Identity", _AD_ID, position=0, mandatory=True, pipeline=True, by_property_name=True,
                  completer="accepted_domain", help="Name or GUID."),
        Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
    )
    related = ("Get-AcceptedDomain",)

    def process(self) -> None:
        d = _find(self, self.config.accepted_domains, self.params["Identity"])
        if d is None:
            return
        if d.default:
            self.write_error(
                f"'{d.name}' is the default accepted domain and can't be removed. Make another domain the "
                "default first (Set-AcceptedDomain <name> -MakeDefault $true).",
                f"CannotRemoveDefaultAcceptedDomainException,{self.name}", "InvalidOperation", d.name)
            return
        self.remove(ACCEPTED_DOMAINS, d, f'Removing accepted domain "{d.name}".')
