"""The message ledger: every spooled message the delivery service knows, its per-next-hop copies and their
recipients (`queue.MessageState`), kept in memory and written durably under `<state>/queue/` (`QueueStore`).

The ledger is the only writer of the queue folder and the one place that removes a finished message (spool
file first, then its state file: a leftover state file is cleaned at the next start). Everything that changes
a message (an attempt's outcome, the shell's Retry-Queue / Suspend- / Resume- / Remove-Message) changes the
in-memory state on the event loop, then calls `save`: one writer per message at a time, so an older state
never lands after a newer one.

`snapshot()` is the queue as Get-Queue / Get-Message show it, in one call (from memory; the shell reads the
same view from the files with `queue_view.read_snapshot`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from exshell.transport.delivery.queue import MessageState, QueueStore
from exshell.transport.delivery.queue_view import QueueSnapshot, build_snapshot, read_submission
from exshell.transport.delivery.router import POISON_KEY, UNREACHABLE_KEY

REMOVE_WAIT = 0.05  # a finished message's files go at most this much later, with the others finished meanwhile
REMOVE_BATCH = 64


class Ledger:
    def __init__(self, queue: QueueStore, spool: Any) -> None:
        self.queue = queue
        self.spool = spool  # exshell.transport.spool.Spool: the message bodies
        self._states: dict[str, MessageState] = {}
        self._numbers: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._crashes: dict[str, int] = {}
        self._removing: set[str] = set()  # finished, files not yet removed
        self._to_remove: list[str] = []
        self._remover: asyncio.Task[None] | None = None

    # ---- reading
    def get(self, msg_id: str) -> MessageState | None:
        return self._states.get(msg_id)

    def __contains__(self, msg_id: object) -> bool:
        return msg_id in self._states or msg_id in self._removing

    def __len__(self) -> int:
        return len(self._states)

    def __iter__(self) -> Iterator[MessageState]:
        """The messages at this moment (a copy: callers may change the ledger while iterating)."""
        return iter(list(self._states.values()))

    def depths(self) -> dict[tuple[str, ...], float]:
        """Messages with recipients still pending, per next-hop domain (Get-Queue's NextHopDomain)."""
        depth: dict[tuple[str, ...], float] = {}
        for state in self:
            for group in state.groups:
                if not group.done:
                    key = (group.next_hop_domain,)
                    depth[key] = depth.get(key, 0) + 1
        return depth

    def snapshot(self, server: str, expiration_seconds: float = 2 * 86400.0) -> QueueSnapshot:
        """Every queue and message of this server now, as Get-Queue / Get-Message show them. Reads the spool
        folder for the Submission queue (messages spooled but not yet routed): call it off the event loop."""
        states = list(self)
        submission = read_submission(self.queue.root.parent / "spool", {s.id for s in states})
        return build_snapshot(server, states, submission, dict(self._numbers), expiration_seconds)

    # ---- start-up (in a thread, before the loop serves anything)
    def recover(self) -> None:
        self.queue.ensure()
        self.queue.clean_temp()
        self.spool.recover()
        self._numbers = self.queue.queue_numbers()
        spooled = set(self.spool.list())
        for msg_id in self.queue.ids():
            if msg_id not in spooled:
                # The spool file went first (the message was finished): the state file is a leftover.
                self.queue.remove(msg_id)
                continue
            state = self.queue.load(msg_id)
            if state is not None:
                self._states[msg_id] = state

    # ---- changing
    def add(self, state: MessageState) -> None:
        self._states[state.id] = state

    def write_now(self, state: MessageState) -> None:
        """A durable write from a worker thread, for a message no task has yet (pickup, poison)."""
        self.queue.save(state)

    def write_all(self, states: list[MessageState]) -> None:
        for state in states:
            self.queue.save(state)

    async def save(self, state: MessageState) -> None:
        """Serialize on the loop (the state can't change mid-dump), write in a thread."""
        lock = self._locks.setdefault(state.id, asyncio.Lock())
        async with lock:
            if state.id not in self._states:
                return  # finished meanwhile: don't resurrect its state file
            await asyncio.to_thread(self.queue.write_raw, state.id, state.to_json())

    async def finish(self, state: MessageState) -> None:
        """The message has no pending recipient left: remove it (spool file first). The files go in batches,
        one worker-thread hop for every message finished within REMOVE_WAIT; until then the message still counts as
        known (`in`), so no pickup takes its spool file for a new message."""
        self._states.pop(state.id, None)
        self._crashes.pop(state.id, None)
        lock = self._locks.pop(state.id, None)
        if lock is not None:
            async with lock:  # a state write in flight lands first, and is then removed with the message
                pass
        self._removing.add(state.id)
        self._to_remove.append(state.id)
        if self._remover is None or self._remover.done():
            self._remover = asyncio.get_running_loop().create_task(self._remove_finished())

    async def drain(self) -> None:
        """Wait until the files of every finished message are removed (the service's stop)."""
        while self._remover is not None and not self._remover.done():
            await asyncio.shield(self._remover)

    async def _remove_finished(self) -> None:
        while self._to_remove:
            if len(self._to_remove) < REMOVE_BATCH:
                # Gather the messages finishing meanwhile: a thread hop costs more than the unlinks it carries.
                await asyncio.sleep(REMOVE_WAIT)
            batch, self._to_remove = self._to_remove, []
            try:
                await asyncio.to_thread(self._remove_files, batch)
            finally:
                self._removing.difference_update(batch)

    def _remove_files(self, ids: list[str]) -> None:
        for msg_id in ids:
            try:
                self.spool.remove(msg_id)
            except FileNotFoundError:
                pass
            self.queue.remove(msg_id)

    async def forget(self, msg_id: str) -> None:
        """Drop the state, keep the spool file: the next pickup submits the message again (a resumed poison
        message, as Exchange resubmits it)."""
        self._states.pop(msg_id, None)
        self._crashes.pop(msg_id, None)
        lock = self._locks.pop(msg_id, None) or asyncio.Lock()
        async with lock:
            await asyncio.to_thread(self.queue.remove, msg_id)

    def number_for(self, key: str) -> None:
        """Give a new next hop its queue number (`<server>\\<n>`), kept across restarts."""
        if key in (UNREACHABLE_KEY, POISON_KEY) or key in self._numbers:
            return
        self._numbers[key] = max(self._numbers.values(), default=0) + 1
        self.queue.save_queue_numbers(self._numbers)

    def record_crash(self, msg_id: str) -> int:
        """Count one more crashed attempt of the message; the count so far."""
        crashes = self._crashes[msg_id] = self._crashes.get(msg_id, 0) + 1
        return crashes
