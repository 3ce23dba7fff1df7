"""The outbound SMTP client (over `smtp_wire`, ours, with PIPELINING): one attempt to hand a group of recipients to a send connector.

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
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from exshell.transport.delivery.connection_pool import ConnectionPool
from exshell.transport.delivery.smtp_wire import Connection, SMTPError, address_arg

CONNECT_TIMEOUT = 30.0


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


def tls_context_for(level: str | None, *, validate: bool = False) -> ssl.SSLContext:
    """The client context of a TlsAuthLevel. None (no level, or RequireTLS off): the system's trust store, and
    the chain and name checked only when `validate` (RequireTLS without a level)."""
    if level is None:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        ctx.check_hostname = validate
        ctx.verify_mode = ssl.CERT_REQUIRED if validate else ssl.CERT_NONE
        return ctx
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
            smtp: Connection | None = lease.smtp if lease is not None else None
            reused = smtp is not None
            if smtp is None:
                smtp, error = await _connect(target, helo, timeout, sec)
                if smtp is None:
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


async def _connect(target: Target, helo: str, timeout: float, sec: Security) -> tuple[Connection | None, str]:
    """A new session with EHLO, STARTTLS and AUTH done; (connection, "") or (None, the error for the host)."""
    conn = Connection(target.host, target.port, timeout=timeout)
    try:
        greeting = await conn.connect()
        if greeting.code != 220:  # 421/554 instead of a greeting: the next host
            conn.close()
            return None, greeting.text
        await _hello(conn, helo, sec)
    except _HostFailure as exc:
        await conn.quit()
        return None, str(exc)
    except (SMTPError, OSError) as exc:
        conn.close()
        return None, f'451 4.4.0 Primary target IP address responded with: "{type(exc).__name__}: {exc}"'
    return conn, ""


async def _reset(conn: Connection) -> bool:
    try:
        if (await conn.rset()).code == 250:
            return True
    except SMTPError:
        pass
    conn.close()
    return False


async def _quit(conn: Connection) -> None:
    await conn.quit()  # bounded (smtp_wire.QUIT_TIMEOUT) and never raises


class _HostFailure(Exception):
    """The host couldn't take the transaction at all (EHLO/MAIL/TLS failed, or it dropped us): fail over."""


async def _hello(conn: Connection, helo: str, sec: Security) -> None:
    reply = await conn.ehlo(helo)
    if reply.code != 250:
        raise _HostFailure(reply.text)
    tls = False
    if conn.supports("starttls") and not sec.ignore_starttls:
        level = sec.tls_auth_level if sec.require_tls else None
        # Loading the trust store reads files: off the event loop, as aiosmtplib did.
        ctx = await asyncio.to_thread(tls_context_for, level, validate=sec.require_tls)
        name = (sec.tls_domain if level == "DomainValidation" else None) or conn.host
        try:
            reply = await conn.starttls(ctx, name)
        except (ssl.SSLError, OSError, SMTPError) as exc:
            cause = exc.__cause__ or exc.__context__ or exc
            shown = sec.tls_auth_level or ("CertificateValidation" if sec.require_tls else "EncryptionOnly")
            raise _HostFailure(f"451 4.4.0 TLS negotiation failed ({shown}): {cause}") from None
        if reply.code != 220:
            raise _HostFailure(reply.text)
        reply = await conn.ehlo(helo)
        if reply.code != 250:
            raise _HostFailure(reply.text)
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
    if "login" in conn.auth_methods:
        reply = await conn.auth_login(sec.user_name or "", sec.password or "")
    elif "plain" in conn.auth_methods:
        reply = await conn.auth_plain(sec.user_name or "", sec.password or "")
    else:
        raise _HostFailure("451 5.7.3 Require basic authentication.")  # Exchange 2010's text (tls-auth.md §3)
    if reply.code != 235:
        raise _HostFailure(f'451 4.4.0 Primary target IP address responded with: "{reply.text}"')


BAD_SENDER = "501 5.1.7 Invalid address (the sender can't be written on an SMTP command line)"
BAD_RECIPIENT = "501 5.1.3 Invalid address (the recipient can't be written on an SMTP command line)"


async def _transaction(
    conn: Connection, result: SendResult, sender: str, recipients: Sequence[str], data: bytes
) -> bool:
    """MAIL, RCPT per recipient, DATA (pipelined when the host offers PIPELINING). True when the transaction ended
    cleanly (the body's reply read, or nothing sent), False when it stopped before the body (the connection then
    needs RSET before it is reused)."""
    mail_from = address_arg(sender)
    if mail_from is None:  # never sent: the engine accepts only addresses that fit; this guards the command line
        for r in recipients:
            result.replies[r] = BAD_SENDER
        return True
    sendable: list[tuple[str, bytes]] = []
    for r in recipients:
        arg = address_arg(r)
        if arg is None:
            result.replies[r] = BAD_RECIPIENT
        else:
            sendable.append((r, arg))
    if not sendable:
        return True
    try:
        env = await conn.envelope(mail_from, [arg for _, arg in sendable])
        if env.mail.code != 250:
            if env.mail.code < 500:  # 4xx (421 included): this host can't take it now, the next one may
                raise _HostFailure(env.mail.text)
            for r, _ in sendable:  # the sender itself is refused: every recipient fails permanently
                result.replies[r] = env.mail.text
            if env.data is not None and env.data.code == 354:
                await conn.end_empty_data()  # pipelined, and the server took DATA anyway
            return False
        accepted: list[str] = []
        for (rcpt, _), reply in zip(sendable, env.rcpts):
            if reply.code == 421:  # the server is closing the channel
                raise _HostFailure(reply.text)
            if reply.code in (250, 251):
                accepted.append(rcpt)
            else:
                result.replies[rcpt] = reply.text
        if not accepted:
            if env.data is not None and env.data.code == 354:
                # RFC 2920 §3.1: DATA accepted without a recipient: a lone "." ends it, nothing is delivered
                await conn.end_empty_data()
            return False
        if env.data is None:
            raise _HostFailure("451 4.4.0 No reply to DATA")
        if env.data.code == 421:
            raise _HostFailure(env.data.text)
        if env.data.code != 354:  # DATA refused (503, 554, 451): the message is not taken for anyone accepted
            for rcpt in accepted:
                result.replies[rcpt] = env.data.text
            return False
        final = await conn.body(data)
        if final.code == 421:
            raise _HostFailure(final.text)
        for rcpt in accepted:
            result.replies[rcpt] = final.text
        return True
    except (SMTPError, OSError) as exc:
        raise _HostFailure(f"451 4.4.0 Connection lost: {type(exc).__name__}: {exc}") from None
