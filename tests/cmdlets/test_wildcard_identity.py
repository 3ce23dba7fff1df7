"""Wildcard identities (issue 11 item 2): every Get- cmdlet that takes an Identity returns every object a
PowerShell wildcard matches (nothing, and no error, when none does); a plain name that matches nothing keeps
Exchange's not-found error; Set-/Remove- still need exactly one object and report the ambiguity."""

from __future__ import annotations

import subprocess
import sys

import pytest
from exchange_harness import Shell

NOT_FOUND = "ManagementObjectNotFoundException"
AMBIGUOUS = "ManagementObjectAmbiguousException"


def exshell_c(tmp_path) -> list[str]:  # noqa: ANN001
    return [sys.executable, "-m", "exshell", "--state", str(tmp_path / "s"), "--server", "EX01", "-c"]


@pytest.fixture
def sh(tmp_path):
    return Shell(tmp_path / "state")


def relay(sh: Shell, name: str, octet: int) -> None:
    sh.ok(f"New-ReceiveConnector -Name {name} -Usage Custom -Bindings '192.168.1.{octet}:25' "
          f"-RemoteIPRanges 192.168.2.{octet} -Server EX01 -PermissionGroups AnonymousUsers")


def names(sh: Shell, command: str, prop: str = "Name") -> list[str]:
    return sorted(sh.values(f"{command} | ForEach-Object {{ \"$($_.{prop})\" }}"))


def empty_without_error(sh: Shell, command: str) -> None:
    r = sh.run(command)
    assert r.success and not r.errors and not r.output.strip(), (command, r)


def not_found(sh: Shell, command: str) -> None:
    r = sh.run(command)
    assert not r.success and NOT_FOUND in r.errors and "couldn't be found" in r.errors, (command, r)


def test_get_receive_connector_by_name_and_server_qualified_wildcards(sh):
    relay(sh, "Relay1", 17)
    relay(sh, "Relay2", 18)
    relay(sh, "Other", 19)
    assert names(sh, 'Get-ReceiveConnector "Relay*"') == ["Relay1", "Relay2"]
    assert names(sh, 'Get-ReceiveConnector "relay?"') == ["Relay1", "Relay2"]
    assert names(sh, 'Get-ReceiveConnector "EX01\\Rel*"') == ["Relay1", "Relay2"]
    assert names(sh, 'Get-ReceiveConnector "Relay[2-9]"') == ["Relay2"]
    assert names(sh, 'Get-ReceiveConnector "EX02\\Rel*"') == []
    empty_without_error(sh, 'Get-ReceiveConnector "Nothing*"')
    not_found(sh, "Get-ReceiveConnector Relay")


def test_get_adpermission_takes_a_wildcard_connector(sh):
    relay(sh, "Relay1", 17)
    relay(sh, "Relay2", 18)
    one = len(sh.values("Get-ADPermission Relay1 | ForEach-Object { $_.User }"))
    both = sh.values("Get-ADPermission 'Relay*' | ForEach-Object { $_.Identity }")
    assert one > 0 and len(both) == 2 * one
    assert {b.rsplit("\\", 1)[-1] for b in both} == {"Relay1", "Relay2"}
    empty_without_error(sh, "Get-ADPermission 'None*'")


def test_get_mailbox_wildcards_match_names_not_guids(sh):
    for n in ("alice", "alan", "bob"):
        sh.ok(f"New-Mailbox {n}")
    assert names(sh, "Get-Mailbox al*") == ["alan", "alice"]
    assert names(sh, "Get-Mailbox AL*") == ["alan", "alice"]
    assert names(sh, "Get-Mailbox '*@contoso.com'") == ["alan", "alice", "bob"]
    # every GUID holds a digit: a wildcard matches names and addresses, never the GUID
    empty_without_error(sh, "Get-Mailbox '*[0-9]*'")
    empty_without_error(sh, "Get-Mailbox zz*")
    not_found(sh, "Get-Mailbox al")
    bad = sh.run("Get-Mailbox '[a'")
    assert not bad.success and "WildcardPatternException" in bad.errors and "Traceback" not in bad.errors


