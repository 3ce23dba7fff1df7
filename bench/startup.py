#!/usr/bin/env python3
"""Start-up benchmark: median wall time of `exshell -c "Get-Command | Measure-Object"` against `python -c pass`.

Goal: ratio <= 4x. Both run with the same interpreter (the one running this script, normally .venv/bin/python),
the shell as `python -m exshell`, against a throw-away state folder. Use `python -X importtime -m exshell -c ...`
to see where the time goes.

    .venv/bin/python bench/startup.py [--runs N] [--command TEXT]
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


def time_runs(argv: list[str], runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(
            argv, check=False, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60
        )
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.stderr.write(
                f"warning: {' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[:400]}\n"
            )
    return times


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
    print(f"costliest imports (self / cumulative, ms) of one run, {len(rows)} modules in all:")
    for self_us, cum_us, name in rows[:count]:
        print(f"  {self_us / 1000:7.1f} {cum_us / 1000:7.1f}  {name}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--command", default="Get-Command | Measure-Object")
    ap.add_argument("--imports", type=int, default=0, metavar="N", help="also list the N costliest imports")
    ap.add_argument("--click-door", action="store_true",
                    help="also time the same -c through the click group (what the fast path saves)")
    ns = ap.parse_args(argv)
    runs = max(3, min(ns.runs, 101))  # bounded
    with tempfile.TemporaryDirectory(prefix="exshell-bench-") as state:
        env = dict(os.environ, EXSHELL_STATE=state)
        # An installed package has its bytecode compiled (pip does it); a checkout gets it on the first run,
        # unless PYTHONDONTWRITEBYTECODE (set on some of these machines) stops Python from writing it, and
        # then every start would compile ~50 modules (~200 ms). Measure what a user runs.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        # One warm-up run each (file cache, .pyc compilation), not counted.
        time_runs([sys.executable, "-c", "pass"], 1, env)
        time_runs([sys.executable, "-m", "exshell", "-c", ns.command], 1, env)
        base = statistics.median(time_runs([sys.executable, "-c", "pass"], runs, env))
        shell = statistics.median(time_runs([sys.executable, "-m", "exshell", "-c", ns.command], runs, env))
        click_door = None
        if ns.click_door:
            via_click = [sys.executable, "-c", "import sys; from exshell.cli import _click_main; "
                         "sys.exit(_click_main(sys.argv[1:]))", "-c", ns.command]
            time_runs(via_click, 1, env)
            click_door = statistics.median(time_runs(via_click, runs, env))
        if ns.imports:
            print_costliest_imports(ns.command, env, min(ns.imports, 200))
    ratio = shell / base if base > 0 else float("inf")
    if click_door is not None:
        print(f"same -c through click:     {click_door * 1000:7.1f} ms (median of {runs}; "
              f"{click_door / base:.2f}x python, fast path saves {(click_door - shell) * 1000:.1f} ms)")
    print(f"python -c pass:            {base * 1000:7.1f} ms (median of {runs})")
    print(f"exshell -c {ns.command!r}: {shell * 1000:7.1f} ms (median of {runs})")
    print(
        f"ratio:                     {ratio:7.2f}x (goal <= {GOAL:.0f}x) {'OK' if ratio <= GOAL else 'OVER'}"
    )
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
