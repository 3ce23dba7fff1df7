"""New-/Get-/Remove-ExchangeServer: the servers sharing one configuration, against a real store."""

from __future__ import annotations

import pytest
from exchange_harness import Shell

from exshell.config.apply import apply
from exshell.config.operations import Create, Delete
from exshell.config.working import Working
from exshell.model.config import RECEIVE_CONNECTORS, SERVERS


@pytest.fixture
def sh(tmp_path):
    return Shell(tmp_path / "state")


def test_new_server_gets_setup_connectors_in_one_version(sh):
    before = sh.version()
    out = sh.ok("New-ExchangeServer -Name EX02")
    assert "EX02" in out
    assert sh.version() == before + 1
    config = sh.config()
    ex02 = config.server("EX02")
    assert ex02 is not None and ex02.fqdn == "ex02.contoso.com"  # in the organization's default domain
    assert sorted(c.name for c in config.connectors_on("EX02")) == ["Client EX02", "Default EX02"]
    assert sh.values("Get-ExchangeServer | ForEach-Object Name") == ["EX01", "EX02"]
    assert sh.values("Get-ReceiveConnector -Server EX02 | ForEach-Object Identity") == [
        "EX02\\Default EX02", "EX02\\Client EX02"]


def test_new_server_takes_a_given_fqdn(sh):
    sh.ok("New-ExchangeServer EX03 -Fqdn relay3.fabrikam.com")
    assert sh.config().server("relay3.fabrikam.com").name == "EX03"


@pytest.mark.parametrize(
    ("command", "error_id"),
    [
        ("New-ExchangeServer -Name EX01", "ADObjectAlreadyExistsException"),
        ("New-ExchangeServer -Name ex01", "ADObjectAlreadyExistsException"),
        ("New-ExchangeServer -Name EX09 -Fqdn ex01.contoso.com", "ADObjectAlreadyExistsException"),
        ("New-ExchangeServer -Name 'two words'", "InvalidServerName"),
        ("New-ExchangeServer -Name ABCDEFGHIJKLMNOP", "InvalidServerName"),
        ("New-ExchangeServer -Name EX09 -Fqdn 'bad..name'", "InvalidFqdn"),
    ],
)
def test_bad_new_server_is_refused_and_changes_nothing(sh, command, error_id):
    before = sh.version()
    r = sh.run(command)
    assert not r.success and f"{error_id},New-ExchangeServer" in r.errors
    assert "Traceback" not in r.errors
    assert sh.version() == before


def test_remove_server_is_refused_while_connectors_name_it(sh):
    sh.ok("New-ExchangeServer EX02")
    before = sh.version()
    r = sh.run("Remove-ExchangeServer EX02 -Confirm:$false")
    assert not r.success
    assert "can't be removed while receive connectors name it" in r.errors
    assert "Get-ReceiveConnector -Server EX02 | Remove-ReceiveConnector" in r.errors
    assert sh.version() == before
    sh.ok("Get-ReceiveConnector -Server EX02 | Remove-ReceiveConnector -Confirm:$false")
    sh.ok("Remove-ExchangeServer EX02 -Confirm:$false")
    assert sh.config().server("EX02") is None


def test_the_last_server_cannot_be_removed(sh):
    sh.ok("Get-ReceiveConnector -Server EX01 | Remove-ReceiveConnector -Confirm:$false")
    r = sh.run("Remove-ExchangeServer EX01 -Confirm:$false")
    assert not r.success and "LastServerException,Remove-ExchangeServer" in r.errors


def test_removal_rule_runs_on_the_newest_version_at_commit(sh):
    """A connector created for the server after the removal was prepared refuses the removal at commit."""
    sh.ok("New-ExchangeServer EX02; Get-ReceiveConnector -Server EX02 | Remove-ReceiveConnector -Confirm:$false")
    config = sh.config()
    ex02 = config.server("EX02")
    working = Working.over_data(sh.store.snapshot().data)
    relay = config.connectors_on("EX01")[0].with_changes(guid="00000000-0000-0000-0000-0000000000aa",
                                                          name="Late", server="EX02")
    apply(working, Create(RECEIVE_CONNECTORS, relay))
    with pytest.raises(Exception, match="can't be removed while receive connectors name it"):
        apply(working, Delete(SERVERS, ex02.guid, "EX02"))


def test_new_receive_connector_on_an_unknown_server_is_refused(sh):
    r = sh.run("New-ReceiveConnector -Name Relay -Server EX09 -Usage Custom -Bindings 0.0.0.0:2525 "
               "-RemoteIPRanges 10.0.0.1")
    assert not r.success and "EX09" in r.errors


@pytest.mark.parametrize(
    "command",
    ["Get-Queue -Server EX02", "Get-Message -Server EX02", "Retry-Queue -Server EX02 -Filter \"Status -eq 'Retry'\"",
     "Get-MessageTrackingLog -Server EX02"],
)
def test_queue_and_tracking_of_another_server_are_refused_not_answered_with_ours(sh, command):
    sh.ok("New-ExchangeServer EX02")
    r = sh.run(command)
    assert not r.success
    assert "RemoteServerNotAvailable" in r.errors and "run this command on EX02" in r.errors


def test_queue_of_this_server_by_name_or_fqdn_and_unknown_server(sh):
    sh.ok("Get-Queue -Server EX01")
    sh.ok("Get-Queue -Server ex01.contoso.com")
    sh.ok("Get-MessageTrackingLog -Server EX01")
    r = sh.run("Get-Queue -Server EX09")
    assert not r.success and "ManagementObjectNotFoundException" in r.errors
