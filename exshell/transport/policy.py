"""The relay decision: one pure function family, no I/O (architecture.md "One decision function").

`PolicyIndex.build(config, server_name)` compiles one configuration version; `decide(index, local, remote_ip,
step, ...)` answers one SMTP step. The engine's session hooks, the Test-RelayPolicy cmdlet and the tests all
call the same `decide`.

Connector selection (semantics.md §e): candidates are this server's enabled connectors with a binding on the
exact local `IP:port`; only when none of those covers the client do the wildcard (`0.0.0.0:port` /
`[::]:port`) connectors of the address family count. Among the candidates the most specific RemoteIPRanges
entry containing the client wins (fewest addresses; a RangeIndex lookup, O(log n)).

Rules per step (semantics.md §c and the appendix checklist, in Exchange's order):
- connect: no connector covers the client -> 421 4.3.2 and close; MaxInboundConnection /
  MaxInboundConnectionPerSource exceeded -> 421 4.3.2 "maximum number of concurrent connections".
- mail: no ms-Exch-SMTP-Submit -> 530 5.7.1; SIZE= above MaxMessageSize without
  ms-Exch-Bypass-Message-Size-Limit -> 552 5.3.4; an authenticated user sending as an address that isn't its
  own without ms-Exch-SMTP-Accept-Any-Sender -> 550 5.7.1 "Client does not have permissions to send as this
  sender" (the send-as check; tls-auth.md §1.5); otherwise a sender in an Authoritative accepted domain
  without ms-Exch-SMTP-Accept-Authoritative-Domain-Sender -> 550 5.7.1 (anonymous wording for ANONYMOUS
  LOGON).
- rcpt: a recipient whose final domain or any routing hop (address.py) matches no accepted domain, without
  ms-Exch-SMTP-Accept-Any-Recipient -> 550 5.7.1 Unable to relay (5.7.54 in '2016' reply style); more than
  MaxRecipientsPerMessage -> 452 4.5.3.
- data_end: the message size against MaxMessageSize (same bypass right) -> 552 5.3.4; an authenticated
  user's header From that isn't its own (same send-as rule) -> 550 5.7.1.
Failure replies to sessions that are neither authenticated nor externally secured carry the connector's
TarpitInterval as `Decision.tarpit` (the caller sleeps that long before replying; PS-NRC TarpitInterval).
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Iterable, Mapping

from exshell.model import permissions as perms
from exshell.model.domain import find_accepted_domain
from exshell.model.ip import RangeIndex
from exshell.model.mailbox import MailboxDirectory
from exshell.transport import replies as R
from exshell.transport.address import AddressError, Path, parse_path
from exshell.transport.headers import rfc2822_now

STEPS = ("connect", "mail", "rcpt", "data_end")

RIGHT_SUBMIT = "ms-Exch-SMTP-Submit"
RIGHT_ANY_RECIPIENT = "ms-Exch-SMTP-Accept-Any-Recipient"
RIGHT_AUTHORITATIVE_SENDER = "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender"
RIGHT_ANY_SENDER = "ms-Exch-SMTP-Accept-Any-Sender"
RIGHT_BYPASS_SIZE = "ms-Exch-Bypass-Message-Size-Limit"
RIGHT_AUTH_FLAG = "ms-Exch-SMTP-Accept-Authentication-Flag"
RIGHT_BYPASS_ANTISPAM = "ms-Exch-Bypass-Anti-Spam"


# --------------------------------------------------------------------------- small adapters over model values


def _name_of(value: Any) -> str:
    return str(getattr(value, "name", None) or value)


def _limit(value: Any) -> int | None:
    """Bytes / count of a ByteQuantifiedSize, Unlimited (None = unlimited) or int."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if hasattr(value, "bytes"):
        return int(value.bytes)
    if hasattr(value, "value"):
        return _limit(value.value)
    return int(value)


