"""Key material with a shared store: in its secrets table, read from any machine, cached owner-only by engines,
never in a version; the folder store keeps its secrets folder."""

from __future__ import annotations

import stat
from pathlib import Path

import psycopg
import pytest

from exshell.app import open_configuration_store
from exshell.model.certificate import CERTIFICATES
from exshell.store import StoreError
from exshell.store.files import FileStore
from exshell.store.keystore import KeyStore, KeyStoreError
from exshell.store.secrets import SharedKeyStore, key_store

pytestmark = pytest.mark.timeout(60)


class Table:
    """A secrets table that can go away, as a database does."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], bytes] = {}
        self.down = False

    def put_secret(self, kind: str, ref: str, data: bytes) -> None:
        if self.down:
            raise StoreError("Cannot reach the configuration store db: Connection refused. Nothing was changed.")
        self.rows.setdefault((kind, ref), data)

    def get_secrets(self, kind: str, refs: list[str]) -> dict[str, bytes]:
        if self.down:
            raise StoreError("Cannot reach the configuration store db: Connection refused. Nothing was changed.")
        return {r: self.rows[(kind, r)] for r in refs if (kind, r) in self.rows}


def test_a_secret_sealed_on_one_machine_is_read_on_another_which_caches_it_for_an_outage(tmp_path: Path) -> None:
    table = Table()
    shell = SharedKeyStore(tmp_path / "admin", table, cache=False)
    ref = shell.seal(b"hash-of-a-password")
    other = shell.seal(b"prefetched")
    assert not (tmp_path / "admin" / "secrets").exists()
    engine = SharedKeyStore(tmp_path / "ex02", table)
    assert engine.unseal(ref) == b"hash-of-a-password"
    engine.prefetch([other, ref])
    cached = tmp_path / "ex02" / "secrets" / "sealed" / other
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600 and b"prefetched" not in cached.read_bytes()
    assert stat.S_IMODE((tmp_path / "ex02" / "secrets").stat().st_mode) == 0o700
    table.down = True
    restarted = SharedKeyStore(tmp_path / "ex02", table)  # an engine restarted during the outage
    assert restarted.unseal(other) == b"prefetched" and restarted.unseal(ref) == b"hash-of-a-password"
    with pytest.raises(KeyStoreError, match="Cannot reach the configuration store db: Connection refused") as e:
        SharedKeyStore(tmp_path / "ex01", table).unseal(ref)
    assert "Nothing was changed" not in str(e.value)
    with pytest.raises(KeyStoreError, match="not a sealed secret reference"):
        restarted.unseal("../../config.toml")


def test_a_certificate_is_fetched_to_an_owner_only_file_and_a_missing_one_is_named(tmp_path: Path) -> None:
    from exshell.model import x509

    table = Table()
    bundle = x509.new_self_signed("EX02", ["EX02"])
    SharedKeyStore(tmp_path / "admin", table, cache=False).put_certificate(bundle.thumbprint, bundle.to_pem())
    assert not (tmp_path / "admin" / "secrets").exists()
    engine = SharedKeyStore(tmp_path / "ex02", table)
    path = engine.certificate_file(bundle.thumbprint.lower())
    assert path.read_bytes() == bundle.to_pem() and stat.S_IMODE(path.stat().st_mode) == 0o600
    missing = "A" * 40
    with pytest.raises(KeyStoreError, match=f"holds no private key for certificate {missing}"):
        engine.certificate_file(missing)


def test_the_shared_store_keeps_secrets_in_its_own_table_from_version_1_on(pg_url: str, tmp_path: Path) -> None:
    state = tmp_path / "creator"
    store = open_configuration_store(pg_url, "EX01", state_dir=state)
    try:
        (thumb,) = store.snapshot().data[CERTIFICATES]
        assert not (state / "secrets").exists()  # setup's key is in the database, not on the creator's disk
        keys = key_store(store, tmp_path / "ex01")
        assert isinstance(keys, SharedKeyStore)
        assert b"PRIVATE KEY" in keys.certificate_file(thumb).read_bytes()
        ref = key_store(store, state, cache=False).seal(b"smart-host-password")
        ref_again_elsewhere = key_store(store, tmp_path / "ex02").unseal(ref)
        assert ref_again_elsewhere == b"smart-host-password"
        store.put_secret("sealed", ref, b"other")  # type: ignore[attr-defined]  # written once: never replaced
        assert store.get_secrets("sealed", [ref]) == {ref: b"smart-host-password"}  # type: ignore[attr-defined]
    finally:
        store.close()  # type: ignore[attr-defined]
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT kind, ref FROM exshell_secrets ORDER BY kind").fetchall()
        versions = conn.execute("SELECT string_agg(coalesce(after, ''), '') FROM exshell_changes").fetchone()[0]
    assert rows == [("certificate", thumb), ("sealed", ref)]
    assert "PRIVATE KEY" not in versions and "smart-host-password" not in versions


def test_the_folder_store_keeps_its_secrets_folder(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    keys = key_store(store, tmp_path)
    assert type(keys) is KeyStore
    ref = keys.seal(b"x")
    assert (tmp_path / "secrets" / "sealed" / ref).is_file()
