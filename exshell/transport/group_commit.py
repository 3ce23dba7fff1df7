"""Group commit of one directory's fsync across threads (the spool's directory entries).

A writer thread creates its file, calls `request()`, fsyncs its own file, then `wait()`s for the batch it got.
One dedicated thread issues the directory fsyncs: it takes the pending batch (every request made since the
last one started) and fsyncs the directory once for all of them, while the writers' own file fsyncs run
beside it. The promise: a batch's fsync STARTS after every request in it was made, so a writer whose file
existed when it asked is covered. Writers never wait on the event loop or on each other's executor jobs, so
the spool commits a message in one hand-off from the loop (docs/internals.md, "The spool's durable commit").
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from exshell.transport.durable import fsync_directory


class _Batch:
    __slots__ = ("waiters", "done", "error")

    def __init__(self) -> None:
        self.waiters = 0
        self.done = False
        self.error: Exception | None = None


class DirectorySync:
    """`request()` then `wait(batch)` from any thread; `close()` stops the syncing thread (it is started on the
    first request; a daemon, so a process that never closes still exits)."""

    def __init__(self, path: str, sync: Callable[[str], None] = fsync_directory) -> None:
        self.path = path
        self._sync = sync
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._finished = threading.Condition(self._lock)
        self._pending = _Batch()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.syncs = 0  # directory fsyncs issued (tests and bench read it)

    def request(self) -> _Batch:
        """Call once the file exists: the batch returned has not started its fsync yet."""
        with self._lock:
            if self._closed:
                raise OSError("the spool is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="spool-dirsync", daemon=True)
                self._thread.start()
            batch = self._pending
            batch.waiters += 1
            self._work.notify()
            return batch

    def wait(self, batch: _Batch) -> None:
        """Return when the batch's directory fsync returned; raise its error (an OSError) when it failed."""
        with self._lock:
            while not batch.done:
                self._finished.wait()
        if batch.error is not None:
            raise batch.error

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._work.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._pending.waiters and not self._closed:
                    self._work.wait()
                if not self._pending.waiters:  # closed, nobody waiting
                    return
                batch, self._pending = self._pending, _Batch()
            try:
                self._sync(self.path)
            except Exception as e:  # noqa: BLE001 - handed to the waiters; this thread must outlive a failure
                batch.error = e
            with self._lock:
                self.syncs += 1
                batch.done = True
                self._finished.notify_all()
