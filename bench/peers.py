"""The peers the benchmarks compare exshell with, each started on loopback for one run and stopped after it.

- `Postfix`: a private Postfix instance (its own config and queue folder under the run's temporary folder,
  started with `postfix -c DIR`), so the machine's own /etc/postfix is never touched. Queue files are fsynced
  as Postfix always does; the next hop is `discard:` (receive benchmark) or an SMTP sink (relay benchmark).
  Needs the Debian package `postfix` (it also brings `smtp-source`) and root (Postfix drops to its `postfix`
  user). Its `maillog_file` is kept in the run folder for a look after a failure.
- `aiosmtpd_sink`: a plain aiosmtpd server that writes one file per message and fsyncs file and directory
  before the 250 (the baseline: what a straightforward Python SMTP server costs). Run as a subprocess
  (`python bench/peers.py sink --port P --spool DIR`).
- `Haraka`: Haraka (Node.js, the event-loop relay the issue compares with) with one worker, when
  `bash bench/haraka/setup.sh` installed it into bench/.local/haraka: loopback clients may relay
  (bench/haraka/plugins/exshell_bench_relay.js) and each message goes to a file of its own, fsynced before
  the 250 (exshell_bench_spool.js: the file only, as Postfix does and as the issue's Haraka runs did;
  `dirsync=True`: the spool directory too, the durability exshell and the aiosmtpd sink give; no delivery).
- `CountingSink`: the smart host of the relay benchmark (protocol only, no disk), in its own subprocess too.

Only 127.0.0.0/8 is ever used. Postfix's next hop is 127.0.0.2 because Postfix refuses to relay to one of
its own listening addresses ("mail for ... loops back to myself").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

HOST = "127.0.0.1"
NEXT_HOP = "127.0.0.2"

# Only the services Postfix needs to receive, queue and pass on mail; no chroot, no local delivery.
_MASTER_CF = """\
{listen} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def free_port(host: str = HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30.0,
              host: str = HOST) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=2) as s:
                s.recv(512)
                s.sendall(b"QUIT\r\n")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on {host}:{port} within {timeout:g}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def smtp_source() -> str | None:
    return shutil.which("smtp-source") or ("/usr/sbin/smtp-source" if os.path.exists("/usr/sbin/smtp-source") else None)


