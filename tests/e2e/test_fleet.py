"""Two relays on one configuration: two `exshell serve` processes on two loopback addresses, each with its
own state folder, sharing one PostgreSQL store; shells in further processes change it. Copiers are smtplib
clients from loopback addresses of their own."""

from __future__ import annotations

import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pg_cluster import PgCluster

pytestmark = pytest.mark.timeout(120)

HOSTS = {"EX01": "127.0.0.2", "EX02": "127.0.0.3"}
COPIER = "127.0.0.100"
# Sources no connector lists at first, one per test that adds or expects one (the fleet is the module's).
OUTSIDER = "127.0.0.99"
NEW_COPIER = "127.0.0.101"
OUTAGE_COPIER = "127.0.0.102"


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def exshell(url: str, server: str, text: str, state: Path | None = None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "exshell", "--store", url, "--server", server, "-c", text]
    if state is not None:
        args[3:3] = ["--state", str(state)]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def ok(url: str, server: str, text: str) -> str:
    r = exshell(url, server, text)
    assert r.returncode == 0, f"{text}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
    assert "Traceback" not in r.stdout + r.stderr
    return r.stdout


def rcpt(host: str, port: int, source: str, recipient: str = "someone@example.net") -> int:
    """The reply to RCPT TO, or the greeting's code when no connector takes this source (421 at connect)."""
    try:
        smtp = smtplib.SMTP(host, port, source_address=(source, 0), timeout=10)
    except smtplib.SMTPConnectError as e:
        return int(e.smtp_code)
    with smtp:
        smtp.ehlo("copier.domain.com")
        assert smtp.mail("scanner@domain.com")[0] == 250
        return int(smtp.rcpt(recipient)[0])


def send(host: str, port: int, source: str = COPIER, subject: str = "scan",
         recipient: str = "someone@example.net") -> str:
    body = f"From: scanner@domain.com\r\nTo: {recipient}\r\nSubject: {subject}\r\n\r\npage\r\n".encode()
    with smtplib.SMTP(host, port, source_address=(source, 0), timeout=10) as smtp:
        smtp.ehlo("copier.domain.com")
        smtp.mail("scanner@domain.com")
        smtp.rcpt(recipient)
        code, msg = smtp.data(body)
        assert code == 250, msg
        return msg.decode()


def wait_for(predicate, what: str, timeout: float = 30.0, step: float = 0.1):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, smtplib.SMTPException) as e:
            last = e
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@dataclass
class Relay:
    server: str
    host: str
    port: int
    state: Path
    proc: subprocess.Popen[str]

    def log(self) -> str:
        path = self.state / "logs" / "transport.log"
        return path.read_text(errors="replace") if path.exists() else ""


@dataclass
class Fleet:
    url: str
    relays: dict[str, Relay]


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _serve(url: str, relay: Relay) -> None:
    """Start relay's engine (its state folder kept from an earlier run) and wait for its listener."""
    relay.proc = subprocess.Popen(
        [sys.executable, "-m", "exshell", "--state", str(relay.state), "--store", url, "serve", "--server",
         relay.server],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )


def _listening(relay: Relay) -> None:
    wait_for(lambda: socket.create_connection((relay.host, relay.port), timeout=1).close() or True,
             f"{relay.server}'s listener")


