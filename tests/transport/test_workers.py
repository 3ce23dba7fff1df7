"""`exshell serve --workers 2`: two engine processes share the bindings (SO_REUSEPORT) and the spool."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time

import pytest

from tests.transport.scenario import LISTEN, RELAY_HOSTS, SERVER, config_data, free_port, seed_connectors

from exshell.model.permissions import ACE, ANONYMOUS
from exshell.store import open_store


def test_two_workers_accept_every_message_once_and_stop_cleanly(tmp_path):
    port = free_port()
    connectors = seed_connectors(port)
    relay = connectors[1]
    connectors[1] = relay.add_aces([ACE(relay.identity, ANONYMOUS, "ms-Exch-SMTP-Accept-Any-Recipient")])
    state = tmp_path / "state"
    open_store(state, lambda: config_data(connectors))
    proc = subprocess.Popen([sys.executable, "-m", "exshell", "--state", str(state), "serve", "--server", SERVER,
                             "--no-delivery", "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # Both workers must be listening before the burst, or the kernel has only one socket to choose.
        log = state / "logs" / "transport.log"
        deadline = time.monotonic() + 20
        while not (log.exists() and log.read_text(errors="replace").count("listening on") >= 2):
            assert time.monotonic() < deadline, "the two workers did not both start listening"
            time.sleep(0.1)
        socket.create_connection((LISTEN, port), timeout=5).close()
        acknowledged = []
        for i in range(24):  # a new connection each time, so both workers get some
            with smtplib.SMTP(LISTEN, port, source_address=(RELAY_HOSTS[i % 2], 0), timeout=10) as smtp:
                smtp.ehlo("copier.example")
                smtp.mail("scanner@domain.example")
                smtp.rcpt("someone@example.net")
                code, msg = smtp.data(b"Subject: scan %d\r\n\r\npage\r\n" % i)
                assert code == 250, msg
                acknowledged.append(msg)
        files = sorted((state / "spool").glob("*.msg"))
        assert len(files) == 24 == len({f.name for f in files})
        # Worker i names its messages i modulo 2: both took connections (all on one: odds 1 in 2^23).
        assert {int(f.stem) % 2 for f in files} == {0, 1}
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, proc.stderr.read() if proc.stderr else ""


def test_workers_auto_starts_one_engine_per_usable_core(tmp_path):
    port = free_port()
    state = tmp_path / "state"
    open_store(state, lambda: config_data(seed_connectors(port)))
    cores = len(os.sched_getaffinity(0))
    proc = subprocess.Popen([sys.executable, "-m", "exshell", "--state", str(state), "serve", "--server", SERVER,
                             "--no-delivery", "--workers", "auto"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        log = state / "logs" / "transport.log"

        def listening() -> int:  # each worker logs its one listener once the binding is open
            return log.read_text(errors="replace").count("listening on") if log.exists() else 0

        deadline = time.monotonic() + 30
        while listening() < cores:
            assert time.monotonic() < deadline, f"fewer than {cores} workers started listening"
            time.sleep(0.1)
        time.sleep(0.5)  # a surplus worker would have logged by now too
        assert listening() == cores
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, proc.stderr.read() if proc.stderr else ""


@pytest.mark.parametrize("value, says", [("0", "between 1 and 64"), ("65", "between 1 and 64"),
                                         ("some", "a number of workers or 'auto'")])
def test_workers_refuses_a_count_it_cannot_run(tmp_path, value, says):
    r = subprocess.run([sys.executable, "-m", "exshell", "--state", str(tmp_path / "state"), "serve",
                        "--workers", value], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert says in r.stderr and "Traceback" not in r.stderr
