"""Several `exshell -c` processes changing the configuration at once (issue 8): every change is applied to
the newest version under the writer lock, so none is lost; one version per invocation; a writer killed at
any instant leaves a loadable store at consecutive versions."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from exshell.model.config import Config
from exshell.store import Store, open_store

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[2]
N, M = 6, 10


def _argv(state: Path, text: str, store: str | None = None) -> list[str]:
    shared = ["--store", store] if store else []
    return [sys.executable, "-m", "exshell", "--state", str(state), *shared, "-c", text]


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")
    env.pop("EXSHELL_STATE", None)
    return env


def run(state: Path, text: str, store: str | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(_argv(state, text, store), capture_output=True, text=True, env=_env(), timeout=60,
                          cwd=state.parent, check=False)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


def run_all(state: Path, texts: list[str], store: str | None = None) -> None:
    """Start every process at once, then wait for all (bounded)."""
    procs = [subprocess.Popen(_argv(state, t, store), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=_env(), cwd=state.parent) for t in texts]
    deadline = time.monotonic() + 90
    for p in procs:
        try:
            out, err = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail("exshell processes did not finish in time")
        assert p.returncode == 0, out + err
        assert "Traceback" not in out + err


def relay(state: Path, ranges: str = "10.9.9.1", store: str | None = None) -> None:
    run(state, "New-ReceiveConnector Relay -Custom -Bindings 0.0.0.0:2525 "
               f"-RemoteIPRanges {ranges} -Confirm:$false", store)


@contextmanager
def opened(spec: Path | str) -> Iterator[Store]:
    """The store, closed after (a PostgreSQL store's pool threads must not outlive the check)."""
    with closing(open_store(spec)) as store:
        yield store


def version_of(spec: Path | str) -> int:
    with opened(spec) as store:
        return store.current_version()


def ranges_of(state: Path | str, name: str) -> set[str]:
    with opened(state) as store:
        config = Config.from_data(store.snapshot().data)
    (rc,) = [c for c in config.receive_connectors if c.name == name]
    return {str(r) for r in rc.remote_ip_ranges}


@pytest.fixture(params=["folder", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store the shells share: the state folder's, or a PostgreSQL one (both backends, one test)."""
    if request.param == "folder":
        return str(tmp_path / "state")
    return str(request.getfixturevalue("pg_url"))


def test_parallel_list_additions_are_all_kept_one_version_each(tmp_path: Path, shared: str) -> None:
    state = tmp_path / "state"
    relay(state, store=shared)
    before = version_of(shared)
    texts = ["; ".join(f'Set-ReceiveConnector Relay -RemoteIPRanges @{{Add="10.1.{n}.{m}"}}' for m in range(M))
             for n in range(N)]
    run_all(state, texts, shared)
    with opened(shared) as store:
        assert store.current_version() == before + N * M
        assert [v.version for v in store.history()] == list(range(1, before + N * M + 1))
    assert ranges_of(shared, "Relay") == {"10.9.9.1"} | {f"10.1.{n}.{m}" for n in range(N) for m in range(M)}


def test_parallel_creations_each_make_their_connector(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run(state, "Get-AcceptedDomain")  # version 1
    texts = [f"New-ReceiveConnector Relay{n} -Custom -Bindings 0.0.0.0:{2600 + n} -RemoteIPRanges 10.2.{n}.1"
             for n in range(N)]
    run_all(state, texts)
    with opened(state) as store:
        assert store.current_version() == 1 + N
        names = {c.name for c in Config.from_data(store.snapshot().data).receive_connectors}
    assert {f"Relay{n}" for n in range(N)} <= names


def test_parallel_mixed_add_and_remove_on_one_list(tmp_path: Path, shared: str) -> None:
    state = tmp_path / "state"
    relay(state, ",".join(f"10.3.{n}.0/24" for n in range(N)) + ",10.9.9.1", shared)
    before = version_of(shared)
    # Each process removes one entry (spelled differently from the stored CIDR) and adds two.
    texts = [f'Set-ReceiveConnector Relay -RemoteIPRanges @{{Remove="10.3.{n}.0-10.3.{n}.255"}}; '
             f'Set-ReceiveConnector Relay -RemoteIPRanges @{{Add="10.4.{n}.1","10.4.{n}.2"}}' for n in range(N)]
    run_all(state, texts, shared)
    assert version_of(shared) == before + 2 * N
    assert ranges_of(shared, "Relay") == {"10.9.9.1"} | {f"10.4.{n}.{k}" for n in range(N) for k in (1, 2)}


def test_remove_matches_an_address_by_value_not_spelling(tmp_path: Path) -> None:
    state = tmp_path / "state"
    relay(state, "10.0.0.1,10.0.0.2")
    proc = run(state, 'Set-ReceiveConnector Relay -RemoteIPRanges @{Remove="10.0.0.1/32"}')
    assert proc.returncode == 0, proc.stderr
    assert ranges_of(state, "Relay") == {"10.0.0.2"}


def test_writer_killed_at_random_points_leaves_consecutive_loadable_versions(tmp_path: Path) -> None:
    state = tmp_path / "state"
    relay(state)
    rng = random.Random(8)
    for round_ in range(5):
        text = "; ".join(f'Set-ReceiveConnector Relay -RemoteIPRanges @{{Add="10.5.{round_}.{m}"}}'
                         for m in range(40))
        proc = subprocess.Popen(_argv(state, text), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=_env(), cwd=state.parent)
        time.sleep(rng.uniform(0.2, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        with opened(state) as store:
            newest = store.current_version()
            assert [v.version for v in store.history()] == list(range(1, newest + 1))
            config = Config.from_data(store.snapshot().data)  # every object still decodes
        (rc,) = [c for c in config.receive_connectors if c.name == "Relay"]
        added = {str(r) for r in rc.remote_ip_ranges} - {"10.9.9.1"}
        # Each version added exactly one address, in order: the kill cut the sequence, never a version.
        assert len(added) == newest - 2
    proc = run(state, 'Set-ReceiveConnector Relay -RemoteIPRanges @{Add="10.6.0.1"}')
    assert proc.returncode == 0, proc.stderr
    assert "10.6.0.1" in ranges_of(state, "Relay")
