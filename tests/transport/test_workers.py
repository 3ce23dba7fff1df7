"""`exshell serve --workers 2`: two engine processes share the bindings (SO_REUSEPORT) and the spool."""

from __future__ import annotations

import signal
import smtplib
import socket
import subprocess
import sys
import time

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
