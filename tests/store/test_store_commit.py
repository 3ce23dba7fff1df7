from __future__ import annotations

from pathlib import Path

import pytest

from exshell.store import MutableConfig, Store, StoreError, open_store
from exshell.store.files import INITIAL_COMMAND, FileStore, os_user

from .store_helpers import reopened

RC = "receive_connectors"
DEFAULT = "11111111-1111-1111-1111-111111111111"


def test_open_store_creates_version_one_from_initial(store: FileStore) -> None:
    assert isinstance(store, Store)
    assert store.current_version() == 1
    snap = store.snapshot()
    assert snap.version == 1
    assert snap.command == INITIAL_COMMAND
    assert snap.who == os_user()
    assert snap.get(RC, DEFAULT)["Name"] == "Default EX01"
    assert snap.when.tzinfo is not None and snap.when.utcoffset().total_seconds() == 0


def test_open_store_without_initial_starts_empty(tmp_path: Path) -> None:
    s = open_store(tmp_path / "s")
    assert s.current_version() == 1
    assert dict(s.snapshot().data) == {}


def test_reopening_an_existing_store_keeps_its_versions(store: FileStore, state: Path) -> None:
    store.commit(lambda d: d.put(RC, "k2", {"Name": "Relay"}), command="New-ReceiveConnector Relay")
    again = open_store(state, lambda: pytest.fail("initial() must not run on an existing store"))
    assert again.current_version() == 2
    assert again.snapshot().get(RC, "k2") == {"Name": "Relay"}


def test_commit_records_version_time_user_command_and_change(store: FileStore) -> None:
    def mutate(doc: MutableConfig) -> None:
        doc.get(RC, DEFAULT)["RemoteIPRanges"].append("10.0.0.0/8")

    info = store.commit(
        mutate, command="Set-ReceiveConnector 'Default EX01' -RemoteIPRanges ...", who="alice"
    )
    assert info is not None and info.version == 2
    assert info.who == "alice"
    assert info.command.startswith("Set-ReceiveConnector")
    assert [(o.key, o.change, o.name) for o in info.objects] == [(DEFAULT, "Changed", "Default EX01")]
    assert store.current_version() == 2
    assert store.snapshot().get(RC, DEFAULT)["RemoteIPRanges"] == ("0.0.0.0-255.255.255.255", "10.0.0.0/8")
    hist = store.history()
    assert [h.version for h in hist] == [1, 2]
    assert hist[1].when >= hist[0].when


def test_commit_that_changes_nothing_creates_no_version(store: FileStore) -> None:
    def touch(doc: MutableConfig) -> None:
        rec = doc.get(RC, DEFAULT)
        rec["Name"] = "Default EX01"

    assert store.commit(touch, command="Set-ReceiveConnector x -Name 'Default EX01'") is None
    assert store.current_version() == 1


def test_commit_writes_nothing_when_mutate_raises(store: FileStore, state: Path) -> None:
    before = sorted(p.name for p in (state / "history").iterdir())

    def boom(doc: MutableConfig) -> None:
        doc.delete(RC, DEFAULT)
        raise StoreError("validation failed")

    with pytest.raises(StoreError, match="validation failed"):
        store.commit(boom, command="Remove-ReceiveConnector")
    assert store.current_version() == 1
    assert sorted(p.name for p in (state / "history").iterdir()) == before
    assert store.snapshot().get(RC, DEFAULT) is not None


def test_commit_refuses_values_toml_cannot_hold(store: FileStore) -> None:
    with pytest.raises(StoreError, match=r"receive_connectors\.k\.Bad.*object"):
        store.commit(lambda d: d.put(RC, "k", {"Name": "x", "Bad": object()}))
    with pytest.raises(StoreError, match=r"\$null cannot be stored in a list"):
        store.commit(lambda d: d.put(RC, "k", {"Name": "x", "L": [1, None]}))
    assert store.current_version() == 1


