#!/usr/bin/env python3
"""Benchmark: relay end to end — client → exshell engine (spool fsync) → delivery service (queue state fsync)
→ smart host — against a plain aiosmtpd sink with fsync, in the same run, on loopback.

    python bench/e2e.py [--messages 500] [--connections 10] [--timeout 120]

The relay (engine + delivery service on one event loop, as `exshell serve` runs them) and the baseline sink
each run in their own subprocess; the client (aiosmtplib, persistent connections) and the smart host (a
counting aiosmtpd sink, no disk) run in this process. Relay throughput = messages / (first send → last
arrival at the smart host); baseline = messages / (first send → last 250). Prints both and the ratio.
Bounded: --messages (max 20,000) and --timeout per run; only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"
BODY = b"Subject: bench\r\nFrom: scanner@contoso.com\r\n\r\n" + (b"x" * 62 + b"\r\n") * 16  # ~1 KiB


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1) as s:
                s.recv(512)
                s.sendall(b"QUIT\r\n")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


# --------------------------------------------------------------------------- servers (subprocess roles)


def serve_baseline(port: int, spool: str) -> None:
    """Plain aiosmtpd: one file per message, fsync file + directory before the 250 (like the shared sink)."""
    from aiosmtpd.controller import Controller

    os.makedirs(spool, exist_ok=True)
    seq = iter(range(10**9))

    def store(data: bytes) -> None:
        path = os.path.join(spool, f"{next(seq)}.eml")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        dfd = os.open(spool, os.O_RDONLY)
        os.fsync(dfd)
        os.close(dfd)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            await asyncio.get_running_loop().run_in_executor(None, store, envelope.content)
            return "250 OK"

    c = Controller(Handler(), hostname=HOST, port=port)
    c.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    c.stop()


def serve_relay(state: str) -> None:
    from exshell.store import open_store
    from exshell.transport.delivery.service import DeliveryService
    from exshell.transport.engine import Engine

    async def run() -> None:
        store = open_store(state)
        engine = Engine(state, "EX01", store=store)
        service = DeliveryService(state, store, "EX01", poll_interval=0.05, concurrency=32)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await engine.start()
        await service.start()
        await stop.wait()
        await engine.stop(2.0)
        await service.stop(2.0)

    asyncio.run(run())


def configure_relay(state: Path, port: int, smart_host_port: int) -> None:
    """The copier-relay setup, through the shell's own cmdlets."""
    from exshell.cmdlets.registry import default_registry
    from exshell.model.defaults import initial_config
    from exshell.runtime.host import BufferHost
    from exshell.app import Services
    from exshell.runtime.session import Session
    from exshell.store import open_store

    services = Services(state, "EX01")
    services._store = open_store(state, initial=lambda: initial_config("EX01", "ex01.contoso.com"))
    host = BufferHost()
    session = Session(default_registry(), services, host)
    for line in (
        "Get-ReceiveConnector | Remove-ReceiveConnector -Confirm:$false",
        (
            f"New-ReceiveConnector -Name Bench -Usage Custom -Bindings '{HOST}:{port}' -RemoteIPRanges 127.0.0.0/8 "
            "-PermissionGroups AnonymousUsers -Server EX01 -MaxInboundConnectionPerSource 100 "
            "-MessageRateLimit unlimited"
        ),
        (
            "Get-ReceiveConnector Bench | Add-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' "
            "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient"
        ),
        f"New-SendConnector -Name Out -AddressSpaces '*' -SmartHosts '[{HOST}]:{smart_host_port}'",
    ):
        result = session.run(line)
        if not result.success or host.error_text:
            raise SystemExit(f"setup failed: {line}\n{host.error_text}")


# --------------------------------------------------------------------------- client and smart host


async def send_all(port: int, messages: int, connections: int, deadline: float) -> int:
    import aiosmtplib

    sent = 0

    async def worker(n: int) -> None:
        nonlocal sent
        smtp = aiosmtplib.SMTP(hostname=HOST, port=port, timeout=30)
        await smtp.connect()
        try:
            for _ in range(n):
                if time.monotonic() > deadline:
                    return
                await smtp.sendmail("scanner@contoso.com", ["to@example.net"], BODY)
                sent += 1
        finally:
            await smtp.quit()

    share = [messages // connections + (1 if i < messages % connections else 0) for i in range(connections)]
    await asyncio.gather(*(worker(n) for n in share if n))
    return sent


class CountingSink:
    def __init__(self) -> None:
        self.count = 0
        self.last = 0.0

    async def handle_DATA(self, server, session, envelope):
        self.count += len(envelope.rcpt_tos)
        self.last = time.monotonic()
        return "250 2.0.0 OK"


def run_baseline(args: argparse.Namespace, tmp: Path) -> float:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--role",
            "baseline",
            "--port",
            str(port),
            "--spool",
            str(tmp / "baseline"),
        ]
    )
    try:
        wait_port(port, proc)
        t0 = time.monotonic()
        sent = asyncio.run(send_all(port, args.messages, args.connections, t0 + args.timeout))
        return sent / (time.monotonic() - t0)
    finally:
        proc.terminate()
        proc.wait(15)


def run_relay(args: argparse.Namespace, tmp: Path) -> float:
    from aiosmtpd.controller import Controller

    sink = CountingSink()
    smart_port = free_port()
    controller = Controller(sink, hostname=HOST, port=smart_port)
    controller.start()
    state = tmp / "relay"
    port = free_port()
    configure_relay(state, port, smart_port)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--role", "relay", "--state", str(state)], stderr=subprocess.DEVNULL
    )
    try:
        wait_port(port, proc)
        t0 = time.monotonic()
        deadline = t0 + args.timeout
        sent = asyncio.run(send_all(port, args.messages, args.connections, deadline))
        args.relay_receive = sent / (time.monotonic() - t0)
        while sink.count < sent and time.monotonic() < deadline:
            time.sleep(0.02)
        if sink.count < sent:
            print(f"relay: only {sink.count} of {sent} arrived within {args.timeout}s", file=sys.stderr)
        return sink.count / ((sink.last or time.monotonic()) - t0)
    finally:
        proc.terminate()
        proc.wait(15)
        controller.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--messages", type=int, default=500)
    p.add_argument("--connections", type=int, default=10)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--role", choices=["bench", "baseline", "relay"], default="bench", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--spool", help=argparse.SUPPRESS)
    p.add_argument("--state", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.role == "baseline":
        serve_baseline(args.port, args.spool)
        return 0
    if args.role == "relay":
        serve_relay(args.state)
        return 0
    args.messages = max(1, min(args.messages, 20_000))
    args.connections = max(1, min(args.connections, 50))
    with tempfile.TemporaryDirectory(prefix="exshell-e2e-") as tmp:
        base = run_baseline(args, Path(tmp))
        relay = run_relay(args, Path(tmp))
    print(f"messages={args.messages} connections={args.connections} (1 KiB, fsync, loopback)")
    print(f"aiosmtpd sink (receive only)      : {base:8.1f} msgs/s")
    print(f"exshell relay, receive side       : {args.relay_receive:8.1f} msgs/s")
    print(f"exshell relay → smart host (e2e)  : {relay:8.1f} msgs/s")
    print(f"ratio relay / baseline            : {relay / base:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
