"""`exshell serve` runs delivery in a child process of its own (exshell/service/delivery_process.py): real serve
processes, a copier on smtplib, a recording smart host on loopback. The pipe that announces spooled messages
is tested with real pipes; the child's lifecycle (restart after kill -9, SIGTERM, the engine killed) through
/proc."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from exshell.service.delivery_process import PIPE_BUF, Announcer, read_ids
from tests.transport.delivery.harness import SERVER, Shell, SmartHost, configure, free_port, wait_until

pytestmark = pytest.mark.timeout(120)
LISTEN = "127.0.0.17"
COPIER = "127.0.0.60"


@pytest.fixture(scope="module")
def smart_host() -> Iterator[SmartHost]:
    host = SmartHost().start()
    yield host
    host.stop()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, smart_host: SmartHost) -> tuple[Path, int]:
    """The copier relay, configured once through the shell; each test serves a copy of it."""
    shell = Shell(tmp_path_factory.mktemp("template") / "state")
    configure(shell, smart_host.port)
    port = free_port()
    shell.ok("Get-ReceiveConnector | Remove-ReceiveConnector -Confirm:$false")
    shell.ok(f"New-ReceiveConnector -Name 'Copier Relay' -Usage Custom -Bindings '{LISTEN}:{port}' "
             f"-RemoteIPRanges {COPIER} -PermissionGroups AnonymousUsers -Server {SERVER}")
    shell.ok("Get-ReceiveConnector 'Copier Relay' | Add-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' "
             "-ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient'")
    return shell.state, port


class Serve:
    def __init__(self, template: tuple[Path, int], tmp_path: Path, *args: str) -> None:
        self.state = tmp_path / "state"
        shutil.copytree(template[0], self.state)
        self.port = template[1]
        self.err = (tmp_path / "serve.err").open("w")
        env = dict(os.environ)
        env.pop("EXSHELL_STATE", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "exshell", "--state", str(self.state), "serve",
                                      "--server", SERVER, *args], stdout=subprocess.DEVNULL, stderr=self.err,
                                     env=env)
        self.log_path = self.state / "logs" / "transport.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def delivery_pid(self, other_than: int | None = None) -> int:
        """The pid in the delivery service's heartbeat, once it is running (and not `other_than`)."""
        heartbeat = self.state / "queue" / "engine.json"

        def pid() -> int | None:
            try:
                info = json.loads(heartbeat.read_text())
            except (OSError, ValueError):
                return None
            if info.get("stopped") or info.get("pid") == other_than:
                return None
            return int(info["pid"])

        return int(wait_until(pid, timeout=60, what="the delivery service's heartbeat"))

    def send(self, subject: str) -> None:
        with smtplib.SMTP(LISTEN, self.port, source_address=(COPIER, 0), timeout=20) as smtp:
            refused = smtp.sendmail("scanner@contoso.com", ["bob@external.example"],
                                    f"Subject: {subject}\r\n\r\nscanned page\r\n".encode())
        assert refused == {}

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        finally:
            self.err.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.err.close()


def relayed(host: SmartHost, subject: str) -> bool:
    return any(f"Subject: {subject}\r\n".encode() in m.data for m in host.messages)


def children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(p) for p in text.split()}


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")  # a zombie is gone too
    except OSError:
        return True


def test_serve_relays_through_its_delivery_process_and_sigterm_stops_both(template: tuple[Path, int],
                                                                          smart_host: SmartHost,
                                                                          tmp_path: Path) -> None:
    serve = Serve(template, tmp_path)
    try:
        child = serve.delivery_pid()
        assert child != serve.proc.pid and child in children(serve.proc.pid)  # not inline: a child of serve
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        assert b"--role" in cmdline and b"delivery" in cmdline
        serve.send("through the delivery process")
        wait_until(lambda: relayed(smart_host, "through the delivery process"), timeout=30, what="the relay")
        assert serve.stop() == 0
        assert gone(child), "the delivery process outlived serve"
    finally:
        serve.kill()
    log = serve.log()
    # Both processes log to serve's file; the engine stopped before the delivery process did.
    assert f"delivery process started (pid {child})" in log and "delivery service stopped" in log
    assert log.index("exshell engine stopped") < log.index("delivery service stopped")
    assert "Traceback" not in log + (tmp_path / "serve.err").read_text()


def test_a_killed_delivery_process_is_restarted_and_delivers_what_arrived_meanwhile(
        template: tuple[Path, int], smart_host: SmartHost, tmp_path: Path) -> None:
    serve = Serve(template, tmp_path)
    try:
        first = serve.delivery_pid()
        os.kill(first, signal.SIGKILL)
        serve.send("accepted while delivery was down")  # the engine still accepts; the spool keeps it
        wait_until(lambda: f"the delivery process (pid {first}) was killed by signal 9" in serve.log(),
                   timeout=30, what="the error line about the dead child")
        second = serve.delivery_pid(other_than=first)
        assert second in children(serve.proc.pid)
        wait_until(lambda: relayed(smart_host, "accepted while delivery was down"), timeout=30,
                   what="the message accepted meanwhile at the smart host")
        assert serve.stop() == 0  # it recovered: an honest clean stop
        assert gone(second)
    finally:
        serve.kill()


def test_the_delivery_process_stops_when_serve_is_killed(template: tuple[Path, int], tmp_path: Path) -> None:
    serve = Serve(template, tmp_path)
    try:
        child = serve.delivery_pid()
        serve.proc.kill()  # kill -9: no chance to stop the child; the pipe's end of file does
        serve.proc.wait(10)
        wait_until(lambda: gone(child), timeout=30, what="the orphaned delivery process to stop")
    finally:
        serve.kill()
    assert "the engine's pipe was closed" in serve.log()


