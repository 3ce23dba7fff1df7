"""New/Get/Set/Remove-ReceiveConnector against a real store: Exchange's semantics and the guards."""

from __future__ import annotations

import pytest
from exchange_harness import GRANT, RECIPE_1, RECIPE_2, Shell


@pytest.fixture
def sh(tmp_path):
    return Shell(tmp_path / "state")


def test_fresh_store_has_the_2007_hub_default_connectors(sh):
    lines = sh.values("Get-ReceiveConnector")
    assert lines[0].split() == ["Identity", "Bindings", "Enabled"]
    assert any(line.startswith("EX01\\Default EX01") and "{0.0.0.0:25}" in line for line in lines)
    assert any(line.startswith("EX01\\Client EX01") and "{0.0.0.0:587}" in line for line in lines)
    default = sh.connector("Default EX01")
    assert str(default.permission_groups) == "ExchangeUsers, ExchangeServers, ExchangeLegacyServers"
    assert [str(r) for r in default.remote_ip_ranges] == ["0.0.0.0-255.255.255.255"]
    assert sh.version() == 1


def test_recipe_1_creates_an_externally_secured_connector(sh):
    out = sh.ok(RECIPE_1)
    assert "EX01\\RelayConnector" in out and "{192.168.1.17:25}" in out
    rc = sh.connector("RelayConnector")
    assert str(rc.auth_mechanism) == "Tls, ExternalAuthoritative"
    assert str(rc.permission_groups) == "ExchangeServers"
    assert rc.fqdn == "server.domain.com"
    assert sh.version() == 2


def test_recipe_2_then_grant_makes_permission_groups_report_custom(sh):
    sh.ok(RECIPE_2)
    out = sh.ok(GRANT)
    assert "NT AUTHORITY\\ANONYMOUS LOGON" in out and "ms-Exch-SMTP-Accept-Any-Recipient" in out
    fl = sh.ok("Get-ReceiveConnector RelayConnector | Format-List PermissionGroups")
    assert "PermissionGroups : AnonymousUsers, Custom" in fl
    assert sh.version() == 3


def test_get_adpermission_lists_group_rows_and_the_explicit_grant(sh):
    sh.ok(RECIPE_2)
    sh.ok(GRANT)
    rows = sh.ok(
        "Get-ADPermission RelayConnector | where {$_.ExtendedRights -like '*Any-Recipient*'} | "
        "Select-Object -ExpandProperty User"
    )
    assert rows.strip().splitlines() == ["NT AUTHORITY\\ANONYMOUS LOGON"]
    anon = sh.ok('Get-ADPermission RelayConnector -User "NT AUTHORITY\\ANONYMOUS LOGON" | % { $_.ExtendedRights }')
    assert set(anon.split()) == {
        "ms-Exch-SMTP-Submit",
        "ms-Exch-SMTP-Accept-Any-Sender",
        "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender",
        "ms-Exch-Accept-Headers-Routing",
        "ms-Exch-SMTP-Accept-Any-Recipient",
    }


def test_add_hashtable_edits_and_plain_list_replaces_only_with_force(sh):
    sh.ok(RECIPE_2)
    sh.ok('Set-ReceiveConnector RelayConnector -RemoteIPRanges @{Add="10.0.0.5","10.0.0.6"}')
    assert [str(r) for r in sh.connector("RelayConnector").remote_ip_ranges] == [
        "192.168.1.100", "10.0.0.5", "10.0.0.6"]
    sh.ok('Set-ReceiveConnector RelayConnector -RemoteIPRanges @{Remove="10.0.0.5"}')
    assert [str(r) for r in sh.connector("RelayConnector").remote_ip_ranges] == ["192.168.1.100", "10.0.0.6"]
    before = sh.version()
    refused = sh.run("Set-ReceiveConnector RelayConnector -RemoteIPRanges 10.9.9.9")
    assert not refused.success
    assert "drops 2 of its 2 entries: 192.168.1.100, 10.0.0.6" in refused.errors
    assert "ConfirmationRequired,Set-ReceiveConnector" in refused.errors
    assert sh.version() == before
    forced = sh.run("Set-ReceiveConnector RelayConnector -RemoteIPRanges 10.9.9.9 -Force")
    assert forced.success and any("drops 2 of its 2" in w for w in forced.warnings)
    assert [str(r) for r in sh.connector("RelayConnector").remote_ip_ranges] == ["10.9.9.9"]
    assert sh.version() == before + 1


