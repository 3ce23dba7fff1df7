"""Accepted domains and the "is this recipient domain ours?" match that decides relay (semantics.md §f).

`*.contoso.com` accepts contoso.com itself and every subdomain (AD-2013); the `*` is allowed only as the
leftmost label. With overlapping entries the most specific wins: an exact name before a wildcard, a longer
wildcard before a shorter one [inference, §f].
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any
from collections.abc import Iterable, Mapping

from exshell.guid import new_guid
from exshell.model.enums import AcceptedDomainType
from exshell.model.errors import ModelDataError, ModelError
from exshell.model.records import Prop, coerce_fields, decode_props, encode_props

ACCEPTED_DOMAIN_TYPE = "Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain"
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$", re.IGNORECASE)


def _clean(domain: str) -> str:
    return domain.strip().rstrip(".").lower()


def validate_domain_name(text: str) -> str:
    """Check an SmtpDomainWithSubdomains value (`contoso.com`, `*.contoso.com`); returns it trimmed.
    Raises ValueError with the reason. A bare `*` is refused: it would make every domain "accepted", which
    turns the relay check off (an open relay in all but name)."""
    value = str(text).strip().rstrip(".")
    if not value:
        raise ValueError("The domain name can't be empty.")
    if len(value) > 256:
        raise ValueError(f'The domain name "{value}" is too long: the maximum length is 256 characters.')
    labels = value.split(".")
    if labels[0] == "*":
        if len(labels) == 1:
            raise ValueError(
                '"*" is not a valid accepted domain: a wildcard must be followed by a domain, '
                "e.g. *.contoso.com."
            )
        labels = labels[1:]
    for label in labels:
        if "*" in label:
            raise ValueError(
                f'"{value}" is not a valid domain name: the wildcard * is allowed only as the leftmost label '
                "(for example *.contoso.com)."
            )
        if not _LABEL.match(label):
            raise ValueError(f'"{value}" is not a valid domain name: "{label}" is not a valid DNS label.')
    return value


def domain_matches(pattern: str, domain: str) -> bool:
    """`contoso.com` matches only contoso.com; `*.contoso.com` matches contoso.com and all its subdomains.
    Case-insensitive; a trailing dot is ignored."""
    pat, dom = _clean(pattern), _clean(domain)
    if pat.startswith("*."):
        base = pat[2:]
        return dom == base or dom.endswith("." + base)
    if pat == "*":
        return True
    return pat == dom


@dataclass(frozen=True, slots=True)
class AcceptedDomain:
    guid: str
    name: str
    domain_name: str
    domain_type: AcceptedDomainType = AcceptedDomainType.Authoritative
    default: bool = False
    address_book_enabled: bool = True
    match_subdomains: bool = False

    @property
    def identity(self) -> str:
        return self.name

    @property
    def is_wildcard(self) -> bool:
        return self.domain_name.startswith("*")

    @property
    def base_domain(self) -> str:
        """The domain without the wildcard label."""
        name = _clean(self.domain_name)
        return name[2:] if name.startswith("*.") else name

    def matches(self, domain: str) -> bool:
        """domain_matches, plus MatchSubDomains (Set-AcceptedDomain) which extends an exact entry to its
        subdomains."""
        if domain_matches(self.domain_name, domain):
            return True
        return self.match_subdomains and domain_matches("*." + self.base_domain, domain)

    def specificity(self, domain: str) -> tuple[int, int] | None:
        """Sort key for most-specific matching (higher is more specific), or None when it doesn't match.
        Exact names rank above wildcard (and MatchSubDomains) matches; then more labels rank higher."""
        dom = _clean(domain)
        if not self.is_wildcard and _clean(self.domain_name) == dom:
            return (1, dom.count(".") + 1)
        if self.matches(domain):
            base = self.base_domain
            return (0, base.count(".") + 1 if base else 0)
        return None

    @classmethod
    def new(
        cls,
        name: str,
        domain_name: str,
        domain_type: AcceptedDomainType | str = AcceptedDomainType.Authoritative,
        default: bool = False,
        guid: str | None = None,
        **fields: Any,
    ) -> AcceptedDomain:
        """New-AcceptedDomain: AddressBookEnabled defaults to $true for Authoritative and $false for the relay
        types (cmdlets.md §5.3). Raises ModelError for an invalid name or domain."""
        try:
            dname = validate_domain_name(domain_name)
            dtype = AcceptedDomainType.parse(domain_type)
        except ValueError as exc:
            raise ModelError(str(exc), "InvalidAcceptedDomain", "DomainName") from None
        if not name or not name.strip():
            raise ModelError("The Name property can't be empty.", "InvalidAcceptedDomain", "Name")
        if len(name) > 64:
            raise ModelError(
                f'The Name "{name}" is too long: the maximum length is 64 characters.', property="Name"
            )
        domain = cls(
            guid=guid or new_guid(),
            name=name,
            domain_name=dname,
            domain_type=dtype,
            default=default,
            address_book_enabled=dtype is AcceptedDomainType.Authoritative,
        )
        return domain.with_changes(**fields) if fields else domain

    def with_changes(self, **values: Any) -> AcceptedDomain:
        fields = coerce_fields(values, PROPERTIES)
        if "domain_name" in fields:
            try:
                fields["domain_name"] = validate_domain_name(fields["domain_name"])
            except ValueError as exc:
                raise ModelError(str(exc), "InvalidAcceptedDomain", "DomainName") from None
        try:
            return dataclasses.replace(self, **fields)
        except TypeError as exc:
            raise ModelError(f"Unknown accepted domain property: {exc}") from None

    def to_record(self) -> dict[str, Any]:
        return encode_props(self, PROPERTIES)

    @classmethod
    def from_record(cls, guid: str, record: Mapping[str, Any]) -> AcceptedDomain:
        fields = decode_props(record, PROPERTIES, "accepted domain")
        if "domain_name" not in fields:
            raise ModelDataError(f"The stored accepted domain {guid} has no DomainName.", "InvalidStoredData")
        fields.setdefault("name", fields["domain_name"])
        return cls(guid=guid, **fields)

    def to_properties(self) -> dict[str, Any]:
        props = {p.name: getattr(self, p.field) for p in PROPERTIES}
        props["Identity"] = self.name
        props["Guid"] = self.guid
        return props


PROPERTIES: tuple[Prop, ...] = (
    Prop("Name", "name", "str"),
    Prop("DomainName", "domain_name", "str"),
    Prop("DomainType", "domain_type", "AcceptedDomainType"),
    Prop("Default", "default", "bool"),
    Prop("AddressBookEnabled", "address_book_enabled", "bool"),
    Prop("MatchSubDomains", "match_subdomains", "bool"),
)


def find_accepted_domain(domains: Iterable[AcceptedDomain], domain: str) -> AcceptedDomain | None:
    """The accepted domain a recipient/sender domain falls in, most specific first; None = not ours
    (relay)."""
    best: AcceptedDomain | None = None
    best_key: tuple[int, int] | None = None
    for candidate in domains:
        key = candidate.specificity(domain)
        if key is not None and (best_key is None or key > best_key):
            best, best_key = candidate, key
    return best


def default_domain(domains: Iterable[AcceptedDomain]) -> AcceptedDomain | None:
    for d in domains:
        if d.default:
            return d
    return None


def find_domain_conflict(candidate: AcceptedDomain, others: Iterable[AcceptedDomain]) -> str | None:
    """Why `candidate` can't be added beside `others` (New-/Set-AcceptedDomain), or None: Name and
    DomainName are each unique in the organization. The object being changed (same GUID) is skipped."""
    for other in others:
        if other.guid == candidate.guid:
            continue
        if other.name.lower() == candidate.name.lower():
            return f'An accepted domain with the name "{candidate.name}" already exists.'
        if _clean(other.domain_name) == _clean(candidate.domain_name):
            return (
                f'The domain name "{candidate.domain_name}" is already used by the accepted domain '
                f'"{other.name}".'
            )
    return None
