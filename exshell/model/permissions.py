"""Receive connector permissions: the well-known principals, the extended rights, the fixed permission-group
table (semantics.md §b), ACEs, and the effective-rights computation where Deny wins (AD ACL semantics).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Iterable, Mapping

from exshell.model.enums import AuthMechanism, PermissionGroups

ANONYMOUS = "NT AUTHORITY\\ANONYMOUS LOGON"
AUTHENTICATED_USERS = "NT AUTHORITY\\Authenticated Users"
EXTERNALLY_SECURED = "MS Exchange\\Externally Secured Servers"
PARTNER_SERVERS = "MS Exchange\\Partner Servers"
HUB_SERVERS = "MS Exchange\\Hub Transport Servers"
EDGE_SERVERS = "MS Exchange\\Edge Transport Servers"


def netbios_name(domain: str) -> str:
    """The pre-Windows 2000 domain name Exchange shows in `<Domain>\\Exchange Servers`: by default the
    first label of the DNS domain, upper-cased (contoso.com → CONTOSO)."""
    label = domain.strip().strip(".").split(".", 1)[0]
    return (label or "EXSHELL").upper()


def exchange_servers(domain: str) -> str:
    return f"{netbios_name(domain)}\\Exchange Servers"


def legacy_interop(domain: str) -> str:
    return f"{netbios_name(domain)}\\ExchangeLegacyInterop"


WELL_KNOWN_PRINCIPALS: tuple[str, ...] = (
    ANONYMOUS,
    AUTHENTICATED_USERS,
    EXTERNALLY_SECURED,
    PARTNER_SERVERS,
    HUB_SERVERS,
    EDGE_SERVERS,
)


def canonical_principal(user: str, domain: str | None = None) -> str:
    """Spell a principal the way Get-ADPermission prints it: well-known names (and, given the domain, the
    Exchange Servers / ExchangeLegacyInterop groups) get their canonical case; anything else is kept."""
    text = user.strip()
    known = list(WELL_KNOWN_PRINCIPALS)
    if domain:
        known += [exchange_servers(domain), legacy_interop(domain)]
    for name in known:
        if name.lower() == text.lower():
            return name
    return text


def same_principal(a: str, b: str) -> bool:
    """Windows account names compare case-insensitively."""
    return a.strip().lower() == b.strip().lower()


# --------------------------------------------------------------------------- extended rights

SUBMIT = "ms-Exch-SMTP-Submit"
ACCEPT_ANY_RECIPIENT = "ms-Exch-SMTP-Accept-Any-Recipient"
ACCEPT_ANY_SENDER = "ms-Exch-SMTP-Accept-Any-Sender"
ACCEPT_AUTHORITATIVE_DOMAIN_SENDER = "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender"
ACCEPT_AUTHENTICATION_FLAG = "ms-Exch-SMTP-Accept-Authentication-Flag"
ACCEPT_HEADERS_ROUTING = "ms-Exch-Accept-Headers-Routing"
ACCEPT_HEADERS_ORGANIZATION = "ms-Exch-Accept-Headers-Organization"
ACCEPT_HEADERS_FOREST = "ms-Exch-Accept-Headers-Forest"
BYPASS_ANTI_SPAM = "ms-Exch-Bypass-Anti-Spam"
BYPASS_MESSAGE_SIZE_LIMIT = "ms-Exch-Bypass-Message-Size-Limit"
ACCEPT_EXCH50 = "ms-Exch-SMTP-Accept-Exch50"
ACCEPT_XSHADOW = "ms-Exch-SMTP-Accept-XShadow"
ACCEPT_XPROXYFROM = "ms-Exch-SMTP-Accept-XProxyFrom"
ACCEPT_XSESSIONPARAMS = "ms-Exch-SMTP-Accept-XSessionParams"
ACCEPT_XATTR = "ms-Exch-SMTP-Accept-Xattr"
ACCEPT_XSYSPROBE = "ms-Exch-SMTP-Accept-XSysProbe"
SEND_XMC_ADRECIPIENTCACHE = "ms-Exch-SMTP-Send-XMessageContext-ADRecipientCache"
SEND_XMC_EXTENDEDPROPERTIES = "ms-Exch-SMTP-Send-XMessageContext-ExtendedProperties"
SEND_XMC_FASTINDEX = "ms-Exch-SMTP-Send-XMessageContext-FastIndex"
SEND_HEADERS_ROUTING = "ms-Exch-Send-Headers-Routing"
SEND_HEADERS_ORGANIZATION = "ms-Exch-Send-Headers-Organization"
SEND_HEADERS_FOREST = "ms-Exch-Send-Headers-Forest"
SEND_EXCH50 = "ms-Exch-SMTP-Send-Exch50"
SEND_XSHADOW = "ms-Exch-SMTP-Send-XShadow"
SEND_AS = "Send-As"
RECEIVE_AS = "Receive-As"

# Canonical spelling, in the order Get-ADPermission output and the session-permission log list them.
RECEIVE_RIGHTS: tuple[str, ...] = (
    SUBMIT,
    ACCEPT_ANY_RECIPIENT,
    ACCEPT_AUTHENTICATION_FLAG,
    ACCEPT_ANY_SENDER,
    ACCEPT_AUTHORITATIVE_DOMAIN_SENDER,
    BYPASS_ANTI_SPAM,
    BYPASS_MESSAGE_SIZE_LIMIT,
    ACCEPT_EXCH50,
    ACCEPT_HEADERS_ROUTING,
    ACCEPT_HEADERS_FOREST,
    ACCEPT_HEADERS_ORGANIZATION,
    ACCEPT_XSHADOW,
    ACCEPT_XPROXYFROM,
    ACCEPT_XSESSIONPARAMS,
    ACCEPT_XATTR,
    ACCEPT_XSYSPROBE,
    SEND_XMC_ADRECIPIENTCACHE,
    SEND_XMC_EXTENDEDPROPERTIES,
    SEND_XMC_FASTINDEX,
)
SEND_RIGHTS: tuple[str, ...] = (
    SEND_HEADERS_ROUTING,
    SEND_HEADERS_FOREST,
    SEND_HEADERS_ORGANIZATION,
    SEND_EXCH50,
    SEND_XSHADOW,
)
MAILBOX_RIGHTS: tuple[str, ...] = (SEND_AS, RECEIVE_AS)
EXTENDED_RIGHTS: tuple[str, ...] = RECEIVE_RIGHTS + SEND_RIGHTS + MAILBOX_RIGHTS

# Other spellings seen in Microsoft's own docs (PERM-2013 writes "ms-Exch-Accept-Exch50").
_ALIASES = {"ms-exch-accept-exch50": ACCEPT_EXCH50}
_CANONICAL = {name.lower(): name for name in EXTENDED_RIGHTS} | _ALIASES

# The protocol log's `Set Session Permissions` flag for each right (Exchange's Permission enum names).
LOG_FLAG_NAMES: dict[str, str] = {
    SUBMIT: "SMTPSubmit",
    ACCEPT_ANY_RECIPIENT: "SMTPAcceptAnyRecipient",
    ACCEPT_AUTHENTICATION_FLAG: "SMTPAcceptAuthenticationFlag",
    ACCEPT_ANY_SENDER: "SMTPAcceptAnySender",
    ACCEPT_AUTHORITATIVE_DOMAIN_SENDER: "SMTPAcceptAuthoritativeDomainSender",
    BYPASS_ANTI_SPAM: "BypassAntiSpam",
    BYPASS_MESSAGE_SIZE_LIMIT: "BypassMessageSizeLimit",
    ACCEPT_EXCH50: "SMTPAcceptEXCH50",
    ACCEPT_HEADERS_ROUTING: "AcceptRoutingHeaders",
    ACCEPT_HEADERS_FOREST: "AcceptForestHeaders",
    ACCEPT_HEADERS_ORGANIZATION: "AcceptOrganizationHeaders",
    ACCEPT_XSHADOW: "SMTPAcceptXShadow",
    ACCEPT_XPROXYFROM: "SMTPAcceptXProxyFrom",
    ACCEPT_XSESSIONPARAMS: "SMTPAcceptXSessionParams",
    ACCEPT_XATTR: "SMTPAcceptXAttr",
    ACCEPT_XSYSPROBE: "SMTPAcceptXSysProbe",
    SEND_XMC_ADRECIPIENTCACHE: "SMTPSendXMessageContextADRecipientCache",
    SEND_XMC_EXTENDEDPROPERTIES: "SMTPSendXMessageContextExtendedProperties",
    SEND_XMC_FASTINDEX: "SMTPSendXMessageContextFastIndex",
    SEND_HEADERS_ROUTING: "SendRoutingHeaders",
    SEND_HEADERS_FOREST: "SendForestHeaders",
    SEND_HEADERS_ORGANIZATION: "SendOrganizationHeaders",
    SEND_EXCH50: "SMTPSendEXCH50",
    SEND_XSHADOW: "SMTPSendXShadow",
    SEND_AS: "SendAs",
    RECEIVE_AS: "ReceiveAs",
}


def canonical_right(name: str) -> str:
    """The canonical spelling of an extended right (case-insensitive, as Add-ADPermission accepts
    `Ms-Exch-SMTP-Accept-Any-Recipient`). ValueError for an unknown right."""
    found = _CANONICAL.get(name.strip().lower())
    if found is None:
        raise ValueError(
            f'"{name.strip()}" is not a valid extended right. Valid extended rights include '
            f"{SUBMIT}, {ACCEPT_ANY_RECIPIENT}, {ACCEPT_ANY_SENDER}, {ACCEPT_AUTHORITATIVE_DOMAIN_SENDER}, "
            f"{BYPASS_ANTI_SPAM} and {ACCEPT_HEADERS_ROUTING}."
        )
    return found


def log_flags(rights: Iterable[str]) -> str:
    """`SMTPSubmit SMTPAcceptAnyRecipient ...` for the protocol log, in canonical order."""
    held = {canonical_right(r) for r in rights}
    return " ".join(LOG_FLAG_NAMES[r] for r in EXTENDED_RIGHTS if r in held)


# --------------------------------------------------------------------------- the permission-group table

_ANONYMOUS_RIGHTS = (SUBMIT, ACCEPT_ANY_SENDER, ACCEPT_AUTHORITATIVE_DOMAIN_SENDER, ACCEPT_HEADERS_ROUTING)
_EXCHANGE_USERS_RIGHTS = (SUBMIT, ACCEPT_ANY_RECIPIENT, BYPASS_ANTI_SPAM, ACCEPT_HEADERS_ROUTING)
# Legacy interop and Externally Secured: every SMTP right except the org/forest headers and the internal
# X-verbs (RC-2016 table; TUPM "all except the send rights and Accept-Headers-Organization/Forest").
_TRUSTED_SERVER_RIGHTS = (
    SUBMIT,
    ACCEPT_ANY_RECIPIENT,
    ACCEPT_AUTHENTICATION_FLAG,
    ACCEPT_ANY_SENDER,
    ACCEPT_AUTHORITATIVE_DOMAIN_SENDER,
    BYPASS_ANTI_SPAM,
    BYPASS_MESSAGE_SIZE_LIMIT,
    ACCEPT_EXCH50,
    ACCEPT_HEADERS_ROUTING,
)
# Exchange servers get everything on the receive side, internal verbs included (RC-2016; this is the Hub
# table, where the forest/organization header rights go to Exchange Servers too, HFW).
_EXCHANGE_SERVER_RIGHTS = RECEIVE_RIGHTS
_PARTNER_RIGHTS = (SUBMIT, ACCEPT_HEADERS_ROUTING)


def group_principals(group: str, domain: str, auth: AuthMechanism | None = None) -> tuple[str, ...]:
    """The principals a permission group grants rights to (semantics.md §b)."""
    if group == "AnonymousUsers":
        return (ANONYMOUS,)
    if group == "ExchangeUsers":
        return (AUTHENTICATED_USERS,)
    if group == "ExchangeServers":
        base = (exchange_servers(domain), EDGE_SERVERS, HUB_SERVERS)
        if auth is not None and "ExternalAuthoritative" in auth:
            return base + (EXTERNALLY_SECURED,)
        return base
    if group == "ExchangeLegacyServers":
        return (legacy_interop(domain),)
    if group == "Partners":
        return (PARTNER_SERVERS,)
    return ()


def principal_rights(group: str, principal: str) -> tuple[str, ...]:
    """The rights one principal of a group holds (ordered as EXTENDED_RIGHTS)."""
    rights: tuple[str, ...]
    if group == "AnonymousUsers":
        rights = _ANONYMOUS_RIGHTS
    elif group == "ExchangeUsers":
        rights = _EXCHANGE_USERS_RIGHTS
    elif group == "ExchangeServers":
        rights = _TRUSTED_SERVER_RIGHTS if principal == EXTERNALLY_SECURED else _EXCHANGE_SERVER_RIGHTS
    elif group == "ExchangeLegacyServers":
        rights = _TRUSTED_SERVER_RIGHTS
    elif group == "Partners":
        rights = _PARTNER_RIGHTS
    else:
        rights = ()
    return tuple(r for r in EXTENDED_RIGHTS if r in rights)


# --------------------------------------------------------------------------- ACEs


@dataclass(frozen=True, slots=True)
class ACE:
    """One access-control entry for one extended right, as Get-ADPermission lists it (one row per principal
    and right). origin: the permission group for group-derived ACEs, None for ones added by
    Add-ADPermission."""

    identity: str  # the object, `SERVER\Name` for a receive connector
    user: str
    right: str
    deny: bool = False
    inherited: bool = False
    origin: str | None = None

    @property
    def is_explicit(self) -> bool:
        return self.origin is None and not self.inherited

    def to_record(self) -> dict[str, Any]:
        """How an explicit ACE is stored inside its connector's record (the identity is the connector)."""
        return {"User": self.user, "ExtendedRights": self.right, "Deny": self.deny}

    @classmethod
    def from_record(cls, identity: str, record: Mapping[str, Any]) -> ACE:
        return cls(
            identity=identity,
            user=str(record["User"]),
            right=canonical_right(str(record["ExtendedRights"])),
            deny=bool(record.get("Deny", False)),
        )

    def matches(self, user: str | None = None, right: str | None = None, deny: bool | None = None) -> bool:
        """Used by Remove-ADPermission: the same principal, right and allow/deny."""
        if user is not None and not same_principal(user, self.user):
            return False
        if right is not None and canonical_right(right) != self.right:
            return False
        return deny is None or deny == self.deny


