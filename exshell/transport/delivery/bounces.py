"""Bounces: an NDR (or a delay notice) for the recipients of a message that failed (or wait), built by `dsn`,
spooled durably like an accepted message, and logged (DSN). The spooled DSN is then delivered like any other
message, to the original sender. Never a DSN for a `<>` sender (RFC 5321 §4.5.5): it would loop.

`send` does only file work (and the tracking log, which has its own lock): the service runs it in a worker
thread, and marks the recipients failed only after it returned (the NDR is durable first: issue 5, point 6).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

from exshell.transport.delivery.dsn import FailedRecipient, build_ndr, header_value, spool_dsn
from exshell.transport.delivery.queue import MessageState, from_iso, to_iso, utcnow
from exshell.transport.delivery.router import Router
from exshell.transport.delivery.tracker import Tracker


class Bounces:
    def __init__(self, spool_dir: Path, spool_tmp: Path, tracker: Tracker, *, fsync: bool = True) -> None:
        self.spool_dir = spool_dir
        self.spool_tmp = spool_tmp
        self.tracker = tracker
        self.fsync = fsync
        self._ids = itertools.count()

    def send(
        self,
        state: MessageState,
        failed: Sequence[FailedRecipient],
        data: bytes,
        router: Router,
        *,
        delayed: bool = False,
    ) -> str | None:
        """Spool the DSN for `failed` to the message's sender; its spool id, or None for a `<>` sender."""
        if not state.sender:
            return None
        ndr = build_ndr(
            original=data,
            original_sender=state.sender,
            failed=failed,
            reporting_mta=router.server_fqdn,
            postmaster=router.postmaster,
            arrival=from_iso(state.date_received),
            delayed=delayed,
        )
        message_id = header_value(ndr, "Message-ID").strip("<>")
        envelope = {
            "message_id": message_id,
            "sender": "",
            "recipients": [state.sender],
            "connector": "",
            "received": to_iso(utcnow()),
            "size": len(ndr),
            "dsn": True,
            "tracking_logged": True,
            "original": state.id,
        }
        ndr_id = spool_dsn(self.spool_dir, self.spool_tmp, envelope, ndr, counter=self._ids, fsync=self.fsync)
        self.tracker.track(
            "DSN",
            source="DSN",
            message_id=message_id,
            internal_message_id=ndr_id,
            sender=router.postmaster,
            recipients=[state.sender],
            total_bytes=len(ndr),
            subject=header_value(ndr, "Subject"),
            reference=f"<{state.message_id}>",
            related_recipient_address=";".join(f.address for f in failed),
            return_path="",
            server_hostname=router.server_fqdn,
        )
        return ndr_id