@pytest.fixture(scope="module")
def fleet_of_module(pg_cluster: PgCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """One store and two engines for the module's fleet tests: starting them is most of a test's cost. Each test
    uses addresses, subjects and domains of its own, so none depends on another having run or not."""
    url = pg_cluster.new_store_url()
    tmp_path = tmp_path_factory.mktemp("fleet")
    ports = {name: free_port(host) for name, host in HOSTS.items()}
    # The setup connectors listen on 0.0.0.0:25 and :587: out of the way of other tests on this machine. Then
    # the seed's relay recipe, once per server (one shell process: start-up is most of a line's cost).
    lines = ["New-AcceptedDomain -Name Domain -DomainName domain.com",
             "New-ExchangeServer -Name EX02 -Fqdn ex02.domain.com",
             "Get-ReceiveConnector -Server EX01 | Set-ReceiveConnector -Enabled $false",
             "Get-ReceiveConnector -Server EX02 | Set-ReceiveConnector -Enabled $false"]
    for name, host in HOSTS.items():
        lines.append(f"New-ReceiveConnector -Name Relay -Server {name} -Usage Custom -Bindings '{host}:{ports[name]}' "
                     f"-RemoteIPRanges {COPIER} -PermissionGroups AnonymousUsers -TarpitInterval 00:00:00")
        lines.append(f"Get-ReceiveConnector '{name}\\Relay' | Add-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' "
                     "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient")
    ok(url, "EX01", "; ".join(lines) + " | Out-Null")
    relays: dict[str, Relay] = {}
    try:
        for name, host in HOSTS.items():
            relays[name] = Relay(name, host, ports[name], tmp_path / name, None)  # type: ignore[arg-type]
            _serve(url, relays[name])
        for r in relays.values():
            _listening(r)
        yield Fleet(url, relays)
    finally:
        for r in relays.values():
            if r.proc is not None:
                _stop(r.proc)


@pytest.fixture
def fleet(fleet_of_module: Fleet) -> Fleet:
    """The module's fleet with both engines serving: an engine a test stopped is started again first."""
    stopped = [r for r in fleet_of_module.relays.values() if r.proc.poll() is not None]
    for r in stopped:
        _serve(fleet_of_module.url, r)
    for r in stopped:
        _listening(r)
    return fleet_of_module


def test_relay_recipe_works_on_both_servers_with_local_spools(fleet: Fleet) -> None:
    for r in fleet.relays.values():
        assert "Queued mail for delivery" in send(r.host, r.port, subject=f"scan via {r.server}")
        assert rcpt(r.host, r.port, OUTSIDER) == 421  # outside every connector's RemoteIPRanges
    for r in fleet.relays.values():  # each engine keeps what it accepted on its own disk
        kept = [p for d in ("spool", "queue") for p in (r.state / d).rglob("*") if p.is_file()]
        assert kept, f"{r.server} kept nothing under {r.state}"


def test_a_change_for_ex02_from_a_third_shell_reaches_ex02_within_a_second_and_leaves_ex01_alone(
    fleet: Fleet,
) -> None:
    ex01, ex02 = fleet.relays["EX01"], fleet.relays["EX02"]
    assert rcpt(ex02.host, ex02.port, NEW_COPIER) == 421
    # A session EX01 opened before the change finishes normally.
    with smtplib.SMTP(ex01.host, ex01.port, source_address=(COPIER, 0), timeout=10) as held:
        held.ehlo("copier.domain.com")
        assert held.mail("scanner@domain.com")[0] == 250
        ok(fleet.url, "EX01", f"Set-ReceiveConnector 'EX02\\Relay' -RemoteIPRanges @{{Add='{NEW_COPIER}'}}")
        committed = time.monotonic()
        wait_for(lambda: rcpt(ex02.host, ex02.port, NEW_COPIER) == 250, "EX02 to apply the change", step=0.02)
        delay = time.monotonic() - committed
        assert held.rcpt("someone@example.net")[0] == 250
        assert held.data(b"Subject: held\r\n\r\nstill fine\r\n")[0] == 250
    assert delay < 1.0, f"EX02 applied the change after {delay:.2f} s"
    assert rcpt(ex01.host, ex01.port, NEW_COPIER) == 421  # EX01's connector was not touched
    assert rcpt(ex01.host, ex01.port, COPIER) == 250
    assert ex01.proc.poll() is None and ex02.proc.poll() is None


def test_database_outage_engines_keep_serving_shell_fails_cleanly_then_everyone_catches_up(
    fleet: Fleet, pg_cluster: PgCluster
) -> None:
    ex02 = fleet.relays["EX02"]
    assert rcpt(ex02.host, ex02.port, OUTAGE_COPIER) == 421
    pg_cluster.stop()
    try:
        for r in fleet.relays.values():
            assert "Queued mail for delivery" in send(r.host, r.port)
        r = exshell(fleet.url, "EX01", f"Set-ReceiveConnector 'EX02\\Relay' -RemoteIPRanges @{{Add='{OUTAGE_COPIER}'}}")
        assert r.returncode == 1
        assert "Cannot reach the configuration store" in r.stdout + r.stderr
        assert "Nothing was changed" in r.stdout + r.stderr
        assert "Traceback" not in r.stdout + r.stderr and "internal error" not in (r.stdout + r.stderr).lower()
        for relay in fleet.relays.values():
            wait_for(lambda relay=relay: "lost the configuration store" in relay.log(), f"{relay.server}'s log")
            assert "Queued mail for delivery" in send(relay.host, relay.port)
    finally:
        pg_cluster.start()
    ok(fleet.url, "EX01", f"Set-ReceiveConnector 'EX02\\Relay' -RemoteIPRanges @{{Add='{OUTAGE_COPIER}'}}")
    wait_for(lambda: rcpt(ex02.host, ex02.port, OUTAGE_COPIER) == 250, "EX02 to catch up", timeout=30)
    for relay in fleet.relays.values():
        wait_for(lambda relay=relay: "reachable again" in relay.log(), f"{relay.server}'s reconnection")
        assert relay.proc.poll() is None


def test_serving_a_server_the_store_lacks_says_how_to_add_it(pg_url: str, tmp_path: Path) -> None:
    ok(pg_url, "EX01", "Get-ExchangeServer | Out-Null")
    r = subprocess.run(
        [sys.executable, "-m", "exshell", "--state", str(tmp_path / "s"), "--store", pg_url, "serve", "--server", "EX07"],
        capture_output=True, text=True, timeout=60,
    )
    assert r.returncode == 2
    assert "no server named EX07 (servers in the store: EX01)" in r.stderr
    assert "-c 'New-ExchangeServer -Name EX07'" in r.stderr
    password = pg_url.split("@")[0].rsplit(":", 1)[1]
    assert password not in r.stderr and "Traceback" not in r.stderr


def test_tracking_log_of_the_fleet_from_a_third_shell(fleet: Fleet) -> None:
    for r in fleet.relays.values():
        send(r.host, r.port, subject=f"tracked via {r.server}")
    query = "Get-MessageTrackingLog {} -EventId RECEIVE | ForEach-Object MessageSubject"

    def subjects(server: str = "") -> set[str]:  # this test's messages (the fleet carried others' too)
        lines = ok(fleet.url, "EX01", query.format(server)).splitlines()
        return {line.strip() for line in lines if line.startswith("tracked via ")}

    wait_for(lambda: subjects() >= {"tracked via EX01", "tracked via EX02"}, "both servers' rows", timeout=30)
    assert subjects("-Server EX02") == {"tracked via EX02"}
    assert subjects("-Server EX01,EX02") == {"tracked via EX01", "tracked via EX02"}
    r = exshell(fleet.url, "EX01", "Get-MessageTrackingLog -Server EX09")
    assert r.returncode == 1 and "couldn't be found" in r.stdout + r.stderr


def test_exshell_store_variable_names_the_shared_store_and_the_state_folder_holds_none(
    pg_url: str, tmp_path: Path
) -> None:
    import os

    env = {**os.environ, "EXSHELL_STORE": pg_url}
    r = subprocess.run(
        [sys.executable, "-m", "exshell", "--state", str(tmp_path / "local"), "--server", "EX01", "-c",
         "New-ExchangeServer EX05 | Out-Null; Get-ExchangeServer | ForEach-Object Name"],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["EX01", "EX05"]
    assert not (tmp_path / "local" / "CURRENT").exists() and not (tmp_path / "local" / "config.toml").exists()
    assert ok(pg_url, "EX01", "(Get-ExchangeServer EX05).Name").strip() == "EX05"


def test_ex02_offers_starttls_and_auth_with_a_certificate_and_password_made_from_a_third_shell(
    fleet: Fleet, tmp_path: Path
) -> None:
    import hashlib
    import ssl
    import stat

    import psycopg

    ex01, ex02 = fleet.relays["EX01"], fleet.relays["EX02"]
    admin = tmp_path / "admin"  # a third machine's state folder
    r = exshell(
        fleet.url, "EX01",
        "(New-ExchangeCertificate -Server EX02 -DomainName ex02.domain.com -Services SMTP -Force).Thumbprint; "
        "New-Mailbox -Name copier -PrimarySmtpAddress copier@domain.com "
        "-Password (ConvertTo-SecureString 'Copier-Pass-1' -AsPlainText -Force) | Out-Null; "
        "Set-ReceiveConnector 'EX02\\Relay' -AuthMechanism 'Tls, BasicAuth, BasicAuthRequireTLS' "
        "-PermissionGroups 'AnonymousUsers, ExchangeUsers' -AuthTarpitInterval 00:00:00; "
        "Get-ExchangeCertificate -Server EX02 | ForEach-Object { 'EX02 has ' + $_.Thumbprint }",
        state=admin,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    thumbprint = r.stdout.split()[0]
    assert not (admin / "secrets").exists()  # the administrator's machine keeps no server's key
    assert f"EX02 has {thumbprint}" in r.stdout
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE

    def logged_on() -> tuple[str, int]:
        with smtplib.SMTP(ex02.host, ex02.port, source_address=(COPIER, 0), timeout=10) as smtp:
            smtp.ehlo("copier.domain.com")
            if not smtp.has_extn("starttls"):
                return "", 0
            smtp.starttls(context=tls)
            presented = hashlib.sha1(smtp.sock.getpeercert(binary_form=True)).hexdigest().upper()  # type: ignore[union-attr]
            smtp.ehlo("copier.domain.com")
            if presented != thumbprint or not smtp.has_extn("auth"):
                return "", 0
            return presented, smtp.login("copier@domain.com", "Copier-Pass-1")[0]

    assert wait_for(logged_on, "EX02 to present the new certificate and accept the password", timeout=30) == (
        thumbprint, 235)
    with smtplib.SMTP(ex02.host, ex02.port, source_address=(COPIER, 0), timeout=10) as smtp:  # a wrong password
        smtp.ehlo("copier.domain.com")
        smtp.starttls(context=tls)
        smtp.ehlo("copier.domain.com")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.login("copier@domain.com", "not-the-password")
    cached = ex02.state / "secrets" / "certificates" / f"{thumbprint}.pem"  # what EX02 fetched: owner-only
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    assert stat.S_IMODE((ex02.state / "secrets").stat().st_mode) == 0o700
    assert not (ex01.state / "secrets" / "certificates" / f"{thumbprint}.pem").exists()  # not EX01's certificate
    with psycopg.connect(fleet.url) as conn:  # the key material is in the secrets table only, never in a version
        (versions,) = conn.execute(
            "SELECT string_agg(coalesce(before, '') || coalesce(after, ''), '') FROM exshell_changes").fetchone()
        (snapshots,) = conn.execute("SELECT string_agg(data, '') FROM exshell_snapshots").fetchone()
        secrets = [bytes(d) for (d,) in conn.execute("SELECT data FROM exshell_secrets WHERE kind = 'sealed'")]
    assert "PRIVATE KEY" not in versions + snapshots
    assert secrets and not any(s.decode() in versions + snapshots for s in secrets)
    shown = ok(fleet.url, "EX01", "Get-ConfigVersion | Format-List *; Compare-ConfigVersion 1 | Format-List *")
    assert "PRIVATE KEY" not in shown and not any(s.decode() in shown for s in secrets)


def test_ex02s_stuck_queue_is_listed_and_retried_from_a_third_shell(fleet: Fleet, tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self) -> None:
            self.subjects: list[str] = []

        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 - aiosmtpd's hook
            self.subjects += [line.split(":", 1)[1].strip() for line in envelope.content.decode().splitlines()
                              if line.startswith("Subject:")]
            return "250 OK"

    ex02 = fleet.relays["EX02"]
    smart_port = free_port("127.0.0.1")  # nothing listens yet: the smart host refuses connections
    # Its own address space: other tests' mail through this fleet never takes this route.
    ok(fleet.url, "EX01", f"New-SendConnector -Name Out -AddressSpaces stuck.example -SmartHosts 127.0.0.1 "
                          f"-Port {smart_port} | Out-Null")
    send(ex02.host, ex02.port, subject="stuck on EX02", recipient="someone@stuck.example")
    admin = tmp_path / "admin"  # a third machine: no queue of its own

    def shell(text: str) -> str:
        r = exshell(fleet.url, "EX01", text, state=admin)
        assert r.returncode == 0, f"{text}\n{r.stdout}\n{r.stderr}"
        assert "Traceback" not in r.stdout + r.stderr
        return r.stdout

    def stuck_queue() -> str:
        rows = shell("Get-Queue -Server EX02 | Where-Object { $_.MessageCount -gt 0 -and $_.Status -eq 'Retry' "
                     "-and $_.NextHopDomain -eq 'Out' } | "
                     "ForEach-Object { $_.Identity + '|' + $_.NextHopDomain + '|' + $_.LastError }").splitlines()
        return rows[0] if rows else ""

    identity, next_hop, error = wait_for(stuck_queue, "EX02's queue to be in Retry", timeout=30).split("|", 2)
    assert identity.startswith("EX02\\") and next_hop == "Out" and error  # the smart host connector's queue
    listed = shell("Get-Message -Server EX02 | ForEach-Object { 'EX02 ' + $_.Identity + '|' + $_.Subject }; "
                   "Get-Queue | ForEach-Object { 'all ' + $_.Identity }; "  # no -Server: every server of the fleet
                   "Get-Message -Server EX01 | ForEach-Object { 'EX01 ' + $_.Subject }").splitlines()
    assert any(line.startswith(f"EX02 {identity}\\") and line.endswith("|stuck on EX02") for line in listed)
    assert f"all {identity}" in listed and "all EX01\\Submission" in listed
    assert not [line for line in listed if line.startswith("EX01 ") and "stuck on EX02" in line]

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=smart_port)
    controller.start()
    try:
        shell(f"Retry-Queue -Identity '{identity}' -Confirm:$false")
        wait_for(lambda: "stuck on EX02" in sink.subjects, "the retried message at the smart host", timeout=20)
    finally:
        controller.stop()
    wait_for(lambda: not stuck_queue(), "EX02's queue to empty", timeout=20)

    _stop(ex02.proc)  # its agent leaves: asked at once, the shell says so and still lists EX01 (the fixture
    # starts it again for the next test)
    r = exshell(fleet.url, "EX01", "Get-Queue | ForEach-Object Identity; Retry-Queue -Identity EX09\\1", state=admin)
    assert r.returncode == 1 and "EX01\\Submission" in r.stdout
    assert "The transport engine of EX02 isn't connected to the configuration store" in r.stdout + r.stderr
    assert "'EX09\\1' couldn't be found" in r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
