"""`exshell serve`: run the SMTP engine until SIGTERM / SIGINT.

    exshell serve [--state DIR] [--server NAME] [--log-level LEVEL] [--workers N]

Logs go to stderr and to `<state>/logs/transport.log`. SIGTERM stops accepting, lets transactions in progress
finish (at most 10 s), answers idle sessions `421 4.3.2` and exits 0.

`--workers N` runs N engine processes on the same bindings (SO_REUSEPORT: the kernel spreads connections
between them), because one asyncio process is held to one core. Each worker enforces the connection limits
(MaxInboundConnection, MaxInboundConnectionPerSource) on its own share of the connections; the default of one
worker keeps them exact.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import traceback
from typing import Any


def default_server_name(state: str | None = None, store: Any = None) -> str:
    """The same default as the shell's (exshell.runtime.session.server_for_store), so both name the same
    server for the same store: the host's short name when the store has it, else the store's only server."""
    from exshell.runtime.session import default_server_name as host_default, server_for_store

    if state is None:
        return host_default()
    return server_for_store(state, store)


class NoListenerError(Exception):
    """Nothing to serve: the engine exits non-zero with this message."""


class RepeatFilter(logging.Filter):
    """Rate-limits identical error/warning lines (same level and text): the first goes through, repeats within
    `window` seconds are counted, and the next one after the window says how many were held back. A failing
    smart host or a full disk then costs one line a minute, not one per message."""

    def __init__(self, window: float = 60.0, max_keys: int = 1024) -> None:
        super().__init__()
        self.window = window
        self.max_keys = max_keys
        self._seen: dict[tuple[int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        import time

        key = (record.levelno, record.getMessage())
        now = time.monotonic()
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self.window:
            self._seen[key] = (seen[0], seen[1] + 1)
            return False
        if len(self._seen) >= self.max_keys:
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.window}
        self._seen[key] = (now, 0)
        if seen is not None and seen[1]:
            record.msg = f"{record.getMessage()} (repeated {seen[1]} more time(s) in the last {self.window:g} s)"
            record.args = ()
        return True


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="exshell serve", description="Run the exshell SMTP engine.")
    p.add_argument("--state", default=os.environ.get("EXSHELL_STATE", "state"), help="state folder")
    p.add_argument("--store", default=os.environ.get("EXSHELL_STORE") or None,
                   help="the configuration store a fleet shares (postgresql://...); default: the state folder's")
    p.add_argument("--server", default=None,
                   help="this server's name (default: the shell's: the host's short name when the store has it, "
                        "else the store's only server)")
    p.add_argument("--log-level", default="INFO", type=str.upper, choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                   help="INFO: one line per message received, delivered, deferred or bounced; WARNING: problems "
                        "only (deferrals, bounces, refused bindings); DEBUG: every session")
    p.add_argument("--stop-grace", type=float, default=10.0, help=argparse.SUPPRESS)
    p.add_argument("--spool-threads", type=int, default=None, help=argparse.SUPPRESS)  # bench lever
    p.add_argument("--event-loop", choices=["uvloop", "asyncio"], default="uvloop",
                   help="the event loop (uvloop when installed; asyncio is the standard library's)")
    p.add_argument("--workers", type=int, default=1, help="engine processes sharing the bindings (default 1)")
    p.add_argument("--no-delivery", action="store_true",
                   help="receive and queue only; run delivery elsewhere (python -m exshell.transport.delivery.service)")
    p.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)  # set by the supervisor
    return p.parse_args(argv)


def _setup_logging(state: str, level: str) -> None:
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    repeats = RepeatFilter()
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(fmt)
    logs = os.path.join(state, "logs")
    os.makedirs(logs, exist_ok=True)
    fh = logging.FileHandler(os.path.join(logs, "transport.log"), encoding="utf-8")
    fh.setFormatter(fmt)
    # exshell.store: a shared store's connection (lost, reachable again) is the engine's news too.
    for name in ("exshell.transport", "exshell.store"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        # On the logger, not on each handler: a filter shared by two handlers saw every record twice and
        # held the second copy back as a repeat, so warnings reached stderr but never transport.log.
        logger.addFilter(repeats)
        logger.addHandler(err)
        logger.addHandler(fh)
        logger.propagate = False


async def _run(args: argparse.Namespace) -> int:
    from exshell.transport.engine import Engine

    from exshell.transport.delivery.service import DeliveryService

    workers = max(1, args.workers)
    worker = args.worker or 0
    store = None
    if args.store:
        from exshell.config import validate_records
        from exshell.model.defaults import initial_config
        from exshell.runtime.session import default_server_name as host_default
        from exshell.store import open_store

        first = args.server or host_default()
        store = open_store(
            args.store, lambda: initial_config(first, state_dir=args.state), validate=validate_records
        )
    server = args.server or default_server_name(args.state, store)
    engine = Engine(args.state, server, store=store, store_spec=args.store, spool_threads=args.spool_threads,
                    worker=worker, workers=workers)
    # Delivery runs once per server: in the only engine, or in worker 0 of several (the others' messages
    # reach it through the shared spool, which it polls).
    delivery = DeliveryService(args.state, engine.store, server) if worker == 0 and not args.no_delivery else None
    if delivery is not None:
        engine.on_spooled = delivery.notify
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await engine.start()
    problem = engine.nothing_to_serve()
    if problem:
        await engine.stop(0)
        raise NoListenerError(problem)
    if delivery is not None:
        await delivery.start()
    await stop.wait()
    logging.getLogger("exshell.transport").info("stopping: no new connections; finishing sessions in progress")
    await engine.stop(args.stop_grace)
    if delivery is not None:
        await delivery.stop()
    return 0


def _supervise(argv: list[str], args: argparse.Namespace) -> int:
    """Run `--workers N` engine processes; forward SIGTERM/SIGINT; exit 0 when all stopped cleanly. A worker
    that dies is started again (bounded: at most 5 restarts a minute), so one crash never stops the relay."""
    import subprocess
    import time

    log = logging.getLogger("exshell.transport")
    base = [sys.executable, "-m", "exshell.transport.cli"] + argv

    def spawn(i: int) -> subprocess.Popen:
        return subprocess.Popen(base + ["--worker", str(i)])

    procs = {i: spawn(i) for i in range(args.workers)}
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    restarts: list[float] = []
    while True:
        alive = False
        for i, p in list(procs.items()):
            code = p.poll()
            if code is None:
                alive = True
                continue
            if stopping:
                continue
            if code == 2:  # nothing to serve (NoListenerError): starting it again cannot help
                log.error("engine worker %d found nothing to serve; stopping", i)
                on_signal(signal.SIGTERM, None)
                restarts = [0.0] * 6
                continue
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < 60] + [now]
            if len(restarts) > 5:
                log.error("engine worker %d keeps exiting (code %s); stopping", i, code)
                on_signal(signal.SIGTERM, None)
                continue
            log.error("engine worker %d exited with code %s; starting it again", i, code)
            procs[i] = spawn(i)
            alive = True
        if not alive:
            break
        time.sleep(0.2)
    if any(p.returncode == 2 for p in procs.values()):
        return 2
    return 0 if all(p.returncode == 0 for p in procs.values()) and len(restarts) <= 5 else 1


def _run_loop(main: Any, kind: str) -> int:
    """uvloop (libuv, C) when installed and not turned off: the engine is one asyncio process, so the event
    loop's own overhead per SMTP command is what a single core spends most of its time on."""
    if kind != "asyncio":
        try:
            import uvloop

            return uvloop.run(main)  # type: ignore[no-any-return]
        except ImportError:
            pass
    return asyncio.run(main)


def serve_main(argv: list[str]) -> int:
    args = _parse(argv)
    if args.workers > 1 and args.worker is None:
        try:
            os.makedirs(args.state, exist_ok=True)
            _setup_logging(args.state, args.log_level)
        except OSError as e:
            print(f"exshell serve: cannot use the state folder {args.state}: {e.strerror}", file=sys.stderr)
            return 1
        return _supervise(argv, args)
    try:
        os.makedirs(args.state, exist_ok=True)
        _setup_logging(args.state, args.log_level)
    except OSError as e:
        print(f"exshell serve: cannot use the state folder {args.state}: {e.strerror}", file=sys.stderr)
        return 1
    try:
        return _run_loop(_run(args), args.event_loop)
    except KeyboardInterrupt:
        return 0
    except NoListenerError as e:
        logging.getLogger("exshell.transport").error("exshell serve: %s", e)
        return 2
    except Exception as e:  # one line for the user; the traceback goes to the log file only
        logging.getLogger("exshell.transport").error("exshell serve: %s", e)
        try:
            with open(os.path.join(args.state, "logs", "transport.log"), "a", encoding="utf-8") as f:
                f.write(traceback.format_exc())
        except OSError:
            pass
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(serve_main(sys.argv[1:]))
