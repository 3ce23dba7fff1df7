"""`exshell serve --delivery process` (the default): delivery in a child process of its own, so the engine and
delivery run on two cores instead of sharing one event loop.

    engine (Announcer) --spool ids, one per line--> pipe --> the child's stdin --> DeliveryService.notify(id)

- The pipe is only a hint. The engine writes without blocking, batched per loop iteration; when the pipe is full
  or the child is gone, the ids are dropped: the child's full pass (it lists the spool every 0.2 s) finds every
  spooled message anyway. The spool is the truth, so nothing accepted is lost.
- `DeliveryChild` is the parent's side: it owns the pipe (both ends, so the pipe outlives a child that dies and
  every engine worker keeps a valid write end), starts the child, forwards SIGHUP, restarts a child that died
  (after 1 s, doubling up to 30 s; back to 1 s once a child ran for a minute) and stops it last, after the
  engine: SIGTERM, a bounded wait, then SIGKILL.
- `run_child` is the child's side (`python -m exshell.transport.cli --role delivery ...`, which configures the
  logs as serve does). It ignores SIGINT (a Ctrl-C in a terminal reaches the whole process group; the parent
  stops the child after its engine), stops on SIGTERM, reopens the log files on SIGHUP, and stops when the pipe
  reaches end of file: every writer is gone (the parent was killed), so it never outlives its server.
- The store's address travels in EXSHELL_STORE, never on the command line (a PostgreSQL URL may hold a password).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import select
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

log = logging.getLogger("exshell.service")
delivery_log = logging.getLogger("exshell.transport.delivery")

PIPE_BUF = select.PIPE_BUF  # a write up to this size is atomic: several engine workers never interleave lines
SPOOL_ID = re.compile(rb"[0-9A-Za-z_-]{1,64}")
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
HEALTHY_SECONDS = 60.0  # a child that ran this long before dying starts the back-off over
STOP_WAIT = 15.0  # the child's own stop lets attempts in flight finish for 5 s
# What the child must not inherit: the readiness protocol is the parent's (NotifyAccess=main), the sockets of
# socket activation are the engine's.
PARENT_ONLY_ENV = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
                   "EXSHELL_LISTEN_FDS", "EXSHELL_DELIVERY_FD")


class Announcer:
    """The engine's `on_spooled`: collects spool ids and writes them to the pipe once per loop iteration."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self.pending: list[str] = []
        self.dropped = 0  # ids the pipe had no room for (the child's full pass finds those messages)
        self.redirect: Callable[[str], None] | None = None  # set when delivery runs inline after all

    def __call__(self, spool_id: str) -> None:
        if self.redirect is not None:
            self.redirect(spool_id)
            return
        if not self.pending:
            asyncio.get_running_loop().call_soon(self.flush)
        self.pending.append(spool_id)

    def flush(self) -> None:
        ids, self.pending = self.pending, []
        chunk = bytearray()
        for i, spool_id in enumerate(ids):
            line = spool_id.encode("ascii", "replace") + b"\n"
            if len(chunk) + len(line) > PIPE_BUF:
                if not self._write(bytes(chunk)):
                    self._drop(len(ids) - i)
                    return
                chunk.clear()
            chunk += line
        if chunk and not self._write(bytes(chunk)):
            self._drop(chunk.count(b"\n"))

    def _write(self, data: bytes) -> bool:
        try:
            return os.write(self.fd, data) == len(data)  # <= PIPE_BUF: all of it or nothing
        except (BlockingIOError, BrokenPipeError):
            return False
        except OSError as exc:
            log.debug("announcing spooled messages to the delivery process failed: %s", exc)
            return False

    def _drop(self, n: int) -> None:
        if not self.dropped:
            log.debug("the delivery pipe is full: the delivery process's next full pass picks the messages up")
        self.dropped += n


