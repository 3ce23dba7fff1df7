"""SMTP AUTH against mailbox credentials: what the session offers, who a user name is, and the password check.

Mechanisms (tls-auth.md §1.1-§1.3): Exchange's basic authentication is `AUTH LOGIN` (prompts `334 VXNlcm5hbWU6`
/ `334 UGFzc3dvcmQ6`). `AUTH PLAIN` (RFC 4616) is a documented extension of exshell, offered beside LOGIN
because many devices prefer it; Exchange never offers it. Both are offered only when the connector's
AuthMechanism has BasicAuth, and under BasicAuthRequireTLS only after STARTTLS. Integrated (NTLM/Kerberos)
and ExchangeServer (X-EXPS) are not implemented and never advertised.

User names: a mailbox's primary or secondary SMTP address (the UPN form devices use), its alias or name, or
`DOMAIN\\alias`. The principal of a logon is `DOMAIN\\alias` (the NetBIOS form Add-ADPermission takes), and the
session's rights are that principal's plus NT AUTHORITY\\Authenticated Users' (the ExchangeUsers group).

The scrypt verification runs in a worker thread (`verify_in_thread`) — it costs tens to hundreds of
milliseconds by design and must never stall the event loop. An unknown user name is checked against a dummy
hash of the same cost, so the reply time doesn't tell which user names exist.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass
from typing import Any

from exshell.model.mailbox import hash_password, verify_password

MECHANISMS = ("LOGIN", "PLAIN")
# X-MS-Exchange-Organization-AuthMechanism for an SMTP AUTH (basic) submission: `06`, as observed in headers of
# SMTP-client mail through Exchange (tls-auth.md §1.6; the mapping is an inference, the codes are undocumented).
AUTH_MECHANISM_CODE = "06"
USERNAME_PROMPT = "Username:"
PASSWORD_PROMPT = "Password:"


@dataclass(frozen=True, slots=True)
class Logon:
    """A successful SMTP AUTH: who, how, and the addresses the user may send as."""

    principal: str  # CONTOSO\copier
    user_name: str  # as the client gave it
    mailbox: Any
    mechanism: str  # LOGIN | PLAIN
    addresses: frozenset[str]


def offered(connector: Any, tls_active: bool) -> tuple[str, ...]:
    """The AUTH mechanisms EHLO lists on this connector at this point of the session."""
    auth = connector.auth_mechanism
    if "BasicAuth" not in auth:
        return ()
    if "BasicAuthRequireTLS" in auth and not tls_active:
        return ()
    return MECHANISMS


def not_in_force(connector: Any) -> list[str]:
    """AuthMechanism values this server accepts in the configuration but doesn't implement."""
    out = []
    if "Integrated" in connector.auth_mechanism:
        out.append("Integrated (NTLM/Kerberos) is not supported by this server: AUTH NTLM/GSSAPI is not offered")
    if "ExchangeServer" in connector.auth_mechanism:
        out.append("ExchangeServer (X-EXPS, X-ANONYMOUSTLS) is not supported by this server: not offered")
    return out


def unsupported_dependency(connector: Any) -> str | None:
    """Why a connector can't work here: its only ways in are mechanisms this server doesn't implement
    (Integrated, ExchangeServer) and only authenticated principals hold rights on it. None when it can work."""
    auth = connector.auth_mechanism
    missing = [m for m in ("Integrated", "ExchangeServer") if m in auth]
    if not missing or "BasicAuth" in auth or "ExternalAuthoritative" in auth:
        return None
    groups = connector.permission_groups
    if "AnonymousUsers" in groups or any("anonymous" in str(getattr(a, "user", "")).lower()
                                         for a in getattr(connector, "explicit_aces", ())):
        return None
    return (f"The receive connector {connector.name} depends on {' and '.join(missing)} authentication "
            "(NTLM/Kerberos, X-EXPS), which is not supported by this server: no client could authenticate on it. "
            "Add BasicAuth (SMTP AUTH LOGIN against mailbox passwords), or for trusted servers use "
            "-PermissionGroups ExchangeServers -AuthMechanism 'Tls, ExternalAuthoritative'.")


def find_mailbox(index: Any, user_name: str) -> Any | None:
    name = user_name.strip()
    if not name:
        return None
    if "\\" in name:
        domain, _, name = name.partition("\\")
        if domain.strip().upper() != index.netbios_domain.upper():
            return None
    if "@" in name:
        return index.directory.find_by_address(name)
    key = name.lower()
    for mbx in index.mailboxes:
        if mbx.alias.lower() == key or mbx.name.lower() == key:
            return mbx
    return None


def principal_of(index: Any, mailbox: Any) -> str:
    return f"{index.netbios_domain}\\{mailbox.alias}"


def decode_plain(blob: bytes) -> tuple[str, str] | None:
    """RFC 4616: [authzid] NUL authcid NUL passwd. An authzid other than the authcid (acting for someone
    else) is refused: None."""
    parts = blob.split(b"\0")
    if len(parts) != 3:
        return None
    try:
        authzid, authcid, password = (p.decode("utf-8") for p in parts)
    except UnicodeDecodeError:
        return None
    if authzid and authzid.lower() != authcid.lower():
        return None
    return authcid, password


def decode_b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


_dummy_hash: str | None = None


def stored_hash(mailbox: Any | None, keys: Any) -> str | None:
    """The mailbox's scrypt hash: unsealed from the key store (PasswordRef), or an older store's PasswordHash."""
    if mailbox is None:
        return None
    ref = getattr(mailbox, "password_ref", None)
    if ref and keys is not None:
        return str(keys.unseal(ref).decode("ascii"))
    return getattr(mailbox, "password_hash", None)


def check_password(mailbox: Any | None, password: str, keys: Any = None) -> bool:
    """Blocking: the key store read and scrypt. A mailbox without a password never logs on."""
    global _dummy_hash
    stored = stored_hash(mailbox, keys)
    if not stored:
        if _dummy_hash is None:
            _dummy_hash = hash_password("exshell-dummy")
        verify_password(password, _dummy_hash)  # same cost as a real check: no user-name oracle
        return False
    return verify_password(password, stored)


async def verify_in_thread(mailbox: Any | None, password: str, keys: Any = None) -> bool:
    return await asyncio.get_running_loop().run_in_executor(None, check_password, mailbox, password, keys)


def logon_for(index: Any, mailbox: Any, user_name: str, mechanism: str) -> Logon:
    return Logon(principal_of(index, mailbox), user_name, mailbox, mechanism,
                 frozenset(a.lower() for a in mailbox.all_addresses))


__all__ = ["Logon", "offered", "not_in_force", "find_mailbox", "principal_of", "decode_plain", "decode_b64",
           "verify_in_thread", "logon_for", "AUTH_MECHANISM_CODE", "MECHANISMS"]
