"""New-, Get-, Set-, Remove-Mailbox: the local recipients the relay delivers to (Maildir under the state
folder) and resolves senders against."""

from __future__ import annotations

from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, ListModifier, Parameter, T
from exshell.cmdlets.exchange_objects import MAILBOX_TYPE, mailbox_object
from exshell.cmdlets.exchange_support import (
    ConfigCmdlet,
    ConfigTransaction,
    find_one,
    identity_type,
    report_model_error,
)
from exshell.cmdlets.secure import SECURE_STRING

_MBX_ID = identity_type("MailboxIdParameter")
MAILBOXES = "mailboxes"


def mailboxes_of(data: Any) -> list[Any]:
    from exshell.model.mailbox import mailboxes_from_data

    return mailboxes_from_data(data)


def _find(cmdlet: Cmdlet, boxes: list[Any], ident: str) -> Any:
    """MailboxIdParameter: GUID, name or alias, then any of its addresses."""
    return find_one(cmdlet, boxes, ident, lambda m: (m.guid, m.name, m.alias), lambda m: m.all_addresses)


def _check_domain(config: Any, mbx: Any) -> None:
    """A mailbox address must be in an accepted domain that holds recipients (not ExternalRelay)."""
    from exshell.model.errors import ModelError

    for addr in mbx.all_addresses:
        domain = addr.rsplit("@", 1)[1]
        accepted = config.find_accepted_domain(domain)
        if accepted is None or str(accepted.domain_type) == "ExternalRelay":
            raise ModelError(
                f"The address '{addr}' isn't in an accepted domain of this organization (Authoritative or "
                "InternalRelay). Add the domain with New-AcceptedDomain first.",
                "InvalidSmtpAddress", "PrimarySmtpAddress",
            )


def _put(tx: ConfigTransaction, mbx: Any) -> None:
    from exshell.model.config import Config
    from exshell.model.errors import ModelError
    from exshell.model.mailbox import address_conflict

    def op(doc: Any) -> None:
        problem = address_conflict(mbx, mailboxes_of(doc.data))
        if problem:
            raise ModelError(problem, "ProxyAddressExistsException", "EmailAddresses")
        _check_domain(Config.from_data(doc.data), mbx)
        doc.put(MAILBOXES, mbx.guid, mbx.to_record())

    tx.apply(op)


class NewMailbox(ConfigCmdlet):
    name = "New-Mailbox"
    synopsis = "Creates a mailbox: a local recipient whose mail is delivered to a Maildir."
    supports_should_process = True
    output_type = MAILBOX_TYPE
    parameters = (
        Parameter("Name", T.STRING, position=0, mandatory=True, help="A unique name."),
        Parameter("DisplayName", T.STRING, help="The name mail clients show (default: Name)."),
        Parameter("Alias", T.STRING, help="The alias (default: Name without spaces)."),
        Parameter("PrimarySmtpAddress", T.STRING, help="The primary address (default: alias@default domain)."),
        Parameter("EmailAddresses", T.STRINGS, help="More addresses (proxy addresses)."),
        Parameter("Password", SECURE_STRING, help="Password for SMTP AUTH, a SecureString; only a salted hash "
                  "is stored."),
        Parameter("UserPrincipalName", T.STRING, help="Accepted for compatibility; the primary address is used."),
    )
    examples = (
        Example('New-Mailbox -Name "Bharat Suneja" -PrimarySmtpAddress bharat@contoso.com', ""),
        Example("New-Mailbox scanner -Password (Read-Host 'Password' -AsSecureString)", ""),
    )
    related = ("Get-Mailbox", "Set-Mailbox")

    def process(self) -> None:
        from exshell.model.errors import ModelError
        from exshell.model.mailbox import Mailbox

        p = self.params
        config = self.tx.config()
        primary = p.get("PrimarySmtpAddress")
        if not primary:
            default = config.default_accepted_domain
            alias = p.get("Alias") or "".join(ch for ch in p["Name"] if ch.isalnum() or ch in "._-")
            primary = f"{alias}@{default.base_domain if default else 'exshell.local'}"
        password = p.get("Password")
        try:
            mbx = Mailbox.new(p["Name"], primary, p.get("DisplayName"), p.get("Alias"),
                              p.get("EmailAddresses") or (), password.reveal() if password else None)
        except ModelError as exc:
            report_model_error(self, exc, p["Name"])
            return
        if not self.should_process(mbx.name, description=f'Creating mailbox "{mbx.name}" '
                                   f"({mbx.primary_smtp_address})."):
            return
        try:
            _put(self.tx, mbx)
            self.created.append(mbx.guid)
        except ModelError as exc:
            report_model_error(self, exc, mbx.name)

    def emit_created(self, data: Any) -> None:
        for mbx in mailboxes_of(data):
            if mbx.guid in self.created:
                self.write_object(mailbox_object(mbx))