def test_delivery_inline_runs_delivery_on_the_engines_loop(template: tuple[Path, int], smart_host: SmartHost,
                                                           tmp_path: Path) -> None:
    serve = Serve(template, tmp_path, "--delivery", "inline")
    try:
        assert serve.delivery_pid() == serve.proc.pid
        serve.send("delivered inline")
        wait_until(lambda: relayed(smart_host, "delivered inline"), timeout=30, what="the relay")
        assert not children(serve.proc.pid)
        assert serve.stop() == 0
    finally:
        serve.kill()


def test_two_workers_announce_to_one_delivery_process(template: tuple[Path, int], smart_host: SmartHost,
                                                      tmp_path: Path) -> None:
    serve = Serve(template, tmp_path, "--workers", "2")
    try:
        child = serve.delivery_pid()
        assert len(children(serve.proc.pid)) == 3 and child in children(serve.proc.pid)  # 2 engines, 1 delivery
        wait_until(lambda: serve.log().count("listening on") >= 2, timeout=60, what="both workers listening")
        subjects = [f"worker burst {i}" for i in range(6)]
        for s in subjects:  # a new connection each: the kernel spreads them between the workers
            serve.send(s)
        wait_until(lambda: all(relayed(smart_host, s) for s in subjects), timeout=30, what="every message")
        assert serve.stop() == 0
        assert gone(child)
    finally:
        serve.kill()


@pytest.mark.skipif(os.geteuid() != 0, reason="the privilege drop is tested as root (CI runs as root)")
def test_as_root_with_user_delivery_never_runs_as_root(template: tuple[Path, int], smart_host: SmartHost) -> None:
    world = Path(tempfile.mkdtemp(prefix="exshell-delivery-"))  # not tmp_path: its parents are root-only
    os.chmod(world, 0o711)
    nobody = pwd.getpwnam("nobody").pw_uid
    serve = Serve(template, world, "--user", "nobody")
    try:
        pid = serve.delivery_pid()
        if "delivery runs inline" in serve.log():
            # This interpreter is out of the user's reach (a venv under /root): serve said so and delivers
            # inline, as the dropped engine.
            assert pid == serve.proc.pid
        else:
            assert pid in children(serve.proc.pid)
        assert f"Uid:\t{nobody}\t{nobody}\t{nobody}\t{nobody}" in Path(f"/proc/{pid}/status").read_text()
        serve.send("delivered by the user")
        wait_until(lambda: relayed(smart_host, "delivered by the user"), timeout=30, what="the relay")
        assert serve.stop() == 0
    finally:
        serve.kill()
        shutil.rmtree(world, ignore_errors=True)


@pytest.mark.parametrize("args, says", [
    (["--delivery", "process", "--metrics", "127.0.0.1:0"], "--metrics counts delivery in the engine's process"),
    (["--no-delivery", "--delivery", "inline"], "--no-delivery and --delivery inline contradict each other"),
    (["--delivery", "elsewhere"], "'elsewhere' is not one of"),
])
def test_serve_refuses_delivery_options_it_cannot_honour(tmp_path: Path, args: list[str], says: str) -> None:
    r = subprocess.run([sys.executable, "-m", "exshell", "--state", str(tmp_path / "state"), "serve", *args],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr


# ---------------------------------------------------------------------- the announcing pipe


def test_the_announcer_batches_a_loop_iteration_into_whole_lines_the_reader_takes_apart() -> None:
    read_fd, write_fd = os.pipe()
    try:
        announcer = Announcer(write_fd)
        ids = [str(1796525497346000 + i) for i in range(1000)]  # 17 KB: more than one atomic write

        async def spool_them() -> None:
            for spool_id in ids:
                announcer(spool_id)
            assert announcer.pending == ids  # nothing written yet: one batch per loop iteration
            await asyncio.sleep(0)

        asyncio.run(spool_them())
        buffer = bytearray()
        got: list[str] = []
        os.set_blocking(read_fd, False)
        while True:
            try:
                data = os.read(read_fd, 1000)  # small reads: lines are cut across reads
            except BlockingIOError:
                break
            got += read_ids(buffer, data)
        assert got == ids and not buffer and announcer.dropped == 0
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_a_full_pipe_drops_announcements_without_blocking_the_engine() -> None:
    read_fd, write_fd = os.pipe()
    try:
        announcer = Announcer(write_fd)
        capacity = 0
        while True:  # fill the pipe (64 KiB here; bounded by the kernel's pipe size)
            try:
                capacity += os.write(write_fd, b"x" * PIPE_BUF)
            except BlockingIOError:
                break
            assert capacity <= 16 * 1024 * 1024

        async def spool_one() -> None:
            announcer("1796525497346001")
            await asyncio.sleep(0)

        asyncio.run(spool_one())  # returns: the write would block, so the id is dropped
        assert announcer.dropped == 1
    finally:
        os.close(read_fd)
        os.close(write_fd)
    # A closed reader (the child is gone): dropped too, no BrokenPipeError in the engine.
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    announcer = Announcer(write_fd)
    asyncio.run(spool_one())
    os.close(write_fd)
    assert announcer.dropped == 1


def test_the_reader_ignores_what_is_not_a_spool_id() -> None:
    buffer = bytearray()
    assert read_ids(buffer, b"123\n../../etc/passwd\n\n45") == ["123"]
    assert read_ids(buffer, b"6\n") == ["456"]
