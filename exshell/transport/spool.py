"""The durable spool: a message is on disk (file and directory fsynced) before the 250 goes out.

Layout under `<state>/spool/`:

- `<id>.msg` — one file per accepted message. The first line is the envelope as one JSON object
  (UTF-8, no newline inside), terminated by `\\n`; every byte after that newline is the raw message
  exactly as stamped (CRLF line ends, dot-unstuffed). Envelope keys: `id`, `message_id`,
  `internal_id`, `sender`, `recipients` (list), `connector` (`SERVER\\Name`), `connector_guid`,
  `local` / `remote` (`ip:port`), `helo`, `principal`, `auth_as`, `authenticated_as`,
  `received` (ISO-8601 UTC), `size`, `config_version`, plus free-form extras the engine adds.
- `tmp/` — files being written. Only a complete, fsynced file is ever renamed into the spool, so a
  crash (kill -9, power loss) leaves at worst a stale `tmp/*` file, which `Spool.recover()` deletes;
  `list()` never looks at `tmp/`.

Durability order (the same as Postfix's and qmail's queue): write the temp file, fsync it, rename it
to `<id>.msg`, fsync the spool directory, and only then reply 250. Several concurrent sessions share
one directory fsync (group commit): a session waits for a directory fsync that STARTED after its own
rename, so its promise holds while the cost is shared.

Ids are decimal InternalIds: a millisecond clock at start-up plus a counter, so they increase across
restarts and sort in arrival order.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Mapping

from exshell.transport.durable import write_new_file

SUFFIX = ".msg"


@dataclass(frozen=True, slots=True)
class SpooledMessage:
    id: str
    envelope: Mapping[str, Any]
    data: bytes


@dataclass(slots=True)
class _GroupCommit:
    requested: int = 0
    completed: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Spool:
    """One spool directory. `store()` is async-safe; the blocking parts run in the default executor."""

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True, io_threads: int | None = None,
                 id_stride: int = 1, id_offset: int = 0) -> None:
        self.path = os.fspath(path)
        # A pool of its own, so spool fsyncs never queue behind other executor work. Size: Python's default
        # (cpu + 4); bench/engine.py measured 16 threads against 6 and the difference was inside the VM's noise.
        self.io_threads = io_threads or min(32, (os.cpu_count() or 1) + 4)
        self._pool: ThreadPoolExecutor | None = None
        self.tmp = os.path.join(self.path, "tmp")
        os.makedirs(self.tmp, exist_ok=True)
        self.fsync = fsync
        # Several worker processes share one spool (`exshell serve --workers N`): worker i takes the ids
        # congruent to i modulo N, so no two processes ever name a message alike.
        self._ids = itertools.count(int(time.time() * 1000) * 1000 * id_stride + id_offset, id_stride)
        self._id_lock = threading.Lock()
        # Message-IDs and temporary body names: a random 64-bit prefix drawn once per Spool, then a counter. A
        # uuid4 per name cost two getrandom() syscalls per message, ~10 % of the accept path's own time here
        # (bench/profile_engine.py); the names stay unique across processes and restarts through the prefix.
        self._name_prefix = f"{uuid.uuid4().int >> 64:016x}"
        self._names = itertools.count(1)
        self._groups: dict[int, _GroupCommit] = {}  # per event loop id
        self.directory_syncs = 0  # counts real directory fsyncs (tests and bench read it)

    # ---- ids
    def new_internal_id(self) -> int:
        with self._id_lock:
            return next(self._ids)

    def new_message_id(self, fqdn: str) -> str:
        return f"{self._unique_name()}@{fqdn}"

    def _unique_name(self) -> str:
        return f"{self._name_prefix}{next(self._names):016x}"  # 32 hex digits, as a uuid4's hex was

    # ---- writing
    async def store(self, envelope: Mapping[str, Any], data: bytes, body_file: str | None = None) -> str:
        """Write one message durably; return its spool id. Raises OSError when the disk fails. `body_file`: the
        rest of the message (a streamed body) in a temporary file, appended after `data` and then removed."""
        env = dict(envelope)
        internal_id = env.get("internal_id") or self.new_internal_id()
        env["internal_id"] = internal_id
        msg_id = str(internal_id)
        env["id"] = msg_id
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor(), self._write_file, msg_id, env, data, body_file)
        if self.fsync:
            await self._sync_directory(loop)
        return msg_id

    def store_blocking(self, envelope: Mapping[str, Any], data: bytes) -> str:
        """The synchronous form (tools and tests without an event loop)."""
        env = dict(envelope)
        env.setdefault("internal_id", self.new_internal_id())
        msg_id = str(env["internal_id"])
        env["id"] = msg_id
        self._write_file(msg_id, env, data)
        if self.fsync:
            self._fsync_dir()
        return msg_id

    def _write_file(self, msg_id: str, env: Mapping[str, Any], data: bytes, body_file: str | None = None) -> None:
        head = json.dumps(env, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8") + b"\n"
        tmp_path = os.path.join(self.tmp, msg_id + ".tmp")
        final = os.path.join(self.path, msg_id + SUFFIX)
        try:
            write_new_file(tmp_path, (head, data), fsync=self.fsync, copy_from=body_file)
        finally:
            if body_file is not None:
                _unlink_quietly(body_file)
        # link, not rename: an id already in the spool (another process's message) makes this fail with
        # EEXIST instead of silently replacing a message that was acknowledged; the session then answers 451.
        try:
            os.link(tmp_path, final)
        finally:
            _unlink_quietly(tmp_path)

    async def _sync_directory(self, loop: asyncio.AbstractEventLoop) -> None:
        group = self._groups.get(id(loop))
        if group is None:
            group = self._groups[id(loop)] = _GroupCommit()
        group.requested += 1
        ticket = group.requested  # our rename is done: any fsync that starts from now on covers it
        async with group.lock:
            if group.completed >= ticket:
                return
            target = group.requested
            await loop.run_in_executor(self._executor(), self._fsync_dir)
            group.completed = target

    async def run(self, fn: Any, *args: Any) -> Any:
        """A blocking file operation on the spool's own threads (the DATA reader's body writes)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor(), fn, *args)

    def new_body_path(self) -> str:
        """A fresh temporary file name for a body being received (removed by `recover` after a crash)."""
        return os.path.join(self.tmp, f"{self._unique_name()}.body")

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.io_threads, thread_name_prefix="spool")
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _fsync_dir(self) -> None:
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self.directory_syncs += 1

    # ---- reading
    def list(self) -> list[str]:
        """The ids of the spooled messages, oldest first."""
        ids = [n[: -len(SUFFIX)] for n in os.listdir(self.path) if n.endswith(SUFFIX)]
        return sorted(ids, key=lambda s: (len(s), s))

    def load(self, msg_id: str) -> SpooledMessage:
        with open(os.path.join(self.path, msg_id + SUFFIX), "rb") as f:
            blob = f.read()
        head, _, data = blob.partition(b"\n")
        return SpooledMessage(msg_id, json.loads(head.decode("utf-8")), data)

    def remove(self, msg_id: str) -> None:
        os.unlink(os.path.join(self.path, msg_id + SUFFIX))

    def recover(self, min_age_seconds: float = 60.0) -> int:
        """Delete temp files left by a crash (never acknowledged); return how many. Only files older than
        `min_age_seconds` go, so a second process (delivery) calling this never deletes a write in flight;
        the engine calls `recover(0)` at start, before it accepts anything."""
        n = 0
        cutoff = time.time() - min_age_seconds
        for name in os.listdir(self.tmp):
            path = os.path.join(self.tmp, name)
            try:
                if min_age_seconds > 0 and os.stat(path).st_mtime > cutoff:
                    continue
            except OSError:
                continue
            _unlink_quietly(path)
            n += 1
        return n


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
