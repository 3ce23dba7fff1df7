"""New-, Get-, Set-, Remove-Mailbox: the local recipients the relay delivers to (Maildir under the state
folder) and resolves senders against."""

from __future__ import annotations

from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.cmdlets.exchange_objects import MAILBOX_TYPE, mailbox_object
from exshell.cmdlets.exchange_support import (
    ConfigCmdlet,
    current_config,
    find_all,
    find_one,
    identity_type,
    report_model_error,
)
from exshell.cmdlets.secure import SECURE_STRING
from exshell.model.config import MAILBOXES
from exshell.model.errors import ModelError

# The seam's operations are imported by the methods that change something: a Get- never builds them.
_MBX_ID = identity_type("MailboxIdParameter")


def _find(cmdlet: Cmdlet, boxes: list[Any], ident: str, get: bool = False) -> Any:
    """MailboxIdParameter: GUID, name or alias, then any of its addresses. get: every object a Get- returns
    (a list), else the one object or None."""
    return (find_all if get else find_one)(
        cmdlet, boxes, ident, lambda m: (m.guid, m.name, m.alias), lambda m: m.all_addresses)


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
        # Lazy: loaded when this command runs, not at start-up.
        from exshell.config.operations import Create
        from exshell.model.mailbox import Mailbox

        p = self.params
        config = self.config
        primary = p.get("PrimarySmtpAddress")
        if not primary:
            default = config.default_accepted_domain
            alias = p.get("Alias") or "".join(ch for ch in p["Name"] if ch.isalnum() or ch in "._-")
            primary = f"{alias}@{default.base_domain if default else 'exshell.local'}"
        password = p.get("Password")
        try:
            mbx = Mailbox.new(p["Name"], primary, p.get("DisplayName"), p.get("Alias"),
                              p.get("EmailAddresses") or ())
        except ModelError as exc:
            report_model_error(self, exc, p["Name"])
            return
        if password:
            mbx = mbx.with_changes(password_ref=sealed_password_hash(self, password.reveal()))
        if self.preview(Create(MAILBOXES, mbx), mbx.name) is None:
            return
        if not self.should_process(mbx.name, description=f'Creating mailbox "{mbx.name}" '
                                   f"({mbx.primary_smtp_address})."):
            return
        self.change(Create(MAILBOXES, mbx), mbx.name, emit=True)

    def emit(self, obj: Any) -> None:
        self.write_object(mailbox_object(obj))


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
        boxes = list(current_config(self).mailboxes)
        ident = self.params.get("Identity")
        if ident:
            found = _find(self, boxes, ident, get=True)
            self.expect_output(len(found))
            for mbx in found:
                self.write_object(mailbox_object(mbx))
            return
        limit = self.params.get("ResultSize", 1000) if self.params.is_bound("ResultSize") else 1000
        self.expect_output(len(boxes) if limit is None else min(len(boxes), limit))
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
        # Lazy: only a change builds operations; a Get- never imports them.
        from exshell.config.operations import ListEdit, Update

        p = self.params
        mbx = _find(self, list(self.config.mailboxes), p["Identity"])
        if mbx is None:
            return
        changes: dict[str, Any] = {}
        for prop in ("DisplayName", "PrimarySmtpAddress", "HiddenFromAddressListsEnabled", "Name"):
            if p.is_bound(prop):
                changes[prop] = p[prop]
        if p.is_bound("EmailAddresses"):
            value = p["EmailAddresses"]
            edit = ListEdit.of(value)
            changes["EmailAddresses"] = edit if edit is not None else (
                list(value) if isinstance(value, (list, tuple)) else [value])
        if p.get("Password") is not None:
            secret = p["Password"].reveal()
            changes["PasswordRef"] = sealed_password_hash(self, secret) if secret else None
            if not secret:
                changes["PasswordHash"] = None
        op = Update(MAILBOXES, mbx.guid, changes, identity=mbx.name)
        if self.preview(op, mbx.name) is None:
            return
        if not self.should_process(mbx.name, description=f'Configuring mailbox "{mbx.name}".'):
            return
        self.change(op, mbx.name)


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
        mbx = _find(self, list(self.config.mailboxes), self.params["Identity"])
        if mbx is None:
            return
        self.remove(MAILBOXES, mbx, f'Removing mailbox "{mbx.name}".')



def sealed_password_hash(cmdlet: Any, password: str) -> str:
    """The scrypt hash of a mailbox password, sealed in the owner-only key store, or a fleet's shared secrets table
    (every engine checks AUTH against it, as every Exchange server reads AD): never in config.toml, parsed.json or
    history, which are readable by more than the owner; the record keeps the reference."""
    # Lazy: loaded when this command runs, not at start-up.
    from exshell.model.mailbox import hash_password
    from exshell.store.secrets import key_store

    services = cmdlet.runtime.services
    return key_store(services.store, services.state_dir, cache=False).seal(hash_password(password).encode("ascii"))
