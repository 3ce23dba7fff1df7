from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exshell.store import Store, open_store

from .store_helpers import connector

BACKENDS = ("folder", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking `store` runs against both backends, unless it also takes `state` or `tmp_path` (it then
    looks at the folder store's files and is about that backend only)."""
    if "backend" in metafunc.fixturenames:
        direct = inspect.signature(metafunc.function).parameters
        both = not {"state", "tmp_path"} & set(direct)
        metafunc.parametrize("backend", BACKENDS if both else BACKENDS[:1])


def _initial() -> dict[str, Any]:
    return {
        "receive_connectors": {
            "11111111-1111-1111-1111-111111111111": connector(
                "Default EX01", Bindings=["0.0.0.0:25"], RemoteIPRanges=["0.0.0.0-255.255.255.255"]
            )
        }
    }


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def spec(backend: str, state: Path, request: pytest.FixtureRequest) -> str:
    """Where a fresh store lives: the state folder, or a fresh schema in the private PostgreSQL cluster."""
    if backend == "folder":
        return str(state)
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(spec: str) -> Iterator[Store]:
    s = open_store(spec, _initial)
    yield s
    close = getattr(s, "close", None)
    if close is not None:
        close()
