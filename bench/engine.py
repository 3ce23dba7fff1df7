#!/usr/bin/env python3
"""Benchmark: exshell's engine against a plain aiosmtpd sink that also fsyncs, in the same run, on loopback.

    python bench/engine.py [--messages 2000] [--repeats 2] [--workloads conn1,persist,serial] [--timeout 120]

Workloads (1 KiB bodies, the same names as /work/shared/bench/README.md):
  conn1    20 parallel sessions, a new connection per message
  persist  20 connections carrying all messages (~N/20 each)
  serial   one connection, one message at a time (N/5 messages)
  persist-tls  as persist, each connection doing STARTTLS first (exshell only: the sink has no certificate;
           printed next to exshell's plain persist figure)
The client is Postfix's `smtp-source` when installed, else a bounded asyncio load generator in this file.
Both servers fsync every message (file + directory) before the 250. Also prints the policy lookup time with
100,000 RemoteIPRanges entries. Every run is bounded in message count and time; only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
SINK = Path("/work/shared/bench/aiosmtpd_sink.py")
HOST = "127.0.0.1"
BODY = b"Subject: bench\r\n\r\n" + (b"x" * 62 + b"\r\n") * 16  # ~1 KiB


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
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


# --------------------------------------------------------------------------- servers


def start_exshell(workdir: Path, port: int, spool_threads: int = 6, workers: int = 1,
                  loop: str = "uvloop") -> subprocess.Popen:
    from exshell.model.config import ACCEPTED_DOMAINS, RECEIVE_CONNECTORS, SERVERS
    from exshell.model.connector import ReceiveConnector
    from exshell.model.domain import AcceptedDomain
    from exshell.model.permissions import ACE, ANONYMOUS
    from exshell.model.server import ExchangeServer
    from exshell.store import open_store

    c = ReceiveConnector.new("Bench", "BENCH", "Custom", bindings=[f"{HOST}:{port}"],
                             remote_ip_ranges=["127.0.0.0/8"], permission_groups="AnonymousUsers",
                             tarpit_interval="00:00:00", max_inbound_connection_per_source=1000,
                             fqdn="bench.example.com")
    c = c.add_aces([ACE(c.identity, ANONYMOUS, "ms-Exch-SMTP-Accept-Any-Recipient")])
    server = ExchangeServer(guid="b0000000-0000-0000-0000-000000000001", name="BENCH", fqdn="bench.example.com",
                            domain="example.com")
    dom = AcceptedDomain.new("example.com", "example.com", "Authoritative", default=True)
    data = {SERVERS: {server.guid: server.to_record()}, ACCEPTED_DOMAINS: {dom.guid: dom.to_record()},
            RECEIVE_CONNECTORS: {c.guid: c.to_record()}}
    state = workdir / f"exshell-state-{port}"
    data.update(bench_certificate(state, "BENCH", "bench.example.com"))  # STARTTLS offered (connector: Tls)
    open_store(state, lambda: data)
    proc = subprocess.Popen([sys.executable, "-m", "exshell.transport.cli", "--state", str(state), "--server",
                             "BENCH", "--log-level", "WARNING", "--spool-threads", str(spool_threads),
                             "--workers", str(workers), "--no-delivery", "--event-loop", loop],
                            cwd=ROOT, stdout=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc


def bench_certificate(state: Path, server: str, fqdn: str) -> dict:
    """A self-signed SMTP certificate for `fqdn`, its key in the state folder's key store; the store records."""
    from exshell.model import x509
    from exshell.model.certificate import CERTIFICATES
    from exshell.store.keystore import KeyStore

    bundle = x509.new_self_signed(fqdn, [fqdn])
    KeyStore(state).put_certificate(bundle.thumbprint, bundle.to_pem())
    cert = x509.describe(bundle, server=server, services="SMTP")
    return {CERTIFICATES: {cert.thumbprint: cert.to_record()}}


def start_sink(workdir: Path, port: int) -> subprocess.Popen:
    spool = workdir / "sink-spool"
    spool.mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, str(SINK), "--host", HOST, "--port", str(port), "--spool", str(spool),
                             "--max-seconds", "1800"], stdout=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# --------------------------------------------------------------------------- clients


