"""Per-server connector conflicts (semantics.md §e): unique Bindings+RemoteIPRanges, nested-only overlaps,
and distinct IP:port bindings for different Transport roles."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from exshell.model.connector import ReceiveConnector, find_conflict
from exshell.model.connector_rules import DUPLICATE_CONFLICT, ROLE_CONFLICT, range_clash
from exshell.model.ip import IPRange, RangeIndex


def rc(
    name: str, bindings: list[str], ranges: list[str], server: str = "EX01", **fields: object
) -> ReceiveConnector:
    return ReceiveConnector.new(
        name,
        server,
        "Custom",
        bindings=bindings,
        remote_ip_ranges=ranges,
        permission_groups="AnonymousUsers",
        **fields,
    )


ALL = rc("All", ["0.0.0.0:25"], ["0.0.0.0-255.255.255.255"])
LAN = rc("Lan", ["0.0.0.0:25"], ["192.168.1.0-192.168.1.255"])
HOST = rc("Host", ["0.0.0.0:25"], ["192.168.1.75"])


def test_documented_three_connector_example_has_no_conflict() -> None:
    assert find_conflict(ALL, [LAN, HOST]) is None
    assert find_conflict(LAN, [ALL, HOST]) is None
    assert find_conflict(HOST, [ALL, LAN]) is None


def test_partial_overlap_on_same_binding_is_refused_naming_the_other_connector() -> None:
    partial = rc("Partial", ["0.0.0.0:25"], ["192.168.1.128-192.168.2.10"])
    message = find_conflict(partial, [ALL, LAN, HOST])
    assert message is not None
    assert 'Receive connector "EX01\\Lan"' in message
    assert "192.168.1.128-192.168.2.10 partially overlaps the range 192.168.1.0-192.168.1.255" in message


def test_same_binding_and_same_range_is_a_duplicate_even_when_spelled_differently() -> None:
    twin = rc("Twin", ["0.0.0.0:25"], ["192.168.1.0/24"])
    assert find_conflict(twin, [ALL, LAN]) == DUPLICATE_CONFLICT.format(identity="EX01\\Lan")
    # a second all-addresses connector beside the default is the CUSTOM scenario-1 error
    internet = rc("Internet", ["0.0.0.0:25"], ["0.0.0.0/0"])
    assert find_conflict(internet, [ALL]) == DUPLICATE_CONFLICT.format(identity="EX01\\All")


def test_specific_local_ip_binding_may_reuse_a_remote_range() -> None:
    # CUSTOM scenario 1 workaround: bind the new connector to a specific local IP.
    internet = rc("Internet", ["192.168.1.17:25"], ["0.0.0.0-255.255.255.255"])
    assert find_conflict(internet, [ALL, LAN, HOST]) is None


def test_seed_relay_connector_fits_beside_the_default_connectors() -> None:
    relay = rc("RelayConnector", ["192.168.1.17:25"], ["192.168.1.100"])
    client = rc("Client EX01", ["0.0.0.0:587"], ["0.0.0.0-255.255.255.255"])
    assert find_conflict(relay, [ALL, client]) is None


def test_different_ports_or_servers_never_conflict() -> None:
    other_port = rc("Other", ["0.0.0.0:2525"], ["192.168.1.0/24"])
    other_server = rc("Lan", ["0.0.0.0:25"], ["192.168.1.0/24"], server="EX02")
    assert find_conflict(other_port, [LAN]) is None
    assert find_conflict(other_server, [LAN]) is None
    assert find_conflict(rc("V6", ["[::]:25"], ["::/0"]), [ALL]) is None


def test_connector_being_changed_is_not_compared_with_itself() -> None:
    changed = LAN.with_changes(remote_ip_ranges=["192.168.1.0/25"])
    assert find_conflict(changed, [ALL, LAN, HOST]) is None


def test_different_transport_roles_need_distinct_bindings() -> None:
    frontend = rc(
        "Default Frontend EX01",
        ["0.0.0.0:25"],
        ["0.0.0.0-255.255.255.255"],
        transport_role="FrontendTransport",
    )
    hub_specific = rc("Hub relay", ["192.168.1.17:25"], ["192.168.1.100"], transport_role="HubTransport")
    hub_other_port = rc(
        "Default EX01", ["0.0.0.0:2525"], ["0.0.0.0-255.255.255.255"], transport_role="HubTransport"
    )
    assert find_conflict(hub_specific, [frontend]) == ROLE_CONFLICT.format(
        identity="EX01\\Default Frontend EX01"
    )
    assert find_conflict(hub_other_port, [frontend]) is None
    assert "must listen on unique local IP address & port bindings" in ROLE_CONFLICT


def test_overlapping_ranges_within_one_connector_are_allowed() -> None:
    messy = rc("Messy", ["10.0.0.1:25"], ["10.0.0.0/24", "10.0.0.100-10.0.1.5"])
    assert find_conflict(messy, [ALL]) is None


# ---------------------------------------------------------------------- the rules guarantee a unique winner

small = st.integers(0, 200)


@st.composite
def range_sets(draw: st.DrawFn) -> list[str]:
    out = []
    for _ in range(draw(st.integers(1, 3))):
        a, b = sorted((draw(small), draw(small)))
        out.append(f"10.0.0.{a}-10.0.0.{b}")
    return out


@settings(max_examples=200, deadline=None)
@given(sets=st.lists(range_sets(), min_size=2, max_size=4), probes=st.lists(small, min_size=1, max_size=10))
def test_connectors_without_conflicts_always_have_one_most_specific_match(
    sets: list[list[str]], probes: list[int]
) -> None:
    """Whatever the ranges, the set of connectors that passes find_conflict never leaves two connectors tied
    for the most specific match of an address (semantics.md §e: rules 1 and 2 make ties impossible)."""
    accepted: list[ReceiveConnector] = []
    for i, ranges in enumerate(sets):
        candidate = rc(f"C{i}", ["0.0.0.0:25"], ranges)
        if find_conflict(candidate, accepted) is None:
            accepted.append(candidate)
        assert (find_conflict(candidate, accepted) is None) == all(
            find_conflict(other, [candidate]) is None for other in accepted if other is not candidate
        )
    index = RangeIndex((r, c.name) for c in accepted for r in c.remote_ip_ranges)
    for value in probes:
        hits = index.lookup(f"10.0.0.{value}")
        if len(hits) >= 2:
            (r0, c0), (r1, c1) = hits[0], hits[1]
            assert r0.size < r1.size or c0 == c1


def test_names_are_unique_per_server_case_insensitively() -> None:
    same_name = rc("LAN", ["10.0.0.1:2525"], ["172.16.0.1"])
    message = find_conflict(same_name, [ALL, LAN])
    assert message == (
        'A Receive connector named "LAN" already exists on server "EX01" (EX01\\Lan). '
        "Receive connector names must be unique on a server."
    )
    assert find_conflict(rc("LAN", ["10.0.0.1:2525"], ["172.16.0.1"], server="EX02"), [LAN]) is None


def brute_clash(mine: list[IPRange], theirs: list[IPRange], shared: bool) -> str | None:
    """The rules of semantics.md §e written out pair by pair."""
    found = None
    for m in mine:
        for t in theirs:
            if not m.overlaps(t):
                continue
            if m.same_addresses(t):
                if shared:
                    found = found or "duplicate"
            elif not (m.contains_range(t) or t.contains_range(m)):
                found = found or "overlap"
    return found


@st.composite
def v4_lists(draw: st.DrawFn) -> list[IPRange]:
    out = []
    for _ in range(draw(st.integers(0, 6))):
        a, b = sorted((draw(small), draw(small)))
        out.append(IPRange(a, b, 4, "range"))
    return out


@settings(max_examples=200, deadline=None)
@given(mine=v4_lists(), theirs=v4_lists(), shared=st.booleans())
def test_range_clash_agrees_with_pairwise_rules(
    mine: list[IPRange], theirs: list[IPRange], shared: bool
) -> None:
    fast = range_clash(mine, theirs, shared)
    expected = brute_clash(mine, theirs, shared)
    assert (fast is None) == (expected is None)
    if fast is not None:
        kind, m, t = fast
        assert m in mine and t in theirs and m.overlaps(t)
        assert (kind == "duplicate") == m.same_addresses(t)


def test_bulk_imported_lists_are_checked_quickly() -> None:
    mine = [IPRange.parse(f"10.{i // 250}.{i % 250}.1") for i in range(5000)]
    theirs = [IPRange.parse(f"10.{i // 250}.{i % 250}.2") for i in range(5000)] + [
        IPRange.parse("10.0.0.0/8")
    ]
    started = time.perf_counter()
    assert range_clash(mine, theirs, shared=True) is None
    clash = range_clash(mine + [IPRange.parse("9.255.255.250-10.0.0.5")], theirs, shared=True)
    assert clash is not None and str(clash[2]) == "10.0.0.0/8"
    assert time.perf_counter() - started < 5.0
