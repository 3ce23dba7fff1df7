"""Receive connector validation: the AuthMechanism rules (semantics.md §d), the value ranges of
New-/Set-ReceiveConnector (cmdlets.md §1.2), and the per-server binding/remote-range conflict rules (§e).

The exact Exchange texts for most violations are not documented [unverified]; messages follow the style of the
one that is (the ReceiveConnectorRoleConflictException text quoted in semantics.md §e).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from collections.abc import Iterable, Sequence

from exshell.model.enums import AuthMechanism, PermissionGroups
from exshell.model.ip import IPRange, RangeIndex
from exshell.model.size import ByteQuantifiedSize, Unlimited
from exshell.model.timespan import EnhancedTimeSpan

if TYPE_CHECKING:  # pragma: no cover
    from exshell.model.connector import ReceiveConnector

INT32_MAX = 2147483647

# ---------------------------------------------------------------------- AuthMechanism (§d)

AUTH_NONE_ALONE = "The authentication mechanism None can't be combined with other authentication mechanisms."
AUTH_BASIC_REQUIRE_TLS = (
    "The BasicAuthRequireTLS authentication mechanism requires both the BasicAuth and Tls authentication "
    "mechanisms."
)
AUTH_EXTERNAL_ONLY_TLS = (
    "The ExternalAuthoritative authentication mechanism can be combined only with the Tls authentication "
    "mechanism."
)
AUTH_REQUIRE_TLS = "RequireTLS can be set to $true only when the AuthMechanism parameter includes Tls."
AUTH_EXTERNAL_NEEDS_SERVERS = (
    "The ExternalAuthoritative authentication mechanism requires the ExchangeServers permission group."
)
AUTH_DOMAIN_SECURE = (
    "DomainSecureEnabled can be set to $true only when the AuthMechanism parameter includes Tls and doesn't "
    "include ExternalAuthoritative."
)


def validate_auth(
    auth: AuthMechanism | str | Iterable[str],
    groups: PermissionGroups | str | Iterable[str],
    require_tls: bool = False,
    domain_secure: bool = False,
) -> str | None:
    """The first violated AuthMechanism rule of New-/Set-ReceiveConnector (PS-NRC/PS-SRC), or None.

    1 None alone; 2 BasicAuthRequireTLS needs BasicAuth and Tls; 3 ExternalAuthoritative only with Tls;
    4 RequireTLS needs Tls; 5 ExternalAuthoritative needs the ExchangeServers group;
    6 DomainSecureEnabled needs Tls and excludes ExternalAuthoritative."""
    if not isinstance(auth, AuthMechanism):
        try:
            auth = AuthMechanism.parse(auth)
        except ValueError as exc:
            return AUTH_NONE_ALONE if "None" in str(exc) and "combined" in str(exc) else str(exc)
    groups = PermissionGroups.parse(groups)
    if "BasicAuthRequireTLS" in auth and not ("BasicAuth" in auth and "Tls" in auth):
        return AUTH_BASIC_REQUIRE_TLS
    if "ExternalAuthoritative" in auth and (auth - "Tls" - "ExternalAuthoritative"):
        return AUTH_EXTERNAL_ONLY_TLS
    if require_tls and "Tls" not in auth:
        return AUTH_REQUIRE_TLS
    if "ExternalAuthoritative" in auth and "ExchangeServers" not in groups:
        return AUTH_EXTERNAL_NEEDS_SERVERS
    if domain_secure and ("Tls" not in auth or "ExternalAuthoritative" in auth):
        return AUTH_DOMAIN_SECURE
    return None


# ---------------------------------------------------------------------- value ranges (cmdlets.md §1.2)

_DAY = EnhancedTimeSpan(86400.0)
_SECOND = EnhancedTimeSpan(1.0)
_ZERO = EnhancedTimeSpan(0.0)
_TEN_MINUTES = EnhancedTimeSpan(600.0)

# property, field, minimum, maximum, unlimited allowed
_INT_RANGES: tuple[tuple[str, str, int, int, bool], ...] = (
    ("MaxRecipientsPerMessage", "max_recipients_per_message", 1, 512000, False),
    ("MaxInboundConnection", "max_inbound_connection", 1, INT32_MAX, True),
    ("MaxInboundConnectionPerSource", "max_inbound_connection_per_source", 1, 10000, True),
    (
        "MaxInboundConnectionPercentagePerSource",
        "max_inbound_connection_percentage_per_source",
        1,
        100,
        False,
    ),
    ("MessageRateLimit", "message_rate_limit", 1, INT32_MAX, True),
    ("MaxLogonFailures", "max_logon_failures", 0, 10, False),
    ("MaxProtocolErrors", "max_protocol_errors", 0, INT32_MAX, True),
    ("MaxHopCount", "max_hop_count", 1, 500, False),
    ("MaxLocalHopCount", "max_local_hop_count", 0, 50, False),
)
_SIZE_RANGES: tuple[tuple[str, str, int, int], ...] = (
    ("MaxMessageSize", "max_message_size", 65536, INT32_MAX),
    ("MaxHeaderSize", "max_header_size", 1, INT32_MAX),
)
_TIME_RANGES: tuple[tuple[str, str, EnhancedTimeSpan, EnhancedTimeSpan], ...] = (
    ("ConnectionTimeout", "connection_timeout", _SECOND, _DAY),
    ("ConnectionInactivityTimeout", "connection_inactivity_timeout", _SECOND, _DAY),
    ("TarpitInterval", "tarpit_interval", _ZERO, _TEN_MINUTES),
    ("AuthTarpitInterval", "auth_tarpit_interval", _ZERO, _TEN_MINUTES),
    ("MaxAcknowledgementDelay", "max_acknowledgement_delay", _ZERO, _DAY),
)


def _out_of_range(prop: str, low: Any, high: Any) -> str:
    return f"The value of property '{prop}' must be between {low} and {high}."


def connector_problems(rc: ReceiveConnector) -> list[str]:
    """Every rule the connector breaks, in a stable order (empty when valid)."""
    problems: list[str] = []
    name = rc.name
    if not name or not name.strip():
        problems.append("The Name property can't be empty.")
    elif len(name) > 64:
        problems.append(f'The Name "{name}" is too long: a connector name can have at most 64 characters.')
    elif "\\" in name:
        problems.append(
            f'The Name "{name}" can\'t contain a backslash (\\): Identity is written SERVER\\Name.'
        )
    if not rc.bindings:
        problems.append(
            "The Bindings property can't be empty: specify at least one local IP address and port."
        )
    if not rc.remote_ip_ranges:
        problems.append("The RemoteIPRanges property can't be empty: specify at least one remote IP range.")
    auth_problem = validate_auth(
        rc.auth_mechanism, rc.permission_groups, rc.require_tls, rc.domain_secure_enabled
    )
    if auth_problem:
        problems.append(auth_problem)
    for prop, fld, low, high, unlimited in _INT_RANGES:
        value = getattr(rc, fld)
        number = value.number if isinstance(value, Unlimited) else value
        if number is not None and not low <= number <= high:
            problems.append(_out_of_range(prop, low, f"{high} or unlimited" if unlimited else high))
    for prop, fld, lo_bytes, hi_bytes in _SIZE_RANGES:
        size: ByteQuantifiedSize = getattr(rc, fld)
        if not lo_bytes <= size.bytes <= hi_bytes:
            problems.append(_out_of_range(prop, ByteQuantifiedSize(lo_bytes), ByteQuantifiedSize(hi_bytes)))
    for prop, fld, lo_time, hi_time in _TIME_RANGES:
        span: EnhancedTimeSpan = getattr(rc, fld)
        if not lo_time <= span <= hi_time:
            problems.append(_out_of_range(prop, lo_time, hi_time))
    if rc.connection_timeout <= rc.connection_inactivity_timeout:
        problems.append(
            f"The ConnectionTimeout value ({rc.connection_timeout}) must be greater than the "
            f"ConnectionInactivityTimeout value ({rc.connection_inactivity_timeout})."
        )
    if rc.binary_mime_enabled and not rc.chunking_enabled:
        problems.append("BinaryMimeEnabled can be $true only when ChunkingEnabled is $true.")
    if rc.banner is not None and rc.banner != "" and not rc.banner.startswith("220"):
        problems.append(f'The Banner "{rc.banner}" is invalid: a custom banner must start with 220.')
    return problems


def validate_connector(rc: ReceiveConnector) -> str | None:
    """The first problem of connector_problems, or None."""
    problems = connector_problems(rc)
    return problems[0] if problems else None


# ---------------------------------------------------------------------- conflicts between connectors (§e)

_CONFLICT_HEAD = (
    "The values that you specified for the Bindings and RemoteIPRanges parameters conflict with the "
    'settings on Receive connector "{identity}". '
)
ROLE_CONFLICT = _CONFLICT_HEAD + (
    "Receive connectors assigned to different Transport roles on a single server must listen on unique "
    "local IP address & port bindings."
)
DUPLICATE_CONFLICT = _CONFLICT_HEAD + (
    "A Receive connector must have a unique combination of a local IP address & port bindings and remote "
    "IP address ranges. Change at least one of these values."
)
OVERLAP_CONFLICT = _CONFLICT_HEAD + (
    "The remote IP range {mine} partially overlaps the range {theirs} on the same bindings: remote IP "
    "ranges of Receive connectors may overlap only when one range completely contains the other."
)


NAME_CONFLICT = (
    'A Receive connector named "{name}" already exists on server "{server}" ({identity}). Receive connector '
    "names must be unique on a server."
)


def find_conflict(candidate: ReceiveConnector, others: Iterable[ReceiveConnector]) -> str | None:
    """Why `candidate` can't coexist with the other connectors of its server, or None.

    - The same Name on the same server: Identity `SERVER\\Name` must name one connector.
    - Different TransportRole and a shared IP:port (a wildcard shares with every address of its family) →
      the ReceiveConnectorRoleConflictException text (QA-223977, P365-CONFLICT).
    - A binding in common and the same remote range on both → no unique winner (RC-2016 rule 1).
    - Overlapping bindings and remote ranges that overlap without one containing the other (rule 2).
    Nested ranges are fine: the most specific wins (the documented three-connector example).
    The connector being changed (same GUID) is skipped, so Set- can pass the whole server's list."""
    for other in others:
        if other.guid == candidate.guid or other.server.lower() != candidate.server.lower():
            continue
        if other.name.lower() == candidate.name.lower():
            return NAME_CONFLICT.format(name=candidate.name, server=other.server, identity=other.identity)
        overlapping = any(b.overlaps(o) for b in candidate.bindings for o in other.bindings)
        if not overlapping:
            continue
        if candidate.transport_role != other.transport_role:
            return ROLE_CONFLICT.format(identity=other.identity)
        shared = any(b == o for b in candidate.bindings for o in other.bindings)
        clash = range_clash(candidate.remote_ip_ranges, other.remote_ip_ranges, shared)
        if clash is not None:
            kind, mine, theirs = clash
            if kind == "duplicate":
                return DUPLICATE_CONFLICT.format(identity=other.identity)
            return OVERLAP_CONFLICT.format(identity=other.identity, mine=mine, theirs=theirs)
    return None


def range_clash(
    mine: Sequence[IPRange], theirs: Sequence[IPRange], shared: bool
) -> tuple[str, IPRange, IPRange] | None:
    """The first entry of `mine` that clashes with an entry of `theirs`: ('duplicate', m, t) for the same
    addresses (only when the connectors share a binding) or ('overlap', m, t) for a partial overlap.

    O((n + m) log m) so bulk-imported lists of thousands stay instant: a partial overlap of m and t means
    t starts before m and ends inside it (so t contains m.first) or starts inside m and ends after it (so t
    contains m.last); both are found by point lookups in a RangeIndex of `theirs`."""
    index: RangeIndex[IPRange] = RangeIndex((t, t) for t in theirs)
    for m in mine:
        for t, _ in index.lookup_value(m.version, m.first):
            if m.same_addresses(t):
                if shared:
                    return ("duplicate", m, t)
            elif t.first < m.first and t.last < m.last:
                return ("overlap", m, t)
        for t, _ in index.lookup_value(m.version, m.last):
            if t.first > m.first and t.last > m.last:
                return ("overlap", m, t)
    return None
