"""Group commit of the spool directory's fsync (exshell/transport/group_commit.py): a writer is covered only by a
directory fsync that started after it asked, concurrent writers share fsyncs, and a failure reaches its writers."""

from __future__ import annotations

import threading

import pytest

from exshell.transport.group_commit import DirectorySync

WAIT = 10.0  # generous bound for a loaded machine; every wait below is bounded by it


class GatedSync:
    """A directory sync that records each call and blocks until the test lets it finish."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Semaphore(0)
        self.calls = 0
        self.fail_next = False

    def __call__(self, path: str) -> None:
        self.calls += 1
        self.started.release()
        assert self.release.acquire(timeout=WAIT)
        if self.fail_next:
            self.fail_next = False
            raise OSError(5, "Input/output error")


def _waiter(sync: DirectorySync, batch, out: list) -> threading.Thread:
    def run() -> None:
        try:
            sync.wait(batch)
            out.append("ok")
        except OSError as e:
            out.append(e)

    t = threading.Thread(target=run)
    t.start()
    return t


def test_a_request_made_during_a_directory_fsync_waits_for_the_next_one(tmp_path):
    gate = GatedSync()
    sync = DirectorySync(str(tmp_path), sync=gate)
    first_out: list = []
    second_out: list = []
    first = _waiter(sync, sync.request(), first_out)
    assert gate.started.acquire(timeout=WAIT)  # the first fsync is running
    second = _waiter(sync, sync.request(), second_out)  # this file was created after that fsync started
    gate.release.release()
    first.join(WAIT)
    assert first_out == ["ok"]
    assert gate.started.acquire(timeout=WAIT)  # a second fsync, for the second writer
    assert second_out == []  # not covered by the first one
    gate.release.release()
    second.join(WAIT)
    assert second_out == ["ok"] and gate.calls == 2 and sync.syncs == 2
    sync.close()


def test_writers_that_ask_while_one_fsync_runs_share_the_next(tmp_path):
    gate = GatedSync()
    sync = DirectorySync(str(tmp_path), sync=gate)
    out: list = []
    threads = [_waiter(sync, sync.request(), out)]
    assert gate.started.acquire(timeout=WAIT)
    threads += [_waiter(sync, sync.request(), out) for _ in range(20)]
    gate.release.release()
    assert gate.started.acquire(timeout=WAIT)
    gate.release.release()
    for t in threads:
        t.join(WAIT)
    assert out == ["ok"] * 21 and gate.calls == 2
    sync.close()


def test_a_failed_directory_fsync_fails_its_writers_and_the_next_batch_succeeds(tmp_path):
    gate = GatedSync()
    gate.fail_next = True
    sync = DirectorySync(str(tmp_path), sync=gate)
    out: list = []
    t = _waiter(sync, sync.request(), out)
    gate.release.release()
    t.join(WAIT)
    assert isinstance(out[0], OSError) and out[0].errno == 5
    later: list = []
    t = _waiter(sync, sync.request(), later)
    gate.release.release()
    t.join(WAIT)
    assert later == ["ok"]
    sync.close()


def test_a_closed_directory_sync_refuses_new_requests(tmp_path):
    sync = DirectorySync(str(tmp_path))
    sync.wait(sync.request())  # a real fsync of a real directory
    assert sync.syncs == 1
    sync.close()
    with pytest.raises(OSError):
        sync.request()
