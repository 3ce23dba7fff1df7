"""Store benchmark: write latency with 10 and with 10,000 past versions (the ratio should be about 1, because a
commit writes one change record and never rewrites history), and snapshot load times. Then the same for the
PostgreSQL backend on a private cluster (fsync on), against the folder store in the same run: commit
latency, `Get-ReceiveConnector | Measure-Object` at 1,000 connectors x 100 ranges, and the delay from a
commit to a running `exshell serve` applying it (LISTEN/NOTIFY), median and p99.

    python bench/store.py [--commits N] [--connectors C] [--no-postgresql]
    python bench/store.py --oneshot [--baseline DIR] [--runs N]

--oneshot measures what an administrator's script pays, through real `exshell -c` processes: the store-touching
one-liners `Get-AcceptedDomain` and `Get-ReceiveConnector` against `python -c pass`, and
`Get-ReceiveConnector | Measure-Object` and `Set-ReceiveConnector ... @{Add=...}` on a store of 1,000 connectors
x 100 remote ranges. With --baseline (a checkout of another revision, e.g. `git archive <rev> | tar -x -C DIR`)
the same commands run from that code too, interleaved round by round with this checkout's, so both see the
same machine load; the figures are medians.

Runs in a temporary folder and stops within about a minute. The 10,000 past versions are produced by the
store's record format written directly (see fill()), so the fill takes seconds, not minutes; every measured
commit is a normal, fully durable one.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
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


def shell_listing_ms(tmp: Path, connectors: int, ranges: int, url: str | None = None) -> tuple[float, float]:
    """`Get-ReceiveConnector | Measure-Object` through the real shell over a store of `connectors` receive
    connectors with `ranges` remote ranges each (median of 3 runs), and the cold snapshot + model load."""
    from exshell.cmdlets.registry import default_registry
    from exshell.model.config import Config
    from exshell.model.defaults import initial_config
    from exshell.model.connector import ReceiveConnector
    from exshell.runtime.host import BufferHost
    from exshell.app import Services
    from exshell.runtime.session import Session

    state = tmp / "listing"
    data = initial_config("EX01", "ex01.contoso.com")
    coll = data["receive_connectors"]
    for i in range(connectors):
        # Each connector on its own port, with `ranges` single addresses of its own /16.
        rng = [f"10.{i // 250}.{i % 250}.{k}" for k in range(ranges)]
        rc = ReceiveConnector.new(f"Relay {i:04d}", "EX01", "Custom", bindings=[f"0.0.0.0:{20000 + i}"],
                                  remote_ip_ranges=rng, permission_groups="AnonymousUsers")
        coll[rc.guid] = rc.to_record()
    from exshell.store import open_store

    spec: Path | str = url or state
    opened = [open_store(spec, lambda: data)]
    opened[0].current_version()

    def cold() -> Any:
        store = open_store(spec)  # cold: no cache, a new connection; what a new `exshell -c` pays
        opened.append(store)
        return store

    load_ms = median_ms(lambda: Config.from_data(cold().snapshot().data), 3)
    host = BufferHost()
    services = Services(state, "EX01")
    session = Session(default_registry(), services, host)

    def run() -> None:
        services._store = cold()
        host._out.clear()
        result = session.run("Get-ReceiveConnector | Measure-Object")
        assert result.success and f"Count             : {connectors + 2}" in host.output, host.output

    result = median_ms(run, 3), load_ms
    for store in opened:
        getattr(store, "close", lambda: None)()
    return result


def notify_delays_ms(tmp: Path, url: str, versions: int) -> list[float]:
    """Commit `versions` changes from this process while `exshell serve` runs on the store; for each, the time
    from the commit's return to the engine's log line saying the version is in effect (log stamps are ms)."""
    import signal
    import socket
    import subprocess
    from datetime import datetime as dt

    from exshell.store import open_store

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exe = [sys.executable, "-m", "exshell", "--store", url, "--server", "EX01"]
    setup = subprocess.run(exe + ["-c", "Get-ReceiveConnector | Set-ReceiveConnector -Enabled $false; "
                                  f"New-ReceiveConnector B -Usage Custom -Bindings 127.0.0.1:{port} "
                                  "-RemoteIPRanges 127.0.0.1 | Out-Null"], capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr
    state = tmp / "engine"
    engine = subprocess.Popen(exe[:3] + ["--state", str(state), "--store", url, "serve", "--server", "EX01", "--no-delivery"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = state / "logs" / "transport.log"
    store = open_store(url)
    (key,) = [k for k, r in store.snapshot().items("receive_connectors") if r.get("Name") == "B"]

    def applied_at(version: int, limit: float) -> float:
        needle = f"configuration version {version} is now in effect"
        while time.time() < limit:
            text = log.read_text(errors="replace") if log.exists() else ""
            for line in text.splitlines():
                if needle in line:
                    return dt.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            time.sleep(0.005)
        raise SystemExit(f"the engine did not apply version {version} within 10 s")

    delays = []
    try:
        deadline = time.time() + 30
        while not (log.exists() and "serving configuration version" in log.read_text(errors="replace")):
            if time.time() > deadline or engine.poll() is not None:
                raise SystemExit("the engine did not start")
            time.sleep(0.05)
        for i in range(versions):
            def add(doc: MutableConfig, i: int = i) -> None:
                doc.get("receive_connectors", key)["RemoteIPRanges"].append(f"10.200.{i // 250}.{i % 250}")

            info = store.commit(add, command="bench")
            committed = time.time()
            assert info is not None
            delays.append((applied_at(info.version, committed + 10) - committed) * 1000)
            time.sleep(0.05)
    finally:
        engine.send_signal(signal.SIGTERM)
        engine.wait(30)
        getattr(store, "close", lambda: None)()
    return delays


def rebuild_report(connectors: int, ranges: int, rounds: int = 7) -> list[str]:
    """What a running engine pays to follow a one-connector commit on a large configuration (PostgresStore's
    rebuild from its cached version): the former full copy (thaw, replay, freeze) against copy-on-write
    (apply_changes_shared, freeze), interleaved round by round so both see the same load."""
    from exshell.store.records import apply_changes, apply_changes_shared, freeze

    big = {"receive_connectors": {f"k{i:04d}": {**connector(i),
                                                "RemoteIPRanges": [f"10.{i // 256}.{i % 256}.{j}" for j in range(ranges)]}
                                  for i in range(connectors)},
           "servers": {"s": {"Name": "EX01"}}}
    base = freeze(big)
    after = thaw(base["receive_connectors"]["k0007"])
    after["RemoteIPRanges"].append("192.0.2.1")
    change = [{"collection": "receive_connectors", "key": "k0007", "after": after}]

    def full() -> None:
        data = thaw(base)
        apply_changes(data, change)
        freeze(data)

    def shared() -> None:
        freeze(apply_changes_shared(base, change))

    times: dict[str, list[float]] = {"full": [], "shared": []}
    for _ in range(rounds):
        for name, fn in (("full", full), ("shared", shared)):
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1000)
    f, s = statistics.median(times["full"]), statistics.median(times["shared"])
    return [f"PostgreSQL store, an engine following a one-connector commit at {connectors} x {ranges} (median of "
            f"{rounds}, interleaved): full copy {f:.1f} ms, copy-on-write {s:.2f} ms (ratio {s / f:.4f})"]


def postgres_report(tmp: Path, args: argparse.Namespace, initial: dict[str, Any]) -> list[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from pg_cluster import start_cluster

    from exshell.store.postgres import PostgresStore

    cluster = start_cluster(durable=True)
    try:
        pg = PostgresStore(cluster.new_store_url(), lambda: initial)
        folder = FileStore(tmp / "baseline", lambda: initial)
        folder_ms, pg_ms = median_commit_ms([folder, pg], args.commits)
        pg.close()
        f_list, f_load = shell_listing_ms(tmp / "f", args.listing_connectors, args.listing_ranges)
        p_list, p_load = shell_listing_ms(tmp / "p", args.listing_connectors, args.listing_ranges,
                                          cluster.new_store_url())
        delays = sorted(notify_delays_ms(tmp, cluster.new_store_url(), args.notify_versions))
    finally:
        cluster.destroy()
    p99 = delays[min(len(delays) - 1, int(round(0.99 * (len(delays) - 1))))]
    return [
        f"PostgreSQL (private cluster, fsync on) against the folder store, same run, {args.connectors} connectors:",
        f"  commit latency, median of {args.commits}: folder {folder_ms:7.2f} ms, PostgreSQL {pg_ms:7.2f} ms "
        f"(ratio {pg_ms / folder_ms:.2f})",
        f"  Get-ReceiveConnector | Measure-Object, {args.listing_connectors} x {args.listing_ranges}: folder "
        f"{f_list:6.0f} ms (load {f_load:.0f}), PostgreSQL {p_list:6.0f} ms (load {p_load:.0f}) "
        f"(ratio {p_list / f_list:.2f})",
        f"  commit -> in effect in a running engine (NOTIFY), {len(delays)} versions: median "
        f"{statistics.median(delays):.1f} ms, p99 {p99:.1f} ms, max {delays[-1]:.1f} ms",
    ]


# --------------------------------------------------------------------------- one-shot processes


def _big_store(state: Path, connectors: int, ranges: int) -> None:
    from exshell.model.connector import ReceiveConnector
    from exshell.model.defaults import initial_config

    data = initial_config("EX01", "ex01.contoso.com")
    coll = data["receive_connectors"]
    for i in range(connectors):
        rng = [f"10.{i // 250}.{i % 250}.{k}" for k in range(ranges)]
        rc = ReceiveConnector.new(f"Relay {i:04d}", "EX01", "Custom", bindings=[f"0.0.0.0:{20000 + i}"],
                                  remote_ip_ranges=rng, permission_groups="AnonymousUsers")
        coll[rc.guid] = rc.to_record()
    FileStore(state, lambda: data).current_version()


def _timed(argv: list[str], env: dict[str, str]) -> float:
    # cwd: a neutral folder, or `python -m exshell` would import the package of the current directory instead
    # of the checkout PYTHONPATH names (the script's folder is the repository when run as documented).
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300,
                          check=False, cwd=tempfile.gettempdir())
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(f"warning: {argv[-1]!r} exited {proc.returncode}: {proc.stderr.decode()[:300]}\n")
    return elapsed * 1000


def oneshot(tmp: Path, baseline: Path | None, runs: int, connectors: int, ranges: int) -> None:
    import shutil

    here = Path(__file__).resolve().parents[1]
    codes = {"this checkout": here} | ({"baseline": baseline.resolve()} if baseline else {})
    big = tmp / "big"
    _big_store(big, connectors, ranges)
    envs: dict[str, dict[str, str]] = {}
    states: dict[str, dict[str, Path]] = {}
    for label, code in codes.items():
        envs[label] = dict(os.environ, PYTHONPATH=str(code), NO_COLOR="1")
        envs[label].pop("EXSHELL_STATE", None)
        # The bytecode is written by the first run (below), as an installed package has it: without this,
        # PYTHONDONTWRITEBYTECODE (set on some machines) recompiles every edited module on every run.
        envs[label].pop("PYTHONDONTWRITEBYTECODE", None)
        small, copy = tmp / f"small-{len(states)}", tmp / f"big-{len(states)}"
        shutil.copytree(big, copy)
        states[label] = {"small": small, "big": copy}
        _timed([sys.executable, "-m", "exshell", "--state", str(small), "--server", "EX01", "-c",
                "Get-AcceptedDomain"], envs[label])  # creates the store, compiles the bytecode
    commands = {
        "Get-AcceptedDomain": ("small", "Get-AcceptedDomain"),
        "Get-ReceiveConnector": ("small", "Get-ReceiveConnector"),
        f"Get-ReceiveConnector | Measure-Object ({connectors} x {ranges})": (
            "big", "Get-ReceiveConnector | Measure-Object"),
        f"Set-ReceiveConnector @{{Add=...}} ({connectors} x {ranges})": (
            "big", 'Set-ReceiveConnector "Relay 0007" -RemoteIPRanges @{{Add="10.250.{n}.{m}"}}'),
    }
    base_env = dict(os.environ)
    base_env.pop("PYTHONDONTWRITEBYTECODE", None)
    times: dict[tuple[str, str], list[float]] = {}
    passes: list[float] = []
    for r in range(runs):  # round by round: every variant sees the same load
        passes.append(_timed([sys.executable, "-c", "pass"], base_env))
        for name, (which, text) in commands.items():
            for label in codes:
                cmd = text.format(n=r // 250, m=r % 250)
                argv = [sys.executable, "-m", "exshell", "--state", str(states[label][which]), "--server",
                        "EX01", "-c", cmd]
                times.setdefault((name, label), []).append(_timed(argv, envs[label]))
    base = statistics.median(passes)
    print(f"python -c pass: {base:7.1f} ms (median of {runs})")
    for name in commands:
        for label in codes:
            ms = statistics.median(times[(name, label)])
            print(f"  {name:<52} {label:<14} {ms:8.1f} ms  {ms / base:5.2f}x python -c pass")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--commits", type=int, default=25)
    ap.add_argument("--connectors", type=int, default=20)
    ap.add_argument("--history", type=int, default=10_000)
    ap.add_argument("--listing-connectors", type=int, default=1000)
    ap.add_argument("--listing-ranges", type=int, default=100)
    ap.add_argument("--notify-versions", type=int, default=100)
    ap.add_argument("--no-postgresql", action="store_true", help="skip the PostgreSQL backend")
    ap.add_argument("--oneshot", action="store_true", help="measure exshell -c processes (see above)")
    ap.add_argument("--baseline", type=Path, help="with --oneshot: a checkout to compare against")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    if args.oneshot:
        with tempfile.TemporaryDirectory(prefix="exshell-bench-") as tmp:
            oneshot(Path(tmp), args.baseline, max(1, min(args.runs, 51)), args.listing_connectors,
                    args.listing_ranges)
        return
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
        pg_lines = [] if args.no_postgresql else (rebuild_report(args.listing_connectors, args.listing_ranges)
                                                  + postgres_report(Path(tmp), args, initial))

    print(f"config: {args.connectors} receive connectors, config.toml {size:,} bytes")
    print(f"commit latency, median of {args.commits}, {small_versions:>6} past versions: {small:7.2f} ms")
    print(f"commit latency, median of {args.commits}, {big_versions:>6} past versions: {big:7.2f} ms")
    print(f"ratio (10,000 / 10): {big / small:.2f}  (about 1 expected: history is never rewritten)")
    print(f"snapshot load, current version, cold store:             {current_ms:7.2f} ms")
    print(f"snapshot load, old version (49 change records replayed): {old_ms:7.2f} ms")
    print(f"current_version() poll:                                 {poll_us:7.2f} µs")
    print(f"Get-ReceiveConnector | Measure-Object, {args.listing_connectors} connectors x "
          f"{args.listing_ranges} ranges: {listing_ms:7.0f} ms (snapshot + model load {model_ms:.0f} ms)")
    for line in pg_lines:
        print(line)


if __name__ == "__main__":
    main()
