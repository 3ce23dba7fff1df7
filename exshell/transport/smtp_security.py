"""The session's security verbs: STARTTLS, AUTH, the RequireTLS gate and what EHLO says about them.

A mixin of `ExchangeSMTP` (session.py), kept apart so the verbs of mail transfer and the verbs of security
can change independently. Exchange's behaviour, per connector AuthMechanism (tls-auth.md §1, semantics.md §d):
- `STARTTLS` is offered when AuthMechanism has Tls and a certificate was found (transport/tls.py); not again
  after TLS. A blind STARTTLS where it isn't offered gets `500 5.3.3 Unrecognized command`; a second one 503.
  The handshake is the protocol core's (smtp_core.SMTPProtocol.start_tls: the event loop's public
  `start_tls`). After it the session starts over (RFC 3207 §4.2): a new EHLO is needed.
- RequireTLS: before STARTTLS every command other than EHLO, HELO, STARTTLS, NOOP, QUIT and RSET gets
  `451 5.7.3 Must issue a STARTTLS command first`.
- AUTH LOGIN / PLAIN (transport/auth.py) when BasicAuth is set, hidden before TLS under BasicAuthRequireTLS;
  anything not offered gets `504 5.7.4 Unrecognized authentication type`. A failed logon is answered
  `535 5.7.3 Authentication unsuccessful` after the connector's AuthTarpitInterval; the MaxLogonFailures-th
  failure (0 = no limit) is answered `421 4.7.0 Too many errors on this connection...` and the connection is
  closed. A logon whose principal lacks ms-Exch-SMTP-Submit fails like a bad password (semantics.md §c:
  "AUTH fails even with correct credentials").
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
from typing import Any


from exshell.transport import auth as A
from exshell.transport import metrics
from exshell.transport import replies as R
from exshell.transport.policy import _seconds, log_flags, receive_limit
from exshell.transport.smtp_core import MISSING, TLSSetupException

log = logging.getLogger("exshell.transport")

ALLOWED_BEFORE_TLS = frozenset({"EHLO", "HELO", "STARTTLS", "NOOP", "QUIT", "RSET"})


def ehlo_extensions(index: Any, connector: Any, *, starttls: bool, tls_active: bool, authenticated: bool) -> list[str]:
    """The EHLO keywords after the greeting line, in Exchange's order (semantics.md §d, TELNET): what the session
    sends and what Test-RelayPolicy shows. `starttls`: a certificate is ready for this connector."""
    c = connector
    lines = []
    max_size = receive_limit(index, c)
    size_mode = str(getattr(c, "size_enabled", "Enabled"))
    if size_mode != "Disabled":  # SizeMode: Enabled / EnabledWithoutValue / Disabled (PS-NRC SizeEnabled)
        lines.append(f"SIZE {max_size}" if max_size and size_mode == "Enabled" else "SIZE")
    if getattr(c, "pipelining_enabled", True):
        lines.append("PIPELINING")
    if getattr(c, "delivery_status_notification_enabled", True):
        lines.append("DSN")
    if getattr(c, "enhanced_status_codes_enabled", True):
        lines.append("ENHANCEDSTATUSCODES")
    if starttls and not tls_active:
        lines.append("STARTTLS")
    mechanisms = A.offered(c, tls_active)
    if mechanisms and not authenticated:
        lines.append("AUTH " + " ".join(mechanisms))
    if getattr(c, "eight_bit_mime_enabled", True):
        lines.append("8BITMIME")
    return lines


class SecurityVerbs:
    """State: `tls_active`, `logon` (an auth.Logon once AUTH succeeded), `logon_failures`."""

    tls_active: bool = False
    logon: A.Logon | None = None
    logon_failures: int = 0
    tls_thumbprint: str | None = None

    # ------------------------------------------------------------------ what the verbs consult
    def ehlo_lines(self) -> list[str]:
        # The keywords depend only on the connector (one configuration version) and these three facts: built
        # once per combination and kept with the connector's SessionFacts.
        key = (self.tls_context is not None, self.tls_active, self.logon is not None)  # type: ignore[attr-defined]
        cache = self.facts.ehlo  # type: ignore[attr-defined]
        lines = cache.get(key)
        if lines is None:
            lines = cache[key] = ehlo_extensions(self.index, self.decision.connector,  # type: ignore[attr-defined]
                                                 starttls=key[0], tls_active=key[1], authenticated=key[2])
        return lines

    async def refused_before_tls(self, verb: str) -> bool:
        """RequireTLS: True (after answering) when `verb` must wait for STARTTLS."""
        if self.facts.require_tls and not self.tls_active and verb not in ALLOWED_BEFORE_TLS:  # type: ignore[attr-defined]
            await self.reply(R.MUST_ISSUE_STARTTLS)  # type: ignore[attr-defined]
            return True
        return False

    def auth_arguments(self, data: bytes | None = None) -> dict[str, Any]:
        """The extra `decide` arguments of an authenticated session."""
        if self.logon is None:
            return {}
        args: dict[str, Any] = {"authenticated_as": self.logon.principal, "send_as": self.logon.addresses}
        if data is not None:
            args["header_from"] = header_from(data)
        return args

    # ------------------------------------------------------------------ STARTTLS
    async def smtp_STARTTLS(self, arg: str | None) -> None:
        self._log_in("STARTTLS", arg)  # type: ignore[attr-defined]
        if self.tls_active:
            await self.reply(R.TLS_ALREADY_ACTIVE)  # type: ignore[attr-defined]
            return
        if self.tls_context is None:  # type: ignore[attr-defined]
            await self.reply(R.UNRECOGNIZED_COMMAND)  # type: ignore[attr-defined]
            return
        if arg:
            await self.reply(R.SYNTAX_ERROR)  # type: ignore[attr-defined]
            return
        self._plog("*", "", "Sending certificate")  # type: ignore[attr-defined]
        self._plog("*", f"{self.tls_thumbprint}", "Certificate thumbprint")  # type: ignore[attr-defined]
        await self.start_tls(str(R.STARTTLS_READY))  # type: ignore[attr-defined]
        # The handshake finished and the session started over (ExchangeSMTP.tls_started).

    def tls_started(self) -> None:
        self.tls_active = True
        self.logon = None
        ssl_object = self.transport.get_extra_info("ssl_object")  # type: ignore[attr-defined]
        version = ssl_object.version() if ssl_object is not None else "TLS"
        cipher = (ssl_object.cipher() or ("?",))[0] if ssl_object is not None else "?"
        self._plog("*", "", f"TLS negotiation succeeded ({version}, {cipher})")  # type: ignore[attr-defined]
        metrics.TLS_HANDSHAKES.inc(connector=self._metrics_connector(), result="ok")

    def tls_failed(self, error: BaseException) -> None:
        cause = error.__cause__ or error
        log.info("session %s: TLS negotiation with %s failed: %s", self.session_id,  # type: ignore[attr-defined]
                 self.remote[0], cause)  # type: ignore[attr-defined]
        self._plog("*", "", f"TLS negotiation failed: {cause}")  # type: ignore[attr-defined]
        metrics.TLS_HANDSHAKES.inc(connector=self._metrics_connector(), result="failed")

    def _metrics_connector(self) -> str:
        decision = getattr(self, "decision", None)
        c = decision.connector if decision is not None else None
        return str(c.identity) if c is not None else ""

    # ------------------------------------------------------------------ AUTH
    async def smtp_AUTH(self, arg: str | None) -> None:
        self._log_in("AUTH", (arg or "").split(" ", 1)[0])  # type: ignore[attr-defined]  # never the initial response: it carries secrets
        if await self.refused_before_tls("AUTH"):
            return
        session = self.session  # type: ignore[attr-defined]
        if not session.host_name:
            await self.reply(R.SEND_HELLO_FIRST)  # type: ignore[attr-defined]
            return
        if not session.extended_smtp:
            await self.reply(R.UNRECOGNIZED_COMMAND)  # type: ignore[attr-defined]
            return
        if self.logon is not None:
            await self.reply(R.AUTH_ALREADY)  # type: ignore[attr-defined]
            return
        if self.in_transaction:  # type: ignore[attr-defined]
            await self.reply(R.AUTH_IN_TRANSACTION)  # type: ignore[attr-defined]
            return
        parts = (arg or "").split()
        if not parts or len(parts) > 2:
            await self.reply(R.SYNTAX_ERROR)  # type: ignore[attr-defined]
            return
        mechanism = parts[0].upper()
        c = self.decision.connector  # type: ignore[attr-defined]
        if mechanism not in A.offered(c, self.tls_active):
            await self.reply(R.AUTH_UNRECOGNIZED)  # type: ignore[attr-defined]
            return
        initial = parts[1] if len(parts) > 1 else None
        creds = await (self._login(initial) if mechanism == "LOGIN" else self._plain(initial))
        if creds is None:
            return  # cancelled or undecodable: answered already, not a logon failure
        user, password = creds
        index = self.index  # type: ignore[attr-defined]
        mailbox = A.find_mailbox(index, user)
        try:
            ok = await A.verify_in_thread(mailbox, password, self.index.keys)  # type: ignore[attr-defined]
        except Exception:  # the check itself failed (e.g. memory): the client may try again later
            log.exception("session %s: password verification failed", self.session_id)  # type: ignore[attr-defined]
            await self.reply(R.AUTH_TEMPORARY)  # type: ignore[attr-defined]
            return
        reason = "LogonDenied"
        if ok and mailbox is not None:
            logon = A.logon_for(index, mailbox, user, mechanism)
            rights = index.rights_for(c, logon.principal, logon.principal)
            g = rights.get("ms-Exch-SMTP-Submit")
            if g is not None and g.granted:
                await self._logged_on(logon, rights)
                return
            reason = f"{logon.principal} lacks ms-Exch-SMTP-Submit on {c.identity}"
        await self._logon_failed(mechanism, user, reason)

    async def _login(self, initial: str | None) -> tuple[str, str] | None:
        if initial is not None:
            raw = A.decode_b64(initial)
            if raw is None:
                await self.reply(R.AUTH_BAD_BASE64)  # type: ignore[attr-defined]
                return None
        else:
            got = await self.challenge_auth(A.USERNAME_PROMPT)  # type: ignore[attr-defined]
            if got is MISSING:
                return None
            raw = got
        pw = await self.challenge_auth(A.PASSWORD_PROMPT)  # type: ignore[attr-defined]
        if pw is MISSING:
            return None
        try:
            return raw.decode("utf-8"), pw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1"), pw.decode("latin-1")

    async def _plain(self, initial: str | None) -> tuple[str, str] | None:
        if initial is not None and initial != "=":
            blob = A.decode_b64(initial)
            if blob is None:
                await self.reply(R.AUTH_BAD_BASE64)  # type: ignore[attr-defined]
                return None
        else:
            got = await self.challenge_auth("", encode_to_b64=False)  # type: ignore[attr-defined]
            if got is MISSING:
                return None
            blob = got
        creds = A.decode_plain(blob)
        return creds if creds is not None else ("", "")

    async def _logged_on(self, logon: A.Logon, rights: dict[str, Any]) -> None:
        self.logon = logon
        self.session.authenticated = True  # type: ignore[attr-defined]
        self._plog("*", logon.principal, "authenticated")  # type: ignore[attr-defined]
        metrics.AUTH_ATTEMPTS.inc(connector=self._metrics_connector(), mechanism=logon.mechanism, result="ok")
        self._plog("*", log_flags(rights), "Set Session Permissions")  # type: ignore[attr-defined]
        log.info("session %s: %s authenticated as %s with AUTH %s", self.session_id,  # type: ignore[attr-defined]
                 self.remote[0], logon.principal, logon.mechanism)  # type: ignore[attr-defined]
        await self.reply(R.AUTH_OK)  # type: ignore[attr-defined]

    async def _logon_failed(self, mechanism: str, user: str, reason: str) -> None:
        c = self.decision.connector  # type: ignore[attr-defined]
        self.logon_failures += 1
        metrics.AUTH_ATTEMPTS.inc(connector=self._metrics_connector(), mechanism=mechanism, result="failed")
        self._plog("*", "", f"Inbound AUTH {mechanism} failed because of {reason}")  # type: ignore[attr-defined]
        log.info("session %s: AUTH %s for %r from %s failed: %s", self.session_id,  # type: ignore[attr-defined]
                 mechanism, user, self.remote[0], reason)  # type: ignore[attr-defined]
        delay = _seconds(getattr(c, "auth_tarpit_interval", 0)) if self.index.tarpit_enabled else 0.0  # type: ignore[attr-defined]
        if delay > 0:
            interval = c.auth_tarpit_interval
            form = interval.log_form() if hasattr(interval, "log_form") else str(delay)
            self._plog("*", f"Tarpit for '{form}'", "")  # type: ignore[attr-defined]
            await asyncio.sleep(delay)
        limit = int(getattr(c, "max_logon_failures", 0) or 0)
        if limit and self.logon_failures >= limit:
            self._close_with(R.TOO_MANY_ERRORS, f"{self.logon_failures} logon failures (MaxLogonFailures {limit})")  # type: ignore[attr-defined]
            return
        await self.reply(R.AUTH_FAILED)  # type: ignore[attr-defined]


def header_from(data: bytes) -> str | None:
    """The address of the first From header field, or None (no From, or no address in it)."""
    from exshell.transport.headers import split_message  # lazy: only the RequireTLS/From checks parse headers

    fields, _ = split_message(data)
    for f in fields:
        name, _, value = f.partition(b":")
        if name.strip().lower() == b"from":
            _, addr = email.utils.parseaddr(value.decode("utf-8", "replace").strip())
            return addr or None
    return None


__all__ = ["SecurityVerbs", "header_from", "ALLOWED_BEFORE_TLS", "TLSSetupException"]