def group_aces(identity: str, groups: PermissionGroups, auth: AuthMechanism, domain: str) -> list[ACE]:
    """The ACEs a connector's PermissionGroups put on it, one per principal and right (semantics.md §b, §k).
    ExchangeServers with ExternalAuthoritative also grants `MS Exchange\\Externally Secured Servers`."""
    aces: list[ACE] = []
    for group in groups.names:
        for principal in group_principals(group, domain, auth):
            for right in principal_rights(group, principal):
                aces.append(ACE(identity, principal, right, origin=group))
    return aces


@dataclass(frozen=True, slots=True)
class RightGrant:
    """The effective state of one right for a set of principals. origin: the groups or `Explicit` ACEs that
    decided it (for a denied right, the origin of the Deny)."""

    right: str
    granted: bool
    origin: str


EXPLICIT = "Explicit"


def _origin(ace: ACE) -> str:
    if ace.origin:
        return ace.origin
    return "Inherited" if ace.inherited else EXPLICIT


def effective_rights(aces: Iterable[ACE], principals: Iterable[str]) -> dict[str, RightGrant]:
    """Rights held by a session acting as any of `principals`. A right with any matching Deny ACE is denied
    whatever grants it (Deny wins in Windows ACL evaluation, which is why the header-firewall doc uses Deny to
    take back group-granted rights, HFW). Rights with no matching ACE are absent (= not granted)."""
    wanted = {p.strip().lower() for p in principals}
    allows: dict[str, list[str]] = {}
    denies: dict[str, list[str]] = {}
    for ace in aces:
        if ace.user.strip().lower() not in wanted:
            continue
        bucket = denies if ace.deny else allows
        origins = bucket.setdefault(ace.right, [])
        origin = _origin(ace)
        if origin not in origins:
            origins.append(origin)
    result: dict[str, RightGrant] = {}
    for right in sorted(set(allows) | set(denies), key=_right_order):
        if right in denies:
            result[right] = RightGrant(right, False, ", ".join(denies[right]))
        else:
            result[right] = RightGrant(right, True, ", ".join(allows[right]))
    return result


