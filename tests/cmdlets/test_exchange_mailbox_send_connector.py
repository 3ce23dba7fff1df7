"""Mailboxes and send connectors against a real store."""

from __future__ import annotations

import pytest
from exchange_harness import Shell


@pytest.fixture
def sh(tmp_path):
    return Shell(tmp_path / "state")


def test_new_mailbox_defaults_its_address_to_the_default_domain(sh):
    out = sh.ok('New-Mailbox -Name "Bharat Suneja" -Alias bharat')
    assert "bharat@contoso.com" in out
    assert sh.values("Get-Mailbox bharat@contoso.com | % DisplayName") == ["Bharat Suneja"]


def test_mailbox_address_must_be_in_an_accepted_domain(sh):
    r = sh.run("New-Mailbox x -PrimarySmtpAddress x@elsewhere.example")
    assert not r.success and "accepted domain" in r.errors


def test_proxy_address_in_use_is_refused(sh):
    sh.ok("New-Mailbox a -PrimarySmtpAddress a@contoso.com")
    r = sh.run("New-Mailbox b -PrimarySmtpAddress b@contoso.com -EmailAddresses a@contoso.com")
    assert not r.success and "already being used" in r.errors


def test_password_is_stored_only_as_a_salted_hash_sealed_outside_the_configuration(sh):
    sh.ok("New-Mailbox scanner -Password (ConvertTo-SecureString 'S3cret!' -AsPlainText -Force)")
    text = (sh.state / "config.toml").read_text()
    assert "S3cret!" not in text and "scrypt$" not in text  # config.toml is readable by more than the owner
    from exshell.model.config import Config
    from exshell.model.mailbox import verify_password
    from exshell.store.keystore import KeyStore

    (mbx,) = Config.from_data(sh.store.snapshot().data).mailboxes
    stored = KeyStore(sh.state).unseal(mbx.password_ref).decode()
    assert stored.startswith("scrypt$131072$8$1$")  # OWASP's scrypt cost
    assert verify_password("S3cret!", stored) and not verify_password("nope", stored)


def test_plain_string_password_is_refused(sh):
    r = sh.run("New-Mailbox scanner -Password 'S3cret!'")
    assert not r.success and "SecureString" in r.errors


def test_email_addresses_add_edits_the_list(sh):
    sh.ok("New-Mailbox a -PrimarySmtpAddress a@contoso.com")
    sh.ok('Set-Mailbox a -EmailAddresses @{Add="scans@contoso.com"}')
    assert sh.values("(Get-Mailbox a).EmailAddresses") == ["SMTP:a@contoso.com", "smtp:scans@contoso.com"]


def test_send_connector_with_smart_host_routes_by_most_specific_space(sh):
    sh.ok("New-SendConnector -Name Outbound -AddressSpaces * -SmartHosts '[127.0.0.1]:2526'")
    sh.ok("New-SendConnector -Name Fabrikam -AddressSpaces '*.fabrikam.com;10' -SmartHosts 127.0.0.2")
    from exshell.model.config import Config
    from exshell.model.send_connector import route

    conns = Config.from_data(sh.store.snapshot().data).send_connectors
    assert route(conns, "mail.fabrikam.com").name == "Fabrikam"
    assert route(conns, "example.net").name == "Outbound"
    assert not next(c for c in conns if c.name == "Outbound").dns_routing_enabled


def test_invalid_address_space_is_refused(sh):
    r = sh.run("New-SendConnector -Name Bad -AddressSpaces '*contoso.com' -SmartHosts x.example")
    assert not r.success and "*contoso.com" in r.errors


def test_dns_routing_with_smart_hosts_is_a_contradiction(sh):
    r = sh.run("New-SendConnector -Name Bad -AddressSpaces * -SmartHosts x.example -DNSRoutingEnabled $true")
    assert not r.success and "DNSRoutingEnabled" in r.errors
