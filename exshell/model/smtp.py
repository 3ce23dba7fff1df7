"""SmtpAddress and SmtpDomainWithSubdomains: Exchange's e-mail address and domain value types.

Exchange shows both as their text (`alice@contoso.com`, `contoso.com`, `*.contoso.com`, `*`); scripts read
their parts (`.Local`, `.Domain`, `.IncludeSubDomains`). The checks are RFC 5321's shape (one `@`, a
non-empty local part, a dotted domain of letters, digits and hyphens), not a mailbox lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")


def is_domain(text: str) -> bool:
    return len(text) <= 255 and bool(_DOMAIN.match(text))


@dataclass(frozen=True, slots=True)
class SmtpAddress:
    address: str

    @classmethod
    def parse(cls, text: str) -> SmtpAddress:
        address = text.strip()
        if "@" not in address:
            raise ValueError(f'"{address}" is not a valid SMTP address.')
        return cls(address)

    @property
    def local(self) -> str:
        return self.address.rpartition("@")[0]

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    @property
    def is_valid(self) -> bool:
        local, at, domain = self.address.rpartition("@")
        return bool(at) and bool(_LOCAL.match(local)) and not local.startswith(".") and is_domain(domain)

    def __str__(self) -> str:
        return self.address


@dataclass(frozen=True, slots=True)
class SmtpDomain:
    """A domain, optionally with its subdomains: `contoso.com`, `*.contoso.com`, or `*` (every domain)."""

    domain: str
    include_subdomains: bool = False

    @classmethod
    def parse(cls, text: str) -> SmtpDomain:
        value = text.strip().rstrip(".")
        if value == "*":
            return cls("", True)
        if value.startswith("*."):
            value, wild = value[2:], True
        else:
            wild = False
        if not is_domain(value):
            raise ValueError(f'"{text.strip()}" is not a valid SMTP domain.')
        return cls(value, wild)

    def match(self, domain: str) -> int:
        """SmtpDomainWithSubdomains.Match: -1 when `domain` is not covered, else how many labels matched
        (more is a closer match; `*` matches everything with 0)."""
        candidate = domain.strip().rstrip(".").lower()
        own = self.domain.lower()
        if not own:
            return 0 if self.include_subdomains else -1
        if candidate == own:
            return own.count(".") + 1
        if self.include_subdomains and candidate.endswith("." + own):
            return own.count(".") + 1
        return -1

    def __str__(self) -> str:
        if not self.domain:
            return "*"
        return f"*.{self.domain}" if self.include_subdomains else self.domain
