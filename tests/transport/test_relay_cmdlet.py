"""Test-RelayPolicy through the real shell session: same decision as the engine, no network."""

from __future__ import annotations

import pytest

from exshell.cmdlets.registry import default_registry
from exshell.cmdlets.relay_test import RESULT_TYPE, TestRelayPolicy
from exshell.runtime.host import BufferHost
from exshell.app import Services
from exshell.runtime.session import Session

from .scenario import LISTEN, RELAY_HOSTS, SERVER, STRANGER, TRUSTED_HOST, grant, make_store, seed_connectors

PORT = 2525


@pytest.fixture
def shell(tmp_path):
    store = make_store(tmp_path / "state", seed_connectors(PORT))
    registry = default_registry()
    registry.add_class(TestRelayPolicy)
    host = BufferHost(width=200)
    session = Session(registry, Services(tmp_path / "state", SERVER), host)
    return session, host, store


def results(session, host, command):
    assert session.run(f"$r = @({command})").success, host.error_text
    return session.get_variable("r")


def test_reports_winner_rights_and_relay_refusal(shell):
    session, host, store = shell
    [r] = results(session, host, f"Test-RelayPolicy {RELAY_HOSTS[1]} -LocalEndPoint {LISTEN}:{PORT} "
                                  "-Sender app@outside.example -Recipient a@domain.example,b@outside.example")
    assert r.type_names[0] == RESULT_TYPE
    assert r.get("Connector") == "EX01\\Anonymous Relay"
    assert r.get("Principal") == "NT AUTHORITY\\ANONYMOUS LOGON"
    assert "ms-Exch-SMTP-Submit Allow (AnonymousUsers)" in r.get("Rights")
    assert r.get("MailFrom") == "250 2.1.0 Sender OK"
    assert r.get("RcptTo") == ["a@domain.example: 250 2.1.5 Recipient OK", "b@outside.example: 550 5.7.1 Unable to relay"]
    assert any("lacks ms-Exch-SMTP-Accept-Any-Recipient on EX01\\Anonymous Relay" in x for x in r.get("Reasons"))
    losers = r.get("LosingConnectors")
    assert any(x.startswith("EX01\\Secured Relay: RemoteIPRanges") for x in losers)


def test_reflects_a_committed_ace_immediately(shell):
    session, host, store = shell
    grant(store, "Anonymous Relay", "ms-Exch-SMTP-Accept-Any-Recipient")
    [r] = results(session, host, f"Test-RelayPolicy {RELAY_HOSTS[0]} -LocalEndPoint {LISTEN}:{PORT} "
                                  "-Sender a@outside.example -Recipient b@outside.example")
    assert r.get("RcptTo") == ["b@outside.example: 250 2.1.5 Recipient OK"]
    assert "ms-Exch-SMTP-Accept-Any-Recipient Allow (Explicit)" in r.get("Rights") or any(
        x.startswith("ms-Exch-SMTP-Accept-Any-Recipient Allow") for x in r.get("Rights"))


def test_externally_secured_principal_and_size_bypass(shell):
    session, host, store = shell
    [r] = results(session, host, f"Test-RelayPolicy {TRUSTED_HOST} -LocalEndPoint {LISTEN}:{PORT} "
                                  "-Sender a@domain.example -Recipient b@outside.example -MessageSize 50MB")
    assert r.get("Principal") == "MS Exchange\\Externally Secured Servers"
    assert r.get("MailFrom") == "250 2.1.0 Sender OK" and r.get("Data") == "250 2.6.0 Queued mail for delivery"


def test_without_local_endpoint_evaluates_every_binding(shell):
    session, host, store = shell
    rs = results(session, host, f"Test-RelayPolicy {STRANGER}")
    assert {r.get("LocalEndPoint") for r in rs} == {f"0.0.0.0:{PORT}", f"{LISTEN}:{PORT}"}
    assert all(r.get("Connect") == "421 4.3.2 Service not available, closing transmission channel" for r in rs)


def test_output_is_a_list_view(shell):
    session, host, store = shell
    assert session.run(f"Test-RelayPolicy {RELAY_HOSTS[0]} -LocalEndPoint {LISTEN}:{PORT} -Recipient x@y.example").success
    assert "Connector" in host.output and "EX01\\Anonymous Relay" in host.output


def test_invalid_ip_is_a_powershell_error(shell):
    session, host, store = shell
    assert not session.run("Test-RelayPolicy 300.1.1.1").success
    assert "300.1.1.1" in host.error_text and "Traceback" not in host.error_text


def test_default_view_is_one_row_per_endpoint_and_format_list_tells_the_whole_story(tmp_path):
    """The table answers "how far does a session get, and why not further" in one line per local endpoint;
    Format-List shows every right and every reason on its own line (nothing cut with `…`)."""
    from exshell.cmdlets.registry import default_registry
    from exshell.runtime.host import BufferHost
    from exshell.runtime.session import Services, Session

    host = BufferHost(width=200)
    session = Session(default_registry(), Services(tmp_path / "state", "EX01"), host)
    assert session.run(
        "New-ReceiveConnector -Name Relay -Usage Custom -Bindings 0.0.0.0:2525 -RemoteIPRanges 192.168.1.100 "
        "-PermissionGroups AnonymousUsers | Out-Null; Get-ReceiveConnector Relay | Add-ADPermission -User "
        "'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient | Out-Null").success
    host._out.clear()
    session.run("Test-RelayPolicy 192.168.1.100 -Sender a@contoso.com -Recipient b@fabrikam.com")
    table = [line for line in host.lines if line.strip()]
    assert table[0].split() == ["LocalEndPoint", "Connector", "Principal", "MailFrom", "RcptTo", "Result"]
    rows = {line.split()[0]: line for line in table[2:]}
    assert rows["0.0.0.0:25"].endswith("Refused at MAIL FROM: lacks ms-Exch-SMTP-Submit")
    assert rows["0.0.0.0:2525"].endswith("250      250    Accepted (relay to fabrikam.com allowed)")
    host._out.clear()
    session.run("Test-RelayPolicy 192.168.1.100 -LocalEndPoint 0.0.0.0:2525 -Sender a@contoso.com "
                "-Recipient b@fabrikam.com | Format-List")
    text = host.output
    assert "…" not in text and "{" not in text
    assert "Rights           : ms-Exch-SMTP-Submit Allow (AnonymousUsers)\n" in text
    assert "                   ms-Exch-Accept-Headers-Routing Allow (AnonymousUsers)\n" in text
    assert "                   MAIL FROM: NT AUTHORITY\\ANONYMOUS LOGON may submit on EX01\\Relay\n" in text
