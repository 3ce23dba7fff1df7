"""RFC 5321 reverse-path / forward-path parsing, and the domains an address really routes to.

The relay decision must be taken on the REAL destination domain, so every old routing trick is made
visible here instead of being left for a later hop to interpret (the 16 probes of nmap's
smtp-open-relay script are the regression list, tests/transport/test_open_relay.py):

- Source routes (`<@a.example,@b.example:user@c.example>`): RFC 5321 §3.3 / Appendix C says to ignore
  the route and deliver to the final mailbox, so the destination is `c.example` and the route is kept
  only for the record.
- Percent hack (`user%other.example@accepted.example`) and bang paths
  (`other.example!user@accepted.example`): sendmail-heritage MTAs route on them, so the domains they
  name are returned as `hops`. Decision (documented for the policy): the recipient is local only when
  the final domain AND every hop match an accepted domain; otherwise it is relay and needs
  ms-Exch-SMTP-Accept-Any-Recipient. '%' and '!' count as hops even inside a quoted local part, since
  a downstream MTA sees the dequoted text.
- A quoted local part containing '@' (`"user@other.example"@accepted.example`) is just a local part
  (RFC 5321 §4.1.2 quoted-string); no MTA routes on a quoted '@', so the destination is the domain
  after the closing quote. An unquoted second '@' (`user@other.example@accepted.example`) is a syntax
  error.
- An address without a domain is invalid, except `<postmaster>` (RFC 5321 §4.5.1 requires it to be
  accepted) and the null reverse-path `<>`.
- Domains are normalized: lower case, trailing dot removed, IDN labels converted to punycode with the
  stdlib `idna` codec. Address literals (`[192.0.2.1]`, `[IPv6:...]`) are kept as written; they never
  match an accepted domain.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, field

_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_ATEXT = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-\x80-\U0010ffff]+$")
_PARAM_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
MAX_PATH = 256  # RFC 5321 §4.5.3.1.3


class AddressError(ValueError):
    """The path is not a valid RFC 5321 path; str() is the reason."""


@dataclass(frozen=True, slots=True)
class Path:
    """A parsed MAIL FROM / RCPT TO path."""

    raw: str  # as received between the angle brackets
    local: str = ""  # dequoted local part
    domain: str = ""  # normalized final domain; '' for <> and <postmaster>
    null: bool = False  # the null reverse-path <>
    literal: bool = False  # domain is an address literal
    source_route: tuple[str, ...] = ()
    hops: tuple[str, ...] = field(default=())  # domains named by '%' / '!' tricks in the local part

    @property
    def address(self) -> str:
        """The normalized address as stored in the envelope (`''` for <>)."""
        if self.null:
            return ""
        if not self.domain:
            return self.local
        return f"{_quote_local(self.local)}@{self.domain}"

    @property
    def is_postmaster(self) -> bool:
        return not self.domain and not self.null and self.local.lower() == "postmaster"

    @property
    def routing_domains(self) -> tuple[str, ...]:
        """Every domain this address would route through: the final domain first, then the hops."""
        return ((self.domain,) if self.domain else ()) + self.hops

    @property
    def uses_tricks(self) -> bool:
        return bool(self.hops or self.source_route)


def _quote_local(local: str) -> str:
    if local and _ATEXT.match(local) and ".." not in local and not local.startswith(".") and not local.endswith("."):
        return local
    return '"' + local.replace("\\", "\\\\").replace('"', '\\"') + '"'


def normalize_domain(text: str) -> str:
    """Lower-case, strip one trailing dot, punycode IDN labels; raise AddressError when invalid."""
    d = text.strip()
    if d.startswith("[") and d.endswith("]"):
        inner = d[1:-1]
        try:
            if inner[:5].lower() == "ipv6:":
                return "[IPv6:" + str(ipaddress.IPv6Address(inner[5:])) + "]"
            return "[" + str(ipaddress.IPv4Address(inner)) + "]"
        except ValueError:
            raise AddressError(f"invalid address literal {d}") from None
    if d.endswith("."):
        d = d[:-1]
    if not d:
        raise AddressError("empty domain")
    if not d.isascii():
        try:
            d = d.encode("idna").decode("ascii")
        except UnicodeError:
            raise AddressError(f"invalid international domain {text}") from None
    d = d.lower()
    if len(d) > 255:
        raise AddressError("domain too long")
    for label in d.split("."):
        if not _LABEL.match(label):
            raise AddressError(f"invalid domain {text}")
    return d


def split_argument(arg: str | None, keyword: str) -> tuple[str, dict[str, str | bool]]:
    """Split `FROM:<path> KEY=VAL ...` into the path text (between the brackets) and the parameters.

    `keyword` is 'FROM:' or 'TO:'. Parameter keys are upper-cased; a key without '=' maps to True.
    """
    if arg is None:
        raise AddressError("missing argument")
    text = arg.strip()
    if text[: len(keyword)].upper() != keyword:
        raise AddressError(f"expected {keyword}")
    text = text[len(keyword):].lstrip()
    if text.startswith("<"):
        end = _closing_bracket(text)
        path_text = text[1:end]
        rest = text[end + 1:]
        if rest and not rest[0].isspace():
            raise AddressError("text after the closing '>'")
    else:
        # Lenient: some devices send `MAIL FROM:user@host` without brackets.
        path_text, _, rest = text.partition(" ")
    params: dict[str, str | bool] = {}
    for item in rest.split():
        key, eq, value = item.partition("=")
        if not _PARAM_KEY.match(key) or (eq and not value):
            raise AddressError(f"invalid parameter {item}")
        params[key.upper()] = value if eq else True
    return path_text, params


def _closing_bracket(text: str) -> int:
    if '"' not in text:  # no quoted local part: the first '>' closes (one C-level search, the usual case)
        end = text.find(">", 1)
        if end < 0:
            raise AddressError("missing '>'")
        return end
    in_quote = False
    i = 1
    while i < len(text):
        c = text[i]
        if in_quote:
            if c == "\\":
                i += 1
            elif c == '"':
                in_quote = False
        elif c == '"':
            in_quote = True
        elif c == ">":
            return i
        i += 1
    raise AddressError("missing '>'")


def parse_path(text: str, *, allow_null: bool = False) -> Path:
    """Parse the text between the angle brackets of a path (see the module docstring for the rules)."""
    return _parse_path(text, allow_null)


@functools.lru_cache(maxsize=4096)  # pure, and Path is immutable: the same senders and recipients come back
def _parse_path(text: str, allow_null: bool) -> Path:
    raw = text
    if len(text) > MAX_PATH:
        raise AddressError("path too long")
    if text == "":
        if allow_null:
            return Path(raw="", null=True)
        raise AddressError("empty path")
    route: tuple[str, ...] = ()
    if text.startswith("@"):
        head, colon, text = text.partition(":")
        if not colon:
            raise AddressError("source route without ':'")
        hops = []
        for part in head.split(","):
            part = part.strip()
            if not part.startswith("@"):
                raise AddressError("invalid source route")
            hops.append(normalize_domain(part[1:]))
        route = tuple(hops)
    local, domain_text = _split_mailbox(text)
    if domain_text is None:
        if local.lower() == "postmaster" and not route:
            return Path(raw=raw, local=local)
        raise AddressError("address has no domain")
    domain = normalize_domain(domain_text)
    return Path(
        raw=raw,
        local=local,
        domain=domain,
        literal=domain.startswith("["),
        source_route=route,
        hops=_trick_hops(local),
    )


def _split_mailbox(text: str) -> tuple[str, str | None]:
    """Return (dequoted local part, domain text or None)."""
    if not text:
        raise AddressError("empty mailbox")
    if text.startswith('"'):
        out = []
        i = 1
        while True:
            if i >= len(text):
                raise AddressError("unterminated quoted local part")
            c = text[i]
            if c == "\\":
                if i + 1 >= len(text):
                    raise AddressError("bad escape")
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                break
            out.append(c)
            i += 1
        local = "".join(out)
        rest = text[i + 1:]
        if rest == "":
            return local, None
        if not rest.startswith("@"):
            raise AddressError("text after quoted local part")
        domain = rest[1:]
    else:
        local, at, domain = text.partition("@")
        if not at:
            if not _ATEXT.match(local):
                raise AddressError("invalid local part")
            return local, None
        if not local or not _ATEXT.match(local) or ".." in local or local.startswith(".") or local.endswith("."):
            raise AddressError("invalid local part")
    if "@" in domain:
        raise AddressError("more than one '@'")
    if domain.startswith("[") and not domain.endswith("]"):
        raise AddressError("invalid address literal")
    if len(local) > 64 * 4:
        raise AddressError("local part too long")
    return local, domain


def _trick_hops(local: str) -> tuple[str, ...]:
    """Domains named by the percent hack and bang paths inside a local part (see the module docstring)."""
    hops: list[str] = []
    bang_parts = local.split("!")
    for part in bang_parts[:-1]:
        hops.append(_hop_domain(part))
    last = bang_parts[-1]
    if "%" in last:
        for part in last.split("%")[1:]:
            hops.append(_hop_domain(part))
    return tuple(hops)


def _hop_domain(text: str) -> str:
    try:
        return normalize_domain(text)
    except AddressError:
        # An unparseable hop still names a foreign destination: keep it (it can never match an
        # accepted domain), so the address is treated as relay rather than silently as local.
        return "invalid-hop." + re.sub(r"[^a-z0-9-]", "-", text.lower())[:40] + ".invalid"