def smtp_source_cmd(workload: str, port: int, messages: int) -> list[str] | None:
    exe = shutil.which("smtp-source") or ("/usr/sbin/smtp-source" if os.path.exists("/usr/sbin/smtp-source") else None)
    if exe is None:
        return None
    base = [exe, "-l", "1024", "-f", "from@example.com", "-t", "to@example.net"]
    flags = {"conn1": ["-s", "20", "-m", str(messages)],
             "persist": ["-s", "20", "-m", str(messages), "-d"],
             "serial": ["-s", "1", "-m", str(max(1, messages // 5)), "-d"]}[workload]
    return base + flags + [f"{HOST}:{port}"]


async def _session(port: int, count: int, per_connection: int, counter: list[int], tls: bool = False) -> None:
    import ssl

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the bench's self-signed certificate
    sent = 0
    while sent < count:
        reader, writer = await asyncio.open_connection(HOST, port)

        async def reply() -> bytes:
            while True:
                line = await reader.readline()
                if not line:
                    raise ConnectionError("closed")
                if line[3:4] != b"-":
                    return line

        await reply()
        writer.write(b"EHLO loadgen.example\r\n")
        await reply()
        if tls:
            writer.write(b"STARTTLS\r\n")
            await reply()
            await writer.start_tls(ctx)
            writer.write(b"EHLO loadgen.example\r\n")
            await reply()
        for _ in range(min(per_connection, count - sent)):
            writer.write(b"MAIL FROM:<from@example.com>\r\nRCPT TO:<to@example.net>\r\nDATA\r\n")
            for _ in range(3):
                await reply()
            writer.write(BODY + b".\r\n")
            line = await reply()
            if line.startswith(b"250"):
                counter[0] += 1
            sent += 1
        writer.write(b"QUIT\r\n")
        await reply()
        writer.close()


async def _python_load(workload: str, port: int, messages: int) -> int:
    counter = [0]
    if workload == "serial":
        await _session(port, max(1, messages // 5), 10**9, counter)
    else:
        per = 1 if workload == "conn1" else 10**9
        share = [messages // 20 + (1 if i < messages % 20 else 0) for i in range(20)]
        await asyncio.gather(*(_session(port, n, per, counter, workload == "persist-tls") for n in share))
    return counter[0]


def run_workload(workload: str, port: int, messages: int, timeout: float) -> tuple[float, int, str]:
    """Returns (msgs/s, messages accepted, client name)."""
    expected = max(1, messages // 5) if workload == "serial" else messages
    cmd = smtp_source_cmd(workload, port, messages) if workload != "persist-tls" else None
    t0 = time.perf_counter()
    if cmd is not None:
        subprocess.run(cmd, timeout=timeout, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done, client = expected, "smtp-source"
    else:
        done = asyncio.run(asyncio.wait_for(_python_load(workload, port, messages), timeout))
        client = "python"
    return done / (time.perf_counter() - t0), done, client


# --------------------------------------------------------------------------- policy lookup


def policy_lookup_micros(n_ranges: int = 100_000, lookups: int = 20_000) -> tuple[float, float]:
    from exshell.model.config import Config
    from exshell.model.connector import ReceiveConnector
    from exshell.transport.policy import PolicyIndex

    ranges = [f"10.{(i >> 8) & 255}.{i & 255}.{(i >> 16) * 2}" for i in range(n_ranges)]
    t0 = time.perf_counter()
    c = ReceiveConnector.new("Big", "BENCH", "Custom", bindings=["0.0.0.0:25"], remote_ip_ranges=ranges,
                             permission_groups="AnonymousUsers")
    idx = PolicyIndex.build(Config(receive_connectors=(c,)), "BENCH")
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    for k in range(lookups):  # distinct clients: every lookup misses the per-index selection cache
        idx.select(("10.0.0.1", 25), f"10.{k & 255}.{(k >> 8) & 255}.{(k % 2) * 2}")
    per = (time.perf_counter() - t0) / lookups
    return build, per * 1e6


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--workloads", default="conn1,persist,serial,persist-tls")
    p.add_argument("--timeout", type=float, default=120.0)
    args = p.parse_args(argv)
    workloads = [w for w in args.workloads.split(",") if w]
    results: dict[tuple[str, str], list[float]] = {}
    client = "?"
    with tempfile.TemporaryDirectory(prefix="exshell-bench-") as tmp:
        work = Path(tmp)
        ex_port, ex2_port, ex0_port, sink_port = free_port(), free_port(), free_port(), free_port()
        ex = start_exshell(work, ex_port)
        ex2 = start_exshell(work, ex2_port, workers=2)  # lever: two processes on the port (SO_REUSEPORT)
        ex0 = start_exshell(work, ex0_port, loop="asyncio")  # the standard event loop, for comparison
        sink = start_sink(work, sink_port)
        servers = (("exshell", ex_port), ("exshell-2w", ex2_port), ("exshell-asyncio", ex0_port),
                   ("aiosmtpd", sink_port))
        try:
            for r in range(args.repeats):
                for w in workloads:  # interleaved: the VM's speed drifts between runs
                    for name, port in servers:
                        if w == "persist-tls" and name != "exshell":
                            continue  # only exshell has a certificate here
                        rate, done, client = run_workload(w, port, args.messages, args.timeout)
                        results.setdefault((w, name), []).append(rate)
        finally:
            for proc in (ex, ex2, ex0, sink):
                stop(proc)
        spooled = len(list((work / f"exshell-state-{ex_port}" / "spool").glob("*.msg")))
    print(f"client: {client}; {args.messages} messages per run, {args.repeats} repeats, fsync on both sides;"
          " exshell on uvloop unless marked; the sink is the standard aiosmtpd (asyncio)")
    print(f"{'workload':10} {'exshell msg/s':>14} {'2 workers':>10} {'asyncio loop':>13} {'aiosmtpd msg/s':>15}"
          f" {'ratio':>6} {'ratio 2w':>9}")
    for w in workloads:
        if w == "persist-tls":
            t = statistics.median(results[(w, "exshell")])
            plain = results.get(("persist", "exshell"))
            rel = f" (plain persist {statistics.median(plain):.0f}: ratio {t / statistics.median(plain):.2f})" \
                if plain else ""
            print(f"{w:10} {t:14.0f}  accept throughput with STARTTLS on 20 persistent connections{rel}")
            continue
        a = statistics.median(results[(w, "exshell")])
        a2 = statistics.median(results[(w, "exshell-2w")])
        a0 = statistics.median(results[(w, "exshell-asyncio")])
        b = statistics.median(results[(w, "aiosmtpd")])
        print(f"{w:10} {a:14.0f} {a2:10.0f} {a0:13.0f} {b:15.0f} {a / b:6.2f} {a2 / b:9.2f}")
    print(f"exshell spooled {spooled} messages")
    build, micros = policy_lookup_micros()
    print(f"policy: 100,000 RemoteIPRanges entries: index build {build:.2f} s, connector lookup {micros:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
