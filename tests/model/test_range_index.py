"""RangeIndex: all ranges containing an address, most specific first, agreeing with a brute-force scan."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from exshell.model.ip import IPRange, RangeIndex


def brute(items: list[tuple[IPRange, int]], addr: str) -> list[tuple[IPRange, int]]:
    hits = [(i, r, p) for i, (r, p) in enumerate(items) if r.contains(addr)]
    hits.sort(key=lambda h: (h[1].size, h[0]))
    return [(r, p) for _, r, p in hits]


def test_documented_three_connector_example_orders_most_specific_first() -> None:
    items = [
        (IPRange.parse("0.0.0.0-255.255.255.255"), "all"),
        (IPRange.parse("192.168.1.0-192.168.1.255"), "lan"),
        (IPRange.parse("192.168.1.75"), "host"),
    ]
    index = RangeIndex(items)
    assert [p for _, p in index.lookup("192.168.1.75")] == ["host", "lan", "all"]
    assert [p for _, p in index.lookup("192.168.1.100")] == ["lan", "all"]
    assert [p for _, p in index.lookup("10.9.9.9")] == ["all"]
    assert index.best("192.168.1.75") == items[2]
    assert index.lookup("::1") == []


def test_ipv4_mapped_client_uses_ipv4_table() -> None:
    index = RangeIndex([(IPRange.parse("10.0.0.0/8"), 1), (IPRange.all_ipv6(), 2)])
    assert [p for _, p in index.lookup("::ffff:10.1.1.1")] == [1]
    assert [p for _, p in index.lookup("2001:db8::1")] == [2]


def test_empty_index_and_address_below_every_range_find_nothing() -> None:
    assert RangeIndex([]).lookup("10.0.0.1") == []
    index = RangeIndex([(IPRange.parse("10.0.0.5-10.0.0.9"), 0)])
    assert index.lookup("10.0.0.4") == [] and index.lookup("10.0.0.10") == []
    assert len(index.lookup("10.0.0.9")) == 1


def test_equal_size_ties_keep_insertion_order() -> None:
    a, b = IPRange.parse("10.0.0.1"), IPRange.parse("10.0.0.1/32")
    index = RangeIndex([(a, "first"), (b, "second")])
    assert [p for _, p in index.lookup("10.0.0.1")] == ["first", "second"]


small = st.integers(0, 300)  # a narrow space so random ranges overlap often


@st.composite
def range_lists(draw: st.DrawFn) -> list[tuple[IPRange, int]]:
    out = []
    for i in range(draw(st.integers(0, 25))):
        a, b = sorted((draw(small), draw(small)))
        out.append((IPRange(a, b, 4, "range"), i))
    return out


@settings(max_examples=200, deadline=None)
@given(items=range_lists(), probes=st.lists(st.integers(0, 310), min_size=1, max_size=20))
def test_lookup_agrees_with_brute_force_scan(items: list[tuple[IPRange, int]], probes: list[int]) -> None:
    index = RangeIndex(items)
    for value in probes:
        addr = str(ipaddress.IPv4Address(value))
        assert index.lookup(addr) == brute(items, addr)