class GetMailbox(Cmdlet):
    name = "Get-Mailbox"
    synopsis = "Lists mailboxes."
    output_type = MAILBOX_TYPE
    parameters = (
        Parameter("Identity", _MBX_ID, position=0, pipeline=True, by_property_name=True, completer="mailbox",
                  help="Name, alias, address or GUID."),
        Parameter("ResultSize", T.custom("Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
                                         lambda v: None if str(v).lower() == "unlimited" else int(v),
                                         display="Unlimited"),
                  help="How many to return (default 1000, or unlimited)."),
    )

    def process(self) -> None:
        boxes = mailboxes_of(self.runtime.services.store.snapshot().data)
        ident = self.params.get("Identity")
        if ident:
            mbx = _find(self, boxes, ident)
            if mbx is not None:
                self.write_object(mailbox_object(mbx))
            return
        limit = self.params.get("ResultSize", 1000) if self.params.is_bound("ResultSize") else 1000
        for i, mbx in enumerate(boxes):
            if limit is not None and i >= limit:
                self.write_warning(f"By default, only the first {limit} items are returned. Use the ResultSize "
                                   "parameter to specify the number of items returned.")
                break
            self.write_object(mailbox_object(mbx))


class SetMailbox(ConfigCmdlet):
    name = "Set-Mailbox"
    synopsis = "Changes a mailbox's display name or addresses."
    supports_should_process = True
    parameters = (
        Parameter("Identity", _MBX_ID, position=0, mandatory=True, pipeline=True, by_property_name=True,
                  completer="mailbox", help="Name, alias, address or GUID."),
        Parameter("DisplayName", T.STRING, help="The name mail clients show."),
        Parameter("PrimarySmtpAddress", T.STRING, help="A new primary address (the old one is kept)."),
        Parameter("EmailAddresses", T.custom("Microsoft.Exchange.Data.ProxyAddressCollection", str,
                                             display="ProxyAddressCollection", array=True, multivalued=True),
                  help="Addresses; a list replaces, @{Add=...;Remove=...} edits; SMTP: marks the primary."),
        Parameter("Password", SECURE_STRING, help="A new password (SecureString)."),
        Parameter("HiddenFromAddressListsEnabled", T.BOOL, help="Hide from address lists."),
        Parameter("Name", T.STRING, help="A new name."),
    )
    examples = (Example('Set-Mailbox bharat -EmailAddresses @{Add="scans@contoso.com"}', ""),)

    def process(self) -> None:
        from exshell.model.errors import ModelError

        p = self.params
        mbx = _find(self, mailboxes_of(self.tx._data()), p["Identity"])
        if mbx is None:
            return
        fields: dict[str, Any] = {}
        for param, field in (("DisplayName", "display_name"), ("PrimarySmtpAddress", "primary_smtp_address"),
                             ("HiddenFromAddressListsEnabled", "hidden_from_address_lists"), ("Name", "name")):
            if p.is_bound(param):
                fields[field] = p[param]
        if p.is_bound("EmailAddresses"):
            value = p["EmailAddresses"]
            current = [f"smtp:{a}" for a in mbx.email_addresses]
            if isinstance(value, ListModifier):
                key = lambda a: str(a).lower().removeprefix("smtp:")  # noqa: E731
                fields["email_addresses"] = value.apply(current, key=key)
            else:
                fields["email_addresses"] = list(value) if isinstance(value, (list, tuple)) else [value]
        if p.is_bound("Password"):
            fields["password"] = p["Password"].reveal()
        try:
            changed = mbx.with_changes(**fields)
        except ModelError as exc:
            report_model_error(self, exc, mbx.name)
            return
        if not self.should_process(mbx.name, description=f'Configuring mailbox "{mbx.name}".'):
            return
        try:
            _put(self.tx, changed)
        except ModelError as exc:
            report_model_error(self, exc, mbx.name)


class RemoveMailbox(ConfigCmdlet):
    name = "Remove-Mailbox"
    synopsis = "Removes a mailbox (its Maildir stays on disk). Asks for confirmation."
    supports_should_process = True
    confirm_impact = "High"
    parameters = (
        Parameter("Identity", _MBX_ID, position=0, mandatory=True, pipeline=True, by_property_name=True,
                  completer="mailbox", help="Name, alias, address or GUID."),
    )

    def process(self) -> None:
        mbx = _find(self, mailboxes_of(self.tx._data()), self.params["Identity"])
        if mbx is None:
            return
        self.remove(MAILBOXES, mbx, f'Removing mailbox "{mbx.name}".')

