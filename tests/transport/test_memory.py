"""Memory per concurrent message, scaled down from bench/memory.py (200 x 10 MB: peak 130 MB after the DATA
streaming work, 3.7 GB before): 20 concurrent 2 MB messages must cost well under their size each."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_concurrent_large_messages_stay_within_a_small_memory_bound():
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "memory.py"), "--clients", "20", "--size-mb", "2"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    m = re.search(r"(\d+)/20 messages .*peak per concurrent message ([\d.]+) MB", r.stdout)
    assert m, r.stdout
    accepted, per_message = int(m.group(1)), float(m.group(2))
    assert accepted == 20
    # Before: about 1.8x the message size per concurrent message (18 MB for 10 MB). Now the body streams to
    # the spool: what a session holds is its header and one write buffer (256 KB), whatever the size.
    assert per_message < 1.0, r.stdout
