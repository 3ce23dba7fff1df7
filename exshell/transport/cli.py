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
import socket
import sys
import traceback
from typing import Any


def default_server_name() -> str:
    """The same default as the shell's (exshell.runtime.session), so both name the same server."""
    try:
        from exshell.runtime.session import default_server_name as shell_default

        return shell_default()
    except ImportError:  # pragma: no cover
        return (socket.gethostname().split(".")[0] or "EXSHELL").upper()


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="exshell serve", description="Run the exshell SMTP engine.")
    p.add_argument("--state", default=os.environ.get("EXSHELL_STATE", "state"), help="state folder")
    p.add_argument("--server", default=None, help="this server's name (default: the host's short name)")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
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
    logger = logging.getLogger("exshell.transport")
    logger.setLevel(level)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(fmt)
    logger.addHandler(err)
    logs = os.path.join(state, "logs")
    os.makedirs(logs, exist_ok=True)
    fh = logging.FileHandler(os.path.join(logs, "transport.log"), encoding="utf-8")
    fh.setFormatter(fmt)
    logger.addHandler(fh)
    logger.propagate = False


async def _run(args: argparse.Namespace) -> int:
    from exshell.transport.engine import Engine

    from exshell.transport.delivery.service import DeliveryService

    workers = max(1, args.workers)
    worker = args.worker or 0
    server = args.server or default_server_name()
    engine = Engine(args.state, server, spool_threads=args.spool_threads, worker=worker, workers=workers)
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
