"""Store benchmark: write latency with 10 and with 10,000 past versions (the ratio should be about 1, because a
commit writes one change record and never rewrites history), and snapshot load times.

    python bench/store.py [--commits N] [--connectors C]

Runs in a temporary folder and stops within about a minute. The 10,000 past versions are produced by the
store's record format written directly (see fill()), so the fill takes seconds, not minutes; every measured
commit is a normal, fully durable one.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exshell.store import MutableConfig
from exshell.store.files import FileStore
from exshell.store.records import thaw, to_json
from exshell.store.toml_doc import render

TIME_BUDGET_S = 55.0


def connector(i: int) -> dict[str, Any]:
    return {
        "Name": f"Relay {i:03d}",
        "Identity": f"EX01\\Relay {i:03d}",
        "Bindings": ["0.0.0.0:25", "[::]:25"],
        "RemoteIPRanges": [f"10.{i // 256}.{i % 256}.{j}" for j in range(16)],
        "AuthMechanism": "Tls",
        "PermissionGroups": "AnonymousUsers",
        "MaxMessageSize": 37748736,
        "Enabled": True,
        "Aces": [
            {
                "User": "NT AUTHORITY\\ANONYMOUS LOGON",
                "ExtendedRights": ["ms-Exch-SMTP-Submit"],
                "Deny": False,
            }
        ],
    }


def bump(n: int) -> Any:
    def mutate(doc: MutableConfig) -> None:
        doc.get("receive_connectors", "k0003")["MaxRecipientsPerMessage"] = n  # type: ignore[index]

    return mutate


def fill(store: FileStore, upto: int, deadline: float) -> None:
    """Append change records up to version `upto` in the store's own format, without the per-version temp
    file, rename and fsync of a real commit (those are what the measured commits pay). The file layout and the
    record format are the store's; only config.toml and CURRENT are written once, at the end."""
    with store._lock():
        v = store.current_version()
        data = thaw(store.snapshot(v).data)
        when = datetime.now(UTC).isoformat()
        for n in range(v + 1, upto + 1):
            if time.monotonic() > deadline:
                raise SystemExit(f"fill did not reach {upto} versions within the time budget (at {n})")
            rec = data["receive_connectors"]["k0003"]
            before = dict(rec)
            rec["MaxRecipientsPerMessage"] = n
            change = {
                "collection": "receive_connectors",
                "key": "k0003",
                "op": "Changed",
                "before": before,
                "after": dict(rec),
            }
            record = {
                "version": n,
                "when": when,
                "who": "bench",
                "command": f"fill {n}",
                "hash": "",
                "changes": [change],
            }
            (store.history_dir / f"{n:08d}.json").write_bytes(to_json(record))
            if n % store.snapshot_every == 0:
                (store.snapshot_dir / f"{n:08d}.json").write_bytes(to_json(data))
        text = render(data).encode()
        digest = hashlib.sha256(text).hexdigest()
        record["hash"] = digest
        (store.history_dir / f"{upto:08d}.json").write_bytes(to_json(record))
        (store.config_path).write_bytes(text)
        (store.current_path).write_bytes(f"{upto} {digest}\n".encode())


def median_commit_ms(stores: list[FileStore], commits: int) -> list[float]:
    """Median commit latency per store, alternating between the stores so that machine noise (other
    processes, disk flushes) hits each of them alike."""
    times: list[list[float]] = [[] for _ in stores]
    for i in range(commits):
        for k, store in enumerate(stores):
            start = time.perf_counter()
            store.commit(
                bump(10**6 + i), command="Set-ReceiveConnector 'Relay 003' -MaxRecipientsPerMessage ..."
            )
            times[k].append(time.perf_counter() - start)
    return [statistics.median(t) * 1000 for t in times]


