"""What progress reporting costs: a bulk pipeline over many connectors on a real terminal (the bar drawn) against
the same command with $ProgressPreference = 'SilentlyContinue' and in a pipe, interleaved, medians.

    .venv/bin/python bench/progress.py [CONNECTORS] [ROUNDS]

Each run gets a fresh copy of one large store (version 1 holds CONNECTORS receive connectors, written as a
hand-made config.toml), so every run does the same work: one Set-ReceiveConnector per connector through the
pipeline, committed as one version. Also times Restore-ConfigVersion and `exshell store export` on it.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pexpect

EXSHELL = [sys.executable, "-m", "exshell"]
BULK = "Get-ReceiveConnector | Set-ReceiveConnector -MaxMessageSize 20MB"


def large_store(state: Path, connectors: int) -> None:
    """A state folder whose version 1 holds `connectors` receive connectors (each on its own port)."""
    seed = state.parent / "seed"
    subprocess.run(EXSHELL + ["--state", str(seed), "-c",
                              "New-ReceiveConnector -Name R0 -Usage Custom -Bindings 10.0.0.1:10000 "
                              "-RemoteIPRanges 10.1.1.1"], check=True, capture_output=True)
    text = (seed / "config.toml").read_text()
    block = re.search(r"\n# R0 \(receive connector\)\n\[receive_connectors\.[^\]]+\]\n.*?\n\n", text, re.S)
    assert block, "the seed's R0 connector was not found"
    copies = []
    for i in range(1, connectors):
        b = block.group(0).replace("R0", f"R{i}").replace("10.0.0.1:10000", f"10.0.0.1:{10000 + i}")
        copies.append(re.sub(r"receive_connectors\.[0-9a-f-]+", f"receive_connectors.{uuid.uuid4()}", b))
    state.mkdir()
    (state / "config.toml").write_text(text[: block.end()] + "".join(copies) + text[block.end():])
    shutil.rmtree(seed)


def on_terminal(state: Path, text: str) -> tuple[float, str]:
    t = time.perf_counter()
    child = pexpect.spawn(EXSHELL[0], EXSHELL[1:] + ["--state", str(state), "-c", text], encoding="utf-8",
                          dimensions=(30, 120), timeout=600, env=dict(os.environ, TERM="xterm"))
    screen = child.read()
    child.close()
    return time.perf_counter() - t, screen


def in_pipe(state: Path, text: str) -> float:
    t = time.perf_counter()
    subprocess.run(EXSHELL + ["--state", str(state), "-c", text], check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    connectors = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        large_store(base, connectors)
        subprocess.run(EXSHELL + ["--state", str(base), "-c", "Get-ConfigVersion -Last 1"], check=True,
                       capture_output=True)  # adopt config.toml as version 1 before copying
        times: dict[str, list[float]] = {"terminal": [], "terminal, SilentlyContinue": [], "pipe": []}
        bars = 0
        for _ in range(rounds):
            for kind in times:
                state = Path(tmp) / "run"
                shutil.rmtree(state, ignore_errors=True)
                shutil.copytree(base, state)
                if kind == "pipe":
                    times[kind].append(in_pipe(state, BULK))
                else:
                    quiet = "$ProgressPreference = 'SilentlyContinue'; " if "Silently" in kind else ""
                    took, screen = on_terminal(state, quiet + BULK)
                    times[kind].append(took)
                    bars += kind == "terminal" and "Set-ReceiveConnector:" in screen
        print(f"{connectors} connectors, {rounds} interleaved rounds, load {os.getloadavg()[0]:.2f}")
        print(f"  {BULK}")
        ref = statistics.median(times["terminal, SilentlyContinue"])
        for kind, ts in times.items():
            m = statistics.median(ts)
            print(f"  {kind:28} median {m:6.2f} s  ({m / ref:.3f} x SilentlyContinue)")
        print(f"  the bar was drawn in {bars} of {rounds} terminal runs")


if __name__ == "__main__":
    main()