def test_get_send_connector_wildcard(sh):
    sh.ok("New-SendConnector -Name 'To Internet' -AddressSpaces * -SmartHosts '[127.0.0.1]:2526'")
    sh.ok("New-SendConnector -Name Fabrikam -AddressSpaces '*.fabrikam.com;10' -SmartHosts 127.0.0.2")
    assert names(sh, "Get-SendConnector *internet*") == ["To Internet"]
    assert names(sh, "Get-SendConnector *") == ["Fabrikam", "To Internet"]
    empty_without_error(sh, "Get-SendConnector *partner*")
    not_found(sh, "Get-SendConnector internet")


def test_get_accepted_domain_wildcard(sh):
    sh.ok("New-AcceptedDomain -Name Fabrikam -DomainName fabrikam.com")
    sh.ok("New-AcceptedDomain -Name 'Contoso Europe' -DomainName contoso.eu")
    assert names(sh, "Get-AcceptedDomain *contoso*", "DomainName") == ["contoso.com", "contoso.eu"]
    assert names(sh, "Get-AcceptedDomain fab*") == ["Fabrikam"]
    empty_without_error(sh, "Get-AcceptedDomain *tailspin*")
    not_found(sh, "Get-AcceptedDomain tailspin.com")


def test_get_exchange_server_wildcard(sh):
    assert names(sh, "Get-ExchangeServer ex*") == ["EX01"]
    assert names(sh, "Get-ExchangeServer *.contoso.com") == ["EX01"]
    empty_without_error(sh, "Get-ExchangeServer ex9*")
    not_found(sh, "Get-ExchangeServer EX09")


def test_get_exchange_certificate_thumbprint_wildcard(tmp_path):
    # setup's self-signed certificate exists in a real exshell state folder
    def run(script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*exshell_c(tmp_path), script], capture_output=True, text=True, timeout=120)

    thumb = run("(Get-ExchangeCertificate).Thumbprint").stdout.strip()
    assert len(thumb) == 40
    got = run(f"Get-ExchangeCertificate {thumb[:6].lower()}* | ForEach-Object Thumbprint")
    assert got.returncode == 0 and got.stdout.split() == [thumb]
    none = run("Get-ExchangeCertificate ZZ*")
    assert none.returncode == 0 and none.stdout.strip() == "" and none.stderr == ""
    missing = run("Get-ExchangeCertificate " + "0" * 40)
    assert missing.returncode != 0 and "couldn't be found" in missing.stdout + missing.stderr


def test_set_and_remove_refuse_a_wildcard_matching_several_and_proceed_on_one(sh):
    relay(sh, "Relay1", 17)
    relay(sh, "Relay2", 18)
    for n in ("alice", "alan"):
        sh.ok(f"New-Mailbox {n}")
    before = sh.version()
    for command in ("Set-ReceiveConnector Relay* -Enabled $false", "Remove-ReceiveConnector Relay* -Confirm:$false",
                    "Set-Mailbox al* -DisplayName x", "Remove-Mailbox al* -Confirm:$false"):
        r = sh.run(command)
        assert not r.success and AMBIGUOUS in r.errors and "matches multiple entries" in r.errors, command
    assert sh.version() == before
    not_found(sh, "Set-Mailbox zz* -DisplayName x")
    sh.ok("Set-ReceiveConnector Relay[2] -Enabled $false")
    assert sh.values("Get-ReceiveConnector Relay* | ForEach-Object { \"$($_.Name)=$($_.Enabled)\" }") == [
        "Relay1=True", "Relay2=False"]
    sh.ok("Remove-Mailbox ali* -Confirm:$false")
    assert names(sh, "Get-Mailbox al*") == ["alan"]


def test_through_exshell_c_a_wildcard_get_succeeds_and_a_missing_name_exits_non_zero(tmp_path):
    base = exshell_c(tmp_path)
    got = subprocess.run([*base, "Get-ReceiveConnector 'Default*' | ForEach-Object Name"],
                         capture_output=True, text=True, timeout=120)
    assert got.returncode == 0 and got.stderr == "" and "Default EX01" in got.stdout.splitlines()
    none = subprocess.run([*base, "Get-ReceiveConnector 'Nothing*'"], capture_output=True, text=True, timeout=120)
    assert none.returncode == 0 and none.stdout.strip() == "" and none.stderr == ""
    missing = subprocess.run([*base, "Get-ReceiveConnector Nothing"], capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0 and "couldn't be found" in missing.stdout + missing.stderr