def median_ms(fn: Any, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def shell_listing_ms(tmp: Path, connectors: int, ranges: int) -> tuple[float, float]:
    """`Get-ReceiveConnector | Measure-Object` through the real shell over a store of `connectors` receive
    connectors with `ranges` remote ranges each (median of 3 runs), and the cold snapshot + model load."""
    from exshell.cmdlets.registry import default_registry
    from exshell.model.config import Config
    from exshell.model.defaults import initial_config
    from exshell.model.connector import ReceiveConnector
    from exshell.runtime.host import BufferHost
    from exshell.runtime.session import Services, Session

    state = tmp / "listing"
    data = initial_config("EX01", "ex01.contoso.com")
    coll = data["receive_connectors"]
    for i in range(connectors):
        # Each connector on its own port, with `ranges` single addresses of its own /16.
        rng = [f"10.{i // 250}.{i % 250}.{k}" for k in range(ranges)]
        rc = ReceiveConnector.new(f"Relay {i:04d}", "EX01", "Custom", bindings=[f"0.0.0.0:{20000 + i}"],
                                  remote_ip_ranges=rng, permission_groups="AnonymousUsers")
        coll[rc.guid] = rc.to_record()
    store = FileStore(state, lambda: data)
    store.current_version()
    load_ms = median_ms(lambda: Config.from_data(FileStore(state).snapshot().data), 3)
    host = BufferHost()
    services = Services(state, "EX01")
    session = Session(default_registry(), services, host)

    def run() -> None:
        services._store = FileStore(state)  # cold: what a new `exshell -c` pays
        host._out.clear()
        result = session.run("Get-ReceiveConnector | Measure-Object")
        assert result.success and f"Count             : {connectors + 2}" in host.output, host.output

    return median_ms(run, 3), load_ms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--commits", type=int, default=25)
    ap.add_argument("--connectors", type=int, default=20)
    ap.add_argument("--history", type=int, default=10_000)
    ap.add_argument("--listing-connectors", type=int, default=1000)
    ap.add_argument("--listing-ranges", type=int, default=100)
    args = ap.parse_args()
    deadline = time.monotonic() + TIME_BUDGET_S
    with tempfile.TemporaryDirectory(prefix="exshell-bench-") as tmp:
        initial = {"receive_connectors": {f"k{i:04d}": connector(i) for i in range(args.connectors)}}
        small_state, big_state = Path(tmp) / "small", Path(tmp) / "big"
        fill(FileStore(small_state, lambda: initial), 10, deadline)
        fill(FileStore(big_state, lambda: initial), args.history, deadline)
        small_store, big_store = FileStore(small_state), FileStore(big_state)  # fresh: no caches
        small_versions, big_versions = small_store.current_version(), big_store.current_version()
        small, big = median_commit_ms([small_store, big_store], args.commits)

        fresh = FileStore(big_state)
        current_ms = median_ms(lambda: FileStore(big_state).snapshot())
        old_ms = median_ms(lambda: FileStore(big_state).snapshot(big_versions // 2 + 49))
        poll_us = median_ms(
            lambda: [fresh.current_version() for _ in range(1000)], 3
        )  # ms per 1000 = µs each
        size = (big_state / "config.toml").stat().st_size
        listing_ms, model_ms = shell_listing_ms(Path(tmp), args.listing_connectors, args.listing_ranges)

    print(f"config: {args.connectors} receive connectors, config.toml {size:,} bytes")
    print(f"commit latency, median of {args.commits}, {small_versions:>6} past versions: {small:7.2f} ms")
    print(f"commit latency, median of {args.commits}, {big_versions:>6} past versions: {big:7.2f} ms")
    print(f"ratio (10,000 / 10): {big / small:.2f}  (about 1 expected: history is never rewritten)")
    print(f"snapshot load, current version, cold store:             {current_ms:7.2f} ms")
    print(f"snapshot load, old version (49 change records replayed): {old_ms:7.2f} ms")
    print(f"current_version() poll:                                 {poll_us:7.2f} µs")
    print(f"Get-ReceiveConnector | Measure-Object, {args.listing_connectors} connectors x "
          f"{args.listing_ranges} ranges: {listing_ms:7.0f} ms (snapshot + model load {model_ms:.0f} ms)")


if __name__ == "__main__":
    main()