def test_none_property_means_absent(store: FileStore) -> None:
    store.commit(lambda d: d.put(RC, "k", {"Name": "x", "Comment": None}))
    assert dict(store.snapshot().get(RC, "k")) == {"Name": "x"}


def test_snapshot_is_immutable_to_callers(store: FileStore) -> None:
    snap = store.snapshot()
    rec = snap.get(RC, DEFAULT)
    with pytest.raises(TypeError):
        rec["Name"] = "changed"  # type: ignore[index]
    with pytest.raises(TypeError):
        snap.data[RC]["new"] = {}  # type: ignore[index]
    with pytest.raises(AttributeError):
        rec["RemoteIPRanges"].append("1.2.3.4")  # tuples have no append
    plain = snap.record(RC, DEFAULT)
    assert plain is not None
    plain["RemoteIPRanges"].append("1.2.3.4")  # a thawed copy; the snapshot is unaffected
    assert store.snapshot().get(RC, DEFAULT)["RemoteIPRanges"] == ("0.0.0.0-255.255.255.255",)


def test_mutate_gets_a_copy_so_a_failed_commit_leaves_cached_snapshot_intact(store: FileStore) -> None:
    store.snapshot()

    def mutate_then_fail(doc: MutableConfig) -> None:
        doc.get(RC, DEFAULT)["Name"] = "Broken"
        raise ValueError("no")

    with pytest.raises(ValueError):
        store.commit(mutate_then_fail)
    assert store.snapshot().get(RC, DEFAULT)["Name"] == "Default EX01"


def test_old_snapshot_keeps_its_content_after_later_commits(store: FileStore) -> None:
    store.commit(lambda d: d.put(RC, "a", {"Name": "A"}))
    old = store.snapshot(2)
    store.commit(lambda d: d.delete(RC, "a"))
    assert old.get(RC, "a") == {"Name": "A"}
    with reopened(store) as fresh:  # no cache: rebuilt from what is stored
        assert fresh.snapshot(2).get(RC, "a") == {"Name": "A"}
        assert fresh.snapshot(3).get(RC, "a") is None


def test_snapshot_of_missing_version_is_a_clear_error(store: FileStore) -> None:
    with pytest.raises(StoreError, match="Configuration version 7 does not exist. The newest version is 1."):
        store.snapshot(7)
    with pytest.raises(StoreError):
        store.snapshot(0)


def test_history_filters_by_object_and_keeps_last(store: FileStore) -> None:
    store.commit(lambda d: d.put(RC, "a", {"Name": "A"}), command="c2")
    store.commit(lambda d: d.put("accepted_domains", "d", {"Name": "contoso.com"}), command="c3")
    store.commit(lambda d: d.get(RC, "a").update(Name="A2"), command="c4")
    assert [h.command for h in store.history(RC, "a")] == ["c2", "c4"]
    assert [h.command for h in store.history("accepted_domains")] == ["c3"]
    assert [h.version for h in store.history(last=2)] == [3, 4]
    assert [h.version for h in store.history(RC, last=1)] == [4]


def test_empty_collections_are_not_stored(store: FileStore) -> None:
    store.commit(lambda d: d.put("accepted_domains", "d", {"Name": "x"}))
    store.commit(lambda d: d.delete("accepted_domains", "d"))
    assert "accepted_domains" not in store.snapshot().data
    assert dict(store.snapshot().collection("accepted_domains")) == {}


def test_find_matches_name_identity_or_key_case_insensitively(store: FileStore) -> None:
    snap = store.snapshot()
    assert [k for k, _ in snap.find(RC, "default ex01")] == [DEFAULT]
    assert [k for k, _ in snap.find(RC, "ex01\\DEFAULT EX01")] == [DEFAULT]
    assert [k for k, _ in snap.find(RC, DEFAULT)] == [DEFAULT]
    assert snap.find(RC, "nope") == []


