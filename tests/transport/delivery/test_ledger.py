"""The ledger: its in-memory snapshot is what the shell reads from the files, a finished message leaves the
spool before its state file, and a forgotten one is picked up again."""

from __future__ import annotations

import asyncio
from pathlib import Path

from exshell.transport.delivery.ledger import Ledger
from exshell.transport.delivery.queue import RETRY, GroupState, MessageState, QueueStore, RecipientState
from exshell.transport.delivery.queue_view import read_snapshot
from exshell.transport.spool import Spool

from .harness import spool_message


def _ledger(state: Path) -> Ledger:
    ledger = Ledger(QueueStore(state, fsync=False), Spool(state / "spool", fsync=False))
    ledger.recover()
    return ledger


def _entry(msg_id: str) -> MessageState:
    group = GroupState("connector:out", "SmartHostConnectorDelivery", "Out", "Out",
                       recipients=[RecipientState("bob@example.net")], status=RETRY, retry_count=2,
                       last_error="451 4.4.0 down")
    return MessageState(msg_id, "scanner@contoso.com", "m1@x", "Scan", 10, "2026-12-06T00:00:00+00:00",
                        groups=[group])


def test_snapshot_in_memory_equals_what_the_shell_reads_from_the_files(tmp_path: Path) -> None:
    state = tmp_path / "state"
    routed = spool_message(state, "scanner@contoso.com", ["bob@example.net"])
    waiting = spool_message(state, "scanner@contoso.com", ["carol@example.net"])  # not routed: Submission
    ledger = _ledger(state)
    entry = _entry(routed)
    ledger.add(entry)
    ledger.number_for(entry.groups[0].queue)
    asyncio.run(ledger.save(entry))
    mine = ledger.snapshot("EX01", 3600.0)
    assert mine == read_snapshot(state, "EX01", 3600.0)
    assert [q.identity for q in mine.queues] == ["EX01\\Submission", "EX01\\1"]
    assert [(m.identity, m.status, m.retry_count) for m in mine.messages] == [
        (f"EX01\\Submission\\{waiting}", "Ready", 0),
        (f"EX01\\1\\{routed}", "Retry", 2),
    ]


def test_finish_removes_the_spool_file_then_the_state_and_counts_it_known_until_then(tmp_path: Path) -> None:
    state = tmp_path / "state"
    msg_id = spool_message(state, "scanner@contoso.com", ["bob@example.net"])
    ledger = _ledger(state)
    entry = _entry(msg_id)
    ledger.add(entry)
    asyncio.run(ledger.save(entry))

    async def finish() -> None:
        await ledger.finish(entry)
        assert msg_id in ledger  # until its files are gone: no pickup may take the spool file as new
        await ledger.drain()

    asyncio.run(finish())
    assert msg_id not in ledger and not (state / "spool" / f"{msg_id}.msg").exists()
    assert QueueStore(state).ids() == []
    asyncio.run(ledger.save(entry))  # a late write of a finished message doesn't bring its file back
    assert QueueStore(state).ids() == []


def test_forget_keeps_the_spool_file_for_a_new_pickup(tmp_path: Path) -> None:
    state = tmp_path / "state"
    msg_id = spool_message(state, "scanner@contoso.com", ["bob@example.net"])
    ledger = _ledger(state)
    entry = _entry(msg_id)
    ledger.add(entry)
    asyncio.run(ledger.save(entry))
    asyncio.run(ledger.forget(msg_id))
    assert msg_id not in ledger and QueueStore(state).ids() == []
    assert [m.queue_identity for m in read_snapshot(state, "EX01").messages] == ["EX01\\Submission"]
