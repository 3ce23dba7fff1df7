"""Several processes at once: serialized writers, no lost update, readers never see a partial state, and
kill -9 at any instant leaves the old or the new version."""

from __future__ import annotations

import os
from contextlib import closing
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exshell.store import open_store
from exshell.store.files import FileStore

from .store_helpers import assert_counter_invariant, start_worker

pytestmark = pytest.mark.timeout(60)


def _wait_all(procs: list[subprocess.Popen[bytes]], deadline: float) -> None:
    for p in procs:
        try:
            _out, err = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail("writer processes did not finish in time")
        assert p.returncode == 0, err.decode()


def test_concurrent_writers_lose_no_update(spec: str) -> None:
    workers, each = 8, 25
    procs = [start_worker(spec, str(w), each) for w in range(workers)]
    _wait_all(procs, time.monotonic() + 45)

    with closing(open_store(spec)) as store:
        assert store.current_version() == 1 + workers * each  # exactly one version 1, one version per commit
        snap = store.snapshot()
        assert snap.data["counters"]["shared"]["Count"] == workers * each
        assert set(snap.collection("items")) == {f"{w}-{i}" for w in range(workers) for i in range(each)}
        history = store.history()
        assert [h.version for h in history] == list(range(1, 2 + workers * each))
        assert sorted(h.command for h in history[1:]) == sorted(
            f"Add-Item {w}-{i}" for w in range(workers) for i in range(each)
        )
        # every intermediate version is consistent too
        for v in range(1, store.current_version() + 1, 17):
            assert_counter_invariant(store.snapshot(v))


def test_two_processes_opening_a_fresh_folder_create_one_version_one(tmp_path: Path) -> None:
    code = (
        "import sys; from exshell.store import open_store;"
        "s = open_store(sys.argv[1], lambda: {'c': {'k': {'Name': sys.argv[2]}}}); print(s.current_version())"
    )
    for attempt in range(3):
        state = tmp_path / f"s{attempt}"
        procs = [
            subprocess.Popen([sys.executable, "-c", code, str(state), f"p{i}"], stdout=subprocess.PIPE)
            for i in range(4)
        ]
        outs = [p.communicate(timeout=30)[0].decode().strip() for p in procs]
        assert outs == ["1"] * 4
        assert sorted(p.name for p in (state / "history").iterdir()) == ["00000001.json"]


def test_readers_never_see_partial_state_while_writers_commit(tmp_path: Path) -> None:
    state = tmp_path / "s"
    reader = open_store(state, lambda: {"counters": {"shared": {"Name": "shared", "Count": 0}}})
    procs = [start_worker(state, str(w), 30) for w in range(3)]
    seen: set[int] = set()
    deadline = time.monotonic() + 30
    try:
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            v = reader.current_version()
            snap = reader.snapshot(v)
            assert snap.version == v
            assert_counter_invariant(snap)
            latest = reader.snapshot()
            assert latest.version >= v
            assert_counter_invariant(latest)
            # the raw file is always whole TOML too (rename is atomic)
            open_store(state).snapshot()
            seen.add(v)
    finally:
        _wait_all(procs, time.monotonic() + 30)
    assert reader.current_version() == 91
    assert not [h for h in reader.history() if h.command.startswith("(manual")]
    assert len(seen) > 1, "the reader should have observed several versions"


def test_kill_9_at_random_points_leaves_old_or_new_version(tmp_path: Path) -> None:
    state = tmp_path / "s"
    rng = random.Random(1234)
    store = open_store(state, lambda: {"counters": {"shared": {"Name": "shared", "Count": 0}}})
    started = time.monotonic()
    for round_ in range(12):
        if time.monotonic() - started > 25:
            break
        before = open_store(state).current_version()
        proc = start_worker(state, f"r{round_}", 0)
        time.sleep(rng.uniform(0.15, 0.4))  # interpreter start-up, then a few commits
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)

        fresh = FileStore(state)  # recovery runs under the lock on open
        v = fresh.current_version()
        assert v >= before
        snap = fresh.snapshot()
        assert_counter_invariant(snap)
        assert snap.data["counters"]["shared"]["Count"] == v - 1
        assert not (state / "history" / f"{v + 1:08d}.json").exists()
        assert list((state / "tmp").iterdir()) == []
        assert [h.version for h in fresh.history(last=5)] == list(range(max(1, v - 4), v + 1))
        assert not [h for h in fresh.history(last=5) if h.command.startswith("(manual")]
    final = FileStore(state)
    for v in range(1, final.current_version() + 1):
        assert_counter_invariant(final.snapshot(v))
    assert store.current_version() == final.current_version()


def test_threads_sharing_one_store_and_a_second_instance_lose_no_update(tmp_path: Path) -> None:
    import threading

    state = tmp_path / "s"
    shared = open_store(state, lambda: {"counters": {"shared": {"Name": "shared", "Count": 0}}})
    other = FileStore(state)
    errors: list[BaseException] = []

    def work(store: FileStore | object, worker: int) -> None:
        try:
            for i in range(10):

                def mutate(doc, key=f"t{worker}-{i}"):  # type: ignore[no-untyped-def]
                    doc.put("items", key, {"Name": key})
                    doc.get("counters", "shared")["Count"] += 1

                store.commit(mutate)  # type: ignore[attr-defined]
                store.snapshot()  # type: ignore[attr-defined]
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(shared if w % 2 else other, w)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=40)
    assert not errors
    assert shared.current_version() == 41
    assert_counter_invariant(FileStore(state).snapshot())
