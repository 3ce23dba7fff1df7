"""What one delivery attempt writes to the message tracking log (Exchange's event ids and sources, MT in
cmdlets.md §7.4): DELIVER (STOREDRIVER) for a mailbox, SEND (SMTP, with the connector and the remote host)
for a send connector, FAIL for permanent failures, DEFER for transient ones. A pure function: the service
writes the rows.
"""

from __future__ import annotations

from typing import Any

from exshell.transport.delivery.queue import GroupState, MessageState
from exshell.transport.delivery.router import MAILBOX

# recipient → (kind, reply, remote host); kind is "ok", "fail" or "retry"
Outcome = dict[str, tuple[str, str, str]]


def tracking_rows(
    state: MessageState, group: GroupState, outcome: Outcome, server_fqdn: str
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
    by_kind: dict[str, list[tuple[str, str, str]]] = {}
    for rcpt, (kind, reply, remote) in outcome.items():
        by_kind.setdefault(kind, []).append((rcpt, reply, remote))
    connector = group.connector or ""
    mailbox = group.delivery_type == MAILBOX
    rows: list[tuple[str, dict[str, Any]]] = []
    for kind, event_id in (("ok", "DELIVER" if mailbox else "SEND"), ("fail", "FAIL"), ("retry", "DEFER")):
        found = by_kind.get(kind)
        if not found:
            continue
        fields = {
            **common,
            "recipients": [r for r, _, _ in found],
            "recipient_status": [reply for _, reply, _ in found],
        }
        if event_id == "DELIVER":
            fields["source"] = "STOREDRIVER"
        elif event_id == "SEND":
            fields.update(source="SMTP", connector_id=connector, source_context=found[0][2])
        elif event_id == "FAIL":
            fields.update(source="ROUTING" if mailbox else "SMTP", connector_id=connector)
        else:
            fields.update(source="SMTP" if group.connector else "QUEUE", connector_id=connector)
        rows.append((event_id, fields))
    return rows
