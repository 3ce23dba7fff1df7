"""The seed, the way an administrator lives it: `exshell serve` in one process, `exshell -c` lines typed in
another, a copier (smtplib from a loopback address of its own) sending in a third. Nothing shares memory; the
state folder is the only thing in common."""

from __future__ import annotations

import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SERVER = "EX01"
LISTEN = "127.0.0.17"
COPIER = "127.0.0.100"
OTHER_COPIER = "127.0.0.101"
STRANGER = "127.0.0.150"
RELAY_DENIED = "550 5.7.1 Unable to relay"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LISTEN, 0))
        return s.getsockname()[1]


def exshell(state: Path, text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exshell", "--state", str(state), "--server", SERVER, "-c", text],
        capture_output=True, text=True, timeout=60,
    )


def ok(state: Path, text: str) -> str:
    r = exshell(state, text)
    assert r.returncode == 0, f"{text}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
    assert "Traceback" not in r.stdout + r.stderr
    return r.stdout


def rcpt(port: int, source: str, recipient: str) -> tuple[int, str]:
    with smtplib.SMTP(LISTEN, port, source_address=(source, 0), timeout=10) as smtp:
        smtp.ehlo("copier.domain.com")
        code, _ = smtp.mail("scanner@domain.com")
        assert code == 250
        code, msg = smtp.rcpt(recipient)
        return code, msg.decode()


def send(port: int, source: str, recipient: str) -> str:
    body = f"From: scanner@domain.com\r\nTo: {recipient}\r\nSubject: scan\r\n\r\nscanned page\r\n"
    with smtplib.SMTP(LISTEN, port, source_address=(source, 0), timeout=10) as smtp:
        smtp.ehlo("copier.domain.com")
        smtp.mail("scanner@domain.com")
        smtp.rcpt(recipient)
        code, msg = smtp.data(body.encode())
        assert code == 250, msg
        return msg.decode()


