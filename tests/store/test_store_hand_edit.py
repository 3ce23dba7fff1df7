from __future__ import annotations

from pathlib import Path

import pytest

from exshell.store import ConfigFileError, open_store
from exshell.store.files import MANUAL_EDIT_COMMAND, FileStore, os_user

from .store_helpers import settled

RC = "receive_connectors"
DEFAULT = "11111111-1111-1111-1111-111111111111"


def _edit(state: Path, old: str, new: str) -> None:
    path = state / "config.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    settled(path)


def test_hand_edit_is_adopted_as_a_new_version_on_read(store: FileStore, state: Path) -> None:
    _edit(state, "0.0.0.0-255.255.255.255", "10.1.2.3")
    assert store.current_version() == 2
    info = store.history()[-1]
    assert info.command == MANUAL_EDIT_COMMAND
    assert info.who == os_user()
    assert [(o.key, o.change) for o in info.objects] == [(DEFAULT, "Changed")]
    assert store.snapshot().get(RC, DEFAULT)["RemoteIPRanges"] == ("10.1.2.3",)
    props = [(p.change, p.before, p.after) for p in store.diff(1, 2)[0].properties]
    assert props == [("Removed", "0.0.0.0-255.255.255.255", None), ("Added", None, "10.1.2.3")]


def test_hand_edit_is_adopted_by_another_process_opening_the_store(store: FileStore, state: Path) -> None:
    _edit(state, 'Name = "Default EX01"', 'Name = "Default EX01 renamed"')
    other = open_store(state)
    assert other.current_version() == 2
    assert other.snapshot().get(RC, DEFAULT)["Name"] == "Default EX01 renamed"
    assert store.current_version() == 2  # the first process sees the adopted version, no second adoption


def test_hand_edit_is_adopted_before_a_commit_applies(store: FileStore, state: Path) -> None:
    _edit(state, "0.0.0.0-255.255.255.255", "10.1.2.3")
    info = store.commit(lambda d: d.get(RC, DEFAULT)["RemoteIPRanges"].append("10.9.9.9"), command="Set-X")
    assert info is not None and info.version == 3
    assert [h.command for h in store.history()] == ["(initial configuration)", MANUAL_EDIT_COMMAND, "Set-X"]
    assert store.snapshot().get(RC, DEFAULT)["RemoteIPRanges"] == ("10.1.2.3", "10.9.9.9")


def test_unparsable_hand_edit_is_refused_with_line_and_column(store: FileStore, state: Path) -> None:
    lines = (state / "config.toml").read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("Bindings"))
    lines[row] = "Bindings = [0.0.0.0:25"  # not TOML
    (state / "config.toml").write_text("\n".join(lines) + "\n")
    settled(state / "config.toml")

    assert store.current_version() == 1  # keeps serving the last good version
    assert store.snapshot().get(RC, DEFAULT)["Bindings"] == ("0.0.0.0:25",)
    err = store.file_error
    assert isinstance(err, ConfigFileError)
    assert err.line == row + 1 and err.col is not None
    assert str(state / "config.toml") in str(err)
    assert f"line {row + 1}, column {err.col}" in str(err)
    assert "Version 1 stays in effect" in str(err)

    with pytest.raises(ConfigFileError) as raised:
        store.commit(lambda d: d.put(RC, "k", {"Name": "x"}))
    assert raised.value.line == row + 1
    assert store.current_version() == 1
    assert "Bindings = [0.0.0.0:25" in (state / "config.toml").read_text()  # the edit is not overwritten


def test_refused_edit_is_adopted_once_corrected(store: FileStore, state: Path) -> None:
    path = state / "config.toml"
    good = path.read_text()
    path.write_text(good.replace('Name = "Default EX01"', 'Name = "Default EX01'))
    settled(path)
    assert store.current_version() == 1 and store.file_error is not None
    path.write_text(good.replace('Name = "Default EX01"', 'Name = "Fixed"'))
    settled(path)
    assert store.current_version() == 2
    assert store.file_error is None
    assert store.snapshot().get(RC, DEFAULT)["Name"] == "Fixed"


def test_hand_edit_with_wrong_shape_is_refused(store: FileStore, state: Path) -> None:
    path = state / "config.toml"
    path.write_text("Loose = 1\n" + path.read_text())
    settled(path)
    assert store.current_version() == 1
    assert store.file_error is not None and "Loose" in str(store.file_error)


def test_deleted_config_file_is_rewritten_from_the_current_version(store: FileStore, state: Path) -> None:
    (state / "config.toml").unlink()
    assert store.current_version() == 1
    assert (state / "config.toml").exists()
    assert open_store(state).snapshot().get(RC, DEFAULT)["Name"] == "Default EX01"


def test_config_present_before_first_run_becomes_version_one(tmp_path: Path) -> None:
    state = tmp_path / "s"
    state.mkdir()
    (state / "config.toml").write_text('[accepted_domains.d1]\nName = "contoso.com"\n')
    s = open_store(state, lambda: pytest.fail("initial() must not run"))
    assert s.current_version() == 1
    assert s.snapshot().get("accepted_domains", "d1") == {"Name": "contoso.com"}


def test_file_still_being_written_is_not_adopted_until_it_settles(tmp_path: Path) -> None:
    state = tmp_path / "s"
    store = FileStore(state, lambda: {RC: {DEFAULT: {"Name": "Default EX01"}}}, settle_seconds=0.3)
    path = state / "config.toml"
    path.write_text(path.read_text().split("[receive_connectors")[0])  # half-saved: the object is cut off
    assert store.current_version() == 1  # a read does not adopt a file that changed a moment ago
    assert store.snapshot().get(RC, DEFAULT) == {"Name": "Default EX01"}
    path.write_text(path.read_text() + f'[{RC}.{DEFAULT}]\nName = "Saved"\n')
    info = store.commit(lambda d: d.put(RC, "k2", {"Name": "Other"}), command="New-X")  # waits, adopts
    assert info is not None and info.version == 3
    assert [h.command for h in store.history()][1:] == [MANUAL_EDIT_COMMAND, "New-X"]
    assert store.snapshot(2).get(RC, DEFAULT) == {"Name": "Saved"}


def test_edit_the_model_refuses_is_not_adopted_and_reported_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from exshell.config import validate_records
    from exshell.model.defaults import initial_config

    state = tmp_path / "v"
    store = FileStore(state, lambda: initial_config("EX01", "ex01.contoso.com"), validate=validate_records)
    _edit(state, 'RemoteIPRanges = ["0.0.0.0-255.255.255.255"]', 'RemoteIPRanges = ["300.1.1.1"]')
    with caplog.at_level("ERROR", logger="exshell.store"):
        for _ in range(20):  # an engine polling four times a second
            assert store.current_version() == 1
    assert len(caplog.records) == 1
    err = store.file_error
    assert isinstance(err, ConfigFileError)
    lines = (state / "config.toml").read_text().splitlines()
    assert err.line is not None and lines[err.line - 1] == 'RemoteIPRanges = ["300.1.1.1"]'
    assert "[receive_connectors." in str(err) and "300.1.1.1" in str(err)
    with pytest.raises(ConfigFileError):
        store.commit(lambda d: None, command="Set-X")
