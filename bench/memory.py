"""Engine memory (issue 10 and 13): `exshell serve` in its own process, its RSS read from /proc while a client on
127.0.0.1 does one of three things:

    python bench/memory.py [--scenario large|idle|rejected|all] [--clients 200] [--size-mb 10]
                           [--idle 1000] [--rejected-mb 100] [--tree PATH]

- large:    N clients each send one message of SIZE bytes at once; peak RSS (VmHWM) and RSS afterwards.
- idle:     `--idle` connections open, greeted and EHLO'd, then silent; RSS before and with all of them open.
- rejected: one DATA of `--rejected-mb` MB (no SIZE= declared) on a connector with MaxMessageSize 10 MB: the
            engine drains it and answers 552 after the terminator; peak RSS during it against RSS before.
Each scenario runs against a fresh engine. `--tree` runs the engine from another source tree (e.g. an older
commit extracted with `git archive`) for a before/after comparison with the same client. Bounded in
connections, bytes and time; only loopback is used.

Measured on the shared 2-core VM (200 x 10 MB, same client, one run each):
  before (main at 4506ae9, DATA held in memory):  peak RSS 3667 MB, 219 MB after, 428 s (18.2 MB per message)
  after  (DATA streamed to the spool):            peak RSS  130 MB, 103 MB after,  75 s (0.49 MB per message)
With the engine's own SMTP core (docs/internals.md has the figures of the idle and rejected scenarios).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from exshell.model.config import ACCEPTED_DOMAINS, RECEIVE_CONNECTORS, SERVERS  # noqa: E402
from exshell.model.connector import ReceiveConnector  # noqa: E402
from exshell.model.domain import AcceptedDomain  # noqa: E402
from exshell.model.permissions import ACE, ANONYMOUS  # noqa: E402
from exshell.model.server import ExchangeServer  # noqa: E402
from exshell.store import open_store  # noqa: E402
from bench.peers import read_reply  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_store(state: Path, port: int, clients: int, max_message_size: str = "50MB") -> None:
    c = ReceiveConnector.new("Bench", "EX01", "Custom", bindings=[f"127.0.0.1:{port}"], remote_ip_ranges=["127.0.0.1"],
                             permission_groups="AnonymousUsers", auth_mechanism="Tls", tarpit_interval="00:00:00",
                             max_message_size=max_message_size, max_inbound_connection_per_source=clients + 10)
    c = c.add_aces([ACE(c.identity, ANONYMOUS, "ms-Exch-SMTP-Accept-Any-Recipient")])
    server = ExchangeServer(guid="00000000-0000-0000-0000-0000000000e1", name="EX01", fqdn="ex01.bench.example",
                            domain="bench.example")
    domain = AcceptedDomain.new("bench.example", "bench.example", "Authoritative", default=True)
    data = {SERVERS: {server.guid: server.to_record()}, ACCEPTED_DOMAINS: {domain.guid: domain.to_record()},
            RECEIVE_CONNECTORS: {c.guid: c.to_record()},
            "settings": {"transport": {"MaxReceiveSize": "Unlimited"}}}
    open_store(state, lambda: data)


def rss(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in bytes."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, kb, _ = line.split()
                values[key] = int(kb) * 1024
    return values["VmRSS:"], values["VmHWM:"]


async def one(port: int, body: bytes, i: int) -> bool:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def reply() -> bytes:
        while True:
            line = await reader.readline()
            if line[3:4] != b"-":
                return line

    await reply()
    for cmd in (b"EHLO bench.example\r\n", b"MAIL FROM:<a@outside.example>\r\n", b"RCPT TO:<b@example.net>\r\n",
                b"DATA\r\n"):
        writer.write(cmd)
        await reply()
    writer.write(b"Subject: bench %d\r\n\r\n" % i)
    writer.write(body)
    writer.write(b".\r\n")
    await writer.drain()
    ok = (await reply()).startswith(b"250")
    writer.write(b"QUIT\r\n")
    writer.close()
    return ok


async def drive(port: int, clients: int, size: int) -> int:
    line = b"y" * 76 + b"\r\n"
    body = line * (size // len(line))
    results = await asyncio.gather(*(one(port, body, i) for i in range(clients)), return_exceptions=True)
    return sum(1 for r in results if r is True)


async def hold_idle(port: int, count: int, pid: int) -> tuple[int, int]:
    """Open `count` connections (greeted, EHLO answered), read the engine's RSS with all of them open, close them.
    Returns (connections open, RSS)."""
    conns: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        for _ in range(count):
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
            conns.append((reader, writer))
            await asyncio.wait_for(read_reply(reader), 30)
            writer.write(b"EHLO idle.example\r\n")
            await asyncio.wait_for(read_reply(reader), 30)
        await asyncio.sleep(1)
        return len(conns), rss(pid)[0]
    finally:
        for _, writer in conns:
            writer.close()


async def rejected(port: int, megabytes: float, pid: int) -> tuple[bytes, int, float]:
    """One message of `megabytes` MB past MaxMessageSize, sent in 1 MB writes while the engine's RSS is sampled.
    Returns (the final reply, highest RSS sampled, seconds)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await read_reply(reader)
    for cmd in (b"EHLO big.example\r\n", b"MAIL FROM:<a@outside.example>\r\n", b"RCPT TO:<b@example.net>\r\n",
                b"DATA\r\n"):
        writer.write(cmd)
        await read_reply(reader)
    chunk = (b"z" * 1022 + b"\r\n") * 1024  # 1 MB of lines
    high = 0
    started = time.monotonic()
    writer.write(b"Subject: too big\r\n\r\n")
    for _ in range(int(megabytes)):
        writer.write(chunk)
        await writer.drain()
        high = max(high, rss(pid)[0])
    writer.write(b".\r\n")
    final = await asyncio.wait_for(read_reply(reader), 120)
    took = time.monotonic() - started
    high = max(high, rss(pid)[0])
    writer.write(b"QUIT\r\n")
    writer.close()
    return final.strip(), high, took


