"""The receive-connector conflict rules on large working sets: a conflict among many connectors is still found
and named, and the indexed check (config/connector_index.py) gives exactly the verdict and message of a pass
over every connector of the server, also after the change has put, renamed, moved and deleted connectors."""

from __future__ import annotations

import random

import pytest

from exshell.config.changes import ConfigChanges
from exshell.config.kinds import check_receive_connector
from exshell.config.operations import Create, Update
from exshell.config.working import Working
from exshell.model.binding import IPBinding
from exshell.model.config import RECEIVE_CONNECTORS
from exshell.model.connector import ReceiveConnector, find_conflict
from exshell.model.errors import ModelError
from exshell.model.ip import IPRange
from exshell.store.memory import MemoryStore

MANY = 1500


def connector(i: int, port: int | None = None, ranges: tuple[str, ...] | None = None,
              server: str = "EX01") -> ReceiveConnector:
    return ReceiveConnector.new(f"R{i}", server, "Custom", bindings=[f"0.0.0.0:{port or 10000 + i}"],
                                remote_ip_ranges=list(ranges or (f"10.{i // 250}.{i % 250}.1",)))


def many_connectors() -> MemoryStore:
    store = MemoryStore(lambda: {})
    changes = ConfigChanges(store, "bulk")
    for i in range(MANY):
        changes.add(Create(RECEIVE_CONNECTORS, connector(i)))
    changes.commit()
    return store


def verdict_over_all(rc: ReceiveConnector, working: Working) -> str | None:
    """The rule as a pass over every connector of the server (what the index must agree with)."""
    others = [c for c in working.objects(RECEIVE_CONNECTORS).values()
              if c.guid != rc.guid and c.server.lower() == rc.server.lower()]
    if any(o.name.lower() == rc.name.lower() for o in others):
        return f"A receive connector named '{rc.name}' already exists on server '{rc.server}'."
    return find_conflict(rc, others)


def indexed_verdict(rc: ReceiveConnector, working: Working) -> str | None:
    try:
        check_receive_connector(rc, working)
    except ModelError as e:
        return str(e)
    return None


def test_a_conflict_among_many_connectors_is_found_and_named() -> None:
    store = many_connectors()
    by_name = {c.name: c for c in (ReceiveConnector.from_record(k, r) for k, r in
                                   store.snapshot().data[RECEIVE_CONNECTORS].items())}
    moved = by_name["R1200"]
    changes = ConfigChanges(store, "Set-ReceiveConnector R1200")
    # R1200 onto R300's binding with R300's remote range: no unique winner for those clients.
    with pytest.raises(ModelError) as caught:
        changes.add(Update(RECEIVE_CONNECTORS, moved.guid, {"Bindings": [IPBinding.parse("0.0.0.0:10300")],
                                                            "RemoteIPRanges": [IPRange.parse("10.1.50.1")]}))
        changes.commit()
    assert caught.value.error_id == "ReceiveConnectorConflict"
    assert 'conflict with the settings on Receive connector "EX01\\R300"' in caught.value.message
    renamed = ConfigChanges(store, "Set-ReceiveConnector R1400 -Name r7")
    with pytest.raises(ModelError, match="A receive connector named 'r7' already exists on server 'EX01'"):
        renamed.add(Update(RECEIVE_CONNECTORS, by_name["R1400"].guid, {"Name": "r7"}))
        renamed.commit()
    assert store.current_version() == 2  # neither change was stored


def test_the_indexed_check_agrees_with_a_pass_over_every_connector() -> None:
    rng = random.Random(14)
    working = Working.over_data({})
    ports = (25, 25, 25, 587, 2525, 2525)  # few ports: many connectors share each one
    ranges = ("0.0.0.0-255.255.255.255", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3", "10.1.0.0-10.2.0.0",
              "192.168.0.0/16", "192.168.1.0/24")
    made: list[ReceiveConnector] = []
    for step in range(600):
        roll = rng.random()
        if made and roll < 0.2:  # delete one (a later one may take its name, and comes last in order)
            gone = made.pop(rng.randrange(len(made)))
            working.delete(RECEIVE_CONNECTORS, gone.guid)
            continue
        if made and roll < 0.45:  # change one in place: new name, bindings, ranges or server
            old = made[rng.randrange(len(made))]
            rc = old.with_changes(
                name=f"R{rng.randrange(40)}",
                bindings=[IPBinding.parse(f"{rng.choice(('0.0.0.0', '10.0.0.1'))}:{rng.choice(ports)}")],
                remote_ip_ranges=[IPRange.parse(r) for r in rng.sample(ranges, rng.randint(1, 2))],
                server=rng.choice(("EX01", "ex01", "EX02")))
        else:
            rc = connector(rng.randrange(40), rng.choice(ports), tuple(rng.sample(ranges, rng.randint(1, 2))),
                           rng.choice(("EX01", "EX02")))
        expected = verdict_over_all(rc, working)
        assert indexed_verdict(rc, working) == expected, f"step {step}"
        if expected is None or rng.random() < 0.5:  # also keep some that conflict: later checks meet them
            working.put(RECEIVE_CONNECTORS, rc.guid, rc)
            made = [m for m in made if m.guid != rc.guid] + [rc]

