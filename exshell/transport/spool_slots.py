"""Spool files created ahead of need: a message's directory entry is durable before the message arrives.

A slot is an empty file `<spool>/slots/<id>.slot`, created exclusively and made durable by one fsync of the
slots directory per refill of a few hundred. `Spool.store()` writes a message into a slot, fsyncs only the file,
then renames it to `<spool>/<id>.msg` (the name delivery and the queue cmdlets look for) and replies 250. The
rename need not be durable: a crash that loses it leaves a sealed slot, which `Spool.recover()` puts in place.
Before slots, every message waited for a directory fsync of its own batch beside its file's (11-15 % of the
persist workload's throughput, docs/internals.md "Spool slots").

Slots live in a directory of their own so that nobody listing the spool (delivery's pass every 0.2 s, the
queue cmdlets, an administrator) walks the reserve. Only the spool reads `slots/`: an empty slot is one not
used yet (`Spool.recover()` deletes those of its own id class at start, `close()` the unused ones at stop).
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from collections import deque
from collections.abc import Callable

from exshell.transport.durable import fsync_directory, unlink_quietly

log = logging.getLogger("exshell.transport.spool")

SLOT_SUFFIX = ".slot"
SLOTS_DIR = "slots"
RETRY_SECONDS = 1.0  # after a refill failed (a full disk): the store falls back to creating its own file


class SlotReserve:
    """`take()` from any thread (the event loop's): an id whose empty slot file's entry is on disk, or None when
    none is ready (the caller creates its file and fsyncs the directory itself). A thread of its own refills
    the reserve to `size` when it drops to half; it starts on the first take().

    Size: a refill competes for the GIL with the event loop and the commit threads, one acquisition per file
    created, so under load it takes a while (100-400 ms for 256 on 2 busy cores). The reserve starts small (an
    idle relay keeps few empty files) and doubles, up to `most`, each time a message found it empty."""

    def __init__(self, path: str, new_id: Callable[[], int], *, size: int = 64, most: int = 1024,
                 fsync: bool = True) -> None:
        self.path = path  # <spool>/slots
        self.size = size
        self.most = max(size, most)
        self.low = size // 2
        self._new_id = new_id  # never an id of a message in the spool: Spool.recover() moves the counter past them
        self._fsync = fsync
        self._parent_synced = not fsync  # the slots directory's own entry in the spool directory
        self._ready: deque[int] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failing = False
        self.refills = 0  # tests and bench read it
        self.failures = 0

    def slot_path(self, slot_id: int) -> str:
        return os.path.join(self.path, f"{slot_id}{SLOT_SUFFIX}")

    def start(self) -> None:
        """Begin filling the reserve (the engine calls it at start, so the first messages find slots)."""
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="spool-slots", daemon=True)
                self._thread.start()
            self._wake.notify()

    def take(self) -> int | None:
        try:
            slot_id: int | None = self._ready.popleft()  # deque: atomic, no lock on the hot path
        except IndexError:
            slot_id = None
            if self._thread is not None and self.size < self.most:  # ran dry: a bigger reserve
                self.size = min(self.most, self.size * 2)
                self.low = self.size // 2
        if len(self._ready) <= self.low:
            self.start()
        return slot_id

    def close(self) -> None:
        """Stop refilling and delete the slots never used."""
        with self._lock:
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join()
        while self._ready:
            unlink_quietly(self.slot_path(self._ready.popleft()))

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._closed and len(self._ready) > self.low:
                    self._wake.wait()
                if self._closed:
                    return
            try:
                self._refill(self.size - len(self._ready))
            except OSError as e:
                if not self._failing:  # once per outage, not once a second (a full disk)
                    log.warning("spool slots could not be created (%s): messages are written without them", e)
                self._failing = True
                self.failures += 1
                with self._lock:
                    self._wake.wait(RETRY_SECONDS)
            else:
                if self._failing:
                    log.warning("spool slots are created again")
                self._failing = False

    def _refill(self, count: int) -> None:
        made: list[int] = []
        try:
            if not self._parent_synced:
                fsync_directory(os.path.dirname(self.path))
                self._parent_synced = True
            for _ in range(count):
                slot_id = self._new_id()
                try:
                    os.mknod(self.slot_path(slot_id), 0o600 | stat.S_IFREG)  # one syscall; exclusive
                except FileExistsError:
                    continue
                made.append(slot_id)
            if self._fsync and made:
                fsync_directory(self.path)
        except BaseException:
            for slot_id in made:
                unlink_quietly(self.slot_path(slot_id))
            raise
        self._ready.extend(made)
        self.refills += 1
