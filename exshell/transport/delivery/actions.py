"""The shell's requests to the delivery service (Retry-Queue, Suspend-/Resume-/Remove-Message), executed on
the service's event loop through its public methods: `control.py` carries them, these functions change the
ledger's entries. An attempt in flight for the same message finishes first (`settle`), so its outcome is never
lost or overwritten.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from exshell.transport.delivery import control
from exshell.transport.delivery.dsn import FailedRecipient
from exshell.transport.delivery.queue import FAILED, READY, SUSPENDED
from exshell.transport.delivery.router import POISON_KEY

if TYPE_CHECKING:  # pragma: no cover
    from exshell.transport.delivery.service import DeliveryService

log = logging.getLogger("exshell.transport.delivery")
ADMIN_DELETED = "550 4.3.2 QUEUE.Admin; message deleted by administrative action"


async def execute(service: DeliveryService, request: dict[str, Any]) -> dict[str, Any]:
    action, args = request.get("action"), request.get("args") or {}
    try:
        if action == control.RETRY_QUEUE:
            return await retry_queue(service, str(args.get("queue")), bool(args.get("resubmit")))
        if action in (control.SUSPEND_MESSAGE, control.RESUME_MESSAGE, control.REMOVE_MESSAGE):
            return await message_action(
                service,
                action,
                str(args.get("message")),
                args.get("queue"),
                bool(args.get("with_ndr", False)),
            )
    except Exception as exc:  # noqa: BLE001 - report, don't die: the shell shows it
        log.error("control request %s failed: %r", action, exc)
        return {"ok": False, "message": f"{type(exc).__name__}: {exc}"}
    return {"ok": False, "message": f"Unknown request '{action}'."}


async def retry_queue(service: DeliveryService, queue_key: str, resubmit: bool) -> dict[str, Any]:
    count = 0
    for state in service.ledger:
        await service.settle(state.id)
        changed = False
        for group in list(state.groups):
            if group.queue != queue_key or group.done or group.status == SUSPENDED:
                continue
            if resubmit:
                service.reroute(state, group)
            else:
                group.next_retry, group.status = None, READY
            count += 1
            changed = True
        if changed:
            await service.ledger.save(state)
    service.wake()
    return {"ok": True, "count": count}


async def message_action(
    service: DeliveryService, action: str, msg_id: str, queue_key: Any, with_ndr: bool
) -> dict[str, Any]:
    state = service.ledger.get(msg_id)
    if state is None:
        return {"ok": False, "count": 0, "message": f"The message {msg_id} isn't in any queue."}
    await service.settle(msg_id)  # let the attempt in flight finish first: its outcome must not be lost
    groups = [g for g in state.groups if not g.done and (queue_key in (None, "") or g.queue == queue_key)]
    if not groups:
        return {"ok": False, "count": 0, "message": f"The message {msg_id} isn't in that queue."}
    if action == control.SUSPEND_MESSAGE:
        for g in groups:
            g.status = SUSPENDED
    elif action == control.RESUME_MESSAGE:
        if any(g.queue == POISON_KEY for g in groups):
            # Resuming a poison message submits it again from its spool file (Exchange resubmits it too):
            # forget the state; the next pass picks the spool file up as new.
            await service.ledger.forget(msg_id)
            service.wake()
            return {"ok": True, "count": len(groups)}
        for g in groups:
            if g.status == SUSPENDED:
                g.status, g.next_retry = READY, None
    else:
        msg = await asyncio.to_thread(service.spool.load, msg_id)
        removed = [r.address for g in groups for r in g.pending]
        router = service.router
        if with_ndr:
            failed = [FailedRecipient(a, ADMIN_DELETED) for a in removed]
            await asyncio.to_thread(service.bounces.send, state, failed, msg.data, router)
        for g in groups:
            for r in g.pending:
                r.status, r.last_error = FAILED, ADMIN_DELETED
            g.status = READY
        service.tracker.track(
            "FAIL",
            source="ADMIN",
            message_id=state.message_id,
            internal_message_id=state.id,
            sender=state.sender,
            recipients=removed,
            recipient_status=[ADMIN_DELETED] * len(removed),
            total_bytes=state.size,
            subject=state.subject,
            server_hostname=router.server_fqdn,
        )
    await service.ledger.save(state)
    if state.done:
        await service.ledger.finish(state)
    service.wake()
    return {"ok": True, "count": len(groups)}
