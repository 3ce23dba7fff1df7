"""Mailboxes: the directory the engine uses for local delivery, recipient validation and sender resolution.

Addresses are proxy addresses as Exchange keeps them: `SMTP:primary@x` (upper-case prefix = the primary,
exactly one) and `smtp:secondary@x`. Passwords are kept only as a salted scrypt hash (for SMTP AUTH later).
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from typing import Any
from collections.abc import Iterable, Mapping

from exshell.guid import new_guid
from exshell.model.errors import ModelDataError, ModelError

MAILBOX_TYPE = "Microsoft.Exchange.Data.Directory.Management.Mailbox"
_ADDRESS = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
# OWASP Password Storage Cheat Sheet (2023+): scrypt N=2^17, r=8, p=1 (128 MiB). Verification reads the
# parameters from the stored hash, so older, cheaper hashes keep working until the password is set again.
_SCRYPT = {"n": 2**17, "r": 8, "p": 1}
_MAXMEM = 256 * 1024 * 1024


def normalize_address(text: str) -> str:
    """`User@Contoso.COM` → `User@contoso.com`: domains compare case-insensitively; the local part keeps its
    case for display but is matched case-insensitively too (Exchange's proxy addresses are)."""
    local, _, domain = text.strip().rpartition("@")
    return f"{local}@{domain.lower().rstrip('.')}"


def validate_address(text: str) -> str:
    value = str(text).strip()
    if value.lower().startswith("smtp:"):
        value = value[5:]
    if not _ADDRESS.match(value) or ".." in value:
        raise ValueError(f'"{text}" isn\'t a valid SMTP address.')
    return normalize_address(value)


def hash_password(password: str, salt: bytes | None = None, *, n: int | None = None) -> str:
    """`scrypt$n$r$p$salt$hash` (base64), from hashlib: no plaintext is ever stored. `n` overrides the cost
    (tests make cheap hashes; the engine verifies whatever parameters a hash carries)."""
    import base64
    import hashlib

    salt = salt or os.urandom(16)
    params = dict(_SCRYPT, n=n or _SCRYPT["n"])
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, maxmem=_MAXMEM, **params)
    return "scrypt${n}${r}${p}${s}${h}".format(
        s=base64.b64encode(salt).decode(), h=base64.b64encode(digest).decode(), **params
    )


def verify_password(password: str, stored: str) -> bool:
    import base64
    import hashlib
    import hmac

    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), dklen=32, n=int(n), r=int(r), p=int(p),
            maxmem=_MAXMEM,
        )
        return hmac.compare_digest(got, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


@dataclass(frozen=True, slots=True)
class Mailbox:
    guid: str
    name: str
    display_name: str
    alias: str
    primary_smtp_address: str
    email_addresses: tuple[str, ...] = ()  # secondary addresses (without the smtp: prefix)
    password_hash: str | None = None  # older stores: the hash in the record itself
    hidden_from_address_lists: bool = False
    password_ref: str | None = None  # the scrypt hash, sealed in the owner-only key store (store/keystore.py)

    @property
    def identity(self) -> str:
        return self.name

    @property
    def all_addresses(self) -> tuple[str, ...]:
        return (self.primary_smtp_address,) + tuple(
            a for a in self.email_addresses if a.lower() != self.primary_smtp_address.lower()
        )

    @property
    def proxy_addresses(self) -> list[str]:
        """`SMTP:primary`, then `smtp:` secondaries, as Get-Mailbox shows EmailAddresses."""
        return [f"SMTP:{self.primary_smtp_address}"] + [f"smtp:{a}" for a in self.all_addresses[1:]]

    def has_address(self, address: str) -> bool:
        want = address.strip().lower()
        return any(a.lower() == want for a in self.all_addresses)

    @classmethod
    def new(
        cls,
        name: str,
        primary: str,
        display_name: str | None = None,
        alias: str | None = None,
        email_addresses: Iterable[str] = (),
        password: str | None = None,
    ) -> Mailbox:
        if not name or not name.strip():
            raise ModelError("The Name property can't be empty.", "InvalidMailbox", "Name")
        try:
            primary = validate_address(primary)
            extra = tuple(validate_address(a) for a in email_addresses)
        except ValueError as exc:
            raise ModelError(str(exc), "InvalidSmtpAddress", "PrimarySmtpAddress") from None
        alias = alias or re.sub(r"[^A-Za-z0-9._-]", "", name) or primary.split("@")[0]
        return cls(
            guid=new_guid(),
            name=name.strip(),
            display_name=(display_name or name).strip(),
            alias=alias,
            primary_smtp_address=primary,
            email_addresses=tuple(a for a in extra if a.lower() != primary.lower()),
            password_hash=hash_password(password) if password else None,
        )

    def with_changes(self, **values: Any) -> Mailbox:
        if "primary_smtp_address" in values:
            try:
                values["primary_smtp_address"] = validate_address(values["primary_smtp_address"])
            except ValueError as exc:
                raise ModelError(str(exc), "InvalidSmtpAddress", "PrimarySmtpAddress") from None
        if "email_addresses" in values:
            addrs = []
            for a in values["email_addresses"]:
                text = str(a)
                if text.startswith("SMTP:"):  # an upper-case prefix names the new primary
                    values["primary_smtp_address"] = validate_address(text)
                    continue
                try:
                    addrs.append(validate_address(text))
                except ValueError as exc:
                    raise ModelError(str(exc), "InvalidSmtpAddress", "EmailAddresses") from None
            values["email_addresses"] = tuple(addrs)
        if "password" in values:
            pw = values.pop("password")
            values["password_hash"] = hash_password(pw) if pw else None
            values["password_ref"] = None
        if values.get("password_ref"):
            values["password_hash"] = None  # the sealed hash replaces one kept in the record
        updated = dataclasses.replace(self, **values)
        extras = tuple(
            a for a in updated.email_addresses if a.lower() != updated.primary_smtp_address.lower()
        )
        if (
            self.primary_smtp_address.lower() != updated.primary_smtp_address.lower()
            and "email_addresses" not in values
        ):
            # The old primary stays as a secondary address (Exchange keeps it as smtp:).
            extras = (self.primary_smtp_address,) + extras
        return dataclasses.replace(updated, email_addresses=extras)

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "Name": self.name,
            "DisplayName": self.display_name,
            "Alias": self.alias,
            "PrimarySmtpAddress": self.primary_smtp_address,
            "EmailAddresses": list(self.email_addresses),
            "HiddenFromAddressListsEnabled": self.hidden_from_address_lists,
        }
        if self.password_hash:
            record["PasswordHash"] = self.password_hash
        if self.password_ref:
            record["PasswordRef"] = self.password_ref
        return record

    @classmethod
    def from_record(cls, guid: str, record: Mapping[str, Any]) -> Mailbox:
        try:
            return cls(
                guid=guid,
                name=str(record["Name"]),
                display_name=str(record.get("DisplayName") or record["Name"]),
                alias=str(record.get("Alias") or record["Name"]),
                primary_smtp_address=validate_address(str(record["PrimarySmtpAddress"])),
                email_addresses=tuple(
                    validate_address(str(a)) for a in record.get("EmailAddresses", ()) or ()
                ),
                password_hash=record.get("PasswordHash"),
                hidden_from_address_lists=bool(record.get("HiddenFromAddressListsEnabled", False)),
                password_ref=record.get("PasswordRef") or None,
            )
        except (KeyError, ValueError) as exc:
            raise ModelDataError(
                f"The stored mailbox {guid} is invalid: {exc}", "InvalidStoredData"
            ) from None

    def to_properties(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "Alias": self.alias,
            "DisplayName": self.display_name,
            "PrimarySmtpAddress": self.primary_smtp_address,
            "EmailAddresses": self.proxy_addresses,
            "HiddenFromAddressListsEnabled": self.hidden_from_address_lists,
            "Identity": self.name,
            "Guid": self.guid,
        }


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    address: str
    display_name: str