class DeliveryChild:
    """The parent's side of the delivery process: the pipe, start, restart with a back-off, SIGHUP, stop.
    `poll()` is called regularly (the engine's loop, or the `--workers` supervisor's)."""

    def __init__(self, argv: Sequence[str], env: dict[str, str]) -> None:
        self.argv = list(argv)
        self.env = {k: v for k, v in env.items() if k not in PARENT_ONLY_ENV}
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.write_fd, False)
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.restart_at: float | None = None
        self.backoff = FIRST_BACKOFF
        self.stopping = False
        self.unexpected_exits = 0
        self.last_failure = ""

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        """Start the child; OSError when the interpreter cannot be run (the caller decides what then)."""
        # A process group of its own: a Ctrl-C in a terminal reaches the engine, which stops the child after it.
        self.proc = subprocess.Popen(self.argv, stdin=self.read_fd, env=self.env, process_group=0)
        self.started_at = time.monotonic()
        self.restart_at = None
        log.info("delivery process started (pid %d)", self.proc.pid)

    def poll(self) -> None:
        """Notice a child that exited on its own (log it, plan a restart) and restart it when its time came."""
        if self.stopping:
            return
        now = time.monotonic()
        if self.proc is not None and self.restart_at is None:
            code = self.proc.poll()
            if code is None:
                return
            self.unexpected_exits += 1
            if now - self.started_at >= HEALTHY_SECONDS:
                self.backoff = FIRST_BACKOFF
            how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            self.last_failure = how
            log.error("the delivery process (pid %d) %s; starting it again in %g s", self.proc.pid, how,
                      self.backoff)
            self.restart_at = now + self.backoff
            self.backoff = min(MAX_BACKOFF, self.backoff * 2)
        if self.restart_at is not None and now >= self.restart_at:
            self.start_or_retry()

    def start_or_retry(self) -> None:
        try:
            self.start()
        except OSError as exc:
            self.restart_at = time.monotonic() + self.backoff
            self.last_failure = f"could not be started ({exc})"
            log.error("the delivery process cannot be started: %s; trying again in %g s", exc, self.backoff)
            self.backoff = min(MAX_BACKOFF, self.backoff * 2)

    def forward(self, signum: int) -> None:
        if self.running:
            assert self.proc is not None
            self.proc.send_signal(signum)

    def stop(self, wait: float = STOP_WAIT) -> bool:
        """SIGTERM, wait (bounded), SIGKILL. True when the child was running and stopped cleanly."""
        self.stopping = True
        proc = self.proc
        clean = proc is not None and proc.poll() is None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(wait)
            except subprocess.TimeoutExpired:
                log.error("the delivery process (pid %d) did not stop within %g s; killing it", proc.pid, wait)
                proc.kill()
                code = proc.wait(10)
            if code not in (0, -signal.SIGTERM):  # killed by our SIGTERM: it was still starting, nothing to lose
                clean = False
                if code > 0:
                    log.error("the delivery process exited with code %d at stop", code)
        elif proc is not None:
            log.error("the delivery process was not running at stop (it %s)", self.last_failure or "exited")
        for fd in (self.read_fd, self.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        return clean


# ---------------------------------------------------------------------- the child


def child_argv(executable: str, state: str, server: str | None, log_args: Sequence[str], event_loop: str,
               user: str | None = None) -> list[str]:
    """The child's command line: serve's own entry in its delivery role, with serve's log options. `user`: the
    `--workers` supervisor runs as root, so its child drops to the user itself, as each worker does."""
    argv = [executable, "-m", "exshell.transport.cli", "--role", "delivery", "--state", state,
            "--event-loop", event_loop, *log_args]
    if server:
        argv += ["--server", server]
    if user is not None:
        argv += ["--user", user]
    return argv


def read_ids(buffer: bytearray, data: bytes) -> list[str]:
    """Complete lines of `buffer + data` that are spool ids; the incomplete rest stays in `buffer`."""
    buffer += data
    *lines, rest = bytes(buffer).split(b"\n")
    buffer[:] = rest[-4096:]
    return [line.decode("ascii") for line in lines if SPOOL_ID.fullmatch(line)]


async def run_child(state: str, server: str | None, store_spec: str | None,
                    reopen_logs: Callable[[], None]) -> int:
    """The delivery process: a DeliveryService announced to through stdin, until SIGTERM or end of file."""
    from exshell.app import server_for_store  # lazy: the child process only
    from exshell.config import validate_records
    from exshell.store import open_store
    from exshell.transport.delivery.service import DeliveryService

    store = open_store(store_spec or state, validate=validate_records)
    if hasattr(store, "subscribe"):
        store.subscribe(lambda _version: None)  # current_version() from notifications, also through an outage
    # Nothing scrapes this process's metrics (`--delivery process --metrics` is refused): no counting.
    service = DeliveryService(Path(state), store, server or server_for_store(state, store), count_metrics=False)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reopen_logs)
    buffer = bytearray()
    fd = 0

    def readable() -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            delivery_log.warning("the engine's pipe was closed (the engine is gone): the delivery process stops")
            stop.set()
            return
        for spool_id in read_ids(buffer, data):
            service.notify(spool_id)

    await service.start()
    os.set_blocking(fd, False)
    loop.add_reader(fd, readable)
    try:
        await stop.wait()
    finally:
        loop.remove_reader(fd)
        await service.stop()
        close = getattr(store, "close", None)
        if close is not None:
            close()
    return 0
