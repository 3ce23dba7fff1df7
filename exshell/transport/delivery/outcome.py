"""What one delivery attempt found out, per recipient (typed), and what it writes to the message tracking log
(Exchange's event ids and sources, MT in cmdlets.md §7.4): DELIVER (STOREDRIVER) for a mailbox, SEND (SMTP,
with the connector and the remote host) for a send connector, FAIL for permanent failures, DEFER for
transient ones. Pure: the service applies outcomes to the ledger and writes the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from exshell.transport.delivery.queue import GroupState, MessageState
from exshell.transport.delivery.router import MAILBOX

Kind = Literal["ok", "fail", "retry"]
OK: Kind = "ok"  # the destination took it (2xx)
FAIL: Kind = "fail"  # permanent: an NDR (5xx, expiry, no such mailbox, administrative removal)
RETRY: Kind = "retry"  # transient: stays queued (4xx, no connection)


@dataclass(frozen=True, slots=True)
class RecipientResult:
    address: str
    kind: Kind
    reply: str  # the reply or diagnostic: `250 2.0.0 OK`, `550 5.1.1 ...`
    remote: str = ""  # the host (or mailbox) that answered, for the tracking log and the NDR


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """One attempt for one queued copy. `reroute`: recipients to route again (the configuration no longer
    sends them this way: a connector removed, a mailbox gone from an InternalRelay domain, a route appeared
    for Unreachable); `reroute_all` routes every pending recipient of the copy again."""

    results: tuple[RecipientResult, ...] = ()
    reroute: tuple[str, ...] = ()
    reroute_all: bool = False

    @classmethod
    def every(cls, recipients: Iterable[str], kind: Kind, reply: str, remote: str = "") -> AttemptOutcome:
        return cls(tuple(RecipientResult(r, kind, reply, remote) for r in recipients))

    @classmethod
    def route_again(cls) -> AttemptOutcome:
        return cls(reroute_all=True)

    def of_kind(self, kind: Kind) -> list[RecipientResult]:
        return [r for r in self.results if r.kind == kind]


def tracking_rows(
    state: MessageState, group: GroupState, results: Iterable[RecipientResult], server_fqdn: str
) -> list[tuple[str, dict[str, Any]]]:
    """(event id, log_event keyword arguments) per kind of result, recipients of one kind in one row."""
    common: dict[str, Any] = {
        "message_id": state.message_id,
        "internal_message_id": state.id,
        "sender": state.sender,
        "total_bytes": state.size,
        "subject": state.subject,
        "server_hostname": server_fqdn,
    }
    by_kind: dict[str, list[RecipientResult]] = {}
    for r in results:
        by_kind.setdefault(r.kind, []).append(r)
    connector = group.connector or ""
    mailbox = group.delivery_type == MAILBOX
    rows: list[tuple[str, dict[str, Any]]] = []
    for kind, event_id in ((OK, "DELIVER" if mailbox else "SEND"), (FAIL, "FAIL"), (RETRY, "DEFER")):
        found = by_kind.get(kind)
        if not found:
            continue
        fields = {
            **common,
            "recipients": [r.address for r in found],
            "recipient_status": [r.reply for r in found],
        }
        if event_id == "DELIVER":
            fields["source"] = "STOREDRIVER"
        elif event_id == "SEND":
            fields.update(source="SMTP", connector_id=connector, source_context=found[0].remote)
        elif event_id == "FAIL":
            fields.update(source="ROUTING" if mailbox else "SMTP", connector_id=connector)
        else:
            fields.update(source="SMTP" if group.connector else "QUEUE", connector_id=connector)
        rows.append((event_id, fields))
    return rows