def start_engine(tree: str, state: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=tree)
    proc = subprocess.Popen([sys.executable, "-m", "exshell.transport.cli", "--state", str(state), "--server", "EX01",
                             "--no-delivery", "--log-level", "WARNING"], env=env, cwd=tree)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.terminate()
                raise SystemExit("engine did not start") from None
            time.sleep(0.1)


def run_scenario(name: str, args: argparse.Namespace, tmp: Path) -> str:
    mb = 1024 * 1024
    state = tmp / f"state-{name}"
    port = free_port()
    clients = {"large": args.clients, "idle": args.idle, "rejected": 1}[name]
    make_store(state, port, clients, max_message_size="10MB" if name == "rejected" else "50MB")
    proc = start_engine(args.tree, state, port)
    try:
        idle, _ = rss(proc.pid)
        if name == "large":
            started = time.monotonic()
            ok = asyncio.run(drive(port, args.clients, int(args.size_mb * mb)))
            took = time.monotonic() - started
            time.sleep(2)
            after, peak = rss(proc.pid)
            return (f"large: {ok}/{args.clients} messages of {args.size_mb:g} MB accepted in {took:.1f} s; engine RSS "
                    f"idle {idle / mb:.0f} MB, peak {peak / mb:.0f} MB, after {after / mb:.0f} MB "
                    f"(peak per concurrent message {(peak - idle) / mb / args.clients:.2f} MB)")
        if name == "idle":
            n, held = asyncio.run(hold_idle(port, args.idle, proc.pid))
            return (f"idle: {n} connections open (greeted, EHLO answered, then silent): engine RSS {idle / mb:.0f} MB "
                    f"before, {held / mb:.0f} MB with them open ({(held - idle) / n / 1024:.1f} KB per connection)")
        final, high, took = asyncio.run(rejected(port, args.rejected_mb, proc.pid))
        return (f"rejected: a {args.rejected_mb:g} MB DATA over MaxMessageSize 10 MB answered {final.decode()!r} after "
                f"{took:.1f} s; engine RSS {idle / mb:.0f} MB before, at most {high / mb:.0f} MB while it streamed in "
                f"(+{(high - idle) / mb:.1f} MB)")
    finally:
        proc.terminate()
        proc.wait(60)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--scenario", choices=["large", "idle", "rejected", "all"], default="large")
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--size-mb", type=float, default=10.0)
    p.add_argument("--idle", type=int, default=1000, help="idle connections (scenario idle)")
    p.add_argument("--rejected-mb", type=float, default=100.0, help="size of the rejected DATA (scenario rejected)")
    p.add_argument("--tree", default=str(HERE))
    args = p.parse_args()
    args.clients = max(1, min(args.clients, 2000))
    args.idle = max(1, min(args.idle, 5000))
    args.rejected_mb = max(11.0, min(args.rejected_mb, 1024.0))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # this process and the engine hold one fd per connection
    want = min(hard, max(soft, 2 * max(args.clients, args.idle) + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    names = ["large", "idle", "rejected"] if args.scenario == "all" else [args.scenario]
    print(f"tree {args.tree}")
    with tempfile.TemporaryDirectory(prefix="exshell-membench-") as tmp:
        for name in names:
            print(run_scenario(name, args, Path(tmp)), flush=True)


if __name__ == "__main__":
    main()
