#!/usr/bin/env python3
"""Where the delivery process's time goes in an end-to-end relay: bench/e2e.py's setup (the real `exshell serve`,
its delivery child, a counting smart host on 127.0.0.2), CPU per message of each process from /proc, and, when
py-spy is installed (`.venv/bin/pip install py-spy`), a sampled profile of the delivery child (only the samples
where it holds the GIL: its Python CPU, not its waits).

    cd /tmp && .venv/bin/python bench/profile_delivery.py [--messages 2000] [--repeats 3] [--top 30]
                                                         [--compare before=../main]

CPU figures are steadier than msgs/s on a shared machine, but still compare only within one run. Bounded:
--messages (max 20,000), --repeats (max 10), 120 s per repeat; loopback only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e import Relay  # noqa: E402  (bench/e2e.py, beside this file)

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def delivery_child(engine: int, timeout: float = 30.0) -> int:
    """The delivery process `exshell serve` started (its only child)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for task in os.listdir(f"/proc/{engine}/task"):
            with open(f"/proc/{engine}/task/{task}/children") as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        time.sleep(0.05)
    raise SystemExit("no delivery process: is `exshell serve --delivery process` the default here?")


def summarize(raw: Path, top: int) -> None:
    """py-spy's raw (collapsed) stacks: own and inclusive share per function."""
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    if not total:
        print("py-spy took no samples")
        return
    print(f"\ndelivery process, {total} samples holding the GIL; own time:")
    for f, n in own.most_common(top):
        print(f"  {n / total:6.1%}  {f}")
    print("inclusive (exshell functions and logging):")
    shown = [(f, n) for f, n in incl.most_common() if ("exshell/" in f or "logging/" in f) and "cli.py" not in f]
    for f, n in shown[:top]:
        print(f"  {n / total:6.1%}  {f}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--compare", action="append", default=[], metavar="NAME=CHECKOUT")
    args = p.parse_args()
    messages = max(100, min(args.messages, 20_000))
    repeats = max(1, min(args.repeats, 10))
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    with tempfile.TemporaryDirectory(prefix="exshell-profdel-") as tmp:
        work = Path(tmp)
        relays = [Relay("exshell", work)]
        for spec in args.compare:
            label, _, checkout = spec.partition("=")
            relays.append(Relay(f"exshell-{label}", work, Path(checkout).resolve()))
        sampler = None
        figures: dict[str, list[tuple[float, float, float, float]]] = {}
        try:
            for relay in relays:
                relay.start()
            pids = {r.name: (r.procs[1].pid, delivery_child(r.procs[1].pid), r.procs[0].pid) for r in relays}
            raw = work / "delivery.raw"
            if os.path.exists(spy):  # the first relay's child, for as long as the run lasts
                sampler = subprocess.Popen([spy, "record", "-p", str(pids["exshell"][1]), "--gil", "-r", "250",
                                            "--format", "raw", "-o", str(raw)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for r in range(repeats):
                for relay in relays:
                    before = [cpu_seconds(pid) for pid in pids[relay.name]]
                    _, e2e = relay.run(messages, 10, 120.0)
                    time.sleep(0.3)  # the last removals and rows
                    after = [cpu_seconds(pid) for pid in pids[relay.name]]
                    ms = [1000 * (a - b) / messages for a, b in zip(after, before)]
                    figures.setdefault(relay.name, []).append((e2e, *ms))
                    print(f"  repeat {r + 1} {relay.name:16} end to end {e2e:6.0f} msgs/s  CPU ms/msg: engine "
                          f"{ms[0]:.2f}  delivery {ms[1]:.2f}  smart host {ms[2]:.2f}", file=sys.stderr)
        finally:
            if sampler is not None:
                sampler.send_signal(2)  # py-spy writes its file on SIGINT
                try:
                    sampler.wait(30)
                except subprocess.TimeoutExpired:
                    sampler.kill()
            for relay in relays:
                relay.stop()
        print(f"messages={messages}, median of {repeats} interleaved repeats, load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"{'relay':16} {'e2e msgs/s':>10} {'engine ms':>10} {'delivery ms':>12} {'smart host ms':>14}")
        for name, rows in figures.items():
            med = [statistics.median(col) for col in zip(*rows)]
            print(f"{name:16} {med[0]:10.0f} {med[1]:10.2f} {med[2]:12.2f} {med[3]:14.2f}")
        if sampler is not None and raw.exists():
            summarize(raw, args.top)
        elif sampler is None:
            print("\n(py-spy is not installed: CPU figures only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
