"""`exshell serve` as a real process: kill -9 mid-burst loses no acknowledged message; SIGTERM exits 0."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import smtplib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from exshell.transport.spool import TRAILER_LEN, Spool

from .scenario import LISTEN, RELAY_HOSTS, TRUSTED_HOST, free_port, make_store, seed_connectors

QUEUED = re.compile(r"<([^>]+)> \[InternalId=(\d+), Hostname=")


def start_engine(state: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "exshell.transport.cli", "--state", str(state), "--server", "EX01", "--no-delivery",
         "--log-level", "WARNING"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=state.parent,
    )


@contextlib.contextmanager
def running_engine(state: Path, port: int) -> Iterator[subprocess.Popen]:
    """An engine process on `state`, listening on `port`; killed on the way out if a test left it running."""
    proc = start_engine(state)
    try:
        wait_ready(port, proc)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "engine exited"
        try:
            smtplib.SMTP(LISTEN, port, source_address=(TRUSTED_HOST, 0), timeout=5).quit()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("engine did not start listening")


def sender_loop(port: int, host: str, acked: list, stop: threading.Event, limit: int) -> None:
    for _ in range(limit):
        if stop.is_set():
            return
        try:
            c = smtplib.SMTP(LISTEN, port, source_address=(host, 0), timeout=5)
            c.ehlo("burst.example")
            c.mail("app@domain.example")
            c.rcpt("user@domain.example")
            for _ in range(5):  # several messages per connection
                code, msg = c.data(b"Subject: burst\r\n\r\n" + b"x" * 1024 + b"\r\n")
                if code == 250:
                    m = QUEUED.search(msg.decode())
                    acked.append((m.group(2), m.group(1)))
                c.mail("app@domain.example")
                c.rcpt("user@domain.example")
            c.close()
        except (OSError, smtplib.SMTPException):
            return


def test_kill_9_mid_burst_keeps_every_acknowledged_message_exactly_once(tmp_path):
    port = free_port()
    state = tmp_path / "state"
    make_store(state, seed_connectors(port, max_inbound_connection_per_source=50))
    with running_engine(state, port) as proc:
        acked: list = []
        stop = threading.Event()
        threads = [threading.Thread(target=sender_loop, args=(port, host, acked, stop, 200))
                   for host in (RELAY_HOSTS * 3) + (TRUSTED_HOST,)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(acked) < 60 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        stop.set()
        for t in threads:
            t.join(15)
        assert len(acked) >= 20, "the burst did not get going"
    restarted = start_engine(state)
    try:
        wait_ready(port, restarted)
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(20) == 0
    finally:
        if restarted.poll() is None:
            restarted.kill()
            restarted.wait(10)
    spool = state / "spool"
    files = sorted(p.name for p in spool.glob("*.msg"))
    assert list((spool / "tmp").iterdir()) == []
    # The kill left the reserve of empty slots (and maybe a written one whose rename was lost): the restart put
    # the written ones in place and deleted the rest, and its clean stop deleted the slots it had reserved.
    assert list((spool / "slots").iterdir()) == []
    acked_ids = {internal_id for internal_id, _ in acked}
    incomplete = spool / "incomplete"  # files the kill cut short: never acknowledged ones only
    assert not acked_ids & {p.name.split(".")[0] for p in (incomplete.iterdir() if incomplete.is_dir() else [])}
    envelopes = {}
    for name in files:
        env = dict(Spool(spool).load(name[:-4]).envelope)  # complete: load() refuses a file without its seal
        envelopes[name[:-4]] = env
    message_ids = [e["message_id"] for e in envelopes.values()]
    assert len(message_ids) == len(set(message_ids))
    for internal_id, message_id in acked:
        assert internal_id in envelopes, f"acknowledged message {internal_id} lost"
        assert envelopes[internal_id]["message_id"] == message_id
    assert len(acked) == len(set(acked))


def test_sigterm_finishes_the_transaction_in_progress_and_exits_0(tmp_path):
    port = free_port()
    state = tmp_path / "state"
    make_store(state, seed_connectors(port))
    with running_engine(state, port) as proc:
        c = smtplib.SMTP(LISTEN, port, source_address=(RELAY_HOSTS[0], 0), timeout=10)
        c.ehlo("x.example")
        c.mail("a@domain.example")
        c.rcpt("b@domain.example")
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        code, _ = c.data(b"Subject: in flight\r\n\r\nbody\r\n")
        assert code == 250
        c.close()
        assert proc.wait(20) == 0
        # the listener is gone
        try:
            smtplib.SMTP(LISTEN, port, source_address=(RELAY_HOSTS[0], 0), timeout=2)
            raise AssertionError("still accepting after SIGTERM")
        except OSError:
            pass
    assert len(list((state / "spool").glob("*.msg"))) == 1
    assert list((state / "spool" / "slots").iterdir()) == []  # the unused reserve goes with a clean stop


def test_a_spool_file_cut_short_by_a_crash_is_moved_aside_at_start_and_the_rest_kept(tmp_path):
    port = free_port()
    state = tmp_path / "state"
    make_store(state, seed_connectors(port))
    with running_engine(state, port) as proc:
        with smtplib.SMTP(LISTEN, port, source_address=(TRUSTED_HOST, 0), timeout=10) as c:
            for n in (1, 2):
                assert c.sendmail("app@domain.example", ["user@domain.example"],
                                  f"Subject: m{n}\r\n\r\nbody {n}\r\n".encode()) == {}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    spool = state / "spool"
    first, second = sorted((p for p in spool.glob("*.msg")), key=lambda p: (len(p.name), p.name))
    # What a kill -9 between the create and the seal leaves (the client never saw a 250 for it).
    blob = second.read_bytes()
    second.write_bytes(blob[: len(blob) - TRAILER_LEN])
    restarted = start_engine(state)
    try:
        wait_ready(port, restarted)
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(20) == 0
        stderr = restarted.stderr.read().decode() if restarted.stderr else ""
    finally:
        if restarted.poll() is None:
            restarted.kill()
            restarted.wait(10)
    assert sorted(p.name for p in spool.glob("*.msg")) == [first.name]
    assert [p.name for p in (spool / "incomplete").iterdir()] == [second.name]
    assert f"spool file {second.name} is incomplete" in stderr
    assert Spool(spool).load(first.name[:-4]).data.endswith(b"body 1\r\n")