def test_read_modify_write_idiom_appends_a_range(sh):
    sh.ok(RECIPE_2)
    sh.ok('$rc = Get-ReceiveConnector RelayConnector; $rc.RemoteIPRanges += "10.1.1.1"; '
          "Set-ReceiveConnector RelayConnector -RemoteIPRanges $rc.RemoteIPRanges")
    assert [str(r) for r in sh.connector("RelayConnector").remote_ip_ranges] == ["192.168.1.100", "10.1.1.1"]


def test_whatif_changes_nothing_and_records_no_version(sh):
    sh.ok(RECIPE_2)
    before = sh.version()
    out = sh.ok("Set-ReceiveConnector RelayConnector -RemoteIPRanges 10.9.9.9 -WhatIf")
    assert out.startswith('What if: Configuring Receive connector "EX01\\RelayConnector".')
    assert "drops 1 of its 1 entries: 192.168.1.100" in out
    assert sh.version() == before
    assert sh.ok(RECIPE_1.replace("RelayConnector", "Other").replace("192.168.1.100", "192.168.1.50")
                 + " -WhatIf").startswith("What if: Creating Receive connector")
    assert sh.version() == before


def test_range_of_two_hosts_is_one_entry(sh):
    sh.ok(RECIPE_2.replace("192.168.1.100", "127.0.0.100-127.0.0.101"))
    (rng,) = sh.connector("RelayConnector").remote_ip_ranges
    assert rng.contains("127.0.0.100") and rng.contains("127.0.0.101") and not rng.contains("127.0.0.102")


@pytest.mark.parametrize(
    "args, fragment",
    [
        ("-RemoteIPRanges 300.1.1.1/33", "300.1.1.1/33"),
        ("-RemoteIPRanges 10.0.0.9-10.0.0.1", "10.0.0.9-10.0.0.1"),
        ("-RemoteIPRanges 192.168.1.x", "192.168.1.x"),
        ("-AuthMechanism 'None, Tls'", "None"),
        ("-AuthMechanism Purple", "Purple"),
        ("-PermissionGroups AnonymousUsers -AuthMechanism 'Tls, ExternalAuthoritative'", "ExternalAuthoritative"),
        ("-AuthMechanism 'BasicAuthRequireTLS'", "BasicAuthRequireTLS"),
        ("-MaxMessageSize 10KB", "MaxMessageSize"),
    ],
)
def test_invalid_values_name_the_value_and_change_nothing(sh, args, fragment):
    before = sh.version()
    r = sh.run(
        "New-ReceiveConnector -Name Bad -Usage Custom -Bindings 0.0.0.0:2526 -RemoteIPRanges 10.0.0.1 " + args
    )
    assert not r.success
    assert fragment in r.errors
    assert "Traceback" not in r.errors + r.output
    assert sh.version() == before


def test_binding_and_remote_ranges_must_be_unique_per_server(sh):
    sh.ok(RECIPE_2)
    r = sh.run(RECIPE_2.replace("-Name RelayConnector", "-Name Twin"))
    assert not r.success and "RelayConnector" in r.errors
    partial = sh.run(RECIPE_2.replace("-Name RelayConnector", "-Name Partial").replace(
        "192.168.1.100", "192.168.1.99-192.168.1.120"))
    assert partial.success  # contains the single address: nested overlap is allowed
    crossing = sh.run(RECIPE_2.replace("-Name RelayConnector", "-Name Crossing").replace(
        "192.168.1.100", "192.168.1.110-192.168.1.130"))
    assert not crossing.success and "Partial" in crossing.errors


def test_duplicate_name_is_refused(sh):
    sh.ok(RECIPE_2)
    r = sh.run(RECIPE_2.replace("192.168.1.17:25", "192.168.1.18:25"))
    assert not r.success and "already exists" in r.errors


