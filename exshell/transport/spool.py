"""The durable spool: a message is on disk (file and directory fsynced) before the 250 goes out.

Layout under `<state>/spool/`:

- `<id>.msg` — one file per accepted message. The first line is the envelope as one JSON object
  (UTF-8, no newline inside), terminated by `\\n`; every byte after that newline is the raw message
  exactly as stamped (CRLF line ends, dot-unstuffed). Envelope keys: `id`, `message_id`,
  `internal_id`, `sender`, `recipients` (list), `connector` (`SERVER\\Name`), `connector_guid`,
  `local` / `remote` (`ip:port`), `helo`, `principal`, `auth_as`, `authenticated_as`,
  `received` (ISO-8601 UTC), `size`, `config_version`, plus free-form extras the engine adds.
- `tmp/` — streamed message bodies being received (and bounces being written by delivery); a crash
  leaves at worst a stale `tmp/*` file, which `Spool.recover()` deletes; `list()` never looks at `tmp/`.
- `incomplete/` — spool files a crash left half-written (never acknowledged), moved aside by `recover()`.
- `slots/<id>.slot` — an engine's spool slots (exshell/transport/spool_slots.py): empty files whose directory
  entries were made durable ahead of need. A message is written into one and renamed to `<id>.msg`; only the
  spool reads `slots/`.

A message file is created under its final name (exclusively: an id already taken fails, the session answers
451) and sealed: its envelope carries `"sealed": 1` and its last `TRAILER_LEN` bytes are `SEAL` plus the
length of everything before them. `load()` refuses a sealed file without a matching trailer
(`IncompleteMessage`), the delivery pickup skips it (it may be a write in flight), and `recover()` moves it
to `incomplete/` with a log line. Files without the flag (written before sealing existed, and bounces,
which delivery still writes in `tmp/` and links into place) are complete by construction.

Durability order with a slot (the engine's path): write the message into the slot, fsync the file, rename it
to `<id>.msg`, reply 250. The slot's directory entry was durable before the message arrived, so the file's
fsync is the only wait; the rename is not waited for: a crash that loses it leaves a sealed slot, which
`recover()` renames into place. A rename that survived names a file whose content was already on disk.

Without a slot (none ready, or a Spool without them: tools, tests): write the file, then fsync the file and the
spool directory CONCURRENTLY, and only then reply 250. Both fsyncs start after the last write, so when both have returned the content and the
directory entry are on disk; a crash before that leaves an unsealed file that is never delivered. Issued
together they share one journal commit on ext4, where the old order (temp file, fsync, rename, fsync the
directory) waited for two one after the other: 0.53x the latency per message with a busy disk, 0.85x idle
(docs/internals.md). Several concurrent sessions share one directory fsync (group commit): a session waits
for a directory fsync that STARTED after its own file was created, so its promise holds while the cost is
shared.

Ids are decimal InternalIds: a millisecond clock at start-up plus a counter, so they increase across
restarts (`recover()` also moves the counter past every id in the spool, should the clock have gone back); slots
take theirs in batches ahead of use, so ids sort in arrival order only roughly (within one refill).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import os
import threading
import time
import uuid
import queue
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Mapping

from exshell.transport.durable import append_file, fsync_directory, unlink_quietly
from exshell.transport.group_commit import DirectorySync
from exshell.transport.spool_slots import SLOT_SUFFIX, SLOTS_DIR, SlotReserve

log = logging.getLogger("exshell.transport.spool")

SUFFIX = ".msg"
SEAL = b"\n#exshell-spool-complete "  # 25 bytes, then the length (16 digits) and a newline: 42 bytes
TRAILER_LEN = len(SEAL) + 17


class IncompleteMessage(ValueError):
    """A sealed spool file without its trailer: a write in flight, or one a crash cut short."""


def seal(length: int) -> bytes:
    return SEAL + b"%016d\n" % length


def unseal(blob: bytes) -> bytes:
    """`blob` without its trailer; IncompleteMessage unless the trailer is there and counts every byte before it."""
    body_len = len(blob) - TRAILER_LEN
    if body_len < 0 or blob[body_len:] != seal(body_len):
        raise IncompleteMessage("the spool file is incomplete (no completion mark)")
    return blob[:body_len]


@dataclass(frozen=True, slots=True)
class SpooledMessage:
    id: str
    envelope: Mapping[str, Any]
    data: bytes


class Spool:
    """One spool directory. `store()` is async-safe; the blocking parts run in the default executor."""

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True, io_threads: int | None = None,
                 id_stride: int = 1, id_offset: int = 0, slots: bool = False) -> None:
        """`slots`: write messages into files created ahead of need (the engine's spool; exactly one Spool per
        process and id class may have them, since recover() deletes the unused slots of its class)."""
        self.path = os.fspath(path)
        # A pool of its own, so spool fsyncs never queue behind other executor work. Size: Python's default
        # (cpu + 4); bench/engine.py measured 16 threads against 6 and the difference was inside the VM's noise.
        self.io_threads = io_threads or min(32, (os.cpu_count() or 1) + 4)
        self._pool: ThreadPoolExecutor | None = None  # the DATA reader's body writes (Spool.run)
        self._writers: _Committers | None = None  # store()'s commits
        self.tmp = os.path.join(self.path, "tmp")
        os.makedirs(self.tmp, exist_ok=True)
        self.fsync = fsync
        # Several worker processes share one spool (`exshell serve --workers N`): worker i takes the ids
        # congruent to i modulo N, so no two processes ever name a message alike.
        self._ids = itertools.count(int(time.time() * 1000) * 1000 * id_stride + id_offset, id_stride)
        self._stride, self._offset = id_stride, id_offset
        self._id_lock = threading.Lock()
        # Message-IDs and temporary body names: a random 64-bit prefix drawn once per Spool, then a counter. A
        # uuid4 per name cost two getrandom() syscalls per message, ~10 % of the accept path's own time here
        # (bench/profile_engine.py); the names stay unique across processes and restarts through the prefix.
        self._name_prefix = f"{uuid.uuid4().int >> 64:016x}"
        self._names = itertools.count(1)
        self._directories = DirectorySync(self.path)
        self.slots_dir = os.path.join(self.path, SLOTS_DIR)
        self.slots: SlotReserve | None = None
        if slots:
            os.makedirs(self.slots_dir, exist_ok=True)
            self.slots = SlotReserve(self.slots_dir, self.new_internal_id, fsync=fsync)

    # ---- ids
    def new_internal_id(self) -> int:
        with self._id_lock:
            return next(self._ids)

    def new_name(self) -> str:
        """32 hex digits unique across processes and restarts (the left part of a Message-ID the engine adds)."""
        return self._unique_name()

    def _unique_name(self) -> str:
        return f"{self._name_prefix}{next(self._names):016x}"  # 32 hex digits, as a uuid4's hex was

    # ---- writing
    async def store(self, envelope: Mapping[str, Any], data: bytes, body_file: str | None = None) -> str:
        """Write one message durably; return its spool id. Raises OSError when the disk fails. `body_file`: the
        rest of the message (a streamed body) in a temporary file, appended after `data` and then removed."""
        env = dict(envelope)
        internal_id = env.get("internal_id")
        slot = None
        if not internal_id:
            slot = self.slots.take() if self.slots is not None else None
            internal_id = slot or self.new_internal_id()
        env["internal_id"] = internal_id
        msg_id = str(internal_id)
        env["id"] = msg_id
        # One hand-off from the loop: a spool thread writes, fsyncs the file beside the directory's group commit
        # and returns when both are on disk (three executor jobs and their loop wake-ups before).
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        # The session may go away (connection lost, engine stopping) while its message is being written: never
        # acknowledged, the file must not linger to be delivered behind the client's retry.
        self._committers().submit(loop, done, functools.partial(unlink_quietly, self._final(msg_id)),
                                  self._commit, msg_id, env, data, body_file, slot is not None)
        await done
        return msg_id

    def _commit(self, msg_id: str, env: Mapping[str, Any], data: bytes, body_file: str | None,
                slot: bool = False) -> None:
        if slot:
            assert self.slots is not None
            path = self.slots.slot_path(int(msg_id))
            try:
                fd = self._write_file(msg_id, env, data, body_file, into=path)
            except FileNotFoundError:
                pass  # the slot is gone (deleted by hand): write the message as if there had been none
            else:
                try:
                    if self.fsync:
                        os.fsync(fd)  # the slot's entry is durable already: the content is the only wait
                    os.rename(path, self._final(msg_id))
                except BaseException:
                    os.close(fd)
                    unlink_quietly(path)
                    raise
                os.close(fd)
                return
        fd = self._write_file(msg_id, env, data, body_file)
        try:
            if self.fsync:
                # Both fsyncs start after the last write: the content and the directory entry, one journal commit.
                batch = self._directories.request()
                os.fsync(fd)
                self._directories.wait(batch)
        except BaseException:
            os.close(fd)
            unlink_quietly(self._final(msg_id))  # never acknowledged: may be lost, must not linger half-durable
            raise
        os.close(fd)

    def store_blocking(self, envelope: Mapping[str, Any], data: bytes) -> str:
        """The synchronous form (tools and tests without an event loop)."""
        env = dict(envelope)
        env.setdefault("internal_id", self.new_internal_id())
        msg_id = str(env["internal_id"])
        env["id"] = msg_id
        fd = self._write_file(msg_id, env, data)
        try:
            if self.fsync:
                os.fsync(fd)
                fsync_directory(self.path)
        finally:
            os.close(fd)
        return msg_id

    def _final(self, msg_id: str) -> str:
        return os.path.join(self.path, msg_id + SUFFIX)

    def _write_file(self, msg_id: str, env: Mapping[str, Any], data: bytes, body_file: str | None = None,
                    into: str | None = None) -> int:
        """Create `<id>.msg` (exclusively: an id already in the spool, another process's message, fails with
        EEXIST instead of replacing an acknowledged message), or open the slot `into`, and write the message
        sealed; return the open descriptor. A slot that is gone raises FileNotFoundError with `body_file` kept."""
        head = json.dumps({**env, "sealed": 1}, ensure_ascii=False, separators=(",", ":"),
                          default=str).encode("utf-8") + b"\n"
        final = into or self._final(msg_id)
        try:
            fd = os.open(final, os.O_WRONLY) if into else os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileNotFoundError:
            if into is None and body_file is not None:
                unlink_quietly(body_file)
            raise
        except BaseException:
            if body_file is not None:
                unlink_quietly(body_file)
            raise
        try:
            length = len(head) + len(data)
            if body_file is None:
                # One system call for the whole file; the seal is last in it, so a write cut short lacks it.
                _write_all(fd, [head, data, seal(length)])
            else:
                _write_all(fd, [head, data])
                length += append_file(fd, body_file)
                os.write(fd, seal(length))  # 42 bytes: one write, last
        except BaseException:
            os.close(fd)
            unlink_quietly(final)
            raise
        finally:
            if body_file is not None:
                unlink_quietly(body_file)
        return fd

    async def run(self, fn: Any, *args: Any) -> Any:
        """A blocking file operation on the spool's own threads (the DATA reader's body writes)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor(), fn, *args)

    def new_body_path(self) -> str:
        """A fresh temporary file name for a body being received (removed by `recover` after a crash)."""
        return os.path.join(self.tmp, f"{self._unique_name()}.body")

    def start(self) -> None:
        """Begin reserving slots (the engine, once recover() ran): the first messages find them ready."""
        if self.slots is not None:
            self.slots.start()

    def _committers(self) -> _Committers:
        if self._writers is None:
            self._writers = _Committers(self.io_threads)
        return self._writers

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.io_threads, thread_name_prefix="spool")
        return self._pool

    @property
    def directory_syncs(self) -> int:
        """Directory fsyncs issued by store() (group commit: fewer than messages under concurrency)."""
        return self._directories.syncs

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._writers is not None:
            self._writers.close()
            self._writers = None
        if self.slots is not None:
            self.slots.close()
        self._directories.close()

    # ---- reading
    def list(self) -> list[str]:
        """The ids of the spooled messages, oldest first."""
        ids = [n[: -len(SUFFIX)] for n in os.listdir(self.path) if n.endswith(SUFFIX)]
        return sorted(ids, key=lambda s: (len(s), s))

    def load(self, msg_id: str) -> SpooledMessage:
        with open(os.path.join(self.path, msg_id + SUFFIX), "rb") as f:
            blob = f.read()
        head, newline, data = blob.partition(b"\n")
        if not newline:  # created, envelope not (all) written yet: a write in flight or cut short
            raise IncompleteMessage("the spool file is incomplete (no envelope line)")
        envelope = json.loads(head.decode("utf-8"))
        if isinstance(envelope, dict) and envelope.pop("sealed", None):
            data = unseal(blob)[len(head) + 1 :]
        return SpooledMessage(msg_id, envelope, data)

    def remove(self, msg_id: str) -> None:
        os.unlink(os.path.join(self.path, msg_id + SUFFIX))

    def recover(self, min_age_seconds: float = 60.0) -> int:
        """Delete temp files left by a crash and move sealed spool files without their completion mark (never
        acknowledged) to `incomplete/`; return how many. Only files older than `min_age_seconds` go, so a second
        process (delivery, another worker) calling this never touches a write in flight; the engine calls
        `recover(0)` at start, before it accepts anything.

        Slots: a sealed one (a crash lost its rename) is renamed into place and delivered; one cut short goes
        to `incomplete/` like a message file. Empty ones are deleted only by a Spool with slots, and only those
        of its own id class: with `--workers N`, the others belong to live workers (a restarted worker's class
        holds only slots of processes that are gone). Last, the id counter moves past every id seen."""
        n = 0
        cutoff = time.time() - min_age_seconds
        for name in os.listdir(self.tmp):
            path = os.path.join(self.tmp, name)
            if _young(path, min_age_seconds, cutoff):
                continue
            unlink_quietly(path)
            n += 1
        highest = 0
        slots = _listdir_quietly(self.slots_dir)
        for name in slots:
            if name.endswith(SLOT_SUFFIX) and name[: -len(SLOT_SUFFIX)].isdigit():
                highest = max(highest, int(name[: -len(SLOT_SUFFIX)]))
                n += self._recover_slot(name, min_age_seconds, cutoff)
        for name in os.listdir(self.path):
            if not name.endswith(SUFFIX):
                continue
            if name[: -len(SUFFIX)].isdigit():
                highest = max(highest, int(name[: -len(SUFFIX)]))
            path = os.path.join(self.path, name)
            if not is_complete(path) and not _young(path, min_age_seconds, cutoff):
                n += self._quarantine(path)
        self._ids_past(highest)
        return n

    def _recover_slot(self, name: str, min_age_seconds: float, cutoff: float) -> int:
        """Deal with one slot; 1 when it was cut short and moved to `incomplete/`."""
        path = os.path.join(self.slots_dir, name)
        slot_id = name[: -len(SLOT_SUFFIX)]
        try:
            empty = os.stat(path).st_size == 0
        except OSError:
            return 0
        if empty:
            if self.slots is not None and int(slot_id) % self._stride == self._offset:
                unlink_quietly(path)
            return 0
        if _young(path, min_age_seconds, cutoff):
            return 0  # a write in flight
        if not is_complete(path):
            return self._quarantine(path)
        final = self._final(slot_id)
        try:
            os.link(path, final)  # never over another message
        except FileExistsError:
            return self._quarantine(path)
        except OSError:
            return 0
        unlink_quietly(path)
        log.warning("spool file %s was complete but not yet renamed when the process stopped: delivered as %s",
                    name, os.path.basename(final))
        return 0

    def _quarantine(self, path: str) -> int:
        name = os.path.basename(path)
        quarantine = os.path.join(self.path, "incomplete")
        os.makedirs(quarantine, exist_ok=True)
        try:
            os.rename(path, os.path.join(quarantine, name))
        except OSError:
            return 0
        log.warning("spool file %s is incomplete (written when the process stopped, never acknowledged): "
                    "moved to %s, not delivered", name, quarantine)
        return 1

    def _ids_past(self, highest: int) -> None:
        """Make the next id greater than `highest` (a clock set back must not name a message twice)."""
        with self._id_lock:
            nxt = next(self._ids)
            if nxt <= highest:
                nxt = highest + 1 + (self._offset - highest - 1) % self._stride  # still this worker's class
            self._ids = itertools.count(nxt, self._stride)


