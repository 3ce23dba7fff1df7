"""Accepted domains: validation, wildcard matching and most-specific lookup (semantics.md §f)."""

from __future__ import annotations

import pytest

from exshell.model.domain import (
    AcceptedDomain,
    default_domain,
    domain_matches,
    find_accepted_domain,
    validate_domain_name,
)
from exshell.model.enums import AcceptedDomainType
from exshell.model.errors import ModelDataError, ModelError


@pytest.mark.parametrize(
    ("pattern", "domain", "expected"),
    [
        ("contoso.com", "contoso.com", True),
        ("contoso.com", "CONTOSO.COM.", True),
        ("contoso.com", "sales.contoso.com", False),
        ("*.contoso.com", "contoso.com", True),
        ("*.contoso.com", "sales.contoso.com", True),
        ("*.contoso.com", "a.b.contoso.com", True),
        ("*.contoso.com", "notcontoso.com", False),
        ("*.contoso.com", "contoso.com.evil.net", False),
        ("fabrikam.com", "contoso.com", False),
    ],
)
def test_domain_matches_wildcards_include_the_parent(pattern: str, domain: str, expected: bool) -> None:
    assert domain_matches(pattern, domain) is expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("domain.*.contoso.com", "only as the leftmost label"),
        ("*contoso.com", "only as the leftmost label"),
        ("*", "a wildcard must be followed by a domain"),
        ("", "can't be empty"),
        ("bad_label-.com", "not a valid DNS label"),
        ("a..com", "not a valid DNS label"),
        ("x" * 64 + ".com", "not a valid DNS label"),
        ("a." * 130 + "com", "too long"),
    ],
)
def test_validate_domain_name_rejects_invalid(text: str, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        validate_domain_name(text)
    assert fragment in str(info.value)


def test_validate_domain_name_accepts_wildcard_and_trailing_dot() -> None:
    assert validate_domain_name("*.Contoso.com.") == "*.Contoso.com"
    assert validate_domain_name("mail-1.contoso.co.uk") == "mail-1.contoso.co.uk"


def test_most_specific_accepted_domain_wins() -> None:
    wild = AcceptedDomain.new("Contoso all", "*.contoso.com")
    sales = AcceptedDomain.new("Sales", "sales.contoso.com", "InternalRelay")
    eu = AcceptedDomain.new("EU", "*.eu.contoso.com", "ExternalRelay")
    domains = [wild, sales, eu]
    assert find_accepted_domain(domains, "sales.contoso.com") is sales
    assert find_accepted_domain(domains, "contoso.com") is wild
    assert find_accepted_domain(domains, "hr.contoso.com") is wild
    assert find_accepted_domain(domains, "paris.eu.contoso.com") is eu
    assert find_accepted_domain(domains, "eu.contoso.com") is eu
    assert find_accepted_domain(domains, "fabrikam.com") is None
    # order of the input list doesn't matter
    assert find_accepted_domain(list(reversed(domains)), "sales.contoso.com") is sales


def test_exact_entry_beats_wildcard_of_same_name() -> None:
    exact = AcceptedDomain.new("Exact", "contoso.com")
    wild = AcceptedDomain.new("Wild", "*.contoso.com", "InternalRelay")
    assert find_accepted_domain([wild, exact], "contoso.com") is exact
    assert find_accepted_domain([wild, exact], "x.contoso.com") is wild


def test_match_subdomains_extends_an_exact_entry() -> None:
    d = AcceptedDomain.new("Contoso", "contoso.com", match_subdomains=True)
    assert d.matches("mail.contoso.com") and not AcceptedDomain.new("C", "contoso.com").matches(
        "mail.contoso.com"
    )
    assert find_accepted_domain([d], "a.b.contoso.com") is d


@pytest.mark.parametrize(
    ("dtype", "address_book"),
    [("Authoritative", True), ("InternalRelay", False), ("externalrelay", False)],
)
def test_new_sets_address_book_default_by_type(dtype: str, address_book: bool) -> None:
    d = AcceptedDomain.new("D", "contoso.com", dtype)
    assert d.address_book_enabled is address_book
    assert d.domain_type is AcceptedDomainType.parse(dtype)


def test_new_rejects_bad_input_with_model_error() -> None:
    with pytest.raises(ModelError):
        AcceptedDomain.new("D", "a.*.com")
    with pytest.raises(ModelError):
        AcceptedDomain.new("D", "contoso.com", "Relay")
    with pytest.raises(ModelError):
        AcceptedDomain.new("", "contoso.com")


def test_accepted_domain_record_round_trip() -> None:
    d = AcceptedDomain.new("Contoso", "*.contoso.com", "InternalRelay", default=True, match_subdomains=True)
    record = d.to_record()
    assert record == {
        "Name": "Contoso",
        "DomainName": "*.contoso.com",
        "DomainType": "InternalRelay",
        "Default": True,
        "AddressBookEnabled": False,
        "MatchSubDomains": True,
    }
    assert AcceptedDomain.from_record(d.guid, record) == d
    with pytest.raises(ModelDataError):
        AcceptedDomain.from_record("g", {"Name": "x"})
    with pytest.raises(ModelDataError):
        AcceptedDomain.from_record("g", {"DomainName": "x.com", "DomainType": "Bogus"})


def test_default_domain_and_with_changes() -> None:
    a = AcceptedDomain.new("A", "a.com", default=True)
    b = AcceptedDomain.new("B", "b.com")
    assert default_domain([b, a]) is a and default_domain([b]) is None
    assert b.with_changes(DomainType="ExternalRelay").domain_type is AcceptedDomainType.ExternalRelay
    with pytest.raises(ModelError):
        b.with_changes(domain_name="*")


def test_domain_conflicts_on_name_or_domain_name_but_not_with_itself() -> None:
    from exshell.model.domain import find_domain_conflict

    contoso = AcceptedDomain.new("Contoso", "contoso.com", default=True)
    assert find_domain_conflict(AcceptedDomain.new("contoso", "fabrikam.com"), [contoso]) == (
        'An accepted domain with the name "contoso" already exists.'
    )
    assert find_domain_conflict(AcceptedDomain.new("Other", "CONTOSO.com."), [contoso]) == (
        'The domain name "CONTOSO.com" is already used by the accepted domain "Contoso".'
    )
    assert find_domain_conflict(AcceptedDomain.new("Wild", "*.contoso.com"), [contoso]) is None
    assert find_domain_conflict(contoso.with_changes(domain_type="InternalRelay"), [contoso]) is None
