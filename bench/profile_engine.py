#!/usr/bin/env python3
"""Where the engine's time goes: one workload of bench/engine.py against an in-process engine under cProfile.

    .venv/bin/python bench/profile_engine.py [--workload persist] [--messages 2000] [--top 25]

Prints the functions with the most own time (tottime) and the share of the process's CPU spent in aiosmtpd,
asyncio/uvloop, the engine (exshell.transport) and the spool threads' waits. smtp-source is the client (a
subprocess, so its CPU is not in the profile); only 127.0.0.1 is used; bounded by --messages and --timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import peers  # noqa: E402
from engine import make_state, smtp_source_cmd  # noqa: E402


async def run(workload: str, messages: int, timeout: float, work: Path, prof: cProfile.Profile) -> float:
    from exshell.store import open_store
    from exshell.transport.engine import Engine

    port = peers.free_port()
    state = make_state(work, port)
    engine = Engine(str(state), "BENCH", store=open_store(state))
    await engine.start()
    try:
        cmd = smtp_source_cmd(workload, port, messages)
        if cmd is None:
            raise SystemExit("smtp-source is not installed (apt-get install postfix)")
        t0 = time.perf_counter()
        prof.enable()
        proc = await asyncio.create_subprocess_exec(*cmd)
        rc = await asyncio.wait_for(proc.wait(), timeout)
        prof.disable()
        if rc != 0:
            raise SystemExit(f"smtp-source exited with {rc}")
        return time.perf_counter() - t0
    finally:
        await engine.stop(2.0)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workload", default="persist", choices=["conn1", "persist", "serial"])
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    p.add_argument("--callees", action="append", default=[], metavar="FUNCTION",
                   help="also print what FUNCTION (a name, e.g. connection_made) spends its time on")
    args = p.parse_args(argv)
    args.messages = max(20, min(args.messages, 20_000))
    prof = cProfile.Profile()
    with tempfile.TemporaryDirectory(prefix="exshell-prof-") as tmp:
        main_coro = run(args.workload, args.messages, args.timeout, Path(tmp), prof)
        if args.loop == "uvloop":
            import uvloop

            wall = uvloop.run(main_coro)
        else:
            wall = asyncio.run(main_coro)
    n = max(1, args.messages // 5) if args.workload == "serial" else args.messages
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    groups: dict[str, float] = {}
    for (file, _line, _name), v in stats.stats.items():  # type: ignore[attr-defined]
        key = ("aiosmtpd" if "aiosmtpd" in file else "exshell" if "exshell" in file
               else "asyncio" if "asyncio" in file else "email/other stdlib" if "/python3" in file else "builtins/C")
        groups[key] = groups.get(key, 0.0) + v[2]
    print(f"{args.workload}: {n} messages in {wall:.2f}s ({n / wall:.0f} msgs/s under the profiler), "
          f"{total / n * 1000:.2f} ms of profiled own time per message")
    for k, v in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {k:20} {v / total:6.1%}  {v / n * 1000:.3f} ms/msg")
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(args.top)
    for name in args.callees:
        pstats.Stats(prof, stream=out).sort_stats("cumtime").print_callees(rf"\({name}\)$")
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
