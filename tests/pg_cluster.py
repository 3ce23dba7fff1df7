"""A private PostgreSQL cluster for the tests and the benchmark: the Debian `postgresql` package's initdb and
pg_ctl, in a temporary folder, on a free loopback port, with a random password, run as an unprivileged user
when we are root (PostgreSQL refuses to run as root). Nothing a person set up is used or touched.

`.ci/run` installs the package when initdb is missing; the package's own cluster (port 5432) is not used.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

ADMIN = "exshell"
DATABASE = "exshell"


def find_bin_dir() -> Path | None:
    """The newest installed server's bin folder (/usr/lib/postgresql/<major>/bin), else initdb on PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    def __init__(self, bin_dir: Path, durable: bool = False) -> None:
        self.bin = bin_dir
        self.durable = durable  # fsync and synchronous commit as in production (the benchmark); off for tests
        self.root = Path(tempfile.mkdtemp(prefix="exshell-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.password = secrets.token_hex(12)
        self.port = 0
        self.user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            name = "postgres" if _has_user("postgres") else "nobody"
            self.user = pwd.getpwnam(name)
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        os.chmod(self.root, 0o700)

    # ---- lifecycle
    def init(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.user is not None:
            os.chown(pwfile, self.user.pw_uid, self.user.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", ADMIN, f"--pwfile={pwfile}", "--auth=scram-sha-256",
            "--no-sync", "--no-locale", "-E", "UTF8",
        )
        pwfile.unlink()

    def start(self) -> None:
        for _attempt in range(3):  # the free port may be taken between the probe and the bind
            self.port = self.port or free_port()
            opts = (
                f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
                "-c max_connections=200"
            )
            if not self.durable:
                opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", opts, "start")
                break
            except RuntimeError:
                self.port = 0
        else:
            raise RuntimeError(f"PostgreSQL did not start; see {self.log}:\n{self._log_tail()}")
        if not getattr(self, "_created", False):
            import psycopg

            with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {DATABASE}")
            self._created = True

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except RuntimeError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    # ---- addresses
    def url(self, database: str = DATABASE, schema: str | None = None) -> str:
        url = f"postgresql://{ADMIN}:{self.password}@127.0.0.1:{self.port}/{database}"
        if schema is not None:
            url += "?options=" + quote(f"-csearch_path={schema}", safe="")
        return url

    def new_store_url(self) -> str:
        """A URL for a fresh, empty store: a schema of its own in the shared database."""
        import psycopg

        schema = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        return self.url(schema=schema)

    # ---- helpers
    def _run(self, tool: str, *args: str) -> None:
        kwargs: dict[str, object] = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        proc = subprocess.run(
            [str(self.bin / tool), *args], cwd=self.root, capture_output=True, text=True, timeout=90,
            env={**os.environ, "LC_ALL": "C", "LANG": "C"}, **kwargs,  # type: ignore[call-overload]
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{tool} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


# Runs beside the test session: when the session's process is gone (killed, timed out) before it stopped the
# cluster, stop the server and remove its folder, so that no postgres outlives the run that started it.
_WATCHDOG = """
import os, shutil, subprocess, sys, time
parent, pg_ctl, data, root, uid, gid = sys.argv[1:7]
while True:
    time.sleep(1)
    try:
        os.kill(int(parent), 0)
    except ProcessLookupError:
        break
    if not os.path.isdir(data):
        sys.exit(0)
kw = {} if uid == "-" else {"user": int(uid), "group": int(gid), "extra_groups": []}
subprocess.run([pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True, timeout=60, **kw)
shutil.rmtree(root, ignore_errors=True)
"""


def _watch(cluster: PgCluster) -> None:
    uid, gid = ("-", "-") if cluster.user is None else (str(cluster.user.pw_uid), str(cluster.user.pw_gid))
    subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(cluster.bin / "pg_ctl"), str(cluster.data),
         str(cluster.root), uid, gid],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def start_cluster(durable: bool = False) -> PgCluster:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL's initdb was not found: install the server package (apt-get install postgresql; "
            ".ci/run does this)."
        )
    cluster = PgCluster(bin_dir, durable)
    try:
        cluster.init()
        _watch(cluster)
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster
