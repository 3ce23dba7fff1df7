"""`exshell serve` under the contract systemd gives a Type=notify service, with real processes and sockets:
the NOTIFY_SOCKET datagrams (READY, RELOADING, STOPPING, WATCHDOG), SIGHUP and SIGTERM, the privilege drop
when started as root (the engine a client talks to runs as the unprivileged user), owner-only files, socket
activation (LISTEN_FDS), and metrics equal to what the client saw."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import smtplib
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "copier-relay-setup.ps1"
COPIER = "127.0.0.100"
LISTEN = "127.0.0.17"
UNPRIVILEGED = "nobody"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the privilege drop is tested as root (CI runs as root)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Supervisor:
    """What systemd does for Type=notify: a datagram socket in $NOTIFY_SOCKET, read message by message."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        os.chmod(self.path, 0o777)  # the service may send after dropping root (systemd's socket is 0777 too)
        self.received: list[dict[str, str]] = []

    def wait_for(self, key: str, value: str = "1", timeout: float = 60.0) -> dict[str, str]:
        for msg in self.received:
            if msg.get(key) == value:
                self.received.remove(msg)
                return msg
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                break
            msg = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            if msg.get(key) == value:
                return msg
            self.received.append(msg)
        raise AssertionError(f"no {key}={value} datagram within {timeout} s; got {self.received}")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def world() -> Iterator[Path]:
    # Not under pytest's tmp_path: its parents are root-only, and the dropped engine must reach its state.
    folder = Path(tempfile.mkdtemp(prefix="exshell-svc-"))
    os.chmod(folder, 0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def serve_err(world: Path) -> Iterator[TextIO]:
    """The engine's stderr, shown when a test fails (pytest prints a failed test's captured output)."""
    path = world / "serve.err"
    with path.open("w") as f:
        yield f
    print(path.read_text() if path.exists() else "")


def exshell(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("EXSHELL_STATE", None)
    return subprocess.run([sys.executable, "-m", "exshell", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False, **kw)  # type: ignore[call-overload]


def set_up_relay(state: Path, port: int) -> None:
    """The README's copier recipe, run by root through the real shell; the default connectors (port 25) go."""
    p = exshell("--state", str(state), "-c", "Get-ReceiveConnector | Remove-ReceiveConnector -Confirm:$false")
    assert p.returncode == 0, p.stderr
    p = exshell("--state", str(state), "-f", str(EXAMPLE), COPIER, f"{LISTEN}:{port}", "[127.0.0.1]:1")
    assert p.returncode == 0, p.stdout + p.stderr


def proc_ids(pid: int) -> tuple[list[int], list[int]]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return [int(x) for x in fields["Uid"].split()], [int(x) for x in fields["Gid"].split()]


def server_name(state: Path) -> str:
    return str(json.loads((state / "serve.json").read_text())["server"])


def scrape(state: Path) -> str:
    info = json.loads((state / "serve.json").read_text())
    with urllib.request.urlopen(f"http://{info['metrics']}/metrics", timeout=10) as r:
        return str(r.read().decode())


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        head, _, value = line.rpartition(" ")
        if head == name or (head.startswith(name + "{") and all(f'{k}="{v}"' in head for k, v in labels.items())):
            total += float(value)
    return total


def test_root_start_drops_to_the_user_and_speaks_the_notify_protocol(world: Path, serve_err: TextIO) -> None:
    nobody = pwd.getpwnam(UNPRIVILEGED)
    state = world / "state"
    port = free_port()
    set_up_relay(state, port)
    supervisor = Supervisor(world)
    env = dict(os.environ, NOTIFY_SOCKET=str(supervisor.path), WATCHDOG_USEC="400000")
    env.pop("EXSHELL_STATE", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "exshell", "--state", str(state), "serve", "--user", UNPRIVILEGED,
         "--metrics", "127.0.0.1:0"],
        env=env, stdout=subprocess.DEVNULL, stderr=serve_err, text=True)
    try:
        ready = supervisor.wait_for("READY")
        assert ready["MAINPID"] == str(proc.pid)
        assert f"{LISTEN}:{port}" in ready["STATUS"] and "configuration version" in ready["STATUS"]
        supervisor.wait_for("WATCHDOG")  # WATCHDOG_USEC set: kept fed from the event loop

        # A client talks to the engine; the engine process is the unprivileged user, for good.
        with smtplib.SMTP(LISTEN, port, source_address=(COPIER, 0), timeout=20) as smtp:
            uids, gids = proc_ids(proc.pid)
            refused = smtp.sendmail("scanner@contoso.com", ["alice@contoso.com", "bob@contoso.com"],
                                    b"Subject: scan 1\r\n\r\npage\r\n")
        assert uids == [nobody.pw_uid] * 4 and gids == [nobody.pw_gid] * 4
        assert refused == {}  # both accepted at RCPT (bob is bounced later, by NDR)

        # Metrics scraped now equal what the client saw: one message accepted on the copier connector.
        deadline = time.monotonic() + 30
        text = scrape(state)
        while metric(text, "exshell_delivery_attempts_total") < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
            text = scrape(state)
        assert metric(text, "exshell_messages_accepted_total") == 1
        assert metric(text, "exshell_messages_accepted_total", connector=f"{server_name(state)}\\\\Copier Relay") == 1
        assert metric(text, "exshell_delivery_attempts_total", result="delivered") == 2  # alice, the NDR
        assert metric(text, "exshell_delivery_attempts_total", result="bounced") == 1  # bob
        status = exshell("--state", str(state), "status")
        assert status.returncode == 0, status.stderr
        assert "messages accepted: 1" in status.stdout and "deliveries: bounced 1, delivered 2" in status.stdout
        assert metric(text, "exshell_config_version") >= 1

        # SIGHUP: RELOADING then READY again; the log file is reopened (logrotate's contract); still serving.
        log = state / "logs" / "transport.log"
        log.rename(log.with_suffix(".log.old"))
        proc.send_signal(signal.SIGHUP)
        supervisor.wait_for("RELOADING")
        supervisor.wait_for("READY")
        deadline = time.monotonic() + 30
        while not (log.exists() and "SIGHUP" in log.read_text()):
            assert time.monotonic() < deadline, "the log file was not reopened on SIGHUP"
            time.sleep(0.05)
        with smtplib.SMTP(LISTEN, port, source_address=(COPIER, 0), timeout=20) as smtp:
            assert smtp.sendmail("scanner@contoso.com", ["alice@contoso.com"], b"Subject: 2\r\n\r\nx\r\n") == {}
        mailbox = state / "mailboxes"
        deadline = time.monotonic() + 30
        while len(list(mailbox.glob("*/new/*"))) < 2:
            assert time.monotonic() < deadline, "the messages never reached alice's Maildir"
            time.sleep(0.1)

        # SIGTERM: STOPPING, then a clean exit.
        proc.send_signal(signal.SIGTERM)
        supervisor.wait_for("STOPPING")
        assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        supervisor.close()

    # Every file and folder of the state tree is the user's and owner-only: configuration (mailbox
    # password hashes), history, spool, queue, Maildirs, logs.
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    seen = set()
    for path in [state, *state.rglob("*")]:
        st = path.lstat()
        assert st.st_uid == nobody.pw_uid, f"{path} belongs to uid {st.st_uid}"
        assert stat.S_IMODE(st.st_mode) & 0o077 == 0, f"{path} has mode {stat.S_IMODE(st.st_mode):o}"
        seen.add(path.relative_to(state).parts[0] if path != state else "")
    assert {"config.toml", "history", "spool", "queue", "mailboxes", "logs"} <= seen


def test_socket_activation_serves_the_passed_socket(world: Path, serve_err: TextIO) -> None:
    state = world / "state"
    port = free_port()
    set_up_relay(state, port)
    listener = socket.socket()
    listener.bind((LISTEN, port))  # held by us: the engine cannot bind it itself, only serve what it is given
    listener.listen(16)
    fd = listener.fileno()
    supervisor = Supervisor(world)
    env = dict(os.environ, NOTIFY_SOCKET=str(supervisor.path))
    env.pop("EXSHELL_STATE", None)
    # What systemd does: the socket as fd 3, LISTEN_FDS=1 and LISTEN_PID naming the service's own pid (the
    # shell's $$, kept by exec).
    script = 'LISTEN_FDS=1 LISTEN_PID=$$ exec "$0" -m exshell --state "$1" serve --no-delivery'
    proc = subprocess.Popen(["/bin/sh", "-c", script, sys.executable, str(state)], pass_fds=(3,),
                            preexec_fn=lambda: os.dup2(fd, 3), env=env,  # noqa: PLW1509 - fd 3 is the point
                            stdout=subprocess.DEVNULL, stderr=serve_err, text=True)
    try:
        ready = supervisor.wait_for("READY")
        assert f"{LISTEN}:{port}" in ready["STATUS"]
        with smtplib.SMTP(LISTEN, port, source_address=(COPIER, 0), timeout=20) as smtp:
            assert smtp.sendmail("scanner@contoso.com", ["alice@contoso.com"], b"Subject: a\r\n\r\nx\r\n") == {}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert "socket activation: 1 listening socket" in (state / "logs" / "transport.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        listener.close()
        supervisor.close()
