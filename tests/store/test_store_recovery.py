"""Crash states a killed writer can leave, set up exactly, and what the next open makes of them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from exshell.store import open_store
from exshell.store.files import FileStore

RC = "receive_connectors"


def _commit_and_keep_old(store: FileStore, state: Path, tmp_path: Path) -> tuple[Path, bytes, bytes]:
    """Commit version 2, returning copies of version 1's config.toml and CURRENT."""
    old_config = (state / "config.toml").read_bytes()
    old_current = (state / "CURRENT").read_bytes()
    store.commit(lambda d: d.put(RC, "k", {"Name": "New"}), command="v2")
    return state / "history" / "00000002.json", old_config, old_current


def test_crash_after_history_before_config_rolls_back(store: FileStore, state: Path, tmp_path: Path) -> None:
    hist2, old_config, old_current = _commit_and_keep_old(store, state, tmp_path)
    (state / "config.toml").write_bytes(old_config)
    (state / "CURRENT").write_bytes(old_current)  # as if killed before config.toml and CURRENT
    reopened = open_store(state)
    assert reopened.current_version() == 1
    assert not hist2.exists()
    assert reopened.snapshot().get(RC, "k") is None
    info = reopened.commit(lambda d: d.put(RC, "k2", {"Name": "Again"}), command="v2 again")
    assert info is not None and info.version == 2
    assert [h.command for h in reopened.history()] == ["(initial configuration)", "v2 again"]


def test_crash_after_config_before_current_rolls_forward(
    store: FileStore, state: Path, tmp_path: Path
) -> None:
    _, _, old_current = _commit_and_keep_old(store, state, tmp_path)
    (state / "CURRENT").write_bytes(old_current)  # config.toml already holds version 2
    reopened = open_store(state)
    assert reopened.current_version() == 2
    assert reopened.snapshot().get(RC, "k") == {"Name": "New"}
    assert [h.command for h in reopened.history()] == ["(initial configuration)", "v2"]  # not a manual edit


def test_reader_rolls_forward_a_half_finished_commit_instead_of_adopting_it(
    store: FileStore, state: Path, tmp_path: Path
) -> None:
    reader = open_store(state)
    _, _, old_current = _commit_and_keep_old(store, state, tmp_path)
    (state / "CURRENT").write_bytes(old_current)
    assert reader.current_version() == 2
    assert reader.history()[-1].command == "v2"


def test_leftover_temp_files_are_removed_by_the_next_writer(store: FileStore, state: Path) -> None:
    junk = state / "tmp" / "config.toml.999.0.tmp"
    junk.write_text("half")
    store.commit(lambda d: d.put(RC, "k", {"Name": "x"}))
    assert not junk.exists()


def test_crash_while_creating_version_one_is_recovered(tmp_path: Path) -> None:
    state = tmp_path / "s"
    first = open_store(state, lambda: {"c": {"k": {"Name": "one"}}})
    assert first.current_version() == 1
    (state / "CURRENT").unlink()  # killed after config.toml, before CURRENT
    assert open_store(state, lambda: {"c": {"k": {"Name": "other"}}}).snapshot().get("c", "k") == {
        "Name": "one"
    }
    shutil.rmtree(state)
    os.makedirs(state / "history")
    (state / "history" / "00000001.json").write_text("{")  # killed mid-way: not even valid JSON
    s = open_store(state, lambda: {"c": {"k": {"Name": "fresh"}}})
    assert s.snapshot().get("c", "k") == {"Name": "fresh"}
