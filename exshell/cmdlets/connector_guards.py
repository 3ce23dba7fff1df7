"""The risks a receive-connector change can carry, described in words an administrator acts on.

user-needs.md #2 (a -PermissionGroups value silently drops a group) and #9 (Accept-Any-Recipient for
anonymous on a connector open to the Internet: an open relay). The rights are computed with the same
functions the relay decision uses, so the warning and the engine can't disagree.
"""

from __future__ import annotations

from typing import Any
from exshell.model.config import RECEIVE_CONNECTORS

ACCEPT_ANY_RECIPIENT = "ms-Exch-SMTP-Accept-Any-Recipient"
SUBMIT = "ms-Exch-SMTP-Submit"

# Address space that isn't reachable from the Internet (RFC 1918, RFC 6598, loopback, link-local, ULA).
_NON_PUBLIC = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "::1",
    "fc00::/7",
    "fe80::/10",
)


def covers_public_space(rng: Any) -> bool:
    """True when some address of the range is public (not inside one of the non-public blocks)."""
    from exshell.model.ip import IPRange  # lazy: a model module loads with the objects it decodes

    blocks = [IPRange.parse(b) for b in _NON_PUBLIC]
    return not any(b.version == rng.version and b.contains_range(rng) for b in blocks)


def relay_principal_rights(rc: Any) -> tuple[str, bool]:
    """(principal of an unauthenticated session on rc, whether it may relay: it needs both Submit, to get
    past MAIL FROM, and Accept-Any-Recipient, to get past RCPT TO)."""
    # Lazy: a model module loads with the objects it decodes.
    from exshell.model.permissions import granted_rights, unauthenticated_principal

    principal = unauthenticated_principal(rc)
    rights = granted_rights(rc.all_aces(), [principal])
    return principal, SUBMIT in rights and ACCEPT_ANY_RECIPIENT in rights


def open_relay_risk(config: Any, before: Any, after: Any) -> str | None:
    """A warning when `after` lets unauthenticated hosts on public addresses relay and `before` did not."""
    principal, relays = relay_principal_rights(after)
    if not relays:
        return None
    public = [str(r) for r in after.remote_ip_ranges if covers_public_space(r)]
    if not public:
        return None
    if before is not None:
        _, relayed = relay_principal_rights(before)
        old_public = {str(r) for r in before.remote_ip_ranges if covers_public_space(r)}
        if relayed and set(public) <= old_public:
            return None
    # Lazy: a model module loads with the objects it decodes.
    from exshell.model.address_space import describe_hosts

    who = describe_hosts([r for r in after.remote_ip_ranges if covers_public_space(r)])
    return (
        f"This makes '{after.identity}' an OPEN RELAY: {principal} holds {ACCEPT_ANY_RECIPIENT} and the "
        f"connector accepts connections from public address space ({', '.join(public)}), so {who} could "
        f"relay through {after.name} to any domain without authenticating. Restrict RemoteIPRanges to the "
        "hosts that need to relay."
    )


def permission_loss(before: Any, after: Any) -> str | None:
    """Which rights each principal loses when PermissionGroups (or AuthMechanism) changes."""
    # Lazy: a model module loads with the objects it decodes.
    from exshell.model.permissions import effective_rights

    if before.permission_groups == after.permission_groups and before.auth_mechanism == after.auth_mechanism:
        return None
    principals: list[str] = []
    for ace in before.all_aces():
        if ace.user not in principals:
            principals.append(ace.user)
    lines = []
    for principal in principals:
        old = {r for r, g in effective_rights(before.all_aces(), [principal]).items() if g.granted}
        new = {r for r, g in effective_rights(after.all_aces(), [principal]).items() if g.granted}
        lost = [r for r in old if r not in new]
        if lost:
            lines.append(f"{principal} loses {', '.join(sorted(lost))}")
    if not lines:
        return None
    removed = [g for g in before.permission_groups.names if g not in after.permission_groups]
    head = (
        f"PermissionGroups replaces the whole set; {', '.join(removed)} would be removed from "
        f"'{before.identity}'" if removed else f"The change to '{before.identity}' removes rights"
    )
    return head + ": " + "; ".join(lines) + "."


# --------------------------------------------------------------------------- guards for the seam
# Each is (before, after, configuration) -> the risk in words, or None. A cmdlet computes it on the version it
# read (for the prompt and -WhatIf); the seam computes it again on the newest version inside the commit and
# refuses when it differs from what the administrator confirmed (exshell.config.operations.Guard).


def open_relay_guard(before: Any, after: Any, working: Any) -> str | None:
    return open_relay_risk(None, before, after)


def dropped_entries(prop: str, before: Any, after: Any) -> str | None:
    """A whole-list value that drops entries of the stored list (compared by each element's identity)."""
    # Lazy: only a change builds operations; a Get- never imports them.
    from exshell.config.kinds import kind_of

    kind = kind_of(RECEIVE_CONNECTORS)
    fld = kind.field_of(prop)
    key = kind.element_key(fld)
    current = list(getattr(before, fld))
    kept = {key(x) for x in getattr(after, fld)}
    dropped = [str(v) for v in current if key(v) not in kept]
    if not dropped:
        return None
    return (
        f"The {prop} value replaces the whole list and drops {len(dropped)} of its {len(current)} entries: "
        f"{', '.join(dropped)}. Use @{{Add=...}} to add entries."
    )


def connector_change_guard(replaced: tuple[str, ...]) -> Any:
    """The risks of Set-ReceiveConnector: entries dropped by a whole-list value of the `replaced`
    properties, rights lost by a PermissionGroups/AuthMechanism change, an open relay made."""

    def check(before: Any, after: Any, working: Any) -> str | None:
        risks = [r for r in (dropped_entries(p, before, after) for p in replaced) if r]
        loss = permission_loss(before, after)
        if loss:
            risks.append(loss)
        relay = open_relay_risk(None, before, after)
        if relay:
            risks.append(relay)
        return " ".join(risks) or None

    return check