def test_open_relay_grant_on_the_catch_all_connector_is_refused_in_scripts(sh):
    sh.ok("Set-ReceiveConnector 'Default EX01' -PermissionGroups 'AnonymousUsers, ExchangeUsers, ExchangeServers, "
          "ExchangeLegacyServers'")
    before = sh.version()
    r = sh.run('Add-ADPermission "Default EX01" -User "NT AUTHORITY\\ANONYMOUS LOGON" '
               "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient")
    assert not r.success
    assert "OPEN RELAY" in r.errors and "0.0.0.0-255.255.255.255" in r.errors
    assert sh.version() == before
    ok = sh.run('Add-ADPermission "Default EX01" -User "NT AUTHORITY\\ANONYMOUS LOGON" '
                "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient -Confirm:$false")
    assert ok.success and any("OPEN RELAY" in w for w in ok.warnings)
    assert sh.version() == before + 1


def test_relay_grant_on_a_private_range_needs_no_confirmation(sh):
    sh.ok(RECIPE_2)
    r = sh.run(GRANT)
    assert r.success and not r.warnings


def test_permission_groups_replacement_shows_lost_rights(sh):
    sh.ok(RECIPE_2)
    r = sh.run("Set-ReceiveConnector RelayConnector -PermissionGroups ExchangeUsers")
    assert not r.success
    assert "AnonymousUsers would be removed" in r.errors
    assert "NT AUTHORITY\\ANONYMOUS LOGON loses" in r.errors and "ms-Exch-SMTP-Submit" in r.errors


def test_group_rights_cannot_be_removed_but_a_deny_takes_them_away(sh):
    sh.ok(RECIPE_2)
    r = sh.run('Remove-ADPermission RelayConnector -User "NT AUTHORITY\\ANONYMOUS LOGON" '
               "-ExtendedRights ms-Exch-SMTP-Accept-Authoritative-Domain-Sender -Confirm:$false")
    assert not r.success and "permission group AnonymousUsers" in r.errors and "Deny" in r.errors
    sh.ok('Add-ADPermission RelayConnector -User "NT AUTHORITY\\ANONYMOUS LOGON" '
          "-ExtendedRights ms-Exch-SMTP-Accept-Authoritative-Domain-Sender -Deny")
    from exshell.model.permissions import ANONYMOUS, effective_rights

    rights = effective_rights(sh.connector("RelayConnector").all_aces(), [ANONYMOUS])
    assert rights["ms-Exch-SMTP-Accept-Authoritative-Domain-Sender"].granted is False


def test_piped_ace_is_removed_with_remove_adpermission(sh):
    sh.ok(RECIPE_2)
    sh.ok(GRANT)
    sh.ok("Get-ADPermission RelayConnector | where {$_.ExtendedRights -like '*any-recipient'} | "
          "Remove-ADPermission -Confirm:$false")
    assert sh.connector("RelayConnector").explicit_aces == ()


def test_remove_receive_connector_needs_confirmation_in_scripts(sh):
    sh.ok(RECIPE_2)
    r = sh.run("Remove-ReceiveConnector RelayConnector")
    assert not r.success and "ConfirmationRequired" in r.errors
    sh.ok("Remove-ReceiveConnector RelayConnector -Confirm:$false")
    assert not sh.config().resolve_receive_connector("RelayConnector", "EX01")


def test_remove_receive_connector_prompts_in_an_interactive_host(tmp_path):
    sh = Shell(tmp_path / "state", interactive=True, answers=["N"])
    sh.ok(RECIPE_2)
    sh.run("Remove-ReceiveConnector RelayConnector")
    assert sh.config().resolve_receive_connector("RelayConnector", "EX01")
    sh.host.answers = ["Y"]
    sh.ok("Remove-ReceiveConnector RelayConnector")
    assert not sh.config().resolve_receive_connector("RelayConnector", "EX01")


def test_unknown_identity_is_exchange_not_found_error(sh):
    r = sh.run("Get-ReceiveConnector Nope")
    assert not r.success and "couldn't be found" in r.errors and "Nope" in r.errors


def test_one_invocation_over_many_piped_connectors_is_one_version(sh):
    before = sh.version()
    sh.ok("Get-ReceiveConnector | Set-ReceiveConnector -Comment 'reviewed'")
    assert sh.version() == before + 1
    assert all(c.comment == "reviewed" for c in sh.config().receive_connectors)
