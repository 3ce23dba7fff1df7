"""`exshell store export` / `import`: a folder store with its whole history into PostgreSQL and back, losing
nothing (every version compared), and never into a store that already has a history."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from exshell.store import MutableConfig, Store, open_store
from exshell.store.files import FileStore
from exshell.store.keystore import KeyStore
from exshell.store.records import thaw

pytestmark = pytest.mark.timeout(90)


def exshell(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "exshell", *args], capture_output=True, text=True, timeout=60)


def _history(state: Path) -> FileStore:
    """Ten versions across snapshot boundaries: adds, changes, list edits, a removal, a datetime value."""
    store = FileStore(state, lambda: {"c": {"k0": {"Name": "zero", "L": [1]}}}, snapshot_every=3)
    for i in range(1, 10):

        def mutate(doc: MutableConfig, i: int = i) -> None:
            if i == 5:
                doc.delete("c", "k2")
            else:
                doc.put("c", f"k{i}", {"Name": f"n{i}", "When": datetime(2026, 1, i, tzinfo=UTC), "L": [i]})
            doc.get("c", "k0")["L"].append(i)

        store.commit(mutate, command=f"Step {i}", who=f"admin{i % 3}")
    return store


def _versions(store: Store) -> list[tuple[Any, ...]]:
    out = []
    for v in range(1, store.current_version() + 1):
        info = store.version_info(v)
        out.append((v, info.when, info.who, info.command, info.objects, thaw(store.snapshot(v).data)))
    return out


def test_folder_to_postgresql_and_back_keeps_every_version_and_the_key_material(tmp_path: Path, pg_url: str) -> None:
    source = _history(tmp_path / "source")
    expected = _versions(source)
    diffs = [source.diff(v - 1, v) for v in range(2, source.current_version() + 1)]
    ref = KeyStore(tmp_path / "source").seal(b"smart-host-password")
    KeyStore(tmp_path / "source").put_certificate("AB" * 20, b"certificate and key")

    r = exshell("--state", str(tmp_path / "source"), "store", "export", pg_url)
    assert r.returncode == 0, r.stderr
    assert f"Copied {len(expected)} version(s) and 2 key(s) and secret(s)" in r.stdout
    db = open_store(pg_url)
    assert db.get_secrets("sealed", [ref]) == {ref: b"smart-host-password"}  # type: ignore[attr-defined]
    assert _versions(db) == expected
    assert [db.diff(v - 1, v) for v in range(2, db.current_version() + 1)] == diffs
    assert [h.content_hash for h in db.history()] == [h.content_hash for h in source.history()]

    r = exshell("--state", str(tmp_path / "back"), "store", "import", pg_url)
    assert r.returncode == 0, r.stderr
    back = open_store(tmp_path / "back")
    assert _versions(back) == expected
    assert KeyStore(tmp_path / "back").unseal(ref) == b"smart-host-password"
    assert KeyStore(tmp_path / "back").read_certificate("AB" * 20) == b"certificate and key"
    assert [back.diff(v - 1, v) for v in range(2, back.current_version() + 1)] == diffs
    # the copy is a working store: the next commit follows the imported history
    info = back.commit(lambda d: d.put("c", "new", {"Name": "after"}), command="After import")
    assert info is not None and info.version == len(expected) + 1
    db.close()  # type: ignore[attr-defined]


def test_import_into_a_store_with_a_history_is_refused_and_changes_nothing(tmp_path: Path, pg_url: str) -> None:
    _history(tmp_path / "source")
    existing = open_store(pg_url, lambda: {"c": {"k": {"Name": "mine"}}})
    r = exshell("--store", pg_url, "store", "import", str(tmp_path / "source"))
    assert r.returncode == 1
    assert "already holds 1 version(s): import into an empty database or schema" in r.stderr
    assert "Traceback" not in r.stderr and pg_url.split("@")[0].rsplit(":", 1)[1] not in r.stderr
    assert existing.current_version() == 1
    existing.close()  # type: ignore[attr-defined]

    other = open_store(tmp_path / "other")
    r = exshell("--state", str(tmp_path / "other"), "store", "import", str(tmp_path / "source"))
    assert r.returncode == 1 and "already holds a configuration store" in r.stderr
    assert other.current_version() == 1


def test_exporting_nothing_is_an_error(tmp_path: Path) -> None:
    r = exshell("--state", str(tmp_path / "missing"), "store", "export", str(tmp_path / "copy"))
    assert r.returncode == 1 and "holds no configuration store to copy" in r.stderr
    assert not (tmp_path / "copy").exists()
