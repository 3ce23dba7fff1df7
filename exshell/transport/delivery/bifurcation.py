"""A message's recipients split into one copy per next hop (Exchange's bifurcation): each copy (`GroupState`)
sits in its hop's queue and is delivered, retried and suspended on its own. Pure: the caller gives the new
queues their numbers and saves the state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from exshell.transport.delivery.queue import RETRY, SUSPENDED, GroupState, MessageState, RecipientState, to_iso
from exshell.transport.delivery.router import UNREACHABLE_KEY, Router

NO_CONNECTOR = (
    "451 4.4.0 DNS query failed; a matching connector cannot be found to route the external recipient"
)


def assign(
    state: MessageState, recipients: Sequence[str], router: Router, unreachable_retry: dt.datetime
) -> list[str]:
    """Route `recipients` and add each to the open copy for its next hop (a new copy when there is none, or
    only a suspended one). Returns the queue keys of the copies it created."""
    created = []
    for rcpt in recipients:
        hop = router.route(rcpt).hop
        group = next(
            (g for g in state.groups if g.queue == hop.key and not g.done and g.status != SUSPENDED), None
        )
        if group is None:
            group = GroupState(hop.key, hop.delivery_type, hop.next_hop_domain, hop.connector)
            if hop.key == UNREACHABLE_KEY:
                group.status, group.last_error, group.next_retry = RETRY, NO_CONNECTOR, to_iso(unreachable_retry)
            state.groups.append(group)
            created.append(hop.key)
        group.recipients.append(RecipientState(rcpt))
    return created


def reroute(
    state: MessageState,
    group: GroupState,
    router: Router,
    unreachable_retry: dt.datetime,
    only: Sequence[str] | None = None,
) -> list[str]:
    """Take the copy's pending recipients (or `only` those) out of it and route them again."""
    moving = [r.address for r in group.pending if only is None or r.address in only]
    group.recipients = [r for r in group.recipients if r.address not in moving]
    if not group.recipients:
        state.groups.remove(group)
    return assign(state, moving, router, unreachable_retry)
