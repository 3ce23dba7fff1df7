#!/usr/bin/env python3
"""Benchmark: exshell's engine against Postfix and a plain aiosmtpd sink, in the same interleaved run, on loopback.

    sudo apt-get install postfix     # once: brings smtp-source (the client) and Postfix (a peer)
    .venv/bin/python bench/engine.py [--messages 2000] [--repeats 3] [--workloads conn1,persist,serial]
                                     [--workers 2] [--no-postfix] [--no-haraka] [--timeout 120]

Workloads (1 KiB bodies, the same names as /work/shared/bench/README.md):
  conn1    20 parallel sessions, a new connection per message
  persist  20 connections carrying all messages (~N/20 each)
  serial   one connection, one message at a time (N/5 messages)
  persist-tls  as persist, each connection doing STARTTLS first (exshell only: the peers have no certificate
           here; printed next to exshell's plain persist figure; the Python client, as smtp-source has no TLS)
Haraka (Node.js, one worker, each message fsynced to a file of its own) runs too once `bash bench/haraka/setup.sh`
installed it (bench/.local/haraka). The client is Postfix's `smtp-source` when installed, else a bounded asyncio load generator in this file.
Every server fsyncs every message before the 250 (exshell, the aiosmtpd sink and `--haraka-dirsync`'s
haraka+dir: file and directory; Postfix and haraka: the file): exshell (relay policy, stamping and spool
as configured below), the aiosmtpd sink and Postfix (bench/peers.py: a private instance, next hop discard:;
left out with a note when not installed or not root). Repeats are interleaved (repeat 1 of every server and
workload, then repeat 2, ...) because a VM's speed drifts; compare only ratios from one run. Prints the median
msgs/s per server and the ratios exshell / Postfix and exshell / aiosmtpd. `--policy` also times the policy
lookup with 100,000 RemoteIPRanges entries. Every run is bounded in message count and time; only 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import peers  # noqa: E402  (bench/peers.py, beside this file)
from peers import HOST, free_port, stop, wait_port  # noqa: E402

BODY = b"Subject: bench\r\n\r\n" + (b"x" * 62 + b"\r\n") * 16  # ~1 KiB


# --------------------------------------------------------------------------- servers


def make_state(workdir: Path, port: int) -> Path:
    """A state folder with one anonymous relay connector for 127.0.0.0/8 on 127.0.0.1:`port`."""
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
    return state


def start_exshell(workdir: Path, port: int, spool_threads: int = 6, workers: int = 1,
                  loop: str = "uvloop", checkout: Path = ROOT) -> subprocess.Popen:
    """`checkout`: another exshell checkout with its own .venv (a before/after comparison in one run)."""
    state = make_state(workdir, port)
    python = str(checkout / ".venv" / "bin" / "python") if checkout != ROOT else sys.executable
    proc = subprocess.Popen([python, "-m", "exshell.transport.cli", "--state", str(state), "--server",
                             "BENCH", "--log-level", "WARNING", "--spool-threads", str(spool_threads),
                             "--workers", str(workers), "--no-delivery", "--event-loop", loop],
                            cwd=checkout, stdout=subprocess.DEVNULL)
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


# --------------------------------------------------------------------------- clients


def smtp_source_cmd(workload: str, port: int, messages: int) -> list[str] | None:
    exe = peers.smtp_source()
    if exe is None:
        return None
    base = [exe, "-l", "1024", "-M", "bench.localdomain", "-f", "from@example.com", "-t", "to@example.net"]
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
                line = await reader.readline()  # noqa: B023 - the reader of this connection, read at once
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
    p.add_argument("--messages", type=int, default=2000, help="messages per run (serial: a fifth)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--workloads", default="conn1,persist,serial")
    p.add_argument("--timeout", type=float, default=120.0, help="per run")
    p.add_argument("--workers", type=int, default=0, help="also run `exshell serve --workers N` (0: not)")
    p.add_argument("--no-postfix", action="store_true", help="leave Postfix out even when it can run")
    p.add_argument("--no-haraka", action="store_true",
                   help="leave Haraka out even when bench/haraka/setup.sh installed it")
    p.add_argument("--haraka-dirsync", action="store_true",
                   help="also run Haraka fsyncing the spool directory too before its 250, as exshell does")
    p.add_argument("--compare", action="append", default=[], metavar="NAME=CHECKOUT",
                   help="also run the engine of another checkout (with its own .venv), e.g. before=../main")
    p.add_argument("--policy", action="store_true", help="also time the policy lookup with 100,000 ranges")
    args = p.parse_args(argv)
    args.messages = max(20, min(args.messages, 20_000))
    args.repeats = max(1, min(args.repeats, 10))
    workloads = [w for w in args.workloads.split(",") if w]
    results: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}  # CPU ms per message of the server's process tree
    clients: set[str] = set()
    why_no_postfix = "left out (--no-postfix)" if args.no_postfix else peers.Postfix.available()
    why_no_haraka = "left out (--no-haraka)" if args.no_haraka else peers.Haraka.available()
    with tempfile.TemporaryDirectory(prefix="exshell-bench-") as tmp:
        work = Path(tmp)
        procs: list[subprocess.Popen[bytes]] = []
        postfix: peers.Postfix | None = None
        harakas: list[peers.Haraka] = []
        servers: list[tuple[str, int]] = []
        pids: dict[str, int | None] = {}  # whose CPU time is read around each run
        try:
            port = free_port()
            procs.append(start_exshell(work, port))
            servers.append(("exshell", port))
            pids["exshell"] = procs[-1].pid
            if args.workers > 1:
                port = free_port()
                procs.append(start_exshell(work, port, workers=args.workers))
                servers.append((f"exshell-{args.workers}w", port))
                pids[servers[-1][0]] = procs[-1].pid
            for spec in args.compare:
                label, _, checkout = spec.partition("=")
                port = free_port()
                procs.append(start_exshell(work, port, checkout=Path(checkout).resolve()))
                servers.append((f"exshell-{label}", port))
                pids[servers[-1][0]] = procs[-1].pid
            port = free_port()
            procs.append(peers.start_role("sink", port, str(work / "sink-spool")))
            servers.append(("aiosmtpd", port))
            pids["aiosmtpd"] = procs[-1].pid
            if why_no_postfix is None:
                postfix = peers.Postfix(work, free_port())
                postfix.start()
                servers.append(("postfix", postfix.port))
                pids["postfix"] = postfix.master_pid()
            if why_no_haraka is None:
                for dirsync in (False, True) if args.haraka_dirsync else (False,):
                    harakas.append(peers.Haraka(work, free_port(), dirsync=dirsync))
                    harakas[-1].start()
                    servers.append(("haraka+dir" if dirsync else "haraka", harakas[-1].port))
                    pids[servers[-1][0]] = harakas[-1].master_pid()
            for r in range(args.repeats):
                for w in workloads:  # interleaved: the VM's speed drifts between runs
                    for name, port in servers:
                        if w == "persist-tls" and not name.startswith("exshell"):
                            continue  # only exshell has a certificate here
                        pid = pids.get(name)
                        cpu0 = peers.tree_cpu_seconds(pid) if pid else 0.0
                        rate, done, client = run_workload(w, port, args.messages, args.timeout)
                        if pid:
                            cpu.setdefault((w, name), []).append((peers.tree_cpu_seconds(pid) - cpu0) / done * 1000)
                        clients.add(client)
                        results.setdefault((w, name), []).append(rate)
                        print(f"  repeat {r + 1} {w:8} {name:12} {rate:8.0f} msgs/s", file=sys.stderr)
        finally:
            for proc in procs:
                stop(proc)
            if postfix is not None:
                postfix.stop()
            for haraka in harakas:
                haraka.stop()
        spooled = len(list((work / f"exshell-state-{servers[0][1]}" / "spool").glob("*.msg")))
        haraka_spooled = [(h.dirsync, h.spooled()) for h in harakas]
    names = [n for n, _ in servers]
    print(f"client: {', '.join(sorted(clients))}; {args.messages} messages per run (serial: {max(1, args.messages // 5)}), 1 KiB, "
          f"median of {args.repeats} interleaved repeats, msgs/s; every server fsyncs before its 250")
    if why_no_postfix:
        print(f"Postfix: {why_no_postfix}")
    if why_no_haraka:
        print(f"Haraka: {why_no_haraka}")
    ratios = [n for n in names if n.startswith("exshell")]
    bases = [b for b in ("postfix", "haraka", "haraka+dir", "aiosmtpd") if b in names]
    cols = [(n, n) for n in names] + [(f"{n}/{b}", (n, b)) for b in bases for n in ratios]
    width = {label: max(10, len(label) + 2) for label, _ in cols}
    print(f"{'workload':12}" + "".join(f"{label:>{width[label]}}" for label, _ in cols))
    for w in workloads:
        if w == "persist-tls":
            t = statistics.median(results[(w, "exshell")])
            plain = results.get(("persist", "exshell"))
            rel = f" (plain persist {statistics.median(plain):.0f}: ratio {t / statistics.median(plain):.2f})" \
                if plain else ""
            print(f"{w:12} {t:8.0f}  exshell's accept throughput with STARTTLS on 20 persistent connections{rel}")
            continue
        med = {n: statistics.median(results[(w, n)]) for n in names}
        cells = []
        for label, key in cols:
            if isinstance(key, tuple):
                cells.append(f"{med[key[0]] / med[key[1]]:>{width[label] - 1}.2f}x")
            else:
                cells.append(f"{med[key]:>{width[label]}.0f}")
        print(f"{w:12}" + "".join(cells))
    peer_names = [b for b in ("postfix", "haraka") if b in names]
    if peer_names:
        # The goal of issue 13: one exshell process at or above the best of Postfix and Haraka on every workload.
        print(f"\nexshell / best of {' and '.join(peer_names)} (per workload, the faster peer's median)")
        for w in workloads:
            if w == "persist-tls":
                continue
            best = max(peer_names, key=lambda b: statistics.median(results[(w, b)]))
            print(f"{w:12} {statistics.median(results[(w, 'exshell')]) / statistics.median(results[(w, best)]):.2f}x"
                  f" ({best})")
    print("\nCPU ms per message (the server's whole process tree, user + system, median; load-independent where "
          "throughput is not; Postfix's includes its queue manager and discard delivery, which may finish after a "
          "run)")
    print(f"{'workload':12}" + "".join(f"{n:>{max(10, len(n) + 2)}}" for n in names))
    for w in workloads:
        print(f"{w:12}" + "".join(
            f"{statistics.median(cpu[(w, n)]):>{max(10, len(n) + 2)}.2f}" if cpu.get((w, n)) else
            f"{'-':>{max(10, len(n) + 2)}}" for n in names))
    print(f"exshell spooled {spooled} messages (expected {sum(len(results[(w, 'exshell')]) * (max(1, args.messages // 5) if w == 'serial' else args.messages) for w in workloads)})")
    for dirsync, n in haraka_spooled:
        print(f"{'haraka+dir' if dirsync else 'haraka'} spooled {n} messages")
    if args.policy:
        build, micros = policy_lookup_micros()
        print(f"policy: 100,000 RemoteIPRanges entries: index build {build:.2f} s, connector lookup {micros:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
