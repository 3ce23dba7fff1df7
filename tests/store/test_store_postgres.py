"""What only the PostgreSQL backend has: its table layout and upgrades, connection errors, notifications,
and version 1 created once when several processes open a fresh store (the contract tests run on both
backends through the `store` fixture)."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from exshell.store import MutableConfig, StoreError, open_store
from exshell.store import postgres
from exshell.store.postgres import PostgresStore
from exshell.shell.repl import run_repl
from exshell.shell.runner import Invocation, run_invocation

pytestmark = pytest.mark.timeout(60)


def test_layout_is_created_and_recorded_by_the_application(pg_url: str) -> None:
    store = open_store(pg_url)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM exshell_schema_version").fetchall() == [(len(postgres.MIGRATIONS),)]
        assert conn.execute("SELECT version FROM exshell_head").fetchone() == (1,)
    store.close()  # type: ignore[attr-defined]


def test_an_older_layout_is_upgraded_on_open(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    open_store(pg_url, lambda: {"c": {"k": {"Name": "kept"}}}).close()  # type: ignore[attr-defined]
    step = ("ALTER TABLE exshell_versions ADD COLUMN note text",)
    monkeypatch.setattr(postgres, "MIGRATIONS", postgres.MIGRATIONS + (step,))
    store = open_store(pg_url)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM exshell_schema_version").fetchone() == (len(postgres.MIGRATIONS),)
        assert conn.execute("SELECT count(note) FROM exshell_versions").fetchone() == (0,)
    assert store.snapshot().get("c", "k") == {"Name": "kept"}
    store.close()  # type: ignore[attr-defined]


def test_a_newer_layout_is_refused_and_left_alone(pg_url: str) -> None:
    open_store(pg_url).close()  # type: ignore[attr-defined]
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE exshell_schema_version SET version = 99")
    with pytest.raises(StoreError, match=f"has table layout 99; this exshell knows layouts up to {len(postgres.MIGRATIONS)}. Upgrade exshell"):
        open_store(pg_url)


def test_unreachable_database_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(StoreError) as info:
        open_store("postgresql://admin:s3cret@127.0.0.1:1/exshell")
    text = str(info.value)
    assert text.startswith("Cannot reach the configuration store postgresql://admin@127.0.0.1:1/exshell:")
    assert "Connection refused" in text and "s3cret" not in text


def test_processes_opening_a_fresh_store_at_once_create_one_version_one(pg_url: str) -> None:
    code = (
        "import sys; from exshell.store import open_store;"
        "s = open_store(sys.argv[1], lambda: {'c': {'k': {'Name': sys.argv[2]}}}); print(s.current_version())"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, pg_url, f"p{i}"], stdout=subprocess.PIPE) for i in range(4)
    ]
    assert [p.communicate(timeout=30)[0].decode().strip() for p in procs] == ["1"] * 4
    store = open_store(pg_url)
    assert [h.version for h in store.history()] == [1]
    store.close()  # type: ignore[attr-defined]


def test_every_version_rebuilds_across_snapshots(pg_url: str) -> None:
    store = PostgresStore(pg_url, lambda: {"c": {"k0": {"Name": "k0", "N": 0}}, "other": {"o": {"Name": "o"}}},
                          snapshot_every=3)
    expected = {1: {"k0": {"Name": "k0", "N": 0}}}
    for i in range(1, 11):

        def mutate(doc: MutableConfig, i: int = i) -> None:
            if i % 4 == 0:
                doc.delete("c", f"k{i - 1}")
            else:
                doc.put("c", f"k{i}", {"Name": f"k{i}", "N": i})
            doc.get("c", "k0")["N"] = i

        info = store.commit(mutate)
        assert info is not None
        expected[info.version] = {k: dict(v) for k, v in store.snapshot().collection("c").items()}
    with psycopg.connect(pg_url) as conn:
        assert [r[0] for r in conn.execute("SELECT version FROM exshell_snapshots ORDER BY 1")] == [1, 3, 6, 9]
    fresh = PostgresStore(pg_url, snapshot_every=3)  # no cache: snapshot rows plus change rows
    for v in (11, 2, 7, 5, 10, 1):
        assert {k: dict(r) for k, r in fresh.snapshot(v).collection("c").items()} == expected[v], v
    # From a cached version (an engine following commits): copy-on-write, sharing what the changes left alone.
    follower = PostgresStore(pg_url, snapshot_every=3)
    seven = follower.snapshot(7)
    eight = follower.snapshot(8)
    assert {k: dict(r) for k, r in eight.collection("c").items()} == expected[8]
    assert {k: dict(r) for k, r in seven.collection("c").items()} == expected[7]  # untouched by the replay
    assert eight.data["other"] is seven.data["other"]  # a collection no change touched: shared, not copied
    assert eight.get("c", "k2") is seven.get("c", "k2")  # so is an untouched record of a touched collection
    store.close()
    fresh.close()
    follower.close()


def test_subscriber_hears_another_process_commit_within_a_second(pg_url: str) -> None:
    listener = PostgresStore(pg_url)
    heard: list[tuple[int, float]] = []
    got = threading.Event()

    def on_version(v: int) -> None:
        heard.append((v, time.monotonic()))
        got.set()

    listener.subscribe(on_version)
    code = "import sys; from exshell.store import open_store; open_store(sys.argv[1]).commit(lambda d: d.put('c','k',{'Name':'x'}))"
    proc = subprocess.run([sys.executable, "-c", code, pg_url], timeout=30)
    assert proc.returncode == 0
    committed = time.monotonic()
    assert got.wait(5)
    assert heard[0][0] == 2 and heard[0][1] - committed < 1.0
    assert listener.current_version() == 2
    listener.close()


def test_a_shell_on_the_folder_store_never_imports_psycopg(tmp_path) -> None:  # noqa: ANN001
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "exshell", "--state", str(tmp_path / "s"), "-c",
         "Set-ReceiveConnector (Get-ReceiveConnector)[0] -MaxMessageSize 20MB; Get-ConfigVersion | Out-Null"],
        capture_output=True, text=True, timeout=60,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    modules = {line.rsplit("|", 1)[-1].strip() for line in p.stderr.splitlines() if line.startswith("import time:")}
    assert "exshell.store.files" in modules  # the store was used...
    assert not {m for m in modules if m.split(".")[0] in {"psycopg", "psycopg_pool", "exshell.store.postgres"}}
    assert "exshell.store.postgres" not in modules


def _threads_started_since(before: set[threading.Thread]) -> list[str]:
    """Threads started since `before` that are still alive once given a moment to end (bounded)."""
    deadline = time.monotonic() + 10
    while True:
        left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)  # polling a condition, bounded by the deadline


def test_closing_a_store_leaves_no_pool_or_listener_thread_behind(pg_url: str) -> None:
    before = set(threading.enumerate())
    store = open_store(pg_url)
    store.subscribe(lambda v: None)  # type: ignore[attr-defined]  # the listener thread
    store.commit(lambda d: d.put("c", "k", {"Name": "x"}))
    assert store.snapshot().get("c", "k") == {"Name": "x"}
    assert [t for t in threading.enumerate() if t not in before], "the store runs pool threads while open"
    store.close()
    store.close()  # a second close does nothing
    assert _threads_started_since(before) == []


def test_a_shell_on_a_shared_store_leaves_no_pool_thread_behind(pg_url: str, tmp_path: Path) -> None:
    # The REPL opens the shared store on first use and closes it when the person leaves; so does `exshell -c`.
    before = set(threading.enumerate())
    out = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text("(Get-AcceptedDomain).Count\r\x04")
        code = run_repl(tmp_path / "state", pt_input=pipe, pt_output=DummyOutput(), out=out, err=out, store=pg_url)
    assert code == 0 and out.getvalue().strip() == "1", out.getvalue()
    assert _threads_started_since(before) == []
    assert run_invocation(Invocation(mode="command", text="Get-AcceptedDomain | Out-Null",
                                     state=str(tmp_path / "state"), store=pg_url)) == 0
    assert _threads_started_since(before) == []
