"""`exshell serve`: run the SMTP engine until SIGTERM / SIGINT (`exshell serve --help` lists the options).

Logs go to stderr (the journal under systemd) and to `<state>/logs/transport.log`, rotated. SIGTERM stops
accepting, lets transactions in progress finish (at most 10 s), answers idle sessions `421 4.3.2` and exits 0;
SIGHUP re-reads the configuration and reopens the log files (exshell.service.lifecycle).

Delivery runs in a child process by default (`--delivery process`: exshell.service.delivery_process), so the
engine and delivery use two cores; `--delivery inline` keeps it on the engine's event loop (the default with
`--metrics`, whose delivery counters live in the engine's process).

`--workers N` runs N engine processes on the same bindings (SO_REUSEPORT: the kernel spreads connections
between them), because one asyncio process is held to one core; `--workers auto` runs one per core. Each
worker enforces the connection limits
(MaxInboundConnection, MaxInboundConnectionPerSource) on its own share of the connections; the default of one
worker keeps them exact.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from exshell.cli import owner_only_files
from exshell.service.logs import LogSettings, parse_levels
from exshell.service.logs import configure as configure_logging
from exshell.service.logs import reopen as reopen_logs
from exshell.app import default_server_name as host_default, server_for_store
from exshell.shell.runner import resolve_state

if TYPE_CHECKING:
    from exshell.service.delivery_process import Announcer, DeliveryChild
    from exshell.transport.delivery.service import DeliveryService


def default_server_name(state: str | None = None, store: Any = None) -> str:
    """The same default as the shell's (exshell.app.server_for_store), so both name the same
    server for the same store: the host's short name when the store has it, else the store's only server."""
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


@dataclass(slots=True)
class ServeOptions:
    state: str
    server: str | None = None
    store: str | None = None  # a shared store's URL (postgresql://...); None: the state folder's
    log: LogSettings = field(default_factory=LogSettings)
    workers: int = 1
    worker: int | None = None
    delivery: str = "process"  # process | inline | none (DELIVERY_MODES)
    role: str = "serve"  # serve | delivery (the delivery child: exshell.service.delivery_process)
    event_loop: str = "uvloop"
    metrics: tuple[str, int] | None = None
    user: str | None = None
    stop_grace: float = 10.0
    spool_threads: int | None = None


MAX_WORKERS = 64
DELIVERY_MODES = ("process", "inline", "none")


class _Workers(click.ParamType):
    """`--workers N` (1..64) or `auto`: one per core this process may run on (its CPU affinity, so a service
    limited to 2 cores gets 2, not the host's count)."""

    name = "N|auto"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text == "auto":
            try:
                return max(1, len(os.sched_getaffinity(0)))
            except (AttributeError, OSError):
                return max(1, os.cpu_count() or 1)
        try:
            n = int(text)
        except ValueError:
            self.fail(f"expected a number of workers or 'auto', not {value!r}", param, ctx)
        if not 1 <= n <= MAX_WORKERS:
            self.fail(f"the number of workers must be between 1 and {MAX_WORKERS}, not {n}", param, ctx)
        return n


def _size(text: str) -> int:
    """`10M`, `512K`, `1G` or bytes."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    t = text.strip().upper().removesuffix("B")
    mult = units.get(t[-1:], 1)
    number = t[:-1] if t[-1:] in units else t
    if not number.isdigit():
        raise click.BadParameter(f"'{text}' is not a size (bytes, or a number with K, M or G)")
    return int(number) * mult


def _metrics_address(_ctx: Any, _param: Any, value: str | None) -> tuple[str, int] | None:
    if value is None:
        return None
    from exshell.transport.metrics import parse_address  # lazy: only --metrics needs it

    try:
        return parse_address(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def _levels(_ctx: Any, _param: Any, values: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    try:
        return parse_levels(values)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


@click.command("serve", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--state", "state", default=None, metavar="DIR", envvar="EXSHELL_STATE",
              help="The state folder (default: the shell's: ./state in a checkout, else $XDG_STATE_HOME/exshell).")
@click.option("--store", "store", default=None, metavar="URL", envvar="EXSHELL_STORE",
              help="The configuration store a fleet shares (postgresql://...); default: the state folder's.")
@click.option("--server", default=None, metavar="NAME",
              help="This server's name (default: the shell's: the host's short name when the store has it, else "
                   "the store's only server).")
@click.option("--workers", type=_Workers(), default="1", show_default=True,
              help="Engine processes sharing the bindings (SO_REUSEPORT); auto: one per core. Each enforces the "
                   "connection limits on its own share (README).")
@click.option("--delivery", "delivery", type=click.Choice(DELIVERY_MODES), default=None,
              help="process (default): delivery runs in a child process of its own, so engine and delivery use two "
                   "cores; inline: on the engine's event loop (the default with --metrics, which counts delivery in "
                   "the engine's process); none: receive and queue only.")
@click.option("--no-delivery", is_flag=True,
              help="Receive and queue only (--delivery none); run delivery elsewhere "
                   "(python -m exshell.transport.delivery.service).")
@click.option("--event-loop", type=click.Choice(["uvloop", "asyncio"]), default="uvloop", show_default=True,
              help="uvloop when installed; asyncio is the standard library's.")
@click.option("--metrics", "metrics", default=None, metavar="HOST:PORT", callback=_metrics_address,
              help="Serve Prometheus metrics on http://HOST:PORT/metrics (e.g. 127.0.0.1:9425).")
@click.option("--user", default=None, metavar="NAME",
              help="Started as root: bind the listeners, then run as this user (before any client byte is read).")
@click.option("--log-level", "levels", multiple=True, metavar="[COMPONENT=]LEVEL", callback=_levels,
              help="DEBUG, INFO (one line per message received, delivered, deferred or bounced), WARNING or ERROR; "
                   "per component with transport=, delivery=, service=, store= (repeatable).")
@click.option("--log-target", type=click.Choice(["auto", "stderr", "journal", "syslog"]), default="auto",
              show_default=True, help="auto: the journal when stderr is the journal (systemd), else stderr.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one JSON object per line.")
@click.option("--log-rotate", type=click.Choice(["size", "daily"]), default="size", show_default=True,
              help="Rotate <state>/logs/transport.log by size or every day.")
@click.option("--log-max-size", default="10M", show_default=True, metavar="SIZE",
              help="The size at which the log file is rotated (--log-rotate size).")
@click.option("--log-keep", type=click.IntRange(1, 1000), default=7, show_default=True,
              help="Rotated log files kept.")
@click.option("--stop-grace", type=float, default=10.0, hidden=True)
@click.option("--spool-threads", type=int, default=None, hidden=True)  # bench lever
@click.option("--worker", type=int, default=None, hidden=True)  # set by the supervisor
@click.option("--role", type=click.Choice(["serve", "delivery"]), default="serve", hidden=True)  # the delivery child
@click.pass_context
def serve_command(ctx: click.Context, state: str | None, store: str | None, server: str | None, workers: int,
                  delivery: str | None, no_delivery: bool, event_loop: str, metrics: tuple[str, int] | None,
                  user: str | None, levels: tuple[str, dict[str, str]], log_target: str, log_format: str,
                  log_rotate: str, log_max_size: str, log_keep: int, stop_grace: float, spool_threads: int | None,
                  worker: int | None, role: str) -> int:
    """Run the SMTP engine: every enabled receive connector of this server, with delivery.

    Delivery runs in a process of its own (two cores), started once the listeners are up and restarted (after 1 s,
    up to 30 s) if it dies; nothing accepted is lost meanwhile (the spool is the truth).
    SIGTERM/SIGINT stop accepting, let transactions in progress finish, then stop delivery, and exit 0 (1 when
    delivery was down at stop); SIGHUP re-reads the configuration now, retries bindings that could not be opened
    and reopens the log files (both processes'). Under systemd
    (Type=notify) it reports READY/RELOADING/STOPPING and keeps the watchdog fed; sockets passed by socket
    activation are served. Exits 2 when no binding can be opened.
    """
    parent = ctx.find_root().obj if ctx.parent is not None else None
    if state is None:
        state = str(resolve_state((parent or {}).get("state")))
    server = server or (parent or {}).get("server")
    store = store or (parent or {}).get("store")
    level, components = levels
    if no_delivery:
        if delivery not in (None, "none"):
            raise click.UsageError(f"--no-delivery and --delivery {delivery} contradict each other")
        delivery = "none"
    if delivery == "process" and metrics is not None:
        raise click.UsageError("--metrics counts delivery in the engine's process: use it with --delivery inline "
                               "(its default) or --delivery none")
    if delivery is None:
        delivery = "inline" if metrics is not None else "process"
    opts = ServeOptions(
        state=state, server=server, store=store, workers=workers, worker=worker, delivery=delivery, role=role,
        event_loop=event_loop, metrics=metrics, user=user, stop_grace=stop_grace, spool_threads=spool_threads,
        log=LogSettings(level=level, components=components, target=log_target, fmt=log_format,
                        rotate=log_rotate, max_bytes=_size(log_max_size), keep=log_keep),
    )
    return _serve(opts)


def _log_argv(o: ServeOptions) -> list[str]:
    """serve's log options, spelled out for a worker or the delivery child (same handlers, levels, rotation)."""
    argv = ["--log-level", o.log.level, "--log-target", o.log.target, "--log-format", o.log.fmt,
            "--log-rotate", o.log.rotate, "--log-max-size", str(o.log.max_bytes), "--log-keep", str(o.log.keep)]
    for logger, level in o.log.components.items():
        argv += ["--log-level", f"{logger}={level}"]
    return argv


def _child_env(o: ServeOptions) -> dict[str, str]:
    """A worker's or the delivery child's environment: the store's address in EXSHELL_STORE, never on the
    command line (a PostgreSQL URL may hold a password, and every local user can read a command line)."""
    env = dict(os.environ)
    env.pop("EXSHELL_STORE", None)
    if o.store:
        env["EXSHELL_STORE"] = o.store
    return env


def _worker_argv(o: ServeOptions) -> list[str]:
    """The command line of a worker process (`--workers N`): the same options, spelled out. With delivery in a
    process, the supervisor runs it and the workers announce to it (EXSHELL_DELIVERY_FD); inline, worker 0 runs
    it."""
    argv = ["--state", o.state, "--workers", str(o.workers), "--event-loop", o.event_loop,
            "--stop-grace", str(o.stop_grace), "--delivery", o.delivery, *_log_argv(o)]
    if o.server:
        argv += ["--server", o.server]
    if o.user:
        argv += ["--user", o.user]
    if o.spool_threads is not None:
        argv += ["--spool-threads", str(o.spool_threads)]
    return argv


async def _run(o: ServeOptions, hooks_args: dict[str, Any]) -> int:
    # Lazy: the engine loads when serve runs, not when the click group is built (--help, the REPL).
    from exshell.service.delivery_process import Announcer, DeliveryChild, child_argv
    from exshell.service.lifecycle import ServiceHooks
    from exshell.transport.delivery.service import DeliveryService
    from exshell.transport.engine import Engine

    worker = o.worker or 0
    store = None
    if o.store:
        # Lazy: the store and the model load when serve opens the store.
        from exshell.config import validate_records
        from exshell.model.defaults import initial_config
        from exshell.store import open_store

        first = o.server or host_default()
        store = open_store(o.store, lambda: initial_config(first, state_dir=Path(o.state)), validate=validate_records)
    server = o.server or default_server_name(o.state, store)
    engine = Engine(o.state, server, store=store, store_spec=o.store, spool_threads=o.spool_threads,
                    worker=worker, workers=o.workers)
    # Delivery runs once per server. --delivery process: a child process the single engine starts below, or
    # the --workers supervisor (every worker announces to it through the pipe it inherited); inline: on the
    # loop of the only engine, or of worker 0 (the others' messages reach it through the spool, which it polls).
    child: DeliveryChild | None = None
    announcer: Announcer | None = None
    delivery: DeliveryService | None = None
    inherited_pipe = os.environ.pop("EXSHELL_DELIVERY_FD", "")
    if o.delivery == "process" and o.worker is None:
        child = DeliveryChild(child_argv(sys.executable, o.state, server, _log_argv(o), o.event_loop),
                              _child_env(o))
        announcer = Announcer(child.write_fd)
    elif o.delivery == "process" and inherited_pipe.isdigit():
        announcer = Announcer(int(inherited_pipe))
    elif o.delivery == "inline" and worker == 0:
        delivery = DeliveryService(o.state, engine.store, server)
    if announcer is not None:
        engine.on_spooled = announcer
    elif delivery is not None:
        engine.on_spooled = delivery.notify
    if child is not None:
        reopen = hooks_args.get("reopen_logs")
        running_child = child

        def reopen_and_forward() -> None:  # SIGHUP: the child reopens its log files too
            if reopen is not None:
                reopen()
            running_child.forward(signal.SIGHUP)

        hooks_args = dict(hooks_args, reopen_logs=reopen_and_forward)
    hooks = ServiceHooks(engine, reuse_port=o.workers > 1, **hooks_args)
    hooks.before_start()  # socket activation; as root with --user: bind, then drop (no client byte read yet)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await engine.start()
    problem = engine.nothing_to_serve()
    if problem:
        await engine.stop(0)
        raise NoListenerError(problem)
    metrics_server = None
    if o.metrics is not None:
        # Lazy: only --metrics needs them.
        from exshell.service.commands import write_serve_info
        from exshell.transport.metrics import start_http

        try:
            metrics_server = await start_http(*o.metrics)
        except OSError as e:
            await engine.stop(0)
            raise NoListenerError(f"the metrics endpoint {o.metrics[0]}:{o.metrics[1]} cannot be opened: "
                                  f"{e.strerror or e}") from None
        host, port = metrics_server.sockets[0].getsockname()[:2]
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        write_serve_info(Path(o.state), metrics=shown, server=server)
        logging.getLogger("exshell.service").info("metrics on http://%s/metrics", shown)
    watch: asyncio.Task[None] | None = None
    if child is not None:
        # After the privilege drop and with the listeners up: the child is the user from its first instruction.
        try:
            child.start()
        except OSError as e:
            # E.g. as root with --user and an interpreter the user cannot run (a venv under /root): delivery
            # still happens, on the engine's loop.
            logging.getLogger("exshell.service").error(
                "the delivery process cannot be started (%s); delivery runs inline, in the engine's process", e)
            child.stop()
            child = None
            delivery = DeliveryService(o.state, engine.store, server)
            assert announcer is not None
            announcer.redirect = delivery.notify
        else:
            watch = loop.create_task(_watch_child(child))
    if delivery is not None:
        await delivery.start()
    agent = None
    if worker == 0 and hasattr(engine.store, "queue_agent"):
        # A shared store: shells on other machines reach this server's queue through it (store/queue_requests.py).
        from exshell.transport.queue_agent import handler_for  # lazy: a shared store only

        agent = engine.store.queue_agent(server, handler_for(o.state, server, engine.store))
        agent.start()
    hooks.started()
    await stop.wait()
    await hooks.stopping()
    logging.getLogger("exshell.transport").info("stopping: no new connections; finishing sessions in progress")
    if metrics_server is not None:
        metrics_server.close()
    await engine.stop(o.stop_grace)
    if agent is not None:
        await loop.run_in_executor(None, agent.stop)
    code = 0
    if watch is not None:
        watch.cancel()
    if child is not None and not await loop.run_in_executor(None, child.stop):
        code = 1  # it had died, or did not stop cleanly: logged
    if delivery is not None:
        await delivery.stop()
    engine.close_store()
    if store is not None:
        store.close()
    return code


async def _watch_child(child: DeliveryChild) -> None:
    """Notice a delivery child that died and restart it (DeliveryChild.poll: the back-off)."""
    while True:
        await asyncio.sleep(0.5)
        child.poll()


def _supervise(o: ServeOptions) -> int:
    """Run `--workers N` engine processes; forward SIGTERM/SIGINT (and SIGHUP); exit 0 when all stopped cleanly.
    A worker that dies is started again (bounded: at most 5 restarts a minute), so one crash never stops the
    relay. Sockets from socket activation are passed on to every worker.

    With `--delivery process` the supervisor runs the delivery child too (one per server, and it outlives any
    worker's restart); every worker inherits the write end of its pipe. It is stopped after the last worker."""
    import subprocess
    import time

    # Lazy: only serve hands sockets and readiness to systemd.
    from exshell.service import activation
    from exshell.service.delivery_process import DeliveryChild, child_argv
    from exshell.service.notify import Notifier

    log = logging.getLogger("exshell.transport")
    base = [sys.executable, "-m", "exshell.transport.cli"] + _worker_argv(o)
    inherited = activation.listen_fds()
    fds = tuple(sock.fileno() for sock in inherited)
    env = _child_env(o)
    if fds:
        env["EXSHELL_LISTEN_FDS"] = ",".join(map(str, fds))
    notifier = Notifier()
    delivery = None
    if o.delivery == "process":
        # Started as root when serve is (it drops to --user itself, as each worker does).
        delivery = DeliveryChild(child_argv(sys.executable, o.state, o.server, _log_argv(o), o.event_loop, o.user),
                                 _child_env(o))
        env["EXSHELL_DELIVERY_FD"] = str(delivery.write_fd)
        fds += (delivery.write_fd,)

    def spawn(i: int) -> subprocess.Popen[bytes]:
        # The workers report to us, not to systemd (NotifyAccess=main): they don't see NOTIFY_SOCKET.
        child_env = dict(env)
        for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
            child_env.pop(name, None)
        return subprocess.Popen(base + ["--worker", str(i)], pass_fds=fds, env=child_env)

    procs = {i: spawn(i) for i in range(o.workers)}
    if delivery is not None:
        delivery.start_or_retry()
    notifier.ready(f"{o.workers} engine workers started")
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        if signum != signal.SIGHUP:
            stopping = True
            notifier.stopping()
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signum)
        if signum == signal.SIGHUP and delivery is not None:
            delivery.forward(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    restarts: list[float] = []
    beat = notifier.watchdog_seconds / 2
    last_beat = 0.0
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
        if delivery is not None:
            delivery.poll()
        if beat and time.monotonic() - last_beat >= beat:
            notifier.watchdog()
            last_beat = time.monotonic()
        time.sleep(0.2)
    delivery_clean = delivery is None or delivery.stop()
    if any(p.returncode == 2 for p in procs.values()):
        return 2
    return 0 if all(p.returncode == 0 for p in procs.values()) and len(restarts) <= 5 and delivery_clean else 1


def _run_loop(main: Any, kind: str) -> int:
    """uvloop (libuv, C) when installed and not turned off: the engine is one asyncio process, so the event
    loop's own overhead per SMTP command is what a single core spends most of its time on."""
    if kind != "asyncio":
        try:
            import uvloop
        except ImportError:
            uvloop = None  # type: ignore[assignment]
        if uvloop is not None:  # an ImportError raised by the engine itself must not restart it on asyncio
            return uvloop.run(main)  # type: ignore[no-any-return]
    return asyncio.run(main)


def _inherited_from_supervisor() -> list[Any] | None:
    """A worker's share of the supervisor's socket-activation sockets (EXSHELL_LISTEN_FDS=3,4)."""
    text = os.environ.pop("EXSHELL_LISTEN_FDS", "")
    if not text:
        return None
    import socket

    out = []
    for fd in text.split(","):
        sock = socket.socket(fileno=int(fd))
        sock.setblocking(False)
        out.append(sock)
    return out


def _serve(o: ServeOptions) -> int:
    owner_only_files()
    log = logging.getLogger("exshell.transport")
    if o.metrics is not None and o.workers > 1:
        print("exshell serve: --metrics counts one engine process; use it with --workers 1", file=sys.stderr)
        return 2
    account = None
    if o.user is not None:
        from exshell.service.privileges import PrivilegeError, find_account  # lazy: only --user needs it

        try:
            account = find_account(o.user)
        except PrivilegeError as e:
            print(f"exshell serve: --user: {e}", file=sys.stderr)
            return 2
        if os.geteuid() != 0 and os.geteuid() != account.uid:
            print(f"exshell serve: --user {o.user} needs root to switch users", file=sys.stderr)
            return 2
    try:
        os.makedirs(o.state, exist_ok=True)
        handlers = configure_logging(o.state, o.log, filters=[RepeatFilter])
    except OSError as e:
        print(f"exshell serve: cannot use the state folder {o.state}: {e.strerror}", file=sys.stderr)
        return 1
    if o.role == "delivery":
        return _delivery_child(o, account, handlers)
    if o.workers > 1 and o.worker is None:
        return _supervise(o)
    hooks_args: dict[str, Any] = {"account": account, "reopen_logs": lambda: reopen_logs(handlers),
                                  "inherited": _inherited_from_supervisor()}
    try:
        return _run_loop(_run(o, hooks_args), o.event_loop)
    except KeyboardInterrupt:
        return 0
    except NoListenerError as e:
        log.error("exshell serve: %s", e)
        return 2
    except Exception as e:  # one line for the user; the traceback goes to the log file only
        log.error("exshell serve: %s", e)
        try:
            with open(os.path.join(o.state, "logs", "transport.log"), "a", encoding="utf-8") as f:
                f.write(traceback.format_exc())
        except OSError:
            pass
        return 1


def _delivery_child(o: ServeOptions, account: Any, handlers: list[logging.Handler]) -> int:
    """The delivery process `exshell serve` starts (exshell.service.delivery_process). Started as root by the
    `--workers` supervisor, it becomes the --user account before it opens anything."""
    from exshell.service.delivery_process import run_child  # lazy: the child only

    log = logging.getLogger("exshell.transport.delivery")
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a reload while it starts must not kill it (run_child handles it)
    if account is not None and os.geteuid() == 0:
        from exshell.service.lifecycle import preload
        from exshell.service.privileges import drop_to, hand_over

        preload()
        for name in ("exshell.app", "exshell.config", "exshell.store"):  # run_child's own lazy imports
            __import__(name)
        hand_over(Path(o.state), account)
        drop_to(account)
    try:
        return _run_loop(run_child(o.state, o.server, o.store, lambda: reopen_logs(handlers)), o.event_loop)
    except KeyboardInterrupt:
        return 0
    except Exception as e:  # one line; the traceback at --log-level delivery=DEBUG
        log.error("exshell serve: the delivery process failed: %s", e)
        log.debug("the delivery process failed", exc_info=True)
        return 1


def serve_main(argv: list[str]) -> int:
    """`exshell serve ARGS` / `python -m exshell.transport.cli ARGS` -> exit status."""
    try:
        rv = serve_command.main(args=argv, prog_name="exshell serve", standalone_mode=False)
    except click.exceptions.Abort:
        return 130
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except SystemExit as e:
        return int(e.code or 0)
    return int(rv or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(serve_main(sys.argv[1:]))
