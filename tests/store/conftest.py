from __future__ import annotations

from pathlib import Path

import pytest

from exshell.store import open_store
from exshell.store.files import FileStore

from .store_helpers import connector


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def store(state: Path) -> FileStore:
    s = open_store(
        state,
        lambda: {
            "receive_connectors": {
                "11111111-1111-1111-1111-111111111111": connector(
                    "Default EX01", Bindings=["0.0.0.0:25"], RemoteIPRanges=["0.0.0.0-255.255.255.255"]
                )
            }
        },
    )
    assert isinstance(s, FileStore)
    return s
