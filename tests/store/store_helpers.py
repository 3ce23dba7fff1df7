"""Helpers shared by the store tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

from exshell.store import Snapshot, Store, open_store

WORKER = Path(__file__).with_name("store_worker.py")


def start_worker(state: Path | str, worker: str, count: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(state), worker, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@contextmanager
def reopened(store: Store) -> Iterator[Store]:
    """A second instance on the same store (no cache: everything read from what is stored), closed after."""
    with closing(open_store(getattr(store, "url", None) or store.root)) as fresh:  # type: ignore[attr-defined]
        yield fresh


def connector(name: str, **props: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"Name": name, "Identity": f"EX01\\{name}"}
    rec.update(props)
    return rec


def assert_counter_invariant(snap: Snapshot) -> None:
    count = snap.data["counters"]["shared"]["Count"]
    assert count == len(snap.collection("items")), f"version {snap.version}: counter {count} vs items"


def settled(path: Path) -> None:
    """Backdate a hand-edited file past the store's settle time (as if saved a few seconds ago)."""
    import os
    import time

    t = time.time_ns() - 5_000_000_000
    os.utime(path, ns=(t, t))
