"""RFC 5321 path parsing and the domains an address really routes to (exshell/transport/address.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exshell.transport.address import AddressError, normalize_domain, parse_path, split_argument


def test_plain_address_keeps_local_case_and_lowercases_domain():
    p = parse_path("John.Doe@Contoso.COM")
    assert (p.local, p.domain, p.hops, p.source_route) == ("John.Doe", "contoso.com", (), ())
    assert p.address == "John.Doe@contoso.com"


def test_trailing_dot_on_domain_is_normalized():
    assert parse_path("a@accepted.example.").domain == "accepted.example"


def test_idn_domain_is_punycode_normalized():
    assert parse_path("user@bücher.example").domain == "xn--bcher-kva.example"


def test_null_reverse_path_only_when_allowed():
    assert parse_path("", allow_null=True).null
    with pytest.raises(AddressError):
        parse_path("")


def test_postmaster_without_domain_is_allowed():
    p = parse_path("Postmaster")
    assert p.is_postmaster and p.routing_domains == ()


def test_source_route_resolves_to_the_final_domain():
    p = parse_path("@accepted.example,@hop.example:user@other.example")
    assert p.domain == "other.example"
    assert p.source_route == ("accepted.example", "hop.example")


def test_percent_hack_names_the_inner_domain_as_a_hop():
    p = parse_path("user%other.example@accepted.example")
    assert p.domain == "accepted.example"
    assert p.routing_domains == ("accepted.example", "other.example")


def test_bang_path_names_the_inner_domain_as_a_hop():
    p = parse_path("other.example!user@accepted.example")
    assert p.routing_domains == ("accepted.example", "other.example")


def test_quoted_local_part_with_at_sign_is_only_a_local_part():
    p = parse_path('"user@other.example"@accepted.example')
    assert p.local == "user@other.example"
    assert p.routing_domains == ("accepted.example",)
    assert p.address == '"user@other.example"@accepted.example'


@pytest.mark.parametrize(
    "text",
    ['"user@other.example"', "user@other.example@accepted.example", "other.example!user", "user", "a@", "@x:",
     "a..b@x.example", "a@[300.1.1.1]", "a@-bad-.example", '"unterminated@x'],
)
def test_invalid_paths_are_rejected(text):
    with pytest.raises(AddressError):
        parse_path(text)


def test_address_literals_are_kept_and_flagged():
    p = parse_path("antispam@[127.0.0.1]")
    assert p.literal and p.domain == "[127.0.0.1]"
    assert parse_path("a@[IPv6:::1]").domain == "[IPv6:::1]"


def test_split_argument_reads_path_and_parameters():
    path, params = split_argument("FROM:<a@b.example> SIZE=1000 BODY=8BITMIME", "FROM:")
    assert path == "a@b.example"
    assert params == {"SIZE": "1000", "BODY": "8BITMIME"}


def test_split_argument_handles_quoted_angle_bracket_and_space_after_colon():
    path, params = split_argument('to: <"a>b"@x.example>', "TO:")
    assert path == '"a>b"@x.example' and params == {}


@pytest.mark.parametrize("arg", [None, "FROM <a@b>", "FROM:<a@b", "FROM:<a@b>x", "FROM:<a@b> =1"])
def test_split_argument_rejects_malformed_commands(arg):
    with pytest.raises(AddressError):
        split_argument(arg, "FROM:")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_parse_path_never_raises_anything_but_address_error(text):
    try:
        p = parse_path(text, allow_null=True)
    except AddressError:
        return
    # whatever parses has normalized domains only
    for d in p.routing_domains:
        assert d == d.lower() and not d.endswith(".")


@settings(max_examples=200, deadline=None)
@given(
    local=st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True),
    inner=st.from_regex(r"[a-z]{1,8}\.example", fullmatch=True),
    outer=st.from_regex(r"[a-z]{1,8}\.test", fullmatch=True),
    trick=st.sampled_from(["percent", "bang", "route"]),
)
def test_every_trick_exposes_the_foreign_domain(local, inner, outer, trick):
    text = {
        "percent": f"{local}%{inner}@{outer}",
        "bang": f"{inner}!{local}@{outer}",
        "route": f"@{outer}:{local}@{inner}",
    }[trick]
    assert inner in parse_path(text).routing_domains


def test_normalize_domain_rejects_bad_idn():
    with pytest.raises(AddressError):
        normalize_domain("xn--.example")
