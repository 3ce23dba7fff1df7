"""The relay end to end on loopback (engine + delivery + a recording smart host): a mail loop ends in a 5.4.6
refusal recorded in the tracking log; the client's Message-ID is what the 250 reply, the queue and the tracking
log show; nothing of the organization's headers leaves through a send connector; bare-CR smuggling in DATA or
EHLO gets no organization header past the firewall."""

from __future__ import annotations

import smtplib
import socket
from pathlib import Path

import pytest

from exshell.transport.delivery import tracking

from ..scenario import EngineThread
from .harness import SERVER, Shell, SmartHost, configure, free_port, wait_until

pytestmark = pytest.mark.timeout(120)
CLIENT = "127.0.0.60"
LISTEN = "127.0.0.17"


def relay_connector(shell: Shell, name: str, port: int, ranges: str = CLIENT) -> None:
    shell.ok(
        f"New-ReceiveConnector -Name '{name}' -Usage Custom -Bindings '{LISTEN}:{port}' "
        f"-RemoteIPRanges {ranges} -PermissionGroups AnonymousUsers -Server {SERVER}"
    )
    shell.ok(
        f"Get-ReceiveConnector '{name}' | Add-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' "
        "-ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient'"
    )


class Relay:
    """The engine and its delivery service on one loop, as `exshell serve` runs them."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.engine = EngineThread(shell.state, shell.store)

    def __enter__(self) -> Relay:
        from exshell.transport.delivery.service import DeliveryService

        self.engine.__enter__()
        self.service = DeliveryService(self.shell.state, self.shell.store, SERVER, poll_interval=0.05)
        self.engine.run(self.service.start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.engine.run(self.service.stop(grace=2.0), timeout=20)
        finally:
            self.engine.__exit__(*exc)


def spool_empty(state: Path) -> bool:
    return not list((state / "spool").glob("*.msg"))


def test_a_loop_between_two_paths_ends_with_5_4_6_in_the_tracking_log_not_a_storm(tmp_path: Path) -> None:
    # Path A (the clients') relays everything through the send connector to path B, whose messages leave
    # through the same send connector to B again: every hop adds a Received by this server.
    shell = Shell(tmp_path / "state")
    shell.ok("Get-ReceiveConnector | Remove-ReceiveConnector -Confirm:$false")
    port_a, port_b = free_port(), free_port()
    relay_connector(shell, "Path A", port_a)
    relay_connector(shell, "Path B", port_b, ranges="127.0.0.1")
    shell.ok(f"New-SendConnector -Name 'To B' -AddressSpaces '*' -SmartHosts '[{LISTEN}]:{port_b}'")
    shell.ok("Set-TransportConfig -MessageRetryInterval 00:10:00 -TransientFailureRetryInterval 00:10:00")
    with Relay(shell):
        with smtplib.SMTP(LISTEN, port_a, source_address=(CLIENT, 0), timeout=15) as smtp:
            smtp.ehlo("client.example")
            smtp.sendmail("app@elsewhere.example", ["someone@loop.example"],
                          b"Message-ID: <loop-1@client.example>\r\nSubject: round and round\r\n\r\nhi\r\n")
        refused = wait_until(
            lambda: [e for e in tracking.search(tracking.read_entries(shell.state), message_id="<loop-1@client.example>")
                     if e.event_id == "FAIL" and e.fields["connector-id"] == f"{SERVER}\\Path B"],
            timeout=60, what="the loop refusal in the tracking log",
        )
        wait_until(lambda: spool_empty(shell.state), timeout=60, what="the spool to empty")
    assert "5.4.6" in refused[0].fields["recipient-status"] and "MaxLocalHopCount 8" in refused[0].fields["source-context"]
    events = tracking.search(tracking.read_entries(shell.state), message_id="<loop-1@client.example>")
    receives = [e for e in events if e.event_id == "RECEIVE"]
    assert len(receives) == 8  # the client's submission and seven relayed hops; the eighth was refused
    # The sending side saw the refusal and bounced: not retried, not a storm.
    fails = [e for e in events if e.event_id == "FAIL" and e.fields["connector-id"] == "To B"]
    assert len(fails) == 1 and "554 5.4.6" in fails[0].fields["recipient-status"]
    out = shell.ok("Get-MessageTrackingLog -MessageId '<loop-1@client.example>' -EventId FAIL | "
                   "ForEach-Object { $_.RecipientStatus }")
    assert "5.4.6 Hop count exceeded - possible mail loop" in out


def test_message_id_tracks_the_message_end_to_end_and_no_organization_header_leaves(tmp_path: Path) -> None:
    host = SmartHost().start()
    try:
        shell = Shell(tmp_path / "state")
        configure(shell, host.port)
        shell.ok("Get-ReceiveConnector | Remove-ReceiveConnector -Confirm:$false")
        port = free_port()
        relay_connector(shell, "Copier Relay", port)
        with Relay(shell):
            with smtplib.SMTP(LISTEN, port, source_address=(CLIENT, 0), timeout=15) as smtp:
                smtp.ehlo("copier.example")
                smtp.mail("scanner@contoso.com")
                smtp.rcpt("bob@external.example")
                smtp.rcpt("alice@contoso.com")
                code, reply = smtp.data(
                    b"Message-ID: <abc-123@client.example>\r\nFrom: scanner@contoso.com\r\n"
                    b"X-MS-Exchange-Organization-SCL: -1\r\nSubject: Scan\r\n\r\npage\r\n"
                )
            assert code == 250 and reply.startswith(b"2.6.0 <abc-123@client.example> [InternalId=")
            wait_until(lambda: host.messages, what="the smart host")
            wait_until(lambda: spool_empty(shell.state), what="the spool to empty")
        (got,) = host.messages
        assert b"Message-ID: <abc-123@client.example>\r\n" in got.data and got.data.count(b"Message-ID:") == 1
        assert b"X-MS-Exchange-Organization" not in got.data and b"X-MS-Exchange-Forest" not in got.data
        assert b"Received: from copier.example" in got.data
        # The local copy keeps the organization's stamps (and the firewall dropped the client's forged SCL).
        (local,) = (shell.state / "mailboxes" / "alice" / "new").glob("*")
        data = local.read_bytes()
        assert b"X-MS-Exchange-Organization-AuthAs: Anonymous" in data and b"SCL: -1" not in data
        events = shell.values("Get-MessageTrackingLog -MessageId '<abc-123@client.example>' | "
                              "ForEach-Object { $_.EventId }")
        assert {"RECEIVE", "SEND", "DELIVER"} <= set(events)
        assert shell.values("Get-MessageTrackingLog -MessageId abc-123@client.example -EventId RECEIVE | "
                            "ForEach-Object { $_.MessageId }") == ["<abc-123@client.example>"]
    finally:
        host.stop()


def raw_session(port: int, lines: list[bytes]) -> list[str]:
    s = socket.create_connection((LISTEN, port), timeout=15, source_address=(CLIENT, 0))
    f = s.makefile("rb")
    replies = [f.readline().decode()]
    for line in lines:
        s.sendall(line)
        while True:
            r = f.readline().decode()
            if r[3:4] != "-":
                break
        replies.append(r.strip())
    s.close()
    return replies


def test_bare_cr_smuggling_in_data_and_ehlo_leaves_no_organization_header(tmp_path: Path) -> None:
    host = SmartHost().start()
    try:
        shell = Shell(tmp_path / "state")
        configure(shell, host.port)
        shell.ok("Get-ReceiveConnector | Remove-ReceiveConnector -Confirm:$false")
        port = free_port()
        relay_connector(shell, "Copier Relay", port)
        smuggled = b"X-MS-Exchange-Organization-AuthAs: Internal"
        with Relay(shell):
            replies = raw_session(port, [
                b"EHLO evil.example\r" + smuggled + b"\r\n",
                b"EHLO evil.example\r\n",
                b"MAIL FROM:<x@evil.example>\r\n",
                b"RCPT TO:<bob@external.example>\r\n",
                b"RCPT TO:<alice@contoso.com>\r\n",
                b"DATA\r\n",
                b"Subject: hello\r" + smuggled + b"\rX-MS-Exchange-Organization-SCL: -1\r\n\r\nbody\rline\r\n.\r\n",
                b"QUIT\r\n",
            ])
            assert replies[1].startswith("501 5.5.2") and replies[2].startswith("250")
            assert replies[7].startswith("250 2.6.0")
            wait_until(lambda: host.messages, what="the smart host")
            wait_until(lambda: spool_empty(shell.state), what="the spool to empty")
        (got,) = host.messages
        assert b"X-MS-Exchange-Organization" not in got.data
        # What was stored and delivered locally is the same lines: the smuggled fields were header lines and
        # the firewall removed them; only this server's own AuthAs is there.
        (local,) = (shell.state / "mailboxes" / "alice" / "new").glob("*")
        data = local.read_bytes()
        assert data.count(b"X-MS-Exchange-Organization-AuthAs:") == 1
        assert b"X-MS-Exchange-Organization-AuthAs: Anonymous" in data and b"SCL: -1" not in data
        assert b"\r" not in data.replace(b"\r\n", b"")  # no bare CR left anywhere
        assert b"body\r\nline\r\n" in got.data and b"body\r\nline\r\n" in data
    finally:
        host.stop()
