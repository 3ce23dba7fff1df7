#!/usr/bin/env python3
"""Does STARTTLS block other sessions? A plain client's reply time while 50 TLS sessions handshake, against idle.

    python bench/tls_concurrency.py [--sessions 50] [--seconds 6] [--probes 200]

One `exshell serve` (real process, uvloop, one worker) on 127.0.0.1 with a self-signed SMTP certificate.
Phase 1 (idle): a plain client on one persistent connection sends NOOP, waits for the reply, `--probes` times.
Phase 2 (load): `--sessions` concurrent clients each loop connect -> EHLO -> STARTTLS -> handshake -> EHLO ->
NOOP -> QUIT for `--seconds`, while the same plain client probes again. Prints the median and p90 reply times
of both phases and their ratio (the issue's bound: median within 2x idle), plus the handshakes completed.
Bounded in sessions, time and probes; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.engine import HOST, free_port, start_exshell, stop  # noqa: E402
from bench.peers import read_reply  # noqa: E402


async def probe(port: int, n: int, pause: float) -> list[float]:
    reader, writer = await asyncio.open_connection(HOST, port)
    await read_reply(reader)
    writer.write(b"EHLO probe.example\r\n")
    await read_reply(reader)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        writer.write(b"NOOP\r\n")
        await read_reply(reader)
        times.append(time.perf_counter() - t0)
        await asyncio.sleep(pause)
    writer.write(b"QUIT\r\n")
    await read_reply(reader)
    writer.close()
    return times


async def tls_loop(port: int, until: float, done: list[int], ctx: ssl.SSLContext) -> None:
    while time.monotonic() < until:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            await read_reply(reader)
            writer.write(b"EHLO tls.example\r\n")
            await read_reply(reader)
            writer.write(b"STARTTLS\r\n")
            await read_reply(reader)
            await writer.start_tls(ctx)
            writer.write(b"EHLO tls.example\r\nNOOP\r\n")
            await read_reply(reader)
            await read_reply(reader)
            writer.write(b"QUIT\r\n")
            await read_reply(reader)
            done[0] += 1
        finally:
            writer.close()


def tls_load(port: int, sessions: int, seconds: float, out: "multiprocessing.Queue[int]") -> None:
    """In its own process, so the load's client-side handshakes don't delay the probe's event loop."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    done = [0]
    until = time.monotonic() + seconds

    async def run() -> None:
        await asyncio.gather(*(tls_loop(port, until, done, ctx) for _ in range(sessions)))

    asyncio.run(run())
    out.put(done[0])


async def measure(port: int, sessions: int, seconds: float, probes: int) -> tuple[list[float], list[float], int]:
    pause = seconds / probes
    idle = await probe(port, probes, pause)
    out: multiprocessing.Queue[int] = multiprocessing.Queue()
    load = multiprocessing.Process(target=tls_load, args=(port, sessions, seconds, out))
    load.start()
    await asyncio.sleep(0.5)  # the handshakes are under way
    busy = await probe(port, probes, max(0.0, (seconds - 1.0) / probes))
    done = await asyncio.to_thread(out.get, True, seconds + 60)
    load.join(10)
    return idle, busy, done


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=50)
    p.add_argument("--seconds", type=float, default=6.0)
    p.add_argument("--probes", type=int, default=200)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="exshell-tls-bench-") as tmp:
        port = free_port()
        proc = start_exshell(Path(tmp), port)
        try:
            idle, busy, handshakes = asyncio.run(measure(port, args.sessions, args.seconds, args.probes))
        finally:
            stop(proc)
    mi, mb = statistics.median(idle), statistics.median(busy)

    def p90(v: list[float]) -> float:
        return sorted(v)[int(len(v) * 0.9)]

    print(f"plain NOOP reply, idle:  median {mi * 1e3:.2f} ms, p90 {p90(idle) * 1e3:.2f} ms ({len(idle)} probes)")
    print(f"plain NOOP reply, {args.sessions} TLS sessions handshaking: median {mb * 1e3:.2f} ms, "
          f"p90 {p90(busy) * 1e3:.2f} ms ({len(busy)} probes)")
    print(f"ratio of medians: {mb / mi:.2f} (bound: 2.0); TLS sessions completed: {handshakes} in {args.seconds:.0f} s "
          f"({handshakes / args.seconds:.0f}/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
