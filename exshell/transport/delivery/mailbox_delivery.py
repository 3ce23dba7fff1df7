"""A delivery attempt to this organization's mailboxes: one Maildir copy per recipient (the store driver's
DELIVER). A recipient of an Authoritative domain without a mailbox fails `5.1.1 RESOLVER.ADR.ExRecipNotFound`;
one whose mailbox went away from an InternalRelay domain is routed again (to the domain's send connector)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exshell.transport.delivery import maildir
from exshell.transport.delivery.outcome import FAIL, OK, RETRY, AttemptOutcome, RecipientResult
from exshell.transport.delivery.router import MAILBOX, RECIPIENT_NOT_FOUND, Router

DELIVERED = "250 2.0.0 Delivered to mailbox"


async def deliver(
    state_dir: Path, router: Router, sender: str, recipients: Sequence[str], data: bytes, *, fsync: bool = True
) -> AttemptOutcome:
    results: list[RecipientResult] = []
    reroute: list[str] = []
    for rcpt in recipients:
        mbx = router.find_mailbox(rcpt)
        if mbx is None:
            if router.route(rcpt).hop.delivery_type != MAILBOX:
                reroute.append(rcpt)
            else:
                results.append(RecipientResult(rcpt, FAIL, RECIPIENT_NOT_FOUND))
            continue
        try:
            await asyncio.to_thread(_write, state_dir, mbx, sender, rcpt, data, fsync)
            results.append(RecipientResult(rcpt, OK, DELIVERED, str(mbx.alias)))
        except OSError as exc:
            results.append(RecipientResult(rcpt, RETRY, f"451 4.3.1 Insufficient system resources: {exc.strerror}"))
    return AttemptOutcome(tuple(results), tuple(reroute))


def _write(state_dir: Path, mbx: Any, sender: str, rcpt: str, data: bytes, fsync: bool) -> None:
    maildir.deliver(maildir.mailbox_folder(state_dir, mbx), data, sender=sender, recipient=rcpt, fsync=fsync)
