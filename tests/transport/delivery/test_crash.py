"""kill -9 during delivery loses nothing: the service runs as a subprocess, is killed mid-burst, restarted,
and every message reaches the smart host at least once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .harness import Shell, SmartHost, configure, spool_message, wait_until

pytestmark = pytest.mark.timeout(90)
BURST = 30


def start_service(state: Path, tmp_path: Path, n: int) -> subprocess.Popen[bytes]:
    with open(tmp_path / f"service{n}.log", "wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exshell.transport.delivery.service",
                "--state",
                str(state),
                "--server",
                "EX01",
                "--poll-interval",
                "0.05",
                "--concurrency",
                "2",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        )


def test_kill_9_mid_burst_then_restart_delivers_every_message(tmp_path: Path) -> None:
    host = SmartHost().start()
    host.handler.delay = 0.1  # a slow smart host: the kill lands while deliveries are in flight
    proc = None
    try:
        shell = Shell(tmp_path / "state")
        configure(shell, host.port)
        state = shell.state
        subjects = [f"scan {i:03d}" for i in range(BURST)]
        for s in subjects:
            spool_message(state, "scanner@contoso.com", ["bob@external.example"], subject=s)
        proc = start_service(state, tmp_path, 1)
        wait_until(lambda: len(host.messages) >= 5, timeout=30, what="the first deliveries")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        arrived_before = len(host.messages)
        assert arrived_before < BURST, "the burst finished before the kill; the test proves nothing"
        assert list((state / "spool").glob("*.msg")), "messages still queued at the kill must be in the spool"
        proc = start_service(state, tmp_path, 2)

        def received() -> set[str]:
            return {m.data.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0].decode() for m in host.messages}

        wait_until(lambda: received() == set(subjects), timeout=45, what="every message after the restart")
        wait_until(lambda: not list((state / "spool").glob("*.msg")), timeout=15, what="the spool to empty")
        assert len(host.messages) >= BURST  # duplicates are allowed, loss is not
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        host.stop()


def test_sigterm_stops_the_standalone_service_cleanly(tmp_path: Path) -> None:
    shell = Shell(tmp_path / "state")
    configure(shell, None)
    proc = start_service(shell.state, tmp_path, 1)
    try:
        heartbeat = shell.state / "queue" / "engine.json"
        wait_until(heartbeat.exists, timeout=20, what="the heartbeat")
        t0 = time.monotonic()
        proc.terminate()
        assert proc.wait(15) == 0 and time.monotonic() - t0 < 10
        assert '"stopped": true' in heartbeat.read_text()
        log = (tmp_path / "service1.log").read_text()
        assert "Traceback" not in log
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_pickup_never_takes_a_spool_file_without_its_seal(tmp_path: Path) -> None:
    host = SmartHost().start()
    proc = None
    try:
        shell = Shell(tmp_path / "state")
        configure(shell, host.port)
        state = shell.state
        spool_message(state, "scanner@contoso.com", ["bob@external.example"], subject="whole one")
        cut = spool_message(state, "scanner@contoso.com", ["bob@external.example"], subject="cut short")
        path = state / "spool" / f"{cut}.msg"
        blob = path.read_bytes()
        path.write_bytes(blob[: blob.index(b"cut short") + 3])  # what a kill -9 mid-write leaves: young
        proc = start_service(state, tmp_path, 1)
        wait_until(lambda: len(host.messages) >= 1, timeout=30, what="the whole message")
        proc.terminate()
        assert proc.wait(15) == 0
        assert [b"whole one" in m.data for m in host.messages] == [True]
        assert path.exists()  # young: it may be a write in flight, so it is left alone, not poisoned
        assert not (state / "queue" / "messages" / f"{cut}.json").exists()
        old = time.time() - 120
        os.utime(path, (old, old))
        proc = start_service(state, tmp_path, 2)
        wait_until(lambda: (state / "spool" / "incomplete" / path.name).exists(), timeout=20,
                   what="the leftover moved aside")
        proc.terminate()
        assert proc.wait(15) == 0
        assert f"spool file {path.name} is incomplete" in (tmp_path / "service2.log").read_text()
        assert all(b"Subject: cut" not in m.data for m in host.messages)  # never delivered half-written
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
        host.stop()