def is_complete(path: str) -> bool:
    """False only for a sealed file without its trailer (or a head cut short); gone or unreadable: True (the
    reader that loads it reports that)."""
    try:
        with open(path, "rb") as f:
            head = f.readline()
            if not head.endswith(b"\n"):
                return False
            try:
                sealed = b'"sealed":1' in head and json.loads(head.decode("utf-8")).get("sealed")
            except (ValueError, AttributeError):
                return True  # not ours to judge: load() reports a bad envelope
            if not sealed:
                return True
            size = os.fstat(f.fileno()).st_size
            if size < len(head) + TRAILER_LEN:
                return False
            f.seek(size - TRAILER_LEN)
            return f.read(TRAILER_LEN) == seal(size - TRAILER_LEN)
    except OSError:
        return True


class _Committers:
    """The spool's commit threads. A job's outcome reaches the waiting future through one call_soon_threadsafe:
    no concurrent.futures.Future and none of the two-way chaining asyncio.wrap_future adds, about a tenth of
    the loop's own work per message on the persist workload (bench/profile_engine.py). A job whose future was
    cancelled meanwhile (the session went away) and that succeeded is undone with its `discard`."""

    def __init__(self, threads: int) -> None:
        self._jobs: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._run, name=f"spool-{i}", daemon=True) for i in range(threads)]
        for t in self._threads:
            t.start()

    def submit(self, loop: asyncio.AbstractEventLoop, done: asyncio.Future[None], discard: Callable[[], None],
               fn: Callable[..., None], *args: Any) -> None:
        self._jobs.put((loop, done, discard, fn, args))

    def close(self) -> None:
        """Jobs already submitted still run; then the threads end."""
        for _ in self._threads:
            self._jobs.put(None)
        for t in self._threads:
            t.join()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, done, discard, fn, args = job
            error: BaseException | None = None
            try:
                fn(*args)
            except BaseException as e:  # noqa: BLE001 - handed to the session that waits for it
                error = e
            try:
                loop.call_soon_threadsafe(_settle, done, error, discard)
            except RuntimeError:  # the loop is closed: nobody will acknowledge this message
                if error is None:
                    discard()


def _settle(done: asyncio.Future[None], error: BaseException | None, discard: Callable[[], None]) -> None:
    if done.cancelled():
        if error is None:
            discard()
    elif error is not None:
        done.set_exception(error)
    else:
        done.set_result(None)


def _young(path: str, min_age_seconds: float, cutoff: float) -> bool:
    if min_age_seconds <= 0:
        return False
    try:
        return os.stat(path).st_mtime > cutoff
    except OSError:
        return True


def _write_all(fd: int, chunks: list[bytes]) -> None:
    """writev until every byte of `chunks` is written, in order."""
    left = sum(len(c) for c in chunks)
    views = [memoryview(c) for c in chunks if c]
    while views:
        n = os.writev(fd, views)
        left -= n
        if not left:
            return
        while n >= len(views[0]):
            n -= len(views.pop(0))
        views[0] = views[0][n:]


def _listdir_quietly(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []
