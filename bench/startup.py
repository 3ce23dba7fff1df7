#!/usr/bin/env python3
"""Start-up benchmark: median wall time of one-shot `exshell -c` commands against `python -c pass`.

Two commands by default: `Get-Command | Measure-Object` (parse, bind, the registry, no store) and
`Get-ReceiveConnector` (opens the store and decodes the configuration). The store is created beforehand by one
unmeasured run, so every measured run reads an existing store as a script in a loop does. The runs are
interleaved (baseline, command 1, command 2, baseline, ...) so that a change in machine load affects all of
them alike; each ratio is a median over the same rounds. Goal: ratio <= 4x for each.

Both run with the interpreter running this script (normally .venv/bin/python), the shell as `python -m exshell`,
against a throw-away state folder. `--imports N` lists the N costliest imports of each command
(`python -X importtime`).

    .venv/bin/python bench/startup.py [--runs N] [--command TEXT ...] [--imports N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

GOAL = 4.0
DEFAULT_COMMANDS = ("Get-Command | Measure-Object", "Get-ReceiveConnector")


def time_one(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, check=False, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(f"warning: {' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[:400]}\n")
    return elapsed


def print_costliest_imports(command: str, env: dict[str, str], count: int) -> None:
    """`python -X importtime`: the modules with the largest self time (one run)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "exshell", "-c", command],
        check=False,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            parts = line[len("import time:") :].split("|")
            if parts[0].strip().isdigit():
                rows.append((int(parts[0]), int(parts[1]), parts[2].strip()))
    rows.sort(reverse=True)
    print(f"costliest imports of {command!r} (self / cumulative, ms) of one run, {len(rows)} modules in all:")
    for self_us, cum_us, name in rows[:count]:
        print(f"  {self_us / 1000:7.1f} {cum_us / 1000:7.1f}  {name}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=11, help="rounds (each runs the baseline and every command once)")
    ap.add_argument("--command", action="append", help="a command to time (repeatable); default: both above")
    ap.add_argument("--imports", type=int, default=0, metavar="N", help="also list the N costliest imports")
    ap.add_argument("--click-door", action="store_true",
                    help="also time the same -c through the click group (what the fast path saves)")
    ns = ap.parse_args(argv)
    commands = tuple(ns.command or DEFAULT_COMMANDS)
    runs = max(3, min(ns.runs, 101))  # bounded
    with tempfile.TemporaryDirectory(prefix="exshell-bench-") as state:
        env = dict(os.environ, EXSHELL_STATE=state)
        # An installed package has its bytecode compiled (pip does it); a checkout gets it on the first run,
        # unless PYTHONDONTWRITEBYTECODE (set on some of these machines) stops Python from writing it, and
        # then every start would compile ~50 modules (~200 ms). Measure what a user runs.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        baseline = [sys.executable, "-c", "pass"]
        shells = [[sys.executable, "-m", "exshell", "-c", c] for c in commands]
        if ns.click_door:
            shells += [[sys.executable, "-c", "import sys; from exshell.cli import _click_main; "
                        "sys.exit(_click_main(sys.argv[1:]))", "-c", c] for c in commands]
        # One warm-up run each (file cache, .pyc compilation, the store's version 1), not counted.
        for argv_ in [baseline, *shells]:
            time_one(argv_, env)
        base_times: list[float] = []
        shell_times: list[list[float]] = [[] for _ in shells]
        for _ in range(runs):
            base_times.append(time_one(baseline, env))
            for i, argv_ in enumerate(shells):
                shell_times[i].append(time_one(argv_, env))
        if ns.imports:
            for c in commands:
                print_costliest_imports(c, env, min(ns.imports, 200))
    base = statistics.median(base_times)
    print(f"python -c pass: {base * 1000:7.1f} ms (median of {runs} interleaved rounds)")
    ok = True
    labels = [f"exshell -c {c!r}" for c in commands] + [f"through click {c!r}" for c in commands if ns.click_door]
    for label, times in zip(labels, shell_times):
        shell = statistics.median(times)
        ratio = shell / base if base > 0 else float("inf")
        if label.startswith("through click"):
            print(f"{label}: {shell * 1000:7.1f} ms  ratio {ratio:5.2f}x (the fast path avoids this)")
            continue
        ok = ok and ratio <= GOAL
        verdict = "OK" if ratio <= GOAL else "OVER"
        print(f"{label}: {shell * 1000:7.1f} ms  ratio {ratio:5.2f}x (goal <= {GOAL:.0f}x) {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
