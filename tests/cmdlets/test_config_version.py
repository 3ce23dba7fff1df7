"""The history cmdlets driven directly, with a small stand-in for the CommandRuntime (see
test_config_version_session.py for the same cmdlets through the real shell)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from exshell.cmdlets.base import BoundParameters, Cmdlet
from exshell.cmdlets.config_version import (
    CONFIG_DIFFERENCE_TYPE,
    CONFIG_VERSION_TYPE,
    CompareConfigVersion,
    GetConfigVersion,
    RestoreConfigVersion,
)
from exshell.errors import ErrorRecord, PSRuntimeError
from exshell.store import Store, open_store
from exshell.store.files import FileStore
from exshell.store.memory import MemoryStore

RC = "receive_connectors"
DEFAULT = "11111111-1111-1111-1111-111111111111"


class FakeRuntime:
    def __init__(self, store: Store, statement: str, whatif: bool = False) -> None:
        self.services = SimpleNamespace(store=store)
        self.invocation = SimpleNamespace(statement_text=statement, command_name="x", span=None)
        self.output: list[Any] = []
        self.warnings: list[str] = []
        self.whatif_lines: list[str] = []
        self.whatif = whatif

    def write_object(self, obj: Any, enumerate_collection: bool = False) -> None:
        self.output.append(obj)

    def write_warning(self, text: str) -> None:
        self.warnings.append(text)

    def write_verbose(self, text: str) -> None:
        pass

    def should_process(self, target: str, action: str | None = None, description: str | None = None) -> bool:
        if self.whatif:
            self.whatif_lines.append(f"What if: {description}")
            return False
        return True

    def throw_terminating(
        self,
        message: str,
        error_id: str = "",
        category: str = "",
        target: Any = None,
        exception_type: str = "",
    ) -> None:
        raise PSRuntimeError(ErrorRecord(message, error_id, category, target))


def run(
    cls: type[Cmdlet], store: Store, statement: str = "", whatif: bool = False, **params: Any
) -> FakeRuntime:
    cmdlet = cls()
    cmdlet.runtime = FakeRuntime(store, statement, whatif)  # type: ignore[assignment]
    cmdlet.params = BoundParameters(params)
    cmdlet.begin()
    cmdlet.process()
    cmdlet.end()
    return cmdlet.runtime  # type: ignore[return-value]


def _initial() -> dict[str, Any]:
    return {
        RC: {
            DEFAULT: {
                "Name": "Default EX01",
                "Identity": "EX01\\Default EX01",
                "RemoteIPRanges": ["0.0.0.0-255.255.255.255"],
            }
        }
    }


def _populated(s: Store) -> Store:
    s.commit(
        lambda d: d.put(
            RC, "k2", {"Name": "Relay", "Identity": "EX01\\Relay", "RemoteIPRanges": ["10.0.0.1"]}
        ),
        command="New-ReceiveConnector Relay",
        who="alice",
    )
    s.commit(
        lambda d: d.get(RC, "k2")["RemoteIPRanges"].append("10.0.0.2"),
        command="Set-ReceiveConnector Relay -RemoteIPRanges @{Add='10.0.0.2'}",
        who="bob",
    )
    return s


@pytest.fixture(params=["files", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """The cmdlets only see the Store protocol: every test runs against both backends."""
    if request.param == "files":
        return _populated(open_store(tmp_path / "state", _initial))
    return _populated(MemoryStore(_initial))


@pytest.fixture
def file_store(tmp_path: Path) -> FileStore:
    s = _populated(open_store(tmp_path / "state", _initial))
    assert isinstance(s, FileStore)
    return s


def test_get_config_version_lists_every_version_oldest_first(store: Store) -> None:
    out = run(GetConfigVersion, store).output
    assert [o.get("Version") for o in out] == [1, 2, 3]
    assert [o.get("Who") for o in out][1:] == ["alice", "bob"]
    assert out[2].get("Command") == "Set-ReceiveConnector Relay -RemoteIPRanges @{Add='10.0.0.2'}"
    assert out[2].get("Changes") == "Changed Relay (receive connector)"
    assert out[0].type_names[0] == CONFIG_VERSION_TYPE
    assert out[0].get("When").tzinfo is not None


def test_get_config_version_filters_by_version_identity_and_last(store: Store) -> None:
    assert [o.get("Version") for o in run(GetConfigVersion, store, Version=2).output] == [2]
    assert [o.get("Version") for o in run(GetConfigVersion, store, Last=2).output] == [2, 3]
    assert [o.get("Version") for o in run(GetConfigVersion, store, Identity="relay").output] == [2, 3]
    assert [o.get("Version") for o in run(GetConfigVersion, store, Identity="Default*").output] == [1]
    assert [o.get("Version") for o in run(GetConfigVersion, store, Identity="Relay", Last=1).output] == [3]


def test_get_config_version_of_missing_version_is_a_terminating_error(store: Store) -> None:
    with pytest.raises(PSRuntimeError) as e:
        run(GetConfigVersion, store, Version=9)
    assert e.value.record.message == "Configuration version 9 does not exist. The newest version is 3."


def test_compare_config_version_emits_one_row_per_changed_element(store: Store) -> None:
    out = run(CompareConfigVersion, store, ReferenceVersion=1)  # DifferenceVersion defaults to current
    rows = [
        (o.get("Identity"), o.get("Property"), o.get("Change"), o.get("Before"), o.get("After"))
        for o in out.output
    ]
    assert rows == [("EX01\\Relay", "(object)", "Added", None, "Relay")]
    rows = [
        (o.get("Property"), o.get("Change"), o.get("After"))
        for o in run(CompareConfigVersion, store, ReferenceVersion=2, DifferenceVersion=3).output
    ]
    assert rows == [("RemoteIPRanges", "Added", "10.0.0.2")]
    assert (
        run(CompareConfigVersion, store, ReferenceVersion=2).output[0].type_names[0] == CONFIG_DIFFERENCE_TYPE
    )


def test_restore_config_version_commits_old_content_as_new_version(store: Store) -> None:
    statement = "Restore-ConfigVersion 1 -Confirm:$false"
    run(RestoreConfigVersion, store, statement, Version=1)
    assert store.current_version() == 4
    assert store.snapshot().data == store.snapshot(1).data
    assert store.history()[-1].command == statement
    assert [v.version for v in store.history()] == [1, 2, 3, 4]  # nothing rewritten


def test_restore_config_version_whatif_shows_the_diff_and_changes_nothing(store: Store) -> None:
    rt = run(RestoreConfigVersion, store, "Restore-ConfigVersion 2 -WhatIf", whatif=True, Version=2)
    assert store.current_version() == 3
    text = "\n".join(rt.whatif_lines)
    assert text.startswith('What if: Performing the operation "Restore-ConfigVersion" on target "version 2".')
    assert "receive connector 'EX01\\Relay': RemoteIPRanges Removed 10.0.0.2" in text


def test_restore_to_identical_content_warns_and_creates_no_version(store: Store) -> None:
    rt = run(RestoreConfigVersion, store, "Restore-ConfigVersion 3", Version=3)
    assert store.current_version() == 3
    assert rt.warnings and "already equals version 3" in rt.warnings[0]


def test_restore_refuses_while_config_file_is_unreadable(file_store: FileStore) -> None:
    store = file_store
    (store.root / "config.toml").write_text("[broken\n")
    t = time.time_ns() - 5_000_000_000  # saved a while ago: past the store's settle time
    os.utime(store.root / "config.toml", ns=(t, t))
    with pytest.raises(PSRuntimeError) as e:
        run(RestoreConfigVersion, store, "Restore-ConfigVersion 1", Version=1)
    assert e.value.record.error_id == "ConfigFileUnreadable"
    assert "line 1, column" in e.value.record.message
    assert store.current_version() == 3


def test_missing_version_error_has_a_stable_id_and_category(store: Store) -> None:
    with pytest.raises(PSRuntimeError) as e:
        run(CompareConfigVersion, store, ReferenceVersion=1, DifferenceVersion=8)
    assert e.value.record.error_id == "ConfigVersionNotFound"
    assert e.value.record.category == "ObjectNotFound"