class Postfix:
    """A private Postfix instance listening on 127.0.0.1:`port`. `relay_to`: a port on 127.0.0.2 to relay
    everything to (else every message is discarded after it was queued and fsynced)."""

    def __init__(self, workdir: Path, port: int, relay_to: int | None = None) -> None:
        self.dir = workdir / f"postfix-{port}"
        self.port = port
        self.relay_to = relay_to
        self.conf = self.dir / "conf"
        self.maillog = self.dir / "maillog"

    @staticmethod
    def available() -> str | None:
        """None when Postfix can run here, else why not."""
        if not shutil.which("postfix") and not os.path.exists("/usr/sbin/postfix"):
            return "postfix is not installed (apt-get install postfix)"
        if os.geteuid() != 0:
            return "a private Postfix instance needs root"
        return None

    def start(self) -> None:
        self.conf.mkdir(parents=True)
        (self.dir / "queue").mkdir()
        data = self.dir / "data"
        data.mkdir()
        shutil.chown(data, "postfix")
        for d in (self.dir.parent, self.dir):  # Postfix's own user must reach its data folder (a temp dir is 0700)
            os.chmod(d, 0o755)
        if self.relay_to is None:
            hop = "default_transport = discard:bench\nrelay_transport = discard:bench\nrelayhost =\n"
        else:
            hop = f"relayhost = [{NEXT_HOP}]:{self.relay_to}\ndefault_transport = smtp\nrelay_transport = relay\n"
        (self.conf / "main.cf").write_text(
            "compatibility_level = 3.6\n"
            f"queue_directory = {self.dir / 'queue'}\n"
            f"data_directory = {data}\n"
            "myhostname = postfix-peer.localdomain\nmydomain = localdomain\n"
            f"inet_interfaces = {HOST}\ninet_protocols = ipv4\nmynetworks = 127.0.0.0/8\n"
            "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"
            "local_transport = discard:bench\nalias_maps =\nalias_database =\n"
            + hop
            + "smtpd_peername_lookup = no\nsmtp_dns_support_level = disabled\n"
            "smtp_host_lookup = native\nlmtp_host_lookup = native\n"
            f"maillog_file_prefixes = {self.dir}\nmaillog_file = {self.maillog}\n"
            "default_process_limit = 100\n"
        )
        (self.conf / "master.cf").write_text(_MASTER_CF.format(listen=f"{HOST}:{self.port}"))
        r = subprocess.run(["postfix", "-c", str(self.conf), "start"], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            log = self.maillog.read_text(errors="replace")[-800:] if self.maillog.exists() else r.stderr
            raise RuntimeError(f"postfix did not start: {log.strip()}")
        wait_port(self.port)

    def stop(self) -> None:
        subprocess.run(["postfix", "-c", str(self.conf), "stop"], capture_output=True, timeout=60)

    def master_pid(self) -> int | None:
        try:
            return int((self.dir / "queue" / "pid" / "master.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def delivered(self) -> int:
        """Messages Postfix logged as sent (to discard: or to the next hop)."""
        if not self.maillog.exists():
            return 0
        return self.maillog.read_text(errors="replace").count("status=sent")


class Haraka:
    """Haraka on 127.0.0.1:`port` with one worker (`nodes=1`: a master and one worker process), its
    configuration and spool under `workdir`."""

    HOME = Path(__file__).resolve().parent / ".local" / "haraka"
    PLUGINS = Path(__file__).resolve().parent / "haraka" / "plugins"

    def __init__(self, workdir: Path, port: int, dirsync: bool = False) -> None:
        self.dir = workdir / f"haraka-{port}"
        self.port = port
        self.dirsync = dirsync  # also fsync the spool directory before the 250 (as exshell does)
        self.proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def available(cls) -> str | None:
        """None when Haraka can run here, else why not."""
        if not shutil.which("node"):
            return "node is not installed (apt-get install nodejs npm; then bash bench/haraka/setup.sh)"
        if not (cls.HOME / "node_modules" / "Haraka").is_dir():
            return "not installed (bash bench/haraka/setup.sh)"
        return None

    def start(self) -> None:
        haraka = str(self.HOME / "node_modules" / "Haraka" / "bin" / "haraka")
        cfg = self.dir / "cfg"
        self.dir.mkdir(parents=True)
        subprocess.run(["node", haraka, "-i", str(cfg)], check=True, capture_output=True, timeout=60)
        conf = cfg / "config"
        (conf / "smtp.ini").write_text(f"listen={HOST}:{self.port}\nnodes=1\ninactivity_timeout=60\n")
        (conf / "log.ini").write_text("[main]\nlevel=warn\ntimestamps=false\n")
        (conf / "me").write_text("haraka-peer.localdomain\n")
        (conf / "plugins").write_text("exshell_bench_relay\nexshell_bench_spool\n")
        (cfg / "plugins").mkdir(exist_ok=True)
        for plugin in self.PLUGINS.glob("*.js"):
            shutil.copy(plugin, cfg / "plugins" / plugin.name)
        env = {**os.environ, "NODE_PATH": str(self.HOME / "node_modules"),
               "EXSHELL_BENCH_SPOOL": str(self.dir / "spool"), "EXSHELL_BENCH_DIRSYNC": "1" if self.dirsync else "0"}
        self.log = open(self.dir / "haraka.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(["node", haraka, "-c", str(cfg)], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        try:
            wait_port(self.port, self.proc, timeout=60.0)
        except BaseException:
            self.stop()
            raise RuntimeError("haraka did not start: "
                               + (self.dir / "haraka.log").read_text(errors="replace")[-800:]) from None

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None
            self.log.close()

    def master_pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def spooled(self) -> int:
        return sum(1 for _ in (self.dir / "spool").rglob("*.eml"))


async def read_reply(reader: asyncio.StreamReader) -> bytes:
    """The last line of one SMTP reply (continuation lines skipped); ConnectionError when the server closed."""
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        if line[3:4] != b"-":
            return line


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) a process tree has used: every live process under `root` with what it
    reaped of its children (Postfix's short-lived helpers). Linux /proc only; 0.0 elsewhere."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])  # fields after "(comm)": state, ppid, ..., utime at index 11
        times[pid] = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    tree = {root}
    grew = True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in tree and pid not in tree}
        tree |= more
        grew = bool(more)
    return sum(times.get(pid, 0) for pid in tree) / tick


# --------------------------------------------------------------------------- subprocess roles


def serve_sink(port: int, spool: str, host: str = HOST) -> None:
    """Plain aiosmtpd: one file per message, fsync file + directory (in a thread) before the 250."""
    os.makedirs(spool, exist_ok=True)
    seq = iter(range(10**9))

    def store(data: bytes) -> None:
        path = os.path.join(spool, f"{next(seq)}.eml")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        dfd = os.open(spool, os.O_RDONLY)
        os.fsync(dfd)
        os.close(dfd)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            await asyncio.get_running_loop().run_in_executor(None, store, envelope.content)
            return "250 2.0.0 OK"

    _run_controller(Handler(), host, port)


class CountingSink:
    """The relay benchmark's smart host: counts recipients and notes when the last one arrived."""

    def __init__(self, counter_file: str, pipelining: bool = True) -> None:
        self.count = 0
        self.counter_file = counter_file
        self.pipelining = pipelining

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # type: ignore[no-untyped-def]
        # PIPELINING offered, as the smart hosts relays meet do (Exchange, Postfix, Office 365); aiosmtpd reads
        # pipelined commands correctly but doesn't announce it. Both relays in the run see the same offer.
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.count += len(envelope.rcpt_tos)
        # count and monotonic time of the last arrival, for the parent (written in place: one small write)
        with open(self.counter_file, "w") as f:
            f.write(f"{self.count} {time.monotonic()}")
        return "250 2.0.0 OK"


def read_counter(path: str) -> tuple[int, float]:
    try:
        with open(path) as f:
            n, t = f.read().split()
        return int(n), float(t)
    except (OSError, ValueError):
        return 0, 0.0


def _run_controller(handler: object, host: str, port: int) -> None:
    from aiosmtpd.controller import Controller

    c = Controller(handler, hostname=host, port=port)
    c.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait(3600)  # bounded even if nobody stops it
    c.stop()


def start_role(role: str, port: int, path: str, host: str = HOST, options: Sequence[str] = ()
               ) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, __file__, role, "--port", str(port), "--path", path, "--host", host,
                             *options],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc, host=host)
    return proc


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["sink", "counting-sink"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--host", default=HOST)
    p.add_argument("--no-pipelining", action="store_true", help="counting-sink: don't offer PIPELINING")
    a = p.parse_args(argv)
    if not a.host.startswith("127."):
        raise SystemExit("loopback only")
    if a.role == "sink":
        serve_sink(a.port, a.path, a.host)
    else:
        _run_controller(CountingSink(a.path, pipelining=not a.no_pipelining), a.host, a.port)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