def granted_rights(aces: Iterable[ACE], principals: Iterable[str]) -> frozenset[str]:
    """Just the set of rights effectively granted."""
    return frozenset(r for r, g in effective_rights(aces, principals).items() if g.granted)


def _right_order(right: str) -> tuple[int, str]:
    try:
        return (EXTENDED_RIGHTS.index(right), right)
    except ValueError:
        return (len(EXTENDED_RIGHTS), right)


def derived_permission_groups(groups: PermissionGroups, explicit_aces: Iterable[ACE]) -> PermissionGroups:
    """The PermissionGroups value Exchange reports: the configured groups, plus `Custom` when explicit Allow
    ACEs exist beyond the presets (QA-305565; TUPM). `Custom` given as input is a no-op, so it is dropped."""
    base = groups - "Custom"
    if any(not a.deny and not a.inherited for a in explicit_aces):
        return base | "Custom"
    return base


def unauthenticated_principal(connector: Any) -> str:
    """The principal an unauthenticated session acts as on a connector: `MS Exchange\\Externally Secured
    Servers` when the connector has ExternalAuthoritative with the ExchangeServers group (every connection is
    treated as authenticated from connect time, semantics.md §b), else `NT AUTHORITY\\ANONYMOUS LOGON`.
    The relay decision and the configuration guards both ask this one function."""
    auth, groups = connector.auth_mechanism, connector.permission_groups
    if "ExternalAuthoritative" in auth and "ExchangeServers" in groups:
        return EXTERNALLY_SECURED
    return ANONYMOUS
