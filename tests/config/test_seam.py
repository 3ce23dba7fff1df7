"""The configuration seam in process: operations applied on the newest version, list elements by identity,
guards re-checked at commit, one decoded model per version."""

from __future__ import annotations

from pathlib import Path

import pytest

from exshell.config.apply import ConcurrentChangeError, GoneError
from exshell.config.cache import config_of, current_config
from exshell.config.changes import ConfigChanges
from exshell.config.operations import Create, Delete, Guard, ListEdit, Restore, Update
from exshell.model.binding import IPBinding
from exshell.model.config import ACCEPTED_DOMAINS, MAILBOXES, RECEIVE_CONNECTORS, Config
from exshell.model.connector import ReceiveConnector
from exshell.model.defaults import initial_config
from exshell.model.domain import AcceptedDomain
from exshell.model.errors import ModelError
from exshell.model.ip import IPRange
from exshell.model.mailbox import Mailbox
from exshell.store import open_store
from exshell.store.memory import MemoryStore


@pytest.fixture(params=["files", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path):  # noqa: ANN201
    initial = lambda: initial_config("EX01", "ex01.contoso.com")  # noqa: E731
    if request.param == "files":
        return open_store(tmp_path / "state", initial)
    return MemoryStore(initial)


def relay(store, ranges=("10.0.0.1",), name="Relay") -> ReceiveConnector:  # noqa: ANN001
    rc = ReceiveConnector.new(name, "EX01", "Custom", bindings=["0.0.0.0:2525"], remote_ip_ranges=list(ranges))
    changes = ConfigChanges(store, f"New-ReceiveConnector {name}")
    changes.add(Create(RECEIVE_CONNECTORS, rc))
    (applied,) = changes.commit()
    return applied.after  # type: ignore[no-any-return]


def ranges(store, guid: str) -> list[str]:  # noqa: ANN001
    rc = next(c for c in Config.from_data(store.snapshot().data).receive_connectors if c.guid == guid)
    return [str(r) for r in rc.remote_ip_ranges]


def test_list_edit_applies_to_the_newest_version_not_the_one_read(store) -> None:  # noqa: ANN001
    rc = relay(store)
    slow = ConfigChanges(store, "slow")
    slow.add(Update(RECEIVE_CONNECTORS, rc.guid, {"RemoteIPRanges": ListEdit(add=(IPRange.parse("10.0.0.2"),))}))
    fast = ConfigChanges(store, "fast")  # commits in between: the slow writer must keep its addition
    fast.add(Update(RECEIVE_CONNECTORS, rc.guid, {"RemoteIPRanges": ListEdit(add=(IPRange.parse("10.0.0.3"),))}))
    fast.commit()
    slow.commit()
    assert ranges(store, rc.guid) == ["10.0.0.1", "10.0.0.3", "10.0.0.2"]


@pytest.mark.parametrize("spelling", ["10.0.0.1/32", "10.0.0.1-10.0.0.1", "10.0.0.1"])
def test_remove_compares_ranges_by_their_addresses(store, spelling: str) -> None:  # noqa: ANN001
    rc = relay(store, ("10.0.0.1", "10.0.0.2"))
    changes = ConfigChanges(store)
    changes.add(Update(RECEIVE_CONNECTORS, rc.guid, {"RemoteIPRanges": ListEdit(remove=(IPRange.parse(spelling),))}))
    changes.commit()
    assert ranges(store, rc.guid) == ["10.0.0.2"]


def test_bindings_compare_by_address_and_port(store) -> None:  # noqa: ANN001
    rc = relay(store)
    changes = ConfigChanges(store)
    edit = ListEdit(add=(IPBinding.parse("[0::0]:2525"), IPBinding.parse("0.0.0.0:2525")))
    (applied,) = [changes.add(Update(RECEIVE_CONNECTORS, rc.guid, {"Bindings": edit}))]
    assert [str(b) for b in applied.after.bindings] == ["0.0.0.0:2525", "[::]:2525"]


def test_smtp_addresses_compare_case_insensitively_without_prefix(store) -> None:  # noqa: ANN001
    mbx = Mailbox.new("Alice", "alice@ex01.contoso.com", email_addresses=["a@ex01.contoso.com"])
    domain = AcceptedDomain.new("Contoso", "ex01.contoso.com")
    changes = ConfigChanges(store)
    changes.add(Create(ACCEPTED_DOMAINS, domain))
    changes.add(Create(MAILBOXES, mbx))
    changes.commit()
    edit = ConfigChanges(store)
    (applied,) = [edit.add(Update(MAILBOXES, mbx.guid, {"EmailAddresses": ListEdit(remove=("smtp:A@EX01.contoso.com",))}))]
    assert applied.after.email_addresses == ()


def test_rules_run_on_the_version_committed(store) -> None:  # noqa: ANN001
    first = ConfigChanges(store)
    second = ConfigChanges(store)
    for changes in (first, second):  # both check fine on the version they read
        rc = ReceiveConnector.new("Twin", "EX01", "Custom", bindings=["0.0.0.0:2600"], remote_ip_ranges=["10.1.0.1"])
        changes.add(Create(RECEIVE_CONNECTORS, rc))
    first.commit()
    version = store.current_version()
    with pytest.raises(ModelError, match="already exists"):
        second.commit()
    assert store.current_version() == version  # nothing written


def test_update_of_an_object_removed_meanwhile_is_refused(store) -> None:  # noqa: ANN001
    rc = relay(store)
    late = ConfigChanges(store)
    late.add(Update(RECEIVE_CONNECTORS, rc.guid, {"Enabled": False}, identity=rc.identity))
    gone = ConfigChanges(store)
    gone.add(Delete(RECEIVE_CONNECTORS, rc.guid))
    gone.commit()
    with pytest.raises(GoneError, match="removed by another change"):
        late.commit()


def test_guard_refuses_when_a_concurrent_change_alters_the_confirmed_risk(store) -> None:  # noqa: ANN001
    from exshell.cmdlets.connector_guards import connector_change_guard

    rc = relay(store, ("10.0.0.1", "10.0.0.2"))
    check = connector_change_guard(("RemoteIPRanges",))
    op = Update(RECEIVE_CONNECTORS, rc.guid, {"RemoteIPRanges": [IPRange.parse("10.0.0.1")]})
    replacing = ConfigChanges(store)
    applied = replacing.preview(op)
    confirmed = check(applied.before, applied.after, replacing.view)
    assert confirmed is not None and "10.0.0.2" in confirmed  # what the administrator said yes to
    replacing.add(Update(RECEIVE_CONNECTORS, rc.guid, op.changes, guard=Guard(check, confirmed)))
    meanwhile = ConfigChanges(store)
    meanwhile.add(Update(RECEIVE_CONNECTORS, rc.guid, {"RemoteIPRanges": ListEdit(add=(IPRange.parse("10.0.0.9"),))}))
    meanwhile.commit()
    with pytest.raises(ConcurrentChangeError, match="10.0.0.9"):
        replacing.commit()  # would now also drop 10.0.0.9, which nobody confirmed
    assert ranges(store, rc.guid) == ["10.0.0.1", "10.0.0.2", "10.0.0.9"]


def test_guard_with_the_same_risk_commits(store) -> None:  # noqa: ANN001
    from exshell.cmdlets.connector_guards import connector_change_guard

    rc = relay(store, ("10.0.0.1", "10.0.0.2"))
    check = connector_change_guard(("RemoteIPRanges",))
    changes = ConfigChanges(store)
    op = Update(RECEIVE_CONNECTORS, rc.guid, {"RemoteIPRanges": [IPRange.parse("10.0.0.1")]})
    applied = changes.preview(op)
    changes.add(Update(RECEIVE_CONNECTORS, rc.guid, op.changes, guard=Guard(check, check(applied.before, applied.after, None))))
    changes.commit()
    assert ranges(store, rc.guid) == ["10.0.0.1"]


def test_restore_refused_when_the_newest_version_differs_from_the_one_confirmed(store) -> None:  # noqa: ANN001
    rc = relay(store)
    expected = tuple(store.diff(store.current_version(), 1))
    restore = ConfigChanges(store)
    restore.add(Restore(1, expected))
    relay(store, ("10.7.0.1",), name="Other")  # restoring version 1 would now also remove this one
    with pytest.raises(ConcurrentChangeError):
        restore.commit()
    assert rc.name in {c.name for c in current_config(store).receive_connectors}


def test_one_invocation_is_one_version(store) -> None:  # noqa: ANN001
    rc = relay(store)
    before = store.current_version()
    changes = ConfigChanges(store)
    for n in range(5):
        changes.add(Update(RECEIVE_CONNECTORS, rc.guid, {"RemoteIPRanges": ListEdit(add=(IPRange.parse(f"10.2.0.{n}"),))}))
    assert len(changes.view.get(RECEIVE_CONNECTORS, rc.guid).remote_ip_ranges) == 6  # later inputs see earlier ones
    changes.commit()
    assert store.current_version() == before + 1


def test_a_version_is_decoded_once_and_only_what_is_read(store) -> None:  # noqa: ANN001
    relay(store)
    config = current_config(store)
    assert config is config_of(store.snapshot())  # shared within the process
    assert [d.name for d in config.accepted_domains]
    assert "receive_connectors" not in config._decoded  # Get-AcceptedDomain decodes no connector
    rc = config.receive_connectors[0]
    changes = ConfigChanges(store)
    changes.add(Update(ACCEPTED_DOMAINS, config.accepted_domains[0].guid, {"AddressBookEnabled": False}))
    changes.commit()
    newer = current_config(store)
    assert newer is not config  # a new version is never answered from the old entry
    assert newer.receive_connectors[0] == rc