def _seconds(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    return float(getattr(value, "seconds", 0.0))


def _collection(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return list(value.values())
    return list(value)


def _setting(settings: Any, key: str, default: Any) -> Any:
    if settings is None:
        return default
    if isinstance(settings, Mapping):
        for k in (key, "".join(p.capitalize() for p in key.split("_"))):
            if k in settings:
                return settings[k]
        return default
    return getattr(settings, key, default)


@functools.lru_cache(maxsize=8192)
def _host(addr: str) -> str:
    """Normalize a socket address: IPv4-mapped IPv6 -> IPv4, zone index dropped. Cached: the same few local
    addresses and client hosts come back on every connection."""
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


# --------------------------------------------------------------------------- the decision


@dataclass(frozen=True, slots=True)
class Decision:
    connector: Any  # ReceiveConnector | None
    losers: list[tuple[Any, str]]
    principal: str | None
    rights: dict[str, Any]  # right -> RightGrant
    verdict: str  # 'accept' | 'reject' | 'defer' | 'drop'
    reply: R.Reply
    why: str | Callable[[], str]  # the reason, or what makes it: an accepted step's reason is rarely read
    step: str = "connect"
    tarpit: float = 0.0  # seconds to wait before sending a failure reply
    path: Path | None = None  # the parsed sender / recipient, when the step had one

    @property
    def reason(self) -> str:
        """Why, in words (refusals are logged with it; Test-RelayPolicy shows it). Built when asked: the engine
        reads it only for a refusal, and formatting it for every accepted step cost ~12 % of a session's CPU."""
        why = self.why
        return why if isinstance(why, str) else why()

    @property
    def accepted(self) -> bool:
        return self.verdict == "accept"

    def granted(self, right: str) -> bool:
        g = self.rights.get(right)
        return bool(g is not None and g.granted)

    @property
    def granted_rights(self) -> frozenset[str]:
        return frozenset(r for r, g in self.rights.items() if g.granted)


@dataclass(frozen=True, slots=True)
class ConnectorFacts:
    """What `decide` reads from a connector on every step, derived once per configuration version."""

    identity: str
    guid: str
    principal: str  # who an unauthenticated session acts as (permissions.unauthenticated_principal)
    tarpit: float  # TarpitInterval in seconds
    max_connections: int | None
    max_per_source: int | None
    max_size: int | None
    max_recipients: int | None

    @classmethod
    def of(cls, c: Any) -> "ConnectorFacts":
        return cls(
            identity=c.identity,
            guid=str(c.guid),
            principal=perms.unauthenticated_principal(c),
            tarpit=_seconds(getattr(c, "tarpit_interval", 0)),
            max_connections=_limit(getattr(c, "max_inbound_connection", None)),
            max_per_source=_limit(getattr(c, "max_inbound_connection_per_source", None)),
            max_size=_limit(getattr(c, "max_message_size", None)),
            max_recipients=_limit(getattr(c, "max_recipients_per_message", None)),
        )


@dataclass(frozen=True, slots=True)
class Selection:
    connector: Any
    matched_range: Any
    losers: list[tuple[Any, str]] = field(default_factory=list)


class PolicyIndex:
    """One configuration version compiled for one server. Immutable after build (caches are pure)."""

    def __init__(
        self,
        *,
        version: int,
        server_name: str,
        server_fqdn: str,
        connectors: list[Any],
        accepted_domains: list[Any],
        settings: Any,
        mailboxes: Iterable[Any] = (),
        certificates: Iterable[Any] = (),
        domain: str | None = None,
    ) -> None:
        self.version = version
        self.server_name = server_name
        self.server_fqdn = server_fqdn
        self.connectors = tuple(connectors)  # this server's enabled connectors
        self.accepted_domains = tuple(accepted_domains)
        self.settings = settings
        self.mailboxes = tuple(mailboxes)
        self.directory = MailboxDirectory(self.mailboxes)
        self.certificates = tuple(certificates)
        # connector GUID -> transport.tls.TlsChoice, filled by the engine when it compiles a version (the
        # SSLContexts need key files); empty for diagnostics, which ask tls_certificate() instead.
        self.tls: dict[str, Any] = {}
        self.keys: Any = None  # the engine's store.keystore.KeyStore (sealed mailbox password hashes)
        # The NetBIOS domain that names authenticated users (`CONTOSO\copier`), from the server's DNS domain.
        self.netbios_domain = perms.netbios_name(domain or (server_fqdn.split(".", 1)[1] if "." in server_fqdn
                                                            else "exshell.local"))
        style = str(_setting(settings, "relay_reply_style", "2007"))
        self.relay_reply = R.UNABLE_TO_RELAY_2016 if style == "2016" else R.UNABLE_TO_RELAY
        self.tarpit_enabled = bool(_setting(settings, "tarpit_enabled", True))
        self.recipient_validation = bool(_setting(settings, "recipient_validation_enabled", False))
        # Organization limits (Set-TransportConfig): the lower of these and the connector's applies.
        self.org_max_receive = _limit(_setting(settings, "max_receive_size", None))
        self.org_max_recipients = _limit(_setting(settings, "max_recipient_envelope_limit", None))
        self.local_hosts: frozenset[str] = frozenset()  # FQDNs/names of this organization's servers (hop counts)
        specific: dict[tuple[str, int], list[tuple[Any, Any]]] = {}
        wildcard: dict[tuple[int, int], list[tuple[Any, Any]]] = {}
        for c in self.connectors:
            for b in c.bindings:
                items = [(r, c) for r in c.remote_ip_ranges]
                if b.is_wildcard:
                    wildcard.setdefault((b.version, b.port), []).extend(items)
                else:
                    specific.setdefault((_host(b.address), b.port), []).extend(items)
        self._specific = {k: RangeIndex(v) for k, v in specific.items()}
        self._wildcard = {k: RangeIndex(v) for k, v in wildcard.items()}
        self._rights: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
        self._selections: dict[tuple[str, int, str], Selection] = {}
        self._facts = {id(c): ConnectorFacts.of(c) for c in self.connectors}
        self._granted: dict[int, frozenset[str]] = {}  # id(a dict in _rights) -> its granted right names
        self._domains: dict[str, Any] = {}  # domain -> its accepted domain (or None): pure, bounded
        self._accepted: dict[tuple[Any, ...], Decision] = {}  # see accepted_decision: pure, bounded
        # What the index's users derive from one version once, e.g. session.SessionFacts per connector id;
        # it lives and dies with the version, so a reload never serves stale facts.
        self.derived: dict[Any, Any] = {}

    # ---- building
    @classmethod
    def build(cls, config: Any, server_name: str, version: int = 0, certificates: Iterable[Any] = ()) -> "PolicyIndex":
        server_fqdn = server_name
        domain = None
        for s in _collection(getattr(config, "servers", None)):
            if str(getattr(s, "name", "")).lower() == server_name.lower():
                server_fqdn = getattr(s, "fqdn", None) or server_name
                server_name = s.name
                domain = getattr(s, "domain", None)
                break
        connectors = [
            c
            for c in _collection(config.receive_connectors)
            if str(c.server).lower() == server_name.lower() and c.enabled
        ]
        connectors.sort(key=lambda c: str(c.name).lower())
        local = {server_fqdn.lower(), server_name.lower()}
        for s in _collection(getattr(config, "servers", None)):
            local |= {str(getattr(s, "name", "")).lower(), str(getattr(s, "fqdn", "") or "").lower()}
        for c in _collection(config.receive_connectors):
            if getattr(c, "fqdn", None):
                local.add(str(c.fqdn).lower())
        index = cls(
            version=version,
            server_name=server_name,
            server_fqdn=server_fqdn,
            connectors=connectors,
            accepted_domains=_collection(config.accepted_domains),
            settings=(config.settings_for(server_name) if hasattr(config, "settings_for")
                      else getattr(config, "settings", None)),
            mailboxes=_collection(getattr(config, "mailboxes", None)),
            certificates=certificates,
            domain=domain,
        )
        index.local_hosts = frozenset(h for h in local if h)
        return index

    # ---- what the listener manager needs
    def bindings(self) -> dict[Any, list[Any]]:
        """Every binding of an enabled connector of this server -> the connectors on it."""
        out: dict[Any, list[Any]] = {}
        for c in self.connectors:
            for b in c.bindings:
                out.setdefault(b, []).append(c)
        return out

    def tls_certificate(self, connector: Any) -> tuple[Any, str]:
        """The certificate STARTTLS presents on `connector`, and why; (None, why) when STARTTLS isn't offered."""
        from exshell.model.certificate import select_for_connector  # lazy: only STARTTLS reads certificates

        if connector is None or "Tls" not in connector.auth_mechanism:
            return None, "Tls is not in the connector's AuthMechanism"
        return select_for_connector(self.certificates, self.server_name, self.fqdn_of(connector),
                                    getattr(connector, "tls_certificate_name", None))

    def fqdn_of(self, connector: Any) -> str:
        return (getattr(connector, "fqdn", None) or self.server_fqdn) if connector is not None else self.server_fqdn

    # ---- connector selection
    def select(self, local: tuple[str, int], remote_ip: str, *, explain: bool = False) -> Selection:
        local_ip = _host(local[0])
        port = int(local[1])
        remote = _host(remote_ip)
        key = (local_ip, port, remote)
        if not explain:
            cached = self._selections.get(key)
            if cached is not None:
                return cached
        version = 6 if ":" in local_ip else 4
        winner: Any = None
        matched: Any = None
        spec = self._specific.get((local_ip, port))
        if spec is not None:
            best = spec.best(remote)
            if best is not None:
                matched, winner = best
        if winner is None:
            wild = self._wildcard.get((version, port))
            if wild is not None:
                best = wild.best(remote)
                if best is not None:
                    matched, winner = best
        losers = self._explain_losers(local_ip, port, remote, winner, matched) if explain else []
        sel = Selection(winner, matched, losers)
        if not explain:
            if len(self._selections) > 65536:
                self._selections.clear()
            self._selections[key] = sel
        return sel

    def _explain_losers(self, local_ip: str, port: int, remote: str, winner: Any, matched: Any) -> list[tuple[Any, str]]:
        losers: list[tuple[Any, str]] = []
        for c in self.connectors:
            if c is winner:
                continue
            on_endpoint = [b for b in c.bindings if b.accepts(local_ip, port)]
            if not on_endpoint:
                continue
            binding = on_endpoint[0]
            ranges = [r for r in c.remote_ip_ranges if r.contains(remote)]
            if not ranges:
                losers.append((c, f"RemoteIPRanges of {c.identity} do not include {remote}"))
                continue
            mine = min(ranges, key=lambda r: r.size)
            winner_specific = winner is not None and any(
                (not b.is_wildcard) and b.accepts(local_ip, port) for b in winner.bindings
            )
            if winner_specific and binding.is_wildcard:
                losers.append(
                    (c, f"{c.identity} listens on the wildcard {binding}; {winner.identity} is bound to the "
                        f"specific address {local_ip}:{port}, which is tried first")
                )
            elif winner is not None:
                losers.append(
                    (c, f"{c.identity} matches {remote} with {mine} ({mine.size:,} addresses); "
                        f"{winner.identity} matches with the more specific {matched} ({matched.size:,})")
                )
        return losers

    def facts(self, connector: Any) -> ConnectorFacts:
        # keyed by identity: the index holds its connectors, so an id found here is that very object
        got = self._facts.get(id(connector))
        return got if got is not None else ConnectorFacts.of(connector)  # a connector from outside this index

    # ---- principals and rights
    def principal_for(self, connector: Any, authenticated_as: str | None = None) -> str:
        if authenticated_as:
            return authenticated_as
        if connector is None:
            return perms.ANONYMOUS
        return self.facts(connector).principal

    def rights_for(self, connector: Any, principal: str, authenticated_as: str | None = None) -> dict[str, Any]:
        principals: tuple[str, ...] = (principal,)
        if authenticated_as and principal == authenticated_as:
            principals = (principal, perms.AUTHENTICATED_USERS)
        key = (self.facts(connector).guid, principals)
        got = self._rights.get(key)
        if got is None:
            got = dict(perms.effective_rights(connector.all_aces(), principals))
            self._rights[key] = got
            self._granted[id(got)] = frozenset(r for r, g in got.items() if g.granted)
        return got

    def granted_names(self, rights: Mapping[str, Any]) -> frozenset[str]:
        """`Decision.granted_rights` for a rights dict of this index, computed once per dict (it is kept in
        `_rights`, so its id is stable)."""
        got = self._granted.get(id(rights))
        return got if got is not None else frozenset(r for r, g in rights.items() if g.granted)

    def accepted_decision(self, key: tuple[Any, ...], make: Callable[[], Decision]) -> Decision:
        """An accepted step's Decision, built once per `key`. `decide` keys it by everything the accepted
        Decision holds (connector, principal, rights, parsed path by identity: the cached Decision keeps the
        path alive, so its id is not reused; the banner's second at connect) and nothing only a refusal reads
        (sizes, counts). Decision is immutable, so sessions share it; building one cost ~3 us (a frozen
        dataclass sets each of its ten fields through object.__setattr__), four times per message."""
        got = self._accepted.get(key)
        if got is None:
            if len(self._accepted) > 65536:  # paths come from clients: keep the cache bounded
                self._accepted.clear()
            got = self._accepted[key] = make()
        return got

    # ---- domains
    def accepted_domain(self, domain: str) -> Any:
        if not domain or domain.startswith("["):
            return None
        try:
            return self._domains[domain]
        except KeyError:
            pass
        found = find_accepted_domain(self.accepted_domains, domain)
        if len(self._domains) > 65536:  # domains come from clients: keep the cache bounded
            self._domains.clear()
        self._domains[domain] = found
        return found

    def is_authoritative(self, domain: str) -> bool:
        d = self.accepted_domain(domain)
        return d is not None and _name_of(d.domain_type).lower() == "authoritative"

    def default_domain(self) -> str:
        for d in self.accepted_domains:
            if getattr(d, "default", False):
                return str(d.domain_name).lstrip("*.")
        return self.server_fqdn

    def greeting(self, connector: Any, now: str | None = None) -> R.Reply:
        """The 220 banner: the connector's Banner (which must start with 220) or Exchange's default."""
        banner = getattr(connector, "banner", None) if connector is not None else None
        if banner:
            text = str(banner)
            return R.Reply(220, text[3:].strip() if text.startswith("220") else text)
        when = now or rfc2822_now()
        return R.Reply(220, f"{self.fqdn_of(connector)} Microsoft ESMTP MAIL Service ready at {when}")


# --------------------------------------------------------------------------- decide


def decide(
    index: PolicyIndex,
    local: tuple[str, int],
    remote_ip: str,
    step: str,
    *,
    principal: str | None = None,
    sender: str | Path | None = None,
    recipient: str | Path | None = None,
    size: int | None = None,
    recipients_so_far: int = 0,
    authenticated_as: str | None = None,
    send_as: frozenset[str] | None = None,
    header_from: str | None = None,
    active_connections: int = 0,
    active_from_source: int = 0,
    explain: bool = False,
) -> Decision:
    """Answer one SMTP step for a client `remote_ip` connected to `local` (ip, port). Pure.

    `active_connections` / `active_from_source` are the sessions already open on the chosen connector
    (all sources / this source), for the connect step's connection limits. `explain` fills `losers`.
    `authenticated_as` is the principal of an SMTP AUTH logon (`CONTOSO\\copier`); its rights are its own ACEs
    plus NT AUTHORITY\\Authenticated Users'. `send_as` is the addresses it may send as (its own; the send-as
    check runs at MAIL FROM and, with `header_from`, at the end of DATA unless it holds
    ms-Exch-SMTP-Accept-Any-Sender).
    """
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}; expected one of {', '.join(STEPS)}")
    sel = index.select(local, remote_ip, explain=explain)
    c = sel.connector
    if c is None:
        remote = _host(remote_ip)
        return Decision(
            None, sel.losers, None, {}, "drop", R.SERVICE_NOT_AVAILABLE,
            f"no enabled receive connector of {index.server_name} listening on {_endpoint(local)} accepts "
            f"{remote} in its RemoteIPRanges",
            step,
        )
    facts = index.facts(c)
    who = principal or authenticated_as or facts.principal
    rights = index.rights_for(c, who, authenticated_as)
    losers = sel.losers
    # Accepted steps carry their reason as a function (Decision.reason builds it when asked); refusals are
    # logged anyway, so they say it at once.
    ident = facts.identity

    def refuse(verdict: str, reply: R.Reply, reason: str, path: Path | None = None) -> Decision:
        tarpit = 0.0
        if step != "connect" and index.tarpit_enabled and who == perms.ANONYMOUS and not authenticated_as:
            tarpit = facts.tarpit
        return Decision(c, losers, who, rights, verdict, reply, reason, step, tarpit, path)

    if step == "connect":
        max_conn = facts.max_connections
        if max_conn is not None and active_connections >= max_conn:
            return refuse("drop", R.TOO_MANY_CONNECTIONS,
                          f"{ident} already has {active_connections} connections (MaxInboundConnection {max_conn})")
        per_source = facts.max_per_source
        if per_source is not None and active_from_source >= per_source:
            return refuse("drop", R.TOO_MANY_CONNECTIONS,
                          f"{_host(remote_ip)} already has {active_from_source} connections to {ident} "
                          f"(MaxInboundConnectionPerSource {per_source})")

        def served() -> str:
            where = f" (RemoteIPRanges entry {sel.matched_range})" if sel.matched_range is not None else ""
            return f"{_host(remote_ip)} connected to {_endpoint(local)} is served by {ident}{where} as {who}"

        if explain:
            return Decision(c, losers, who, rights, "accept", index.greeting(c), served, step)
        now = rfc2822_now()  # the banner carries the time: one Decision per second and client
        return index.accepted_decision(
            ("connect", local, remote_ip, who, id(rights), now),
            lambda: Decision(c, losers, who, rights, "accept", index.greeting(c, now), served, step))

    max_size = facts.max_size
    size_exceeded = size is not None and max_size is not None and size > max_size
    org_size = index.org_max_receive
    org_exceeded = size is not None and org_size is not None and size > org_size

    if step == "mail":
        try:
            path = sender if isinstance(sender, Path) else parse_path(sender or "", allow_null=True)
        except AddressError as e:
            return refuse("reject", R.INVALID_SENDER, f"the sender <{sender}> is not a valid address: {e}")
        if not _has(rights, RIGHT_SUBMIT):
            return refuse("reject", R.NOT_AUTHENTICATED, f"{who} lacks {RIGHT_SUBMIT} on {ident}", path)
        if size_exceeded and not _has(rights, RIGHT_BYPASS_SIZE):
            return refuse("reject", R.SIZE_EXCEEDED,
                          f"declared SIZE {size:,} exceeds MaxMessageSize {max_size:,} bytes of {ident} and {who} "
                          f"lacks {RIGHT_BYPASS_SIZE}", path)
        if org_exceeded and not _has(rights, RIGHT_BYPASS_SIZE):
            return refuse("reject", R.SIZE_EXCEEDED,
                          f"declared SIZE {size:,} exceeds the organization's MaxReceiveSize {org_size:,} bytes", path)
        if authenticated_as:
            if not path.null and not _has(rights, RIGHT_ANY_SENDER) \
                    and path.address.lower() not in (send_as or frozenset()):
                return refuse("reject", R.CANNOT_SEND_AS,
                              f"{who} may send only as its own addresses and lacks {RIGHT_ANY_SENDER} on {ident}: "
                              f"<{path.address}> is not one of them", path)
            return _accept(index, explain, ("mail-auth", id(c), who, id(rights), id(path)), lambda: Decision(
                c, losers, who, rights, "accept", R.SENDER_OK,
                lambda: f"{who} may submit on {ident} as <{path.address}>", step, 0.0, path))
        if not path.null and path.domain and index.is_authoritative(path.domain) \
                and not _has(rights, RIGHT_AUTHORITATIVE_SENDER):
            reply = R.ANONYMOUS_CANNOT_SEND_AS if who == perms.ANONYMOUS else R.CANNOT_SEND_AS
            return refuse("reject", reply,
                          f"sender domain {path.domain} is an authoritative accepted domain and {who} lacks "
                          f"{RIGHT_AUTHORITATIVE_SENDER} on {ident}", path)
        return _accept(index, explain, ("mail", id(c), who, id(rights), id(path)), lambda: Decision(
            c, losers, who, rights, "accept", R.SENDER_OK, lambda: f"{who} may submit on {ident}", step, 0.0, path))

    if step == "rcpt":
        try:
            path = recipient if isinstance(recipient, Path) else parse_path(recipient or "")
        except AddressError as e:
            return refuse("reject", R.INVALID_RECIPIENT, f"the recipient <{recipient}> is not a valid address: {e}")
        domains = path.routing_domains or (index.default_domain(),)  # <postmaster>: the default domain
        foreign = [d for d in domains if index.accepted_domain(d) is None]
        if foreign and not _has(rights, RIGHT_ANY_RECIPIENT):
            d = foreign[0]
            how = "" if d == path.domain else " (named inside the address as a routing hop)"
            return refuse("reject", index.relay_reply,
                          f"recipient domain {d}{how} matches no accepted domain and {who} lacks "
                          f"{RIGHT_ANY_RECIPIENT} on {ident}", path)
        max_rcpt = facts.max_recipients
        org_rcpt = index.org_max_recipients
        if org_rcpt is not None and (max_rcpt is None or org_rcpt < max_rcpt) and recipients_so_far >= org_rcpt:
            return refuse("defer", R.TOO_MANY_RECIPIENTS,
                          f"the message already has {recipients_so_far} recipients "
                          f"(the organization's MaxRecipientEnvelopeLimit {org_rcpt})", path)
        if max_rcpt is not None and recipients_so_far >= max_rcpt:
            return refuse("defer", R.TOO_MANY_RECIPIENTS,
                          f"the message already has {recipients_so_far} recipients "
                          f"(MaxRecipientsPerMessage {max_rcpt} on {ident})", path)
        if not foreign and index.recipient_validation and path.domain:
            accepted = index.accepted_domain(path.domain)
            if (accepted is not None and str(accepted.domain_type) == "Authoritative"
                    and accepted.address_book_enabled and index.directory.find_by_address(path.address) is None):
                return refuse("reject", R.USER_UNKNOWN,
                              f"{path.address} is in the authoritative domain {accepted.domain_name} but no mailbox "
                              "has that address (recipient validation is on)", path)

        def why() -> str:
            if foreign:
                return f"relay to {', '.join(foreign)} allowed: {who} holds {RIGHT_ANY_RECIPIENT} on {ident}"
            return f"{', '.join(domains)} {'is an' if len(domains) == 1 else 'are'} accepted domain(s): not relay"

        return _accept(index, explain, ("rcpt", id(c), who, id(rights), id(path)),
                       lambda: Decision(c, losers, who, rights, "accept", R.RECIPIENT_OK, why, step, 0.0, path))

    # data_end
    if size_exceeded and not _has(rights, RIGHT_BYPASS_SIZE):
        return refuse("reject", R.SIZE_EXCEEDED,
                      f"message size {size:,} exceeds MaxMessageSize {max_size:,} bytes of {ident} and {who} lacks "
                      f"{RIGHT_BYPASS_SIZE}")
    if org_exceeded and not _has(rights, RIGHT_BYPASS_SIZE):
        return refuse("reject", R.SIZE_EXCEEDED,
                      f"message size {size:,} exceeds the organization's MaxReceiveSize {org_size:,} bytes")
    if authenticated_as and header_from and not _has(rights, RIGHT_ANY_SENDER) \
            and header_from.lower() not in (send_as or frozenset()):
        return refuse("reject", R.CANNOT_SEND_AS,
                      f"the header From <{header_from}> is not an address of {who}, which lacks {RIGHT_ANY_SENDER} "
                      f"on {ident}")
    return _accept(index, explain, ("data_end", id(c), who, id(rights)), lambda: Decision(
        c, losers, who, rights, "accept", R.QUEUED, lambda: f"message accepted on {ident}", step))


def _accept(index: PolicyIndex, explain: bool, key: tuple[Any, ...], make: Callable[[], Decision]) -> Decision:
    """An accepted step's Decision: shared through the index, except when explaining (it lists the losers)."""
    return make() if explain else index.accepted_decision(key, make)


def _has(rights: Mapping[str, Any], right: str) -> bool:
    g = rights.get(right)
    return bool(g is not None and g.granted)


def _endpoint(local: tuple[str, int]) -> str:
    return f"{_host(local[0])}:{local[1]}"


def receive_limit(index: PolicyIndex, connector: Any, bypass: bool = False) -> int | None:
    """The message size a connector takes: the lower of its MaxMessageSize and the organization's
    MaxReceiveSize; None = unlimited, as for a session holding ms-Exch-Bypass-Message-Size-Limit (which
    bypasses "message-size limits", RELAY: both)."""
    if bypass:
        return None
    limits = [index.org_max_receive, _limit(getattr(connector, "max_message_size", None))]
    known = [x for x in limits if x is not None]
    return min(known) if known else None


def log_flags(rights: Mapping[str, Any]) -> str:
    """The `Set Session Permissions` flag list of the protocol log (QA-179653 spelling and order)."""
    return perms.log_flags(r for r, g in rights.items() if getattr(g, "granted", False))
