"""IPRange parsing, display and arithmetic (semantics.md §j), checked against Python's ipaddress."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exshell.model.ip import IPRange, normalize_address


@pytest.mark.parametrize(
    ("text", "display", "form", "size"),
    [
        ("192.168.1.100", "192.168.1.100", "single", 1),
        (" 192.168.1.100 ", "192.168.1.100", "single", 1),
        ("10.0.0.1-10.0.0.9", "10.0.0.1-10.0.0.9", "range", 9),
        ("10.0.0.1 - 10.0.0.9", "10.0.0.1-10.0.0.9", "range", 9),
        ("10.0.0.5-10.0.0.5", "10.0.0.5-10.0.0.5", "range", 1),
        ("192.168.1.0/24", "192.168.1.0/24", "cidr", 256),
        ("192.168.1.1/24", "192.168.1.0/24", "cidr", 256),
        ("10.1.2.3/32", "10.1.2.3/32", "cidr", 1),
        ("0.0.0.0/0", "0.0.0.0/0", "cidr", 2**32),
        ("0.0.0.0-255.255.255.255", "0.0.0.0-255.255.255.255", "range", 2**32),
        (
            "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "range",
            2**128,
        ),
        ("2001:0DB8::CD3/60", "2001:db8::/60", "cidr", 2**68),
        ("2001:db8::1", "2001:db8::1", "single", 1),
        ("fe80::39bd:88f7:6969:d223%11", "fe80::39bd:88f7:6969:d223%11", "single", 1),
        ("2001:db8::1-2001:db8::ff", "2001:db8::1-2001:db8::ff", "range", 255),
        ("::ffff:10.0.0.1", "::ffff:a00:1", "single", 1),
    ],
)
def test_parse_accepts_exchange_forms_and_prints_display_form(
    text: str, display: str, form: str, size: int
) -> None:
    r = IPRange.parse(text)
    assert str(r) == display
    assert r.form == form
    assert r.size == size
    assert IPRange.parse(str(r)) == r


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10.0.0.9-10.0.0.1", "start address 10.0.0.9 is greater than the end address 10.0.0.1"),
        ("300.1.1.1/33", '"300.1.1.1" is not an IP address'),
        ("10.0.0.1/33", "prefix length must be a number from 0 to 32"),
        ("2001:db8::/129", "prefix length must be a number from 0 to 128"),
        ("10.0.0.0/abc", "prefix length"),
        ("garbage", '"garbage" is not an IP address'),
        ("", "can't be empty"),
        ("10.0.0.1-", "first-last"),
        ("10.0.0.1-10.0.0.2-10.0.0.3", "first-last"),
        ("10.0.0.1-::1", "both ends must be IPv4 or both IPv6"),
        ("256.0.0.1", "is not an IP address"),
        ("fe80::1%", "zone index"),
    ],
)
def test_parse_rejects_invalid_input_with_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as info:
        IPRange.parse(text)
    assert reason in str(info.value)


def test_ipv4_mapped_client_matches_ipv4_range_not_ipv6_everything() -> None:
    lan = IPRange.parse("10.0.0.0/8")
    all_v6 = IPRange.all_ipv6()
    assert lan.contains("::ffff:10.0.0.1")
    assert lan.contains(ipaddress.IPv6Address("::ffff:10.0.0.1"))
    assert not all_v6.contains("::ffff:10.0.0.1")
    assert normalize_address("::ffff:10.0.0.1") == (4, int(ipaddress.IPv4Address("10.0.0.1")))


def test_contains_rejects_other_family_and_outside_addresses() -> None:
    r = IPRange.parse("192.168.1.0-192.168.1.255")
    assert r.contains("192.168.1.75")
    assert "192.168.1.255" in r
    assert not r.contains("192.168.2.0")
    assert not r.contains("::1")
    assert IPRange.parse("fe80::1%11").contains("fe80::1%eth0")


def test_same_addresses_ignores_spelling_but_equality_keeps_form() -> None:
    a, b, c = IPRange.parse("10.0.0.1"), IPRange.parse("10.0.0.1/32"), IPRange.parse("10.0.0.1-10.0.0.1")
    assert a.same_addresses(b) and b.same_addresses(c)
    assert a != b


def test_is_everything_detects_all_address_spellings() -> None:
    assert IPRange.parse("0.0.0.0/0").is_everything
    assert IPRange.parse("0.0.0.0-255.255.255.255").is_everything
    assert IPRange.parse("::/0").is_everything
    assert not IPRange.parse("0.0.0.0/1").is_everything


# ---------------------------------------------------------------------- properties against ipaddress

v4_int = st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def v4_ranges(draw: st.DrawFn) -> IPRange:
    kind = draw(st.sampled_from(["single", "range", "cidr"]))
    if kind == "single":
        return IPRange.parse(str(ipaddress.IPv4Address(draw(v4_int))))
    if kind == "range":
        a, b = sorted((draw(v4_int), draw(v4_int)))
        return IPRange.parse(f"{ipaddress.IPv4Address(a)}-{ipaddress.IPv4Address(b)}")
    return IPRange.parse(f"{ipaddress.IPv4Address(draw(v4_int))}/{draw(st.integers(0, 32))}")


@settings(max_examples=200, deadline=None)
@given(addr=v4_int, prefix=st.integers(0, 32), probe=v4_int)
def test_cidr_agrees_with_ipaddress_network(addr: int, prefix: int, probe: int) -> None:
    r = IPRange.parse(f"{ipaddress.IPv4Address(addr)}/{prefix}")
    net = ipaddress.ip_network(f"{ipaddress.IPv4Address(addr)}/{prefix}", strict=False)
    assert str(r) == str(net)
    assert r.size == net.num_addresses
    assert r.contains(str(ipaddress.IPv4Address(probe))) == (ipaddress.IPv4Address(probe) in net)


@settings(max_examples=200, deadline=None)
@given(addr=st.integers(0, 2**128 - 1), prefix=st.integers(0, 128))
def test_ipv6_cidr_agrees_with_ipaddress_network(addr: int, prefix: int) -> None:
    text = f"{ipaddress.IPv6Address(addr)}/{prefix}"
    r = IPRange.parse(text)
    net = ipaddress.ip_network(text, strict=False)
    assert (r.first, r.last, r.size) == (
        int(net.network_address),
        int(net.broadcast_address),
        net.num_addresses,
    )
    assert str(r) == str(net)


@settings(max_examples=200, deadline=None)
@given(a=v4_ranges(), b=v4_ranges())
def test_contains_range_and_overlap_agree_with_address_sets(a: IPRange, b: IPRange) -> None:
    a_set = (a.first, a.last)
    b_set = (b.first, b.last)
    overlap = max(a_set[0], b_set[0]) <= min(a_set[1], b_set[1])
    assert a.overlaps(b) == overlap == b.overlaps(a)
    assert a.contains_range(b) == (a.first <= b.first and b.last <= a.last)
    if a.contains_range(b) and b.contains_range(a):
        assert a.same_addresses(b)
    if a.contains_range(b):
        assert a.size >= b.size and a.overlaps(b)
    # the ends are members, the neighbours are not
    assert a.contains(a.first_address) and a.contains(a.last_address)
    if a.first > 0:
        assert not a.contains(str(ipaddress.IPv4Address(a.first - 1)))
    if a.last < 2**32 - 1:
        assert not a.contains(str(ipaddress.IPv4Address(a.last + 1)))


@settings(max_examples=200, deadline=None)
@given(r=v4_ranges())
def test_display_form_round_trips(r: IPRange) -> None:
    assert IPRange.parse(str(r)) == r


@settings(max_examples=200, deadline=None)
@given(value=st.integers(0, 2**128 - 1), as_v4=st.booleans())
def test_normalize_address_fast_path_agrees_with_ipaddress(value: int, as_v4: bool) -> None:
    ip = ipaddress.IPv4Address(value % 2**32) if as_v4 else ipaddress.IPv6Address(value)
    expected = normalize_address(ip)  # object path, no string parsing
    assert normalize_address(str(ip)) == expected
    assert normalize_address(ip.exploded) == expected
    if isinstance(ip, ipaddress.IPv4Address):
        assert normalize_address(f"::ffff:{ip}") == (4, int(ip))
    else:
        assert expected == ((4, int(ip.ipv4_mapped)) if ip.ipv4_mapped else (6, int(ip)))


@pytest.mark.parametrize("bad", ["010.0.0.1", "1.2.3", "", "x", "1.2.3.4.5"])
def test_normalize_address_rejects_malformed_client_addresses(bad: str) -> None:
    with pytest.raises(ValueError):
        normalize_address(bad)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.text(alphabet="0123456789\u0661 +", max_size=4), min_size=3, max_size=5))
def test_dotted_quad_parsing_is_as_strict_as_ipaddress(parts: list[str]) -> None:
    # The stored form is parsed without ipaddress or socket (start-up); it must refuse exactly what they do:
    # leading zeros, signs, inner spaces, non-ASCII digits, octets over 255, too few or too many parts.
    text = ".".join(parts)
    try:
        expected: int | None = int(ipaddress.IPv4Address(text.strip()))
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ValueError):
            IPRange.parse(text)
        with pytest.raises(ValueError):
            IPRange.parse_many(["10.0.0.1", text])
        return
    parsed = IPRange.parse(text)
    built = IPRange(expected, expected, 4, "single")
    assert (parsed, hash(parsed), repr(parsed)) == (built, hash(built), repr(built))
    assert IPRange.parse_many([text]) == (built,)
    assert normalize_address(text.strip()) == (4, expected)


def test_a_checked_first_last_range_equals_a_constructed_one() -> None:
    parsed = IPRange.parse("10.0.0.1-10.0.0.9")
    assert parsed == IPRange(0x0A000001, 0x0A000009, 4, "range")
    assert hash(parsed) == hash(IPRange(0x0A000001, 0x0A000009, 4, "range"))
    with pytest.raises(AttributeError):
        parsed.first = 5  # type: ignore[misc]  # still frozen


def test_parse_many_reads_every_form_as_parse_does() -> None:
    texts = ["10.0.0.1", "10.0.0.1-10.0.0.9", "192.168.1.1/24", "2001:db8::1", " 10.0.0.2 ", "fe80::1%11"]
    assert IPRange.parse_many(texts) == tuple(IPRange.parse(t) for t in texts)
    assert [str(r) for r in IPRange.parse_many(texts)] == [str(IPRange.parse(t)) for t in texts]
    with pytest.raises(ValueError):
        IPRange.parse_many(["10.0.0.1", 7])  # type: ignore[list-item]
