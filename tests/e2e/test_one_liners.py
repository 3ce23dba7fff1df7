"""The issue's five administrator one-liners, typed unchanged, against the real Exchange cmdlets over a real
store in tmp_path: each must change the store the way Exchange would and print what Exchange prints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cmdlets"))
from exchange_harness import Shell  # noqa: E402  (the store-backed shell the Exchange cmdlet tests use)

CREATE_RELAY = (
    "New-ReceiveConnector -Name Relay -Usage Custom -Bindings 0.0.0.0:2525 -RemoteIPRanges 10.0.0.1 "
    "-PermissionGroups AnonymousUsers"
)
GRANT = (
    'Get-ReceiveConnector "Relay" | Add-ADPermission -User "NT AUTHORITY\\ANONYMOUS LOGON" '
    "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient"
)
ADD_TWO = 'Set-ReceiveConnector Relay -RemoteIPRanges @{Add="10.0.0.5","10.0.0.6"}'
LIST_GRANTS = (
    'Get-ADPermission Relay | where {$_.ExtendedRights -like "*Any-Recipient*"} | ft User,ExtendedRights -AutoSize'
)
IMPORT_HOSTS = "Import-Csv hosts.csv | ForEach-Object { Set-ReceiveConnector Relay -RemoteIPRanges @{Add=$_.IP} }"
READ_MODIFY_WRITE = (
    '$rc = Get-ReceiveConnector Relay; $rc.RemoteIPRanges += "10.1.1.1"; '
    "Set-ReceiveConnector Relay -RemoteIPRanges $rc.RemoteIPRanges"
)
ANONYMOUS = "NT AUTHORITY\\ANONYMOUS LOGON"
ACCEPT_ANY_RECIPIENT = "ms-Exch-SMTP-Accept-Any-Recipient"


@pytest.fixture
def shell(tmp_path: Path) -> Shell:
    sh = Shell(tmp_path / "state")
    sh.ok(CREATE_RELAY)
    return sh


def relay_record(sh: Shell) -> dict[str, Any]:
    """The stored record of the Relay connector, as plain values."""
    matches = [dict(r) for r in sh.store.snapshot().data["receive_connectors"].values() if r["Name"] == "Relay"]
    assert len(matches) == 1
    return matches[0]


def stored_ranges(sh: Shell) -> list[str]:
    return list(relay_record(sh)["RemoteIPRanges"])


def stored_aces(sh: Shell) -> list[dict[str, Any]]:
    return [dict(a) for a in relay_record(sh).get("ADPermissions", ())]


def test_grant_one_liner_stores_the_accept_any_recipient_ace_and_prints_it(shell: Shell) -> None:
    before = shell.version()
    assert stored_aces(shell) == []
    out = shell.ok(GRANT)
    assert shell.version() == before + 1
    assert stored_aces(shell) == [{"User": ANONYMOUS, "ExtendedRights": ACCEPT_ANY_RECIPIENT, "Deny": False}]
    assert shell.store.history()[-1].command == GRANT
    # Add-ADPermission writes the new ACE with Exchange's ADPermission view.
    lines = out.split("\n")
    assert lines[0] == "" and out.endswith("\n\n")
    assert lines[1].split() == ["Identity", "User", "Deny", "Inherited", "Rights"]
    assert set(lines[2].replace(" ", "")) == {"-"}
    assert lines[3].split(None, 1)[0] == "EX01\\Relay"
    assert ANONYMOUS in lines[3]
    assert lines[3].split()[-3:] == ["False", "False", ACCEPT_ANY_RECIPIENT]
    assert lines[4:] == ["", ""]


def test_hashtable_add_one_liner_appends_both_addresses(shell: Shell) -> None:
    before = shell.version()
    assert shell.ok(ADD_TWO) == ""
    assert stored_ranges(shell) == ["10.0.0.1", "10.0.0.5", "10.0.0.6"]
    assert shell.version() == before + 1
    # Running it again adds nothing new: Exchange's Add on a multivalued property ignores present values.
    shell.ok(ADD_TWO)
    assert stored_ranges(shell) == ["10.0.0.1", "10.0.0.5", "10.0.0.6"]


def test_where_ft_one_liner_prints_only_the_any_recipient_grant(shell: Shell) -> None:
    # Before the grant, AnonymousUsers gives the anonymous account other rights, none of them Any-Recipient.
    assert shell.ok(LIST_GRANTS) == ""
    shell.ok(GRANT)
    before = shell.version()
    assert shell.ok(LIST_GRANTS) == (
        "\n"
        "User                         ExtendedRights\n"
        "----                         --------------\n"
        "NT AUTHORITY\\ANONYMOUS LOGON {ms-Exch-SMTP-Accept-Any-Recipient}\n"
        "\n"
    )
    assert shell.version() == before  # reading changes nothing


def test_import_csv_one_liner_adds_every_row(shell: Shell, tmp_path: Path) -> None:
    csv = tmp_path / "hosts.csv"
    csv.write_text("IP\n10.0.0.7\n10.0.0.8\n", encoding="utf-8")
    assert " " not in str(csv)  # the path replaces the bare word hosts.csv unquoted
    before = shell.version()
    assert shell.ok(IMPORT_HOSTS.replace("hosts.csv", str(csv))) == ""
    assert stored_ranges(shell) == ["10.0.0.1", "10.0.0.7", "10.0.0.8"]
    assert shell.version() == before + 2  # one Set-ReceiveConnector, one version, per row


def test_read_modify_write_one_liner_replaces_the_list_with_the_extended_copy(shell: Shell) -> None:
    shell.ok(ADD_TWO)
    before = shell.version()
    assert shell.ok(READ_MODIFY_WRITE) == ""
    assert stored_ranges(shell) == ["10.0.0.1", "10.0.0.5", "10.0.0.6", "10.1.1.1"]
    assert shell.version() == before + 1


def test_the_five_one_liners_in_sequence_leave_an_open_for_anonymous_relay_connector(
    shell: Shell, tmp_path: Path
) -> None:
    csv = tmp_path / "hosts.csv"
    csv.write_text("IP\n10.0.0.7\n", encoding="utf-8")
    first = shell.version()
    shell.ok(GRANT)
    shell.ok(ADD_TWO)
    listed = shell.values(LIST_GRANTS)
    shell.ok(IMPORT_HOSTS.replace("hosts.csv", str(csv)))
    shell.ok(READ_MODIFY_WRITE)
    assert listed[-1] == "NT AUTHORITY\\ANONYMOUS LOGON {ms-Exch-SMTP-Accept-Any-Recipient}"
    assert stored_ranges(shell) == ["10.0.0.1", "10.0.0.5", "10.0.0.6", "10.0.0.7", "10.1.1.1"]
    assert stored_aces(shell) == [{"User": ANONYMOUS, "ExtendedRights": ACCEPT_ANY_RECIPIENT, "Deny": False}]
    # Each change is one version that records the statement as typed (the pipeline, for the CSV import) and,
    # where the statement names variables, the values the cmdlet was bound to.
    assert [v.command for v in shell.store.history()[-4:]] == [
        GRANT, ADD_TWO,
        IMPORT_HOSTS.replace("hosts.csv", str(csv))
        + "  # Set-ReceiveConnector -RemoteIPRanges @{Add=10.0.0.7} -Identity Relay",
        "Set-ReceiveConnector Relay -RemoteIPRanges $rc.RemoteIPRanges  # Set-ReceiveConnector "
        "-RemoteIPRanges 10.0.0.1,10.0.0.5,10.0.0.6,10.0.0.7,10.1.1.1 -Identity Relay",
    ]
    assert shell.version() == first + 4
    # What the administrator sees afterwards.
    out = shell.ok("Get-ReceiveConnector Relay | fl Name,RemoteIPRanges,PermissionGroups,Bindings")
    assert "RemoteIPRanges   : {10.0.0.1, 10.0.0.5, 10.0.0.6, 10.0.0.7…}" in out.split("\n")


def rcpt_reply(sh: Shell, remote_ip: str) -> str:
    """The engine's RCPT TO answer for an anonymous host relaying to an outside domain (no mail is sent: the
    cmdlet evaluates the engine's own policy.decide on the current store version)."""
    return sh.ok(
        f"(Test-RelayPolicy {remote_ip} -LocalEndPoint 127.0.0.1:2525 -Sender app@contoso.com "
        "-Recipient someone@fabrikam.com).RcptTo"
    ).strip()


