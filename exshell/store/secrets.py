"""Where key material lives: this machine's secrets folder, or the fleet's shared store.

Exchange keeps a mailbox's password and a send connector's credential in Active Directory (organization
objects: every transport server reads them), and a certificate on the server it belongs to, made or imported
from any shell with `-Server`. With a folder store there is one machine, and `KeyStore(state_dir)` is all of
it. With a shared store (PostgreSQL) the engines run on other machines than the shell, so the material goes
into the store's own secrets table (`put_secret` / `get_secrets`), next to the configuration but never in a
version, a change record, a diff or the history: the configuration keeps only references, as it does with a
folder. Rows are written once and never changed or removed (a reference names one content for ever), so any
version that is restored still finds its material, as the folder's files are kept. Database access is then
secrets access, as AD access is in Exchange: README says what to protect.

An engine caches what it fetched in its own secrets folder (owner-only, the folder layout: ssl loads a
certificate from a file, and an engine keeps working through a database outage with what it has), and keeps
unsealed values in memory. A shell reads through without caching: an administrator's machine keeps no server's
keys.
"""

from __future__ import annotations

import os
import threading
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Protocol

from exshell.store.base import StoreError
from exshell.store.keystore import KeyStore, KeyStoreError, sealed_ref

CERTIFICATE = "certificate"
SEALED = "sealed"


class SecretTable(Protocol):
    """What a shared store offers for key material (PostgresStore)."""

    def put_secret(self, kind: str, ref: str, data: bytes) -> None: ...
    def get_secrets(self, kind: str, refs: list[str]) -> dict[str, bytes]: ...


# The shared store creating its version 1: setup's certificate (model/defaults.py) goes into its table, in the
# same transaction, rather than into the folder of whichever machine happened to create the store.
CREATING: ContextVar[SecretTable | None] = ContextVar("exshell_store_creating", default=None)


class SharedKeyStore(KeyStore):
    """The KeyStore interface over a shared store's secrets table, with this machine's folder as a cache."""

    def __init__(self, state_dir: str | os.PathLike[str], table: SecretTable, cache: bool = True) -> None:
        super().__init__(state_dir)
        self.table = table
        self.cache = cache
        self._plain: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def _fetch(self, kind: str, refs: list[str]) -> dict[str, bytes]:
        try:
            return self.table.get_secrets(kind, refs)
        except StoreError as e:
            raise KeyStoreError(str(e).removesuffix(" Nothing was changed.")) from None

    # ---- certificates
    def put_certificate(self, thumbprint: str, pem: bytes) -> Path:
        path = self.certificate_path(thumbprint)
        try:
            self.table.put_secret(CERTIFICATE, path.stem, pem)
        except StoreError as e:
            raise KeyStoreError(str(e)) from None
        return path

    def certificate_file(self, thumbprint: str) -> Path:
        path = self.certificate_path(thumbprint)
        if path.is_file():
            return path
        pem = self._fetch(CERTIFICATE, [path.stem]).get(path.stem)
        if pem is None:
            raise KeyStoreError(f"the configuration store holds no private key for certificate {path.stem}")
        super().put_certificate(path.stem, pem)  # ssl loads it from a file: owner-only, in this folder
        return path

    def read_certificate(self, thumbprint: str) -> bytes:
        path = self.certificate_path(thumbprint)
        if path.is_file():
            return super().read_certificate(thumbprint)
        pem = self._fetch(CERTIFICATE, [path.stem]).get(path.stem)
        if pem is None:
            raise KeyStoreError(f"The configuration store holds no private key for certificate {path.stem}.")
        return pem

    def has_certificate(self, thumbprint: str) -> bool:
        try:
            stem = self.certificate_path(thumbprint).stem
        except KeyStoreError:
            return False
        return super().has_certificate(stem) or stem in self._fetch(CERTIFICATE, [stem])

    # ---- sealed secrets: in the table as they are (the table is the protected place); sealed in the cache
    def seal(self, data: bytes) -> str:
        ref = sealed_ref()
        try:
            self.table.put_secret(SEALED, ref, data)
        except StoreError as e:
            raise KeyStoreError(str(e)) from None
        return ref

    def unseal(self, ref: str) -> bytes:
        with self._lock:
            known = self._plain.get(ref)
        if known is not None:
            return known
        if self.sealed_path(ref).is_file():
            data = super().unseal(ref)
        else:
            found = self._fetch(SEALED, [ref]).get(ref)
            if found is None:
                raise KeyStoreError(f"The configuration store holds no sealed secret {ref}.")
            data = found
            if self.cache:
                self.put_sealed(ref, data)
        if self.cache:
            with self._lock:
                self._plain[ref] = data
        return data

    def prefetch(self, refs: list[str]) -> None:
        """Fetch in one query the sealed secrets not yet cached (an engine, for each version it loads: AUTH then
        works from the cache through a database outage)."""
        with self._lock:
            missing = [r for r in dict.fromkeys(refs) if r and r not in self._plain]
        missing = [r for r in missing if not (self.root / "sealed" / r).is_file()]
        if not missing or not self.cache:
            return
        for ref, data in self._fetch(SEALED, missing).items():
            self.put_sealed(ref, data)
            with self._lock:
                self._plain[ref] = data


def key_store(store: Any, state_dir: str | os.PathLike[str], cache: bool = True) -> KeyStore:
    """The key store that goes with `store`: its secrets table when it has one (shared: PostgreSQL), else the
    state folder's. `cache`: keep what is read in this machine's folder (engines), or not (shells)."""
    if hasattr(store, "put_secret") and hasattr(store, "get_secrets"):
        return SharedKeyStore(state_dir, store, cache=cache)
    return KeyStore(state_dir)


def initial_key_store(state_dir: str | os.PathLike[str]) -> KeyStore:
    """Where version 1's key material goes: the table of the shared store being created, else the folder."""
    creating = CREATING.get()
    if creating is not None:
        return SharedKeyStore(state_dir, creating, cache=False)
    return KeyStore(state_dir)


__all__ = ["CREATING", "SecretTable", "SharedKeyStore", "initial_key_store", "key_store"]
