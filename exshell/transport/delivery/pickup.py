"""A spooled message becomes a ledger entry: the envelope summary the queue shows (sender, Message-ID, subject,
size, arrival, connector, client address). A spool file that can't be read becomes a Poison entry instead."""

from __future__ import annotations

from exshell.transport.delivery.dsn import header_value
from exshell.transport.delivery.queue import SUSPENDED, GroupState, MessageState, RecipientState, to_iso, utcnow
from exshell.transport.delivery.router import POISON_KEY
from exshell.transport.spool import SpooledMessage


def envelope_recipients(msg: SpooledMessage) -> list[str]:
    """Raises KeyError/TypeError for a malformed envelope."""
    return [str(r) for r in msg.envelope["recipients"]]


def state_from_spool(msg_id: str, msg: SpooledMessage) -> MessageState:
    env, data = msg.envelope, msg.data
    return MessageState(
        id=msg_id,
        sender=str(env.get("sender") or ""),
        message_id=str(env.get("message_id") or header_value(data, "Message-ID")),
        subject=header_value(data, "Subject"),
        size=int(env.get("size") or len(data)),
        date_received=str(env.get("received") or to_iso(utcnow())),
        connector_id=str(env.get("connector") or ""),
        client_ip=str(env.get("remote") or "").rpartition(":")[0],
    )


def poison_state(msg_id: str, reason: str) -> MessageState:
    return MessageState(
        id=msg_id,
        sender="",
        message_id="",
        subject="",
        size=0,
        date_received=to_iso(utcnow()) or "",
        groups=[
            GroupState(
                POISON_KEY,
                "Undefined",
                "Poison Message",
                status=SUSPENDED,
                last_error=reason,
                recipients=[RecipientState("")],
            )
        ],
    )
