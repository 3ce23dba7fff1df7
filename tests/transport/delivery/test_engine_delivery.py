"""The whole relay over loopback: a copier submits to the real receiving engine, which spools; the delivery
service (on the engine's event loop, as `exshell serve` wires it) relays to the smart host."""

from __future__ import annotations

import smtplib
from pathlib import Path

import pytest

from exshell.transport.delivery import tracking

from ..scenario import EngineThread
from .harness import SERVER, Shell, SmartHost, configure, free_port, wait_until

pytestmark = pytest.mark.timeout(60)
COPIER = "127.0.0.60"
LISTEN = "127.0.0.17"


def test_copier_message_relays_through_engine_and_delivery_to_smart_host(tmp_path: Path) -> None:
    from exshell.transport.delivery.service import DeliveryService

    host = SmartHost().start()
    try:
        shell = Shell(tmp_path / "state")
        configure(shell, host.port)
        port = free_port()
        shell.ok("Get-ReceiveConnector | Remove-ReceiveConnector -Confirm:$false")
        shell.ok(
            f"New-ReceiveConnector -Name 'Copier Relay' -Usage Custom -Bindings '{LISTEN}:{port}' "
            f"-RemoteIPRanges {COPIER} -PermissionGroups AnonymousUsers -Server {SERVER}"
        )
        shell.ok(
            "Get-ReceiveConnector 'Copier Relay' | Add-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' "
            "-ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient'"
        )
        with EngineThread(shell.state, shell.store) as engine:
            service = DeliveryService(shell.state, shell.store, SERVER, poll_interval=0.05)
            engine.run(service.start())
            try:
                with smtplib.SMTP(LISTEN, port, source_address=(COPIER, 0), timeout=10) as smtp:
                    smtp.ehlo("copier")
                    smtp.sendmail(
                        "scanner@contoso.com",
                        ["bob@external.example", "alice@contoso.com"],
                        b"From: scanner@contoso.com\r\nTo: bob@external.example\r\n"
                        b"Subject: Scanned page\r\n\r\nPDF attached\r\n",
                    )
                wait_until(lambda: host.messages, what="the relayed message at the smart host")
                wait_until(
                    lambda: list((shell.state / "mailboxes" / "alice" / "new").glob("*")),
                    what="the local copy",
                )
                wait_until(lambda: not list((shell.state / "spool").glob("*.msg")), what="the spool to empty")
            finally:
                engine.run(service.stop())
        (got,) = host.messages
        assert got.recipients == ["bob@external.example"]
        assert b"Subject: Scanned page" in got.data
        assert b"Received: from copier" in got.data  # stamped by the receiving engine
        found = tracking.search(tracking.read_entries(shell.state), sender="scanner@contoso.com")
        assert found[0].event_id == "RECEIVE" and {"SEND", "DELIVER"} <= {e.event_id for e in found}
        receive = found[0].fields
        assert receive["connector-id"] == f"{SERVER}\\Copier Relay" and receive["client-ip"] == COPIER
        out = shell.ok(
            "Get-MessageTrackingLog -Sender scanner@contoso.com -EventId SEND | "
            "Format-Table EventId,Sender,Recipients,MessageSubject -AutoSize"
        )
        assert "SEND" in out and "Scanned page" in out
    finally:
        host.stop()


EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "copier-relay-setup.ps1"


def test_copier_relay_example_sets_up_a_relay_whose_tracking_query_shows_the_scan(tmp_path: Path) -> None:
    from exshell.transport.delivery.service import DeliveryService

    host = SmartHost().start()
    try:
        shell = Shell(tmp_path / "state", fqdn="ex01.corp.example")
        shell.ok(
            "Get-ReceiveConnector | Remove-ReceiveConnector -Confirm:$false"
        )  # no listener on :25 in tests
        port = free_port()
        shell.ok(f"& '{EXAMPLE}' {COPIER} '{LISTEN}:{port}' '[127.0.0.1]:{host.port}'")
        with EngineThread(shell.state, shell.store) as engine:
            service = DeliveryService(shell.state, shell.store, SERVER, poll_interval=0.05)
            engine.run(service.start())
            try:
                with smtplib.SMTP(LISTEN, port, source_address=(COPIER, 0), timeout=10) as smtp:
                    smtp.sendmail(
                        "scanner@contoso.com",
                        ["accounts@supplier.example"],
                        b"Subject: Scan 0001\r\n\r\nPDF\r\n",
                    )
                wait_until(lambda: host.messages, what="the scan at the smart host")
                wait_until(
                    lambda: tracking.search(tracking.read_entries(shell.state), event_id="SEND"),
                    what="the SEND row",
                )
            finally:
                engine.run(service.stop())
        assert host.messages[0].helo == "mail.contoso.com"  # the send connector's Fqdn
        out = shell.ok(
            "Get-MessageTrackingLog -Sender scanner@contoso.com -EventId SEND "
            "-Start (Get-Date).AddHours(-1) | ft Timestamp,EventId,Source,Recipients,MessageSubject "
            "-AutoSize"
        )
        assert "accounts@supplier.example" in out and "Scan 0001" in out and "SEND" in out
    finally:
        host.stop()
