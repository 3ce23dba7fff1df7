#!/usr/bin/env python3
"""Benchmark: relay end to end — client → relay (receive, fsync) → smart host — exshell against Postfix relaying
to the same kind of smart host, with a plain aiosmtpd sink (receive only, fsync) as the third column, in one
interleaved run on loopback.

    sudo apt-get install postfix     # once (optional: without it Postfix is left out, with a note)
    .venv/bin/python bench/e2e.py [--messages 500] [--connections 10] [--repeats 3] [--no-postfix]
                                  [--no-pipelining]   # smart hosts that don't offer PIPELINING
                                  [--compare before=../main]   # another checkout's exshell in the same run

exshell is the real `exshell serve` with its defaults (so the figures are what users run: since delivery got its
own process, the engine announcing each spooled message to the delivery child through a pipe; uvloop when
installed; INFO logs to <state>/logs; spool and queue state fsynced), configured through its own cmdlets (receive
connector for 127.0.0.0/8, send connector to a smart host). A --compare checkout runs its own `exshell serve`
with its own defaults (one whose serve has no --delivery option runs delivery on the engine's loop), with its own
.venv's interpreter when it has one. Postfix is a private instance (bench/peers.py) with `relayhost` the same kind of smart host. Each relay
has its own counting smart host (aiosmtpd, no disk) on 127.0.0.2. The client sends over persistent connections
(aiosmtplib). End-to-end rate = messages / (first send → last arrival at the smart host); accept rate =
messages / (first send → last 250). Bounded: --messages (max 20,000), --repeats (max 10), --timeout per run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("PYTHONPATH"):  # a --compare relay imports exshell from its own checkout
    sys.path.insert(0, str(ROOT))

import peers  # noqa: E402  (bench/peers.py, beside this file)
from peers import HOST, NEXT_HOP, free_port, read_counter, stop, wait_port  # noqa: E402

BODY = b"Subject: bench\r\nFrom: scanner@contoso.com\r\n\r\n" + (b"x" * 62 + b"\r\n") * 16  # ~1 KiB


# --------------------------------------------------------------------------- servers


def serve_command(checkout: Path | None) -> tuple[list[str], str]:
    """How to start a checkout's `exshell serve` (this one's when None), and how it delivers by default."""
    python = sys.executable
    if checkout is not None and (checkout / ".venv" / "bin" / "python").exists():
        python = str(checkout / ".venv" / "bin" / "python")
    argv = [python, "-m", "exshell.transport.cli"]
    env = dict(os.environ, PYTHONPATH=str(checkout)) if checkout is not None else None
    shown = subprocess.run(argv + ["--help"], capture_output=True, text=True, timeout=60, env=env,
                           cwd=checkout or ROOT)
    if shown.returncode != 0:
        raise SystemExit(f"{checkout or ROOT}: exshell serve --help failed:\n{shown.stderr}")
    mode = "delivery process" if "--delivery" in shown.stdout else "delivery on the engine's loop"
    return argv, mode


def configure_relay(state: Path, port: int, smart_host: str) -> None:
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
        f"New-SendConnector -Name Out -AddressSpaces '*' -SmartHosts '{smart_host}'",
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


class Relay:
    """One relay under test (exshell or Postfix) with its own counting smart host on 127.0.0.2."""

    def __init__(self, name: str, work: Path, checkout: Path | None = None, pipelining: bool = True) -> None:
        self.name = name
        self.pipelining = pipelining  # whether its smart host offers PIPELINING
        self.work = work
        self.checkout = checkout  # another exshell checkout: its code under this script's relay setup
        self.port = free_port()
        self.sink_port = free_port(NEXT_HOP)
        self.counter = str(work / f"{name}-arrived")
        self.procs: list[subprocess.Popen[bytes]] = []
        self.postfix: peers.Postfix | None = None
        self.mode = ""

    def start(self) -> None:
        self.procs.append(peers.start_role("counting-sink", self.sink_port, self.counter, host=NEXT_HOP,
                                           options=() if self.pipelining else ("--no-pipelining",)))
        if self.name == "postfix":
            self.postfix = peers.Postfix(self.work, self.port, relay_to=self.sink_port)
            self.postfix.start()
            return
        state = self.work / f"relay-{self.name}"
        configure_relay(state, self.port, f"[{NEXT_HOP}]:{self.sink_port}")
        env = dict(os.environ)
        env.pop("EXSHELL_STORE", None)
        if self.checkout is not None:
            env["PYTHONPATH"] = str(self.checkout)  # ahead of this checkout's editable install
        argv, self.mode = serve_command(self.checkout)
        proc = subprocess.Popen(argv + ["--state", str(state), "--server", "EX01"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=self.checkout or ROOT)
        self.procs.append(proc)
        wait_port(self.port, proc)
        heartbeat = state / "queue" / "engine.json"  # delivery is up (a child starts after the listeners)
        deadline = time.monotonic() + 30
        while not heartbeat.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: delivery did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        for proc in self.procs:
            stop(proc)
        if self.postfix is not None:
            self.postfix.stop()

    def run(self, messages: int, connections: int, timeout: float) -> tuple[float, float]:
        """(accept msgs/s, end-to-end msgs/s: first send -> last arrival at the smart host)."""
        before, _ = read_counter(self.counter)
        t0 = time.monotonic()
        deadline = t0 + timeout
        sent = asyncio.run(send_all(self.port, messages, connections, deadline))
        accept = sent / (time.monotonic() - t0)
        while time.monotonic() < deadline:
            n, last = read_counter(self.counter)
            if n - before >= sent:
                return accept, sent / (last - t0)
            time.sleep(0.02)
        n, last = read_counter(self.counter)
        print(f"{self.name}: only {n - before} of {sent} arrived within {timeout:g}s", file=sys.stderr)
        return accept, (n - before) / (time.monotonic() - t0)


def run_sink(port: int, messages: int, connections: int, timeout: float) -> float:
    t0 = time.monotonic()
    sent = asyncio.run(send_all(port, messages, connections, t0 + timeout))
    return sent / (time.monotonic() - t0)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--messages", type=int, default=500)
    p.add_argument("--connections", type=int, default=10)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--no-postfix", action="store_true")
    p.add_argument("--no-pipelining", action="store_true",
                   help="the smart hosts don't offer PIPELINING (aiosmtpd's default; real smart hosts do)")
    p.add_argument("--compare", action="append", default=[], metavar="NAME=CHECKOUT",
                   help="also relay with another checkout's exshell (same setup), e.g. before=../main")
    args = p.parse_args()
    args.messages = max(1, min(args.messages, 20_000))
    args.connections = max(1, min(args.connections, 50))
    args.repeats = max(1, min(args.repeats, 10))
    why_no_postfix = "left out (--no-postfix)" if args.no_postfix else peers.Postfix.available()
    rates: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="exshell-e2e-") as tmp:
        work = Path(tmp)
        offer = not args.no_pipelining
        relays = [Relay("exshell", work, pipelining=offer)]
        for spec in args.compare:
            label, _, checkout = spec.partition("=")
            relays.append(Relay(f"exshell-{label}", work, Path(checkout).resolve(), pipelining=offer))
        relays += [Relay("postfix", work, pipelining=offer)] if why_no_postfix is None else []
        sink_port = free_port()
        procs = []
        try:
            procs.append(peers.start_role("sink", sink_port, str(work / "sink-spool")))
            for relay in relays:
                relay.start()
            for r in range(args.repeats):  # interleaved
                rate = run_sink(sink_port, args.messages, args.connections, args.timeout)
                rates.setdefault("aiosmtpd sink (receive only)", []).append(rate)
                for relay in relays:
                    accept, e2e = relay.run(args.messages, args.connections, args.timeout)
                    rates.setdefault(f"{relay.name} accept", []).append(accept)
                    rates.setdefault(f"{relay.name} end to end", []).append(e2e)
                    print(f"  repeat {r + 1} {relay.name:8} accept {accept:7.0f}  end to end {e2e:7.0f} msgs/s",
                          file=sys.stderr)
        finally:
            for proc in procs:
                stop(proc)
            for relay in relays:
                relay.stop()
    print(f"messages={args.messages} connections={args.connections} (1 KiB, fsync, loopback, smart hosts "
          f"{'without' if args.no_pipelining else 'with'} PIPELINING), median of {args.repeats} interleaved repeats, "
          "msgs/s")
    for relay in relays:
        if relay.mode:
            print(f"{relay.name}: exshell serve, {relay.mode}")
    if why_no_postfix:
        print(f"Postfix: {why_no_postfix}")
    med = {k: statistics.median(v) for k, v in rates.items()}
    for k, v in med.items():
        print(f"{k:34}: {v:8.1f}")
    e2e = med["exshell end to end"]
    print(f"{'exshell e2e / aiosmtpd sink':34}: {e2e / med['aiosmtpd sink (receive only)']:8.2f}x")
    if "postfix end to end" in med:
        print(f"{'exshell e2e / postfix e2e':34}: {e2e / med['postfix end to end']:8.2f}x")
    for relay in relays:
        other = med.get(f"{relay.name} end to end")
        if relay.checkout is None or not other:
            continue
        if "postfix end to end" in med:
            print(f"{relay.name + ' e2e / postfix e2e':34}: {other / med['postfix end to end']:8.2f}x")
        print(f"{'exshell e2e / ' + relay.name + ' e2e':34}: {e2e / other:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