def wait_for(predicate, what: str, timeout: float = 15.0):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except OSError as e:
            last = e
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@pytest.fixture
def relay(tmp_path):
    state = tmp_path / "state"
    port = free_port()
    # One shell process for both (each statement is still its own version): the tests are about the engine.
    ok(state, "New-AcceptedDomain -Name Domain -DomainName domain.com; "
              f"New-ReceiveConnector -Name RelayConnector -Usage Custom -Bindings '{LISTEN}:{port}' "
              f"-Fqdn server.domain.com -RemoteIPRanges {COPIER}-{OTHER_COPIER} -PermissionGroups AnonymousUsers "
              "-TarpitInterval 00:00:00")
    engine = subprocess.Popen(
        [sys.executable, "-m", "exshell", "--state", str(state), "serve", "--server", SERVER],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_for(lambda: socket.create_connection((LISTEN, port), timeout=1).close() or True, "the listener")
        yield state, port, engine
    finally:
        if engine.poll() is None:
            engine.send_signal(signal.SIGTERM)
            try:
                engine.wait(timeout=20)
            except subprocess.TimeoutExpired:
                engine.kill()
                engine.wait()


def test_relay_is_refused_until_the_grant_then_allowed_without_restart(relay):
    state, port, engine = relay
    assert rcpt(port, COPIER, "someone@example.net") == (550, "5.7.1 Unable to relay")
    assert rcpt(port, COPIER, "colleague@domain.com")[0] == 250  # internal recipients are not relay
    ok(state, 'Get-ReceiveConnector RelayConnector | Add-ADPermission -User "NT AUTHORITY\\ANONYMOUS LOGON" '
              "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient")
    # Every address the range names relays, at once (the seed's question 5), with no restart.
    wait_for(lambda: rcpt(port, COPIER, "someone@example.net")[0] == 250, "the grant to apply")
    assert rcpt(port, OTHER_COPIER, "someone@example.net")[0] == 250
    reply = send(port, COPIER, "someone@example.net")
    assert "Queued mail for delivery" in reply
    spooled = list((state / "spool").glob("*.msg"))
    assert len(spooled) == 1
    message = spooled[0].read_bytes().split(b"\n", 1)[1]
    assert b"X-MS-Exchange-Organization-AuthAs: Anonymous" in message
    assert engine.poll() is None


def test_hosts_outside_the_ranges_never_relay(relay):
    state, port, _ = relay
    ok(state, 'Add-ADPermission RelayConnector -User "NT AUTHORITY\\ANONYMOUS LOGON" '
              "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient")
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        with smtplib.SMTP(LISTEN, port, source_address=(STRANGER, 0), timeout=10):
            pass
    assert refused.value.smtp_code == 421


def test_removing_the_grant_stops_relay_again(relay):
    state, port, _ = relay
    ok(state, 'Add-ADPermission RelayConnector -User "NT AUTHORITY\\ANONYMOUS LOGON" '
              "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient")
    wait_for(lambda: rcpt(port, COPIER, "someone@example.net")[0] == 250, "the grant to apply")
    ok(state, 'Remove-ADPermission RelayConnector -User "NT AUTHORITY\\ANONYMOUS LOGON" '
              "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient -Confirm:$false")
    wait_for(lambda: rcpt(port, COPIER, "someone@example.net")[0] == 550, "the removal to apply")


def test_test_relay_policy_agrees_with_the_engine(relay):
    state, port, _ = relay
    out = ok(state, f"Test-RelayPolicy -RemoteIPAddress {COPIER} -LocalEndPoint {LISTEN}:{port} "
                    "-Sender scanner@domain.com -Recipient someone@example.net | Format-List | Out-String -Width 200")
    assert "RelayConnector" in out and RELAY_DENIED in out
    assert rcpt(port, COPIER, "someone@example.net")[1] == RELAY_DENIED.split(" ", 1)[1]


def test_sigterm_stops_the_engine_cleanly(relay):
    _, _, engine = relay
    engine.send_signal(signal.SIGTERM)
    assert engine.wait(timeout=20) == 0


def test_a_bad_command_changes_nothing_and_exits_1(relay):
    state, _, _ = relay
    before = ok(state, "(Get-ConfigVersion -Last 1).Version").strip()
    r = exshell(state, "Set-ReceiveConnector RelayConnector -RemoteIPRanges 300.1.1.1/33")
    assert r.returncode == 1 and "300.1.1.1/33" in r.stdout + r.stderr and "Traceback" not in r.stdout + r.stderr
    assert ok(state, "(Get-ConfigVersion -Last 1).Version").strip() == before



def test_a_relayed_scan_reaches_the_smart_host_and_the_tracking_log_proves_it(relay):
    from tests.transport.delivery.harness import SmartHost

    state, port, _ = relay
    smart = SmartHost().start()
    try:
        ok(state, f"New-SendConnector -Name Outbound -AddressSpaces * -SmartHosts '[127.0.0.1]:{smart.port}'")
        ok(state, 'Add-ADPermission RelayConnector -User "NT AUTHORITY\\ANONYMOUS LOGON" '
                  "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient")
        wait_for(lambda: rcpt(port, COPIER, "someone@example.net")[0] == 250, "the grant to apply")
        send(port, COPIER, "someone@example.net")
        got = wait_for(lambda: smart.messages, "the smart host to receive the scan", timeout=30)
        assert got[0].recipients == ["someone@example.net"]
        # The header firewall on the way out: no organization header (AuthAs, SCL, the anti-spam report with
        # the copier's address) leaves through a send connector; the Received trace stays.
        assert b"X-MS-Exchange-Organization" not in got[0].data and b"Received: from copier" in got[0].data
        sent = wait_for(lambda: ok(state, "Get-MessageTrackingLog -Sender scanner@domain.com -EventId SEND | "
                                          "Select-Object -ExpandProperty Recipients"), "the SEND event")
        assert sent.split() == ["someone@example.net"]
        wait_for(lambda: not list((state / "spool").glob("*.msg")), "the spool to empty")
    finally:
        smart.stop()


def test_a_scan_to_a_local_mailbox_lands_in_its_maildir(relay):
    state, port, _ = relay
    ok(state, "New-Mailbox -Name Bharat -PrimarySmtpAddress bharat@domain.com")
    send(port, COPIER, "bharat@domain.com")  # internal: no relay right needed
    maildir = state / "mailboxes"
    got = wait_for(lambda: [p for p in maildir.rglob("new/*") if p.is_file()], "the Maildir delivery", timeout=30)
    assert b"Subject: scan" in got[0].read_bytes()
