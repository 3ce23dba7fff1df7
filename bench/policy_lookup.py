"""Benchmark RangeIndex: build from 100,000 RemoteIPRanges entries and measure lookups per second.

Run: .venv/bin/python bench/policy_lookup.py [--ranges N] [--seconds S]
The shape mimics a big relay estate: many single hosts and /24s nested inside a few /16s and /8s, plus dash
ranges, IPv6 prefixes and the two all-addresses catch-alls. Bounded in count and time; no network use.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exshell.model.ip import IPRange, RangeIndex  # noqa: E402


def make_ranges(count: int, rng: random.Random) -> list[tuple[IPRange, int]]:
    items: list[tuple[IPRange, int]] = [(IPRange.all_ipv4(), 0), (IPRange.all_ipv6(), 1)]
    for octet in range(1, 21):
        items.append((IPRange.parse(f"{octet}.0.0.0/8"), len(items)))
    while len(items) < count:
        kind = rng.random()
        a, b = rng.randrange(1, 21), rng.randrange(256)
        if kind < 0.5:
            text = f"{a}.{b}.{rng.randrange(256)}.{rng.randrange(256)}"
        elif kind < 0.8:
            text = f"{a}.{b}.{rng.randrange(256)}.0/24"
        elif kind < 0.9:
            c = rng.randrange(256)
            lo = rng.randrange(200)
            text = f"{a}.{b}.{c}.{lo}-{a}.{b}.{c}.{lo + rng.randrange(1, 56)}"
        else:
            text = f"2001:db8:{rng.randrange(65536):x}::/48"
        items.append((IPRange.parse(text), len(items)))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ranges", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    rng = random.Random(1)
    items = make_ranges(args.ranges, rng)
    start = time.perf_counter()
    index = RangeIndex(items)
    built = time.perf_counter() - start
    probes = [str(ipaddress.IPv4Address(rng.randrange(1 << 32))) for _ in range(5_000)]
    probes += [
        f"{rng.randrange(1, 21)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
        for _ in range(5_000)
    ]
    probes += [f"2001:db8:{rng.randrange(65536):x}::1" for _ in range(1_000)]
    lookups = hits = 0
    deadline = time.perf_counter() + args.seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline and lookups < 10_000_000:
        for addr in probes:
            hits += len(index.lookup(addr))
        lookups += len(probes)
    elapsed = time.perf_counter() - start
    print(f"ranges: {len(items):,}  build: {built:.2f} s")
    print(
        f"lookups: {lookups:,} in {elapsed:.2f} s = {lookups / elapsed:,.0f} lookups/s "
        f"(avg {hits / lookups:.2f} hits)"
    )


if __name__ == "__main__":
    main()