def test_commit_writes_only_the_new_version_files(store: FileStore, state: Path) -> None:
    """The cost of a write does not grow with history: past history files are never rewritten."""
    for i in range(5):
        store.commit(lambda d, i=i: d.put(RC, f"k{i}", {"Name": f"N{i}"}))
    stamps = {p: p.stat().st_mtime_ns for p in (state / "history").iterdir()}
    inodes = {p: p.stat().st_ino for p in (state / "history").iterdir()}
    store.commit(lambda d: d.put(RC, "k-last", {"Name": "last"}))
    for p, ns in stamps.items():
        assert p.stat().st_mtime_ns == ns and p.stat().st_ino == inodes[p]
    assert max(p.name for p in (state / "history").iterdir()) == "00000007.json"
    assert sorted(p.name for p in (state / "snapshots").iterdir()) == ["00000001.json"]
    assert list((state / "tmp").iterdir()) == []


def test_full_snapshot_written_every_snapshot_interval(tmp_path: Path) -> None:
    s = FileStore(tmp_path / "s", None, snapshot_every=3)
    for i in range(7):
        s.commit(lambda d, i=i: d.put("c", f"k{i}", {"Name": str(i)}))
    assert sorted(p.name for p in (tmp_path / "s" / "snapshots").iterdir()) == [
        "00000001.json",
        "00000003.json",
        "00000006.json",
    ]
    fresh = FileStore(tmp_path / "s", None, snapshot_every=3)
    assert set(fresh.snapshot(5).collection("c")) == {"k0", "k1", "k2", "k3"}


def test_current_version_is_cheap(store: FileStore) -> None:
    import time

    if hasattr(store, "subscribe"):  # a shared store: engines subscribe, and then poll from memory
        store.subscribe(lambda _version: None)
    store.current_version()
    start = time.perf_counter()
    for _ in range(200):
        store.current_version()
    per_call = (time.perf_counter() - start) / 200
    assert per_call < 0.001, f"current_version took {per_call * 1e6:.0f} µs"


def test_mutate_may_replace_the_whole_data(store: FileStore) -> None:
    def replace_all(doc: MutableConfig) -> None:
        doc.data = {"accepted_domains": {"d": {"Name": "contoso.com"}}}

    store.commit(replace_all)
    assert set(store.snapshot().data) == {"accepted_domains"}


def test_enum_like_values_are_stored_as_their_plain_value(store: FileStore) -> None:
    import enum

    class DomainType(str, enum.Enum):
        Authoritative = "Authoritative"

    class Level(enum.IntEnum):
        High = 3

    store.commit(
        lambda d: d.put(
            "accepted_domains",
            "d",
            {"Name": "x", "DomainType": DomainType.Authoritative, "Level": Level.High},
        )
    )
    with reopened(store) as fresh:
        rec = fresh.snapshot().get("accepted_domains", "d")
    assert rec == {"Name": "x", "DomainType": "Authoritative", "Level": 3}
    assert type(rec["DomainType"]) is str and type(rec["Level"]) is int


def test_os_errors_become_store_errors_naming_the_folder(store: FileStore, state: Path) -> None:
    import os

    if os.geteuid() == 0:  # root ignores permissions: make the temp folder a file instead
        (state / "tmp").rmdir()
        (state / "tmp").write_text("not a folder")
    else:
        (state / "tmp").chmod(0o500)
    with pytest.raises(StoreError, match=f"Cannot use the configuration store '{state}'"):
        store.commit(lambda d: d.put(RC, "k", {"Name": "x"}))
    assert store.current_version() == 1


def test_record_rebuilt_in_another_key_order_is_not_a_change(store: FileStore) -> None:
    store.commit(lambda d: d.get(RC, DEFAULT).update(Enabled=True))  # appended last in the file

    def rebuild(doc: MutableConfig) -> None:
        rec = doc.get(RC, DEFAULT)
        assert rec is not None
        doc.put(RC, DEFAULT, {"Enabled": rec["Enabled"], **{k: v for k, v in rec.items() if k != "Enabled"}})

    assert store.commit(rebuild) is None
    assert store.commit(rebuild) is None
    assert store.current_version() == 2
