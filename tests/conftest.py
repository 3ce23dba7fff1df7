"""Fixtures every test folder may use: a private PostgreSQL cluster for the store's second backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pg_cluster import PgCluster, start_cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One private cluster per test session (started on first use, stopped at the end)."""
    try:
        cluster = start_cluster()
    except RuntimeError as e:
        pytest.fail(str(e))
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """A fresh, empty store: its own schema in the cluster's database."""
    return pg_cluster.new_store_url()
