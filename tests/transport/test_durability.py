"""`exshell serve` as a real process: kill -9 mid-burst loses no acknowledged message; SIGTERM exits 0."""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import subprocess
import sys
import threading
import time
from pathlib import Path

from .scenario import LISTEN, RELAY_HOSTS, TRUSTED_HOST, free_port, make_store, seed_connectors

QUEUED = re.compile(r"<([^>]+)> \[InternalId=(\d+), Hostname=")


def start_engine(state: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "exshell.transport.cli", "--state", str(state), "--server", "EX01", "--no-delivery",
         "--log-level", "WARNING"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=state.parent,
    )


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
    proc = start_engine(state)
    try:
        wait_ready(port, proc)
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
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
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
    envelopes = {}
    for name in files:
        head = (spool / name).read_bytes().split(b"\n", 1)[0]
        env = json.loads(head)
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
    proc = start_engine(state)
    try:
        wait_ready(port, proc)
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
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert len(list((state / "spool").glob("*.msg"))) == 1