class MailboxDirectory:
    """Address → mailbox lookups for the engine (the `Directory` the transport's sender resolution uses)."""

    def __init__(self, mailboxes: Iterable[Mailbox]) -> None:
        self._by_address: dict[str, Mailbox] = {}
        for mbx in mailboxes:
            for addr in mbx.all_addresses:
                self._by_address.setdefault(addr.lower(), mbx)

    def find_by_address(self, address: str) -> Mailbox | None:
        return self._by_address.get(address.strip().lower())

    def entry(self, address: str) -> "DirectoryEntry | None":
        """What sender resolution shows: the mailbox's display name and primary address."""
        mbx = self.find_by_address(address)
        return None if mbx is None else DirectoryEntry(mbx.primary_smtp_address, mbx.display_name)

    def __len__(self) -> int:
        return len(self._by_address)


def address_conflict(candidate: Mailbox, others: Iterable[Mailbox]) -> str | None:
    """Exchange's wording when a proxy address is taken by another recipient."""
    for other in others:
        if other.guid == candidate.guid:
            continue
        if other.name.lower() == candidate.name.lower():
            return f"A mailbox named '{candidate.name}' already exists."
        for addr in candidate.all_addresses:
            if other.has_address(addr):
                return (
                    f'The proxy address "SMTP:{addr}" is already being used by the proxy addresses or '
                    f'LegacyExchangeDN of "{other.name}". Please choose another proxy address.'
                )
    return None


MAILBOXES = "mailboxes"  # the store collection


def mailboxes_from_data(data: Mapping[str, Any]) -> list[Mailbox]:
    """The mailboxes of a store snapshot's data."""
    return [Mailbox.from_record(k, r) for k, r in (data.get(MAILBOXES) or {}).items()]


# Exchange property -> field (record keys; Password is write-only: it becomes PasswordHash).
PROPERTIES: tuple[tuple[str, str], ...] = (
    ("Name", "name"),
    ("DisplayName", "display_name"),
    ("Alias", "alias"),
    ("PrimarySmtpAddress", "primary_smtp_address"),
    ("EmailAddresses", "email_addresses"),
    ("HiddenFromAddressListsEnabled", "hidden_from_address_lists"),
    ("PasswordHash", "password_hash"),
    ("PasswordRef", "password_ref"),
    ("Password", "password"),
)
