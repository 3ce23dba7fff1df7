"""The outbound SMTP client (aiosmtplib): one attempt to hand a group of recipients to a send connector.

Smart hosts are tried in order (failing over on a connection error or a 4xx greeting), each on its own
port when it has one, else the connector's Port (cmdlets.md §6.1). EHLO uses the connector's Fqdn, else the
server's. STARTTLS is used when offered (unless IgnoreSTARTTLS); certificates are verified only when
RequireTLS is set, and RequireTLS without STARTTLS is a transient failure, as Exchange defers it.
`Security` carries the rest of the connector's TLS and logon settings (tls-auth.md §3): TlsAuthLevel
EncryptionOnly (no certificate check), CertificateValidation (a trusted chain) or DomainValidation (a trusted
chain naming TlsDomain); SmartHostAuthMechanism BasicAuth / BasicAuthRequireTLS logs on with AUTH LOGIN (what
Exchange uses; PLAIN when the host offers only that) after STARTTLS when there is one — BasicAuthRequireTLS
never without it. Every failure of these leaves the message queued (a transient reply with Exchange's
wording); nothing is ever sent in clear or unauthenticated instead.
Connections come from and go back to a `connection_pool.ConnectionPool` (kept for the next message to the same
host, counted against MaxOutboundConnections / MaxPerDomainOutboundConnections). Replies are classified per recipient by their first digit: 2xx delivered, 4xx retry, 5xx NDR (RFC 5321
§4.2.1).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from exshell.transport.delivery.connection_pool import ConnectionPool

CONNECT_TIMEOUT = 30.0
# A plain dot-atom address (or the null sender): what aiosmtplib's mail()/rcpt() would send unchanged, so it is
# sent as <address> without their email.utils.parseaddr per command (~7 % of the delivery process's CPU per
# message in bench/e2e.py). Anything else still goes through mail()/rcpt() and their checks.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
PLAIN_ADDRESS = re.compile(rf"(?:{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)?")


@dataclass(frozen=True, slots=True)
class Security:
    """A send connector's TLS and smart-host logon settings, with the password already unsealed."""

    require_tls: bool = False
    ignore_starttls: bool = False
    tls_auth_level: str | None = None
    tls_domain: str | None = None
    auth_mechanism: str = "None"
    user_name: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def basic_auth(self) -> bool:
        return self.auth_mechanism in ("BasicAuth", "BasicAuthRequireTLS")

    def pool_key(self) -> tuple[Any, ...]:
        return (self.require_tls, self.ignore_starttls, self.tls_auth_level, self.tls_domain, self.auth_mechanism,
                self.user_name, hash(self.password))


def tls_context_for(level: str | None) -> Any:
    """The client context of a TlsAuthLevel (None: aiosmtplib's own choice from validate_certs)."""
    import ssl

    if level is None:
        return None
    ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if level == "EncryptionOnly":
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif level == "CertificateValidation":
        ctx.check_hostname = False  # a trusted chain, whatever name it carries
    return ctx  # DomainValidation: chain and name (server_hostname = TlsDomain)


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    port: int


@dataclass(slots=True)
class SendResult:
    """Per-recipient reply text (`250 2.0.0 OK`), and the host that answered (for the tracking log).
    `connection_error` set = no host took the message: every recipient is transient."""

    replies: dict[str, str] = field(default_factory=dict)
    remote: str = ""
    connection_error: str | None = None


def targets_for(connector: Any) -> list[Target]:
    return [Target(h.host, h.port if h.port is not None else connector.port) for h in connector.smart_hosts]


def _reply(code: int, message: str) -> str:
    return f"{code} {' '.join(str(message).split())}".strip()


async def send(
    targets: Sequence[Target],
    sender: str,
    recipients: Sequence[str],
    data: bytes,
    *,
    helo: str,
    require_tls: bool = False,
    ignore_starttls: bool = False,
    timeout: float = CONNECT_TIMEOUT,
    pool: ConnectionPool | None = None,
    destination: str = "",
    security: Security | None = None,
) -> SendResult:
    """One transaction for `recipients`, on the first target that takes it. With a `pool`, the connection
    comes from it (a kept one to the same host, or a new one within the limits for `destination`) and goes
    back to it afterwards."""
    sec = security or Security(require_tls=require_tls, ignore_starttls=ignore_starttls)
    result = SendResult()
    errors: list[str] = []
    for target in targets:
        key = (target.host, target.port, helo) + sec.pool_key()
        retried = False
        while True:
            lease = await pool.acquire(destination, key) if pool is not None else None
            smtp = lease.smtp if lease is not None else None
            reused = smtp is not None
            if smtp is None:
                smtp, error = await _connect(target, helo, timeout, sec)
                if error is not None:
                    errors.append(f"[{target.host}:{target.port}] {error}")
                    if lease is not None and pool is not None:
                        pool.release(lease, None, reusable=False)
                    break
            result.remote = f"{target.host}:{target.port}"
            try:
                clean = await _transaction(smtp, result, sender, recipients, data)
            except _HostFailure as exc:
                result.replies.clear()
                smtp.close()
                if lease is not None and pool is not None:
                    pool.release(lease, None, reusable=False)
                if reused and not retried:  # a kept connection the server had dropped: once more, fresh
                    retried = True
                    continue
                errors.append(f"[{target.host}:{target.port}] {exc}")
                break
            if not clean:
                clean = await _reset(smtp)  # RSET before the connection carries another transaction
            if lease is not None and pool is not None:
                pool.release(lease, smtp, reusable=clean)
            else:
                await _quit(smtp)
            return result
    result.connection_error = "; ".join(errors) or "451 4.4.0 No smart host to connect to"
    return result


