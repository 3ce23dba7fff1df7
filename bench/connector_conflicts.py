"""What the receive-connector conflict rules cost on a large store, one checkout against another, interleaved:
a bulk Set-ReceiveConnector through the pipeline and Restore-ConfigVersion of version 1 (every connector
checked against the others each time). The adoption of a hand edit runs the same validation (config/validation.py)
but is not timed here: this script has no reliable way yet to make a run adopt an edit.

    .venv/bin/python bench/connector_conflicts.py [CONNECTORS] [ROUNDS] NAME=CHECKOUT ...

CHECKOUT is a source tree (a git worktree of another commit); its `exshell` package is put first on PYTHONPATH.
The store is bench/progress.py's: CONNECTORS receive connectors, each on its own port.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from progress import BULK, EXSHELL, large_store  # noqa: E402 - the sibling bench's store builder

STEPS = {
    "bulk Set-ReceiveConnector": BULK,
    "Restore-ConfigVersion 1": "Restore-ConfigVersion -Version 1 -Confirm:$false",
}


def run(checkout: str, state: Path, text: str) -> float:
    env = dict(os.environ, PYTHONPATH=checkout)
    t = time.perf_counter()
    # cwd outside any checkout: `python -m` puts the working directory ahead of PYTHONPATH.
    subprocess.run(EXSHELL + ["--state", str(state), "-c", text], check=True, capture_output=True, env=env,
                   cwd=state.parent)
    return time.perf_counter() - t


def main() -> None:
    numbers = [a for a in sys.argv[1:] if "=" not in a]
    connectors = int(numbers[0]) if numbers else 2000
    rounds = int(numbers[1]) if len(numbers) > 1 else 1
    checkouts = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
    times: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        large_store(base, connectors)
        subprocess.run(EXSHELL + ["--state", str(base), "-c", "Get-ConfigVersion -Last 1"], check=True,
                       capture_output=True)  # adopt config.toml as version 1 before copying
        for _ in range(rounds):
            for name, checkout in checkouts.items():
                state = Path(tmp) / "run"
                shutil.rmtree(state, ignore_errors=True)
                shutil.copytree(base, state)
                for step, text in STEPS.items():
                    times.setdefault((name, step), []).append(run(checkout, state, text))
    print(f"{connectors} connectors, {rounds} interleaved round(s), load {os.getloadavg()[0]:.2f}")
    first = next(iter(checkouts))
    for step in STEPS:
        ref = statistics.median(times[(first, step)])
        for name in checkouts:
            m = statistics.median(times[(name, step)])
            print(f"  {step:28} {name:10} median {m:7.2f} s  ({m / ref:.3f} x {first})")


if __name__ == "__main__":
    main()
