"""The owner-only secrets folder: modes, sealing, and damage reported clearly."""

from __future__ import annotations

import stat

import pytest

from exshell.store.keystore import KeyStore, KeyStoreError


def test_sealed_secrets_are_encrypted_owner_only_and_read_back(tmp_path):
    ks = KeyStore(tmp_path)
    ref = ks.seal(b"P@ssw0rd")
    path = tmp_path / "secrets" / "sealed" / ref
    assert b"P@ssw0rd" not in path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secrets" / "secret.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secrets" / "sealed").stat().st_mode) == 0o700
    assert KeyStore(tmp_path).unseal(ref) == b"P@ssw0rd"


def test_a_missing_key_or_a_bad_reference_is_a_clear_error(tmp_path):
    ks = KeyStore(tmp_path)
    ref = ks.seal(b"x")
    with pytest.raises(KeyStoreError, match="not a sealed secret reference"):
        ks.unseal("../../config.toml")
    (tmp_path / "secrets" / "secret.key").unlink()
    with pytest.raises(KeyStoreError, match="secrets key .* is missing"):
        ks.unseal(ref)
    with pytest.raises(KeyStoreError, match="thumbprint"):
        ks.certificate_path("../x")
