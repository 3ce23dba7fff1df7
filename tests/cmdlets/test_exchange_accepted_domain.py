"""New/Get/Set/Remove-AcceptedDomain, Get-ExchangeServer and Set-TransportConfig against a real store."""

from __future__ import annotations

import pytest
from exchange_harness import Shell


@pytest.fixture
def sh(tmp_path):
    return Shell(tmp_path / "state")


def test_fresh_store_has_one_authoritative_default_domain(sh):
    lines = sh.values("Get-AcceptedDomain")
    assert lines[0].split() == ["Name", "DomainName", "DomainType", "Default"]
    assert lines[2].split() == ["contoso.com", "contoso.com", "Authoritative", "True"]


def test_new_wildcard_domain_accepts_subdomains(sh):
    sh.ok("New-AcceptedDomain -Name Fabrikam -DomainName *.fabrikam.com -DomainType InternalRelay")
    config = sh.config()
    assert config.find_accepted_domain("sales.fabrikam.com").name == "Fabrikam"
    assert config.find_accepted_domain("fabrikam.com").name == "Fabrikam"
    assert config.find_accepted_domain("fabrikam.org") is None


def test_wildcard_only_as_leftmost_label(sh):
    before = sh.version()
    r = sh.run("New-AcceptedDomain -Name Bad -DomainName domain.*.contoso.com")
    assert not r.success and "leftmost" in r.errors
    assert sh.version() == before


def test_make_default_keeps_exactly_one_default(sh):
    sh.ok("New-AcceptedDomain -Name Fabrikam -DomainName fabrikam.com")
    sh.ok("Set-AcceptedDomain Fabrikam -MakeDefault $true")
    defaults = [d.name for d in sh.config().accepted_domains if d.default]
    assert defaults == ["Fabrikam"]


def test_default_domain_cannot_be_removed(sh):
    r = sh.run("Remove-AcceptedDomain contoso.com -Confirm:$false")
    assert not r.success and "default accepted domain" in r.errors
    sh.ok("New-AcceptedDomain -Name Fabrikam -DomainName fabrikam.com")
    sh.ok("Remove-AcceptedDomain Fabrikam -Confirm:$false")
    assert [d.name for d in sh.config().accepted_domains] == ["contoso.com"]


def test_duplicate_domain_name_is_refused(sh):
    r = sh.run("New-AcceptedDomain -Name Again -DomainName CONTOSO.com")
    assert not r.success and "already used" in r.errors


def test_get_exchange_server_lists_this_server(sh):
    lines = sh.values("Get-ExchangeServer")
    assert lines[2].startswith("EX01")


def test_relay_reply_style_is_a_setting(sh):
    sh.ok("Set-TransportConfig -RelayReplyStyle 2016")
    assert sh.config().settings.relay_denied_reply == "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"
    r = sh.run("Set-TransportConfig -RelayReplyStyle 2003")
    assert not r.success and "2003" in r.errors
