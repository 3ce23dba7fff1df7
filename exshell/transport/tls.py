"""Server-side TLS: one `ssl.SSLContext` per certificate, chosen per connector as Exchange chooses it.

`PolicyIndex.tls_certificate(connector)` decides which certificate a connector presents (model/certificate.py,
tls-auth.md §2.3); this module turns that certificate into a context, loading its PEM from the owner-only key
store once per thumbprint. A certificate whose key can't be read (missing file, wrong mode, damaged PEM) costs
its connectors STARTTLS, with an error in the log naming the thumbprint — as Exchange drops STARTTLS and logs
event 12014 — and never the engine.

Contexts are built on the reload path (a worker thread, like the rest of compiling a version), never in a
session: the handshake itself is asyncio's non-blocking SSLProtocol, so one slow or broken client never holds
up another session.
"""

from __future__ import annotations

import logging
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exshell.store.keystore import KeyStore, KeyStoreError

log = logging.getLogger("exshell.transport")


@dataclass(frozen=True, slots=True)
class TlsChoice:
    """What STARTTLS means on one connector for one configuration version."""

    context: ssl.SSLContext | None  # None: STARTTLS is not offered
    thumbprint: str | None
    reason: str


def server_context(pem_path: Path) -> ssl.SSLContext:
    """TLS 1.2+ server context (Exchange 2016 CU and Exchange Online refuse older versions); no client
    certificates asked (RFC 3207 opportunistic TLS)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(str(pem_path))
    return ctx


class TlsContexts:
    """Thumbprint -> SSLContext cache for one engine (thread-safe: versions compile in worker threads)."""

    def __init__(self, state_dir: str | Path, keys: KeyStore | None = None) -> None:
        self.keys = keys if keys is not None else KeyStore(state_dir)  # the engine's: its store's key store
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._failed: dict[str, str] = {}
        self._lock = threading.Lock()

    def context(self, thumbprint: str) -> tuple[ssl.SSLContext | None, str]:
        with self._lock:
            if thumbprint in self._contexts:
                return self._contexts[thumbprint], ""
        try:
            ctx = server_context(self.keys.certificate_file(thumbprint))  # a shared store's: fetched first
        except (OSError, ssl.SSLError, KeyStoreError) as e:
            why = f"certificate {thumbprint} can't be loaded: {e}"
            with self._lock:
                if self._failed.get(thumbprint) != why:
                    log.error("STARTTLS is not offered with %s", why)
                self._failed[thumbprint] = why
            return None, why
        with self._lock:
            self._contexts[thumbprint] = ctx
            self._failed.pop(thumbprint, None)
        return ctx, ""

    def for_index(self, index: Any) -> dict[str, TlsChoice]:
        """connector GUID -> TlsChoice, for every connector of the index whose AuthMechanism has Tls."""
        out: dict[str, TlsChoice] = {}
        for c in index.connectors:
            cert, reason = index.tls_certificate(c)
            if cert is None:
                out[str(c.guid)] = TlsChoice(None, None, reason)
                continue
            ctx, why = self.context(cert.thumbprint)
            out[str(c.guid)] = TlsChoice(ctx, cert.thumbprint, reason if ctx is not None else why)
        return out