def test_after_the_one_liners_listed_hosts_relay_anonymously_and_others_do_not(
    shell: Shell, tmp_path: Path
) -> None:
    csv = tmp_path / "hosts.csv"
    csv.write_text("IP\n10.0.0.7\n", encoding="utf-8")
    shell.ok(ADD_TWO)
    # Exchange's relay recipe: the connector alone (AnonymousUsers) accepts only mail for its own domains.
    assert rcpt_reply(shell, "10.0.0.5") == "someone@fabrikam.com: 550 5.7.1 Unable to relay"
    shell.ok(GRANT)
    shell.ok(IMPORT_HOSTS.replace("hosts.csv", str(csv)))
    shell.ok(READ_MODIFY_WRITE)
    for host in ("10.0.0.5", "10.0.0.6", "10.0.0.7", "10.1.1.1"):
        assert rcpt_reply(shell, host) == "someone@fabrikam.com: 250 2.1.5 Recipient OK", host
    # A host on none of the lists finds no connector on port 2525: the engine turns it away at connect.
    connect = shell.ok("(Test-RelayPolicy 10.0.0.9 -LocalEndPoint 127.0.0.1:2525).Connect").strip()
    assert connect.startswith("421 4.3.2 ")
    assert rcpt_reply(shell, "10.0.0.9") == ""
