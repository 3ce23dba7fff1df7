"""Test helpers for STARTTLS and AUTH: a trustme CA, certificates in the key store, mailboxes with passwords,
and smtplib clients that trust the CA."""

from __future__ import annotations

import smtplib
import ssl
from pathlib import Path
from typing import Any

import trustme

from exshell.model import x509
from exshell.model.certificate import CERTIFICATES, ExchangeCertificate
from exshell.model.config import MAILBOXES
from exshell.model.mailbox import Mailbox, hash_password
from exshell.store.keystore import KeyStore

from .scenario import FQDN, LISTEN, SERVER, config_data, connector
from exshell.store import open_store

CHEAP_N = 2**10  # test hashes: the engine verifies whatever cost a hash carries; new hashes use 2^17
PASSWORD = "Scan-2-Mail!"


def issue(ca: trustme.CA, state: Path, *names: str, services: str = "SMTP", **kw: Any) -> ExchangeCertificate:
    """A CA-issued certificate for `names`, its key in the state folder's key store; returns the record."""
    leaf = ca.issue_cert(*names, **kw)
    pem = b"".join(b.bytes() for b in leaf.cert_chain_pems) + leaf.private_key_pem.bytes()
    bundle = x509.load_bundle(pem, None)
    KeyStore(state).put_certificate(bundle.thumbprint, bundle.to_pem())
    return x509.describe(bundle, server=SERVER, services=services)


def mailbox(name: str, address: str, password: str | None = PASSWORD, *extra: str) -> Mailbox:
    m = Mailbox.new(name, address, email_addresses=extra)
    if password is not None:
        import dataclasses

        m = dataclasses.replace(m, password_hash=hash_password(password, n=CHEAP_N))
    return m


def secure_store(state: Path, connectors: list[Any], certificates: list[ExchangeCertificate],
                 mailboxes: list[Mailbox]) -> Any:
    data = config_data(connectors)
    data[CERTIFICATES] = {c.thumbprint: c.to_record() for c in certificates}
    data[MAILBOXES] = {m.guid: m.to_record() for m in mailboxes}
    return open_store(state, lambda: data)


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


def smtp(port: int, source: str = "127.0.0.100", timeout: float = 15) -> smtplib.SMTP:
    c = smtplib.SMTP(LISTEN, port, source_address=(source, 0), timeout=timeout)
    c.ehlo("copier.domain.example")
    return c


def login(c: smtplib.SMTP, user: str, password: str, mechanism: str = "LOGIN") -> tuple[int, bytes]:
    """One AUTH exchange (smtplib's login() falls back to the next mechanism on 535: two attempts)."""
    c.user, c.password = user, password
    try:
        return c.auth(mechanism, c.auth_login if mechanism == "LOGIN" else c.auth_plain)
    except smtplib.SMTPAuthenticationError as e:
        return e.smtp_code, e.smtp_error


def ehlo_keywords(c: smtplib.SMTP) -> list[str]:
    return [line.split(" ", 1)[0].upper() for line in c.ehlo_resp.decode().splitlines()[1:]]


def auth_line(c: smtplib.SMTP) -> str | None:
    for line in c.ehlo_resp.decode().splitlines()[1:]:
        if line.upper().startswith("AUTH"):
            return line
    return None


__all__ = ["FQDN", "LISTEN", "SERVER", "connector", "issue", "mailbox", "secure_store", "client_context", "smtp",
           "ehlo_keywords", "auth_line", "PASSWORD", "login"]
