"""What an attempt's outcome leaves outside the queue: the engine's counters (`exshell serve --metrics`) and one
console/log line per delivered, deferred or bounced copy (`exshell serve --log-level`)."""

from __future__ import annotations

import datetime as dt
import logging

from exshell.transport import metrics
from exshell.transport.delivery.outcome import FAIL, OK, RETRY, AttemptOutcome, RecipientResult
from exshell.transport.delivery.queue import GroupState, MessageState, from_iso

log = logging.getLogger("exshell.transport.delivery")

_RESULT = {OK: "delivered", FAIL: "bounced", RETRY: "deferred"}


def count(state: MessageState, group: GroupState, outcome: AttemptOutcome, now: dt.datetime) -> None:
    """Delivery attempts per recipient and, for the delivered ones, the latency since acceptance."""
    hop = group.connector or group.next_hop_domain
    received = from_iso(state.date_received)
    for r in outcome.results:
        metrics.DELIVERY_ATTEMPTS.inc(next_hop=hop, result=_RESULT[r.kind])
        if r.kind == OK and received is not None:
            metrics.DELIVERY_LATENCY.observe(max(0.0, (now - received).total_seconds()), next_hop=hop)


def write(state: MessageState, group: GroupState, outcome: AttemptOutcome) -> None:
    by_kind: dict[str, list[RecipientResult]] = {}
    for r in outcome.results:
        by_kind.setdefault(r.kind, []).append(r)
    where = group.connector or group.next_hop_domain
    for kind, found in by_kind.items():
        first, who = found[0], ", ".join(r.address for r in found)
        if kind == OK:
            log.info("delivered <%s> (InternalId %s) to %s via %s%s", state.message_id, state.id, who, where,
                     f" [{first.remote}]" if first.remote else "")
        elif kind == RETRY:
            log.warning("deferred <%s> (InternalId %s) for %s via %s: %s", state.message_id, state.id, who,
                        where, first.reply)
        else:
            log.warning("bounced <%s> (InternalId %s) for %s via %s: %s", state.message_id, state.id, who, where,
                        first.reply)
