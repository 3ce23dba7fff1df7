"""The owner-only secrets area of a state folder: certificate private keys and sealed secrets.

Nothing here ever goes into config.toml, parsed.json or history/: those are versioned, diffed and readable by
more people than the key material should be. The configuration keeps only references (a certificate's
thumbprint, a sealed secret's id), so history, diff and Restore-ConfigVersion keep working: the files a
reference names are never rewritten, and a removed object's files stay until the folder is cleaned, so an
older version that is restored still finds them.

Layout (directories 0700, files 0600, whatever the umask):
    secrets/certificates/<THUMBPRINT>.pem   certificate, chain and unencrypted PKCS#8 key (what ssl loads)
    secrets/secret.key                      the Fernet key that seals the secrets below
    secrets/sealed/<id>                     one Fernet token: a send connector's password, a mailbox's hash
"""

from __future__ import annotations

import os
import re
import secrets as _secrets
from collections.abc import Iterator
from pathlib import Path

from exshell.errors import ExshellError

DIR_MODE = 0o700
FILE_MODE = 0o600
_REF = re.compile(r"^[0-9a-f]{32}$")
_THUMB = re.compile(r"^[0-9A-F]{40}$")


class KeyStoreError(ExshellError):
    """Key material that is missing, unreadable or was tampered with."""


def sealed_ref() -> str:
    """A new sealed secret's reference: random, never reused."""
    return _secrets.token_hex(16)


class KeyStore:
    def __init__(self, state_dir: str | os.PathLike[str]) -> None:
        self.root = Path(state_dir) / "secrets"

    # ------------------------------------------------------------------ files
    def _dir(self, *parts: str) -> Path:
        path = self.root.joinpath(*parts)
        for d in [self.root, *[self.root.joinpath(*parts[: i + 1]) for i in range(len(parts))]]:
            d.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            if (os.stat(d).st_mode & 0o777) != DIR_MODE:
                os.chmod(d, DIR_MODE)
        return path

    @staticmethod
    def _write_private(path: Path, data: bytes) -> None:
        """Atomically (temp file + rename), created 0600 from the start: never readable by others, not even
        between create and chmod."""
        tmp = path.with_name(f".{path.name}.{_secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        os.replace(tmp, path)

    # ------------------------------------------------------------------ certificates
    def certificate_path(self, thumbprint: str) -> Path:
        thumb = thumbprint.upper()
        if not _THUMB.match(thumb):
            raise KeyStoreError(f"'{thumbprint}' is not a certificate thumbprint (40 hexadecimal digits).")
        return self.root / "certificates" / f"{thumb}.pem"

    def put_certificate(self, thumbprint: str, pem: bytes) -> Path:
        path = self.certificate_path(thumbprint)
        self._dir("certificates")
        self._write_private(path, pem)
        return path

    def certificate_file(self, thumbprint: str) -> Path:
        """The PEM file ssl loads (a shared store's key store fetches it into this folder first)."""
        path = self.certificate_path(thumbprint)
        if not path.is_file():
            raise KeyStoreError(f"its key file {path} is missing")
        return path

    def read_certificate(self, thumbprint: str) -> bytes:
        path = self.certificate_path(thumbprint)
        try:
            return path.read_bytes()
        except OSError as e:
            raise KeyStoreError(
                f"The private key of certificate {thumbprint.upper()} can't be read from {path}: "
                f"{e.strerror or e}."
            ) from None

    def has_certificate(self, thumbprint: str) -> bool:
        try:
            return self.certificate_path(thumbprint).is_file()
        except KeyStoreError:
            return False

    # ------------------------------------------------------------------ sealed secrets
    def _fernet(self, create: bool) -> object:
        from cryptography.fernet import Fernet  # lazy: only commands that touch secrets pay for it

        path = self.root / "secret.key"
        try:
            key = path.read_bytes().strip()
        except FileNotFoundError:
            if not create:
                raise KeyStoreError(f"The secrets key {path} is missing: sealed secrets can't be read.") from None
            self._dir()
            key = Fernet.generate_key()
            try:  # first writer wins; a concurrent creator's key is read back
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
                with os.fdopen(fd, "wb") as f:
                    f.write(key)
                    f.flush()
                    os.fsync(f.fileno())
            except FileExistsError:
                key = path.read_bytes().strip()
        return Fernet(key)

    def seal(self, data: bytes) -> str:
        """Encrypt `data` at rest; return the reference the configuration keeps."""
        ref = sealed_ref()
        self.put_sealed(ref, data)
        return ref

    def put_sealed(self, ref: str, data: bytes) -> None:
        token = self._fernet(create=True).encrypt(data)  # type: ignore[attr-defined]
        path = self.sealed_path(ref)
        self._dir("sealed")
        self._write_private(path, token)

    def sealed_path(self, ref: str) -> Path:
        if not _REF.match(ref or ""):
            raise KeyStoreError(f"'{ref}' is not a sealed secret reference.")
        return self.root / "sealed" / ref

    def entries(self) -> Iterator[tuple[str, str, bytes]]:
        """(kind, reference, content) of everything held, sealed secrets unsealed: what `exshell store export`
        copies into another store's key material."""
        certs = self.root / "certificates"
        for path in sorted(certs.iterdir()) if certs.is_dir() else []:
            if path.suffix == ".pem" and _THUMB.match(path.stem):
                yield "certificate", path.stem, path.read_bytes()
        sealed = self.root / "sealed"
        for path in sorted(sealed.iterdir()) if sealed.is_dir() else []:
            if _REF.match(path.name):
                yield "sealed", path.name, self.unseal(path.name)

    def put(self, kind: str, ref: str, data: bytes) -> None:
        """Keep `data` under a reference made elsewhere (an import)."""
        if kind == "certificate":
            self.put_certificate(ref, data)
        else:
            self.put_sealed(ref, data)

    def prefetch(self, refs: list[str]) -> None:
        """Nothing to fetch: the folder is the only place (a shared store's key store fetches here)."""

    def unseal(self, ref: str) -> bytes:
        from cryptography.fernet import InvalidToken

        path = self.sealed_path(ref)
        try:
            token = path.read_bytes()
        except OSError as e:
            raise KeyStoreError(f"The sealed secret {ref} can't be read: {e.strerror or e}.") from None
        try:
            return bytes(self._fernet(create=False).decrypt(token))  # type: ignore[attr-defined]
        except InvalidToken:
            raise KeyStoreError(f"The sealed secret {ref} doesn't match the secrets key.") from None
