"""Engine memory under many large concurrent messages: N clients each send one message of SIZE bytes at once to
`exshell serve` (its own process); the engine's peak RSS (VmHWM) and its RSS afterwards are reported.

    python bench/memory.py [--clients 200] [--size-mb 10] [--tree PATH]

`--tree` runs the engine from another source tree (e.g. an older commit extracted with `git archive`), so a
before/after comparison runs the same client against both. Only loopback is used.

Measured on the shared 2-core VM (200 x 10 MB, same client, one run each):
  before (main at 4506ae9, DATA held in memory):  peak RSS 3667 MB, 219 MB after, 428 s (18.2 MB per message)
  after  (DATA streamed to the spool):            peak RSS  130 MB, 103 MB after,  75 s (0.49 MB per message)
"""

from __future__ import annotations

import argparse
import asyncio
import os
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_store(state: Path, port: int, clients: int) -> None:
    c = ReceiveConnector.new("Bench", "EX01", "Custom", bindings=[f"127.0.0.1:{port}"], remote_ip_ranges=["127.0.0.1"],
                             permission_groups="AnonymousUsers", auth_mechanism="Tls", tarpit_interval="00:00:00",
                             max_message_size="50MB", max_inbound_connection_per_source=clients + 10)
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


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--size-mb", type=float, default=10.0)
    p.add_argument("--tree", default=str(HERE))
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="exshell-membench-") as tmp:
        state = Path(tmp) / "state"
        port = free_port()
        make_store(state, port, args.clients)
        env = dict(os.environ, PYTHONPATH=args.tree)
        proc = subprocess.Popen([sys.executable, "-m", "exshell.transport.cli", "--state", str(state), "--server", "EX01",
                                 "--no-delivery", "--log-level", "WARNING"], env=env, cwd=args.tree)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit("engine did not start") from None
                    time.sleep(0.1)
            idle, _ = rss(proc.pid)
            started = time.monotonic()
            ok = asyncio.run(drive(port, args.clients, int(args.size_mb * 1024 * 1024)))
            took = time.monotonic() - started
            time.sleep(2)
            after, peak = rss(proc.pid)
        finally:
            proc.terminate()
            proc.wait(60)
    mb = 1024 * 1024
    print(f"tree {args.tree}: {ok}/{args.clients} messages of {args.size_mb:g} MB accepted in {took:.1f} s; engine RSS "
          f"idle {idle / mb:.0f} MB, peak {peak / mb:.0f} MB, after {after / mb:.0f} MB "
          f"(peak per concurrent message {(peak - idle) / mb / args.clients:.2f} MB)")


if __name__ == "__main__":
    main()