async def _connect(target: Target, helo: str, timeout: float, sec: Security) -> tuple[Any, str | None]:
    """A new session with EHLO, STARTTLS and AUTH done; (client, None) or (None, the error for the host)."""
    import aiosmtplib

    smtp = aiosmtplib.SMTP(
        hostname=target.host,
        port=target.port,
        local_hostname=helo,
        timeout=timeout,
        start_tls=False,
        validate_certs=sec.require_tls,
    )
    try:
        await smtp.connect()
        await _hello(smtp, sec)
    except aiosmtplib.SMTPResponseException as exc:
        smtp.close()
        return None, _reply(exc.code, exc.message)
    except _HostFailure as exc:
        await _quit(smtp)
        return None, str(exc)
    except (aiosmtplib.SMTPException, OSError) as exc:
        smtp.close()
        return None, f'451 4.4.0 Primary target IP address responded with: "{type(exc).__name__}: {exc}"'
    return smtp, None


async def _reset(smtp: Any) -> bool:
    import aiosmtplib

    try:
        await smtp.rset()
        return True
    except (aiosmtplib.SMTPException, OSError):
        smtp.close()
        return False


async def _quit(smtp: Any) -> None:
    import aiosmtplib

    try:
        await asyncio.wait_for(smtp.quit(), 2.0)
    except (TimeoutError, aiosmtplib.SMTPException, OSError):
        smtp.close()


class _HostFailure(Exception):
    """The host couldn't take the transaction at all (EHLO/MAIL/TLS failed, or it dropped us): fail over."""


async def _hello(smtp: Any, sec: Security) -> None:
    import ssl

    import aiosmtplib

    await smtp.ehlo()
    tls = False
    if smtp.supports_extension("starttls") and not sec.ignore_starttls:
        ctx = tls_context_for(sec.tls_auth_level if sec.require_tls else None)
        try:
            if ctx is not None:
                await smtp.starttls(tls_context=ctx, server_hostname=sec.tls_domain
                                    if sec.tls_auth_level == "DomainValidation" else None)
            else:
                await smtp.starttls(validate_certs=sec.require_tls)
        except (ssl.SSLError, aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected) as exc:
            cause = exc.__cause__ or exc.__context__ or exc
            level = sec.tls_auth_level or ("CertificateValidation" if sec.require_tls else "EncryptionOnly")
            raise _HostFailure(f"451 4.4.0 TLS negotiation failed ({level}): {cause}") from None
        await smtp.ehlo()
        tls = True
    elif sec.require_tls:
        raise _HostFailure("451 5.7.3 STARTTLS is required to send mail")
    if not sec.basic_auth:
        return
    if sec.password is None:
        raise _HostFailure("454 4.7.0 Temporary authentication failure: the send connector's stored credential "
                           "can't be read (see the service log)")
    if sec.auth_mechanism == "BasicAuthRequireTLS" and not tls:
        raise _HostFailure("451 5.7.3 Require STARTTLS to do basic authentication")
    methods = [m.lower() for m in smtp.supported_auth_methods]
    try:
        if "login" in methods:
            await smtp.auth_login(sec.user_name or "", sec.password or "")
        elif "plain" in methods:
            await smtp.auth_plain(sec.user_name or "", sec.password or "")
        else:
            raise _HostFailure("451 5.7.3 Require basic authentication.")  # Exchange 2010's text (tls-auth.md §3)
    except aiosmtplib.SMTPResponseException as exc:
        raise _HostFailure(f'451 4.4.0 Primary target IP address responded with: "{_reply(exc.code, exc.message)}"'
                           ) from None


async def _transaction(
    smtp: Any, result: SendResult, sender: str, recipients: Sequence[str], data: bytes
) -> bool:
    """MAIL, RCPT per recipient, DATA. True when the transaction ended cleanly (DATA answered), False when it
    stopped before DATA (the connection then needs RSET before it is reused)."""
    import aiosmtplib

    try:
        try:
            await _mail(smtp, sender)
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:  # the sender itself is refused: every recipient fails permanently
                for r in recipients:
                    result.replies[r] = _reply(exc.code, exc.message)
                return False
            raise _HostFailure(_reply(exc.code, exc.message)) from None
        accepted: list[str] = []
        for rcpt in recipients:
            try:
                await _rcpt(smtp, rcpt)
                accepted.append(rcpt)
            except aiosmtplib.SMTPResponseException as exc:
                if exc.code in (421,):  # the server is closing the channel
                    raise
                result.replies[rcpt] = _reply(exc.code, exc.message)
        if not accepted:
            return False
        try:
            resp = await smtp.data(data)
            reply = _reply(resp.code, resp.message)
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421:
                raise
            reply = _reply(exc.code, exc.message)
        for rcpt in accepted:
            result.replies[rcpt] = reply
        return True
    except aiosmtplib.SMTPResponseException as exc:
        raise _HostFailure(_reply(exc.code, exc.message)) from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise _HostFailure(f"451 4.4.0 Connection lost: {type(exc).__name__}: {exc}") from None


async def _mail(smtp: Any, sender: str) -> None:
    import aiosmtplib

    if not PLAIN_ADDRESS.fullmatch(sender):
        await smtp.mail(sender)
        return
    response = await smtp.execute_command(b"MAIL", b"FROM:<" + sender.encode("ascii") + b">")
    if response.code != 250:
        raise aiosmtplib.SMTPSenderRefused(response.code, response.message, sender)


async def _rcpt(smtp: Any, recipient: str) -> None:
    import aiosmtplib

    if not PLAIN_ADDRESS.fullmatch(recipient):
        await smtp.rcpt(recipient)
        return
    response = await smtp.execute_command(b"RCPT", b"TO:<" + recipient.encode("ascii") + b">")
    if response.code not in (250, 251):
        raise aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient)
