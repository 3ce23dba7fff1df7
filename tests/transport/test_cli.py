"""`exshell serve` as an administrator runs it: which server it serves, exiting when it can serve nothing,
one line per message event, rate-limited repeated errors."""

from __future__ import annotations

import logging
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.transport.scenario import LISTEN, RELAY_HOSTS, config_data, free_port, seed_connectors

from exshell.model.permissions import ACE, ANONYMOUS
from exshell.store import open_store
from exshell.transport.cli import RepeatFilter


def _serve(state: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "exshell", "--state", str(state), "serve", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _relay_store(state: Path, port: int) -> None:
    connectors = seed_connectors(port)
    relay = connectors[1]
    connectors[1] = relay.add_aces([ACE(relay.identity, ANONYMOUS, "ms-Exch-SMTP-Accept-Any-Recipient")])
    open_store(state, lambda: config_data(connectors))


def _wait_for(path: Path, text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = path.read_text(errors="replace") if path.exists() else ""
        if text in body:
            return body
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


def test_serve_without_server_serves_the_stores_only_server_and_logs_each_message(tmp_path):
    # The store is EX01's (made as with `--server EX01`); this host is not EX01, and no --server is given.
    port = free_port()
    state = tmp_path / "state"
    _relay_store(state, port)
    proc = _serve(state, "--no-delivery")
    try:
        log = _wait_for(state / "logs" / "transport.log", "listening on")
        assert "EX01" in log
        with smtplib.SMTP(LISTEN, port, source_address=(RELAY_HOSTS[0], 0), timeout=10) as smtp:
            smtp.ehlo("copier.example")
            smtp.mail("scanner@domain.example")
            smtp.rcpt("someone@example.net")
            code, msg = smtp.data(b"Message-ID: <scan-1@copier.example>\r\nSubject: scan\r\n\r\npage\r\n")
        assert code == 250, msg
        line = _wait_for(state / "logs" / "transport.log", "received <")
        assert "someone@example.net" in line and RELAY_HOSTS[0] in line
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0


def test_serve_exits_nonzero_naming_the_binding_when_none_can_be_opened(tmp_path):
    port = free_port()
    state = tmp_path / "state"
    _relay_store(state, port)
    taken = socket.socket()
    taken.bind(("0.0.0.0", port))  # the wildcard connector's port, which also covers LISTEN:port
    taken.listen()
    try:
        proc = _serve(state, "--no-delivery")
        _, err = proc.communicate(timeout=30)
    finally:
        taken.close()
    assert proc.returncode == 2, err
    assert f"0.0.0.0:{port}" in err and "already in use" in err
    assert "no binding of an enabled receive connector could be opened" in err
    assert "Traceback" not in err


def test_serve_exits_nonzero_when_the_named_server_has_no_connector(tmp_path):
    state = tmp_path / "state"
    _relay_store(state, free_port())
    proc = _serve(state, "--server", "NOSUCH", "--no-delivery")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2, err
    # The store has no such server at all: the message says how to add one.
    assert "no server named NOSUCH (servers in the store: EX01)" in err
    assert "New-ExchangeServer -Name NOSUCH" in err


def test_repeated_identical_errors_are_rate_limited(tmp_path):
    logger = logging.getLogger("exshell.test.repeat")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = Collect()
    f = RepeatFilter(window=0.3)
    handler.addFilter(f)
    logger.addHandler(handler)
    try:
        for _ in range(50):
            logger.error("smart host %s refused: %s", "mx.example", "421 busy")
        logger.error("a different error")
        logger.info("received <a@b> from 127.0.0.1")
        logger.info("received <a@b> from 127.0.0.1")  # INFO lines are per message: never held back
        time.sleep(0.35)
        logger.error("smart host %s refused: %s", "mx.example", "421 busy")
    finally:
        logger.removeHandler(handler)
    assert seen[0] == "smart host mx.example refused: 421 busy"
    assert seen[1:4] == ["a different error", "received <a@b> from 127.0.0.1", "received <a@b> from 127.0.0.1"]
    assert seen[4].startswith("smart host mx.example refused: 421 busy (repeated 49 more time(s)")
    assert len(seen) == 5
