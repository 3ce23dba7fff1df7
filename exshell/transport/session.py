"""The SMTP session: Exchange's verbs, order and replies on the engine's own protocol core (smtp_core.py).

`ExchangeSMTP` subclasses `smtp_core.SMTPProtocol` (connection handling, command loop, line limits, pipelining,
STARTTLS/AUTH plumbing) and supplies every verb: the greeting (chosen per connector at connect time),
EHLO/HELO, MAIL, RCPT, DATA (streamed with a byte budget, never buffered without bound), RSET/NOOP/QUIT/VRFY/
HELP and the two timeouts. Every relay question goes to `policy.decide` with the
PolicyIndex captured when the session connected, so a configuration change applies to new sessions while
sessions in progress finish under the version they started with.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Coroutine

from exshell.transport import metrics
from exshell.transport import limits as L
from exshell.transport import replies as R
from exshell.transport.address import AddressError, split_argument
from exshell.transport.auth import AUTH_MECHANISM_CODE
from exshell.transport.data_reader import DataReader, HeaderTooLarge, ReadMessage
from exshell.transport.headers import Directory, StampContext, rfc2822_now, stamp_head
from exshell.transport.policy import Decision, PolicyIndex, _limit, _seconds, decide, log_flags, receive_limit
from exshell.transport.smtp_core import DataStream, Envelope, SMTPProtocol, TLSSetupException
from exshell.transport.smtp_security import SecurityVerbs

if TYPE_CHECKING:  # pragma: no cover
    from exshell.transport.protocol_log import ProtocolLog
    from exshell.transport.spool import Spool

log = logging.getLogger("exshell.transport")


# Sessions holding ms-Exch-Bypass-Message-Size-Limit still get a ceiling (the spool's disk is not unlimited);
# a header is held in memory while it is parsed, so MaxHeaderSize has one too.
HARD_MAX_MESSAGE = 256 * 1024 * 1024
HARD_MAX_HEADER = 16 * 1024 * 1024
MAIL_PARAMS = {"SIZE", "BODY", "RET", "ENVID", "AUTH"}
RCPT_PARAMS = {"NOTIFY", "ORCPT"}


@dataclass(slots=True)
class ConnectionCounts:
    """Open sessions per connector and per (connector, source) for MaxInboundConnection(PerSource)."""

    total: dict[str, int] = field(default_factory=dict)
    per_source: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, guid: str, source: str, delta: int) -> None:
        self.total[guid] = self.total.get(guid, 0) + delta
        key = (guid, source)
        n = self.per_source.get(key, 0) + delta
        if n <= 0:
            self.per_source.pop(key, None)
        else:
            self.per_source[key] = n


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What a session reads from its connector, derived once per configuration version and connector (the
    connector is immutable within a version) instead of by getattr on every connection, command and message."""

    identity: str
    guid: str
    fqdn: str
    verbose: bool  # ProtocolLoggingLevel Verbose: the protocol log is written
    idle_seconds: float  # ConnectionInactivityTimeout
    session_seconds: float  # ConnectionTimeout (0: none)
    require_tls: bool
    require_ehlo_domain: bool
    max_protocol_errors: int | None
    rate_limit: int | None  # MessageRateLimit (None: unlimited)
    rate_source: str  # MessageRateSource
    max_message: int  # DATA's byte limit without ms-Exch-Bypass-Message-Size-Limit (receive_limit, capped)
    max_header: int  # MaxHeaderSize, capped
    max_hops: int
    max_local_hops: int
    served: metrics.BoundCounter  # exshell_smtp_connections_total{code="220"}
    accepted: metrics.BoundCounter  # exshell_messages_accepted_total
    ehlo: dict[tuple[bool, bool, bool], list[str]] = field(default_factory=dict)  # see ehlo_lines

    @classmethod
    def of(cls, index: PolicyIndex, c: Any) -> "SessionFacts":
        """Per connector of `index`, built at its first session and kept with the index."""
        got = index.derived.get(id(c))  # the index holds its connectors: an id found here is that very object
        if got is None:
            got = index.derived[id(c)] = cls._build(index, c)
        return got

    @classmethod
    def _build(cls, index: PolicyIndex, c: Any) -> "SessionFacts":
        limit = receive_limit(index, c)
        source = getattr(c, "message_rate_source", "IPAddress")
        identity = c.identity
        return cls(
            identity=identity,
            guid=index.facts(c).guid,
            fqdn=index.fqdn_of(c),
            verbose=str(getattr(c, "protocol_logging_level", "None")).lower() == "verbose",
            idle_seconds=_seconds(getattr(c, "connection_inactivity_timeout", None)) or 300.0,
            session_seconds=_seconds(getattr(c, "connection_timeout", None)),
            require_tls=bool(getattr(c, "require_tls", False)),
            require_ehlo_domain=bool(getattr(c, "require_ehlo_domain", False)),
            max_protocol_errors=_limit(getattr(c, "max_protocol_errors", None)),
            rate_limit=_limit(getattr(c, "message_rate_limit", None)),
            rate_source=getattr(source, "name", None) or str(source),
            max_message=min(HARD_MAX_MESSAGE, limit if limit is not None else HARD_MAX_MESSAGE),
            max_header=min(_limit(getattr(c, "max_header_size", None)) or HARD_MAX_HEADER, HARD_MAX_HEADER),
            max_hops=int(getattr(c, "max_hop_count", 0) or 0),
            max_local_hops=int(getattr(c, "max_local_hop_count", 0) or 0),
            served=metrics.CONNECTIONS.labels(connector=identity, code="220"),
            accepted=metrics.MESSAGES_ACCEPTED.labels(connector=identity),
        )


@dataclass(slots=True)
class EngineContext:
    """What sessions share with the engine. `index` is swapped atomically on reload."""

    index: PolicyIndex
    spool: "Spool"
    protocol_log: "ProtocolLog | None" = None
    directory: Directory | None = None  # None: the mailboxes of the session's configuration version
    counts: ConnectionCounts = field(default_factory=ConnectionCounts)
    sessions: set["ExchangeSMTP"] = field(default_factory=set)
    accepted: int = 0
    session_seq: int = 0
    on_spooled: "Callable[[str], None] | None" = None  # e.g. the delivery service's notify(spool_id)
    rates: L.RateLimiter = field(default_factory=L.RateLimiter)  # MessageRateLimit, shared by all sessions
    guard: L.ResourceGuard | None = None  # back pressure at MAIL


class ExchangeSMTP(SecurityVerbs, SMTPProtocol):
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.index = ctx.index
        self.decision: Decision | None = None
        self._refused = False
        self._mail_given = False
        self._in_data = False
        self._mail_decision: Decision | None = None
        self._mail_params: dict[str, Any] = {}
        self._rcpt_params: list[dict[str, Any]] = []
        self._session_timer: asyncio.TimerHandle | None = None
        self._log_seq = 0
        self._verbose = False
        self.facts: SessionFacts | None = None  # the connector's, once the connect step accepted
        self.local: tuple[str, int] = ("0.0.0.0", 0)
        self.remote: tuple[str, int] = ("0.0.0.0", 0)
        self.session_id = ""
        self._errors = 0  # protocol errors so far (MaxProtocolErrors)
        self._last_rx = 0.0  # loop time of the last bytes received (ConnectionInactivityTimeout)
        super().__init__(asyncio.get_running_loop())
        self.hostname = self.index.server_fqdn

    def command_refusal(self, verb: str, arg: str | None) -> str | None:
        # A bare CR inside a command line is refused before any verb sees it: it would otherwise reach the
        # Received header (EHLO) and become a line end on the way out (header smuggling).
        if arg is not None and "\r" in arg:
            self._plog("<", arg.replace("\r", "\\r"), "")
            return str(R.BARE_CR)
        return None

    # ------------------------------------------------------------------ connection
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("sockname") or ("0.0.0.0", 0)
        peer = transport.get_extra_info("peername") or ("0.0.0.0", 0)
        self.local = (sock[0], sock[1])
        self.remote = (peer[0], peer[1])
        ctx = self.ctx
        ctx.session_seq += 1
        self.session_id = f"{int(time.time() * 1000):X}{ctx.session_seq:08X}"
        index = self.index
        source = self.remote[0]
        try:
            sel = index.select(self.local, source)
            guid = index.facts(sel.connector).guid if sel.connector is not None else ""
            d = decide(
                index, self.local, source, "connect",
                active_connections=ctx.counts.total.get(guid, 0),
                active_from_source=ctx.counts.per_source.get((guid, source), 0),
            )
        except Exception:  # a bug must cost one connection, politely, never the listener
            log.exception("connect decision failed for %s:%s on %s:%s", *self.remote, *self.local)
            self._refused = True
            transport.write(f"{R.SERVICE_NOT_AVAILABLE}\r\n".encode("ascii"))  # type: ignore[attr-defined]
            transport.close()
            return
        self.decision = d
        c = d.connector
        facts = SessionFacts.of(index, c) if c is not None else None
        self.facts = facts
        self._verbose = facts is not None and facts.verbose
        self._plog("+", "", "")
        if not d.accepted:
            log.info("refused %s:%s on %s:%s: %s", *self.remote, *self.local, d.reason)
            self._plog("*", "", d.reason)
            self._plog(">", str(d.reply), "")
            self._plog("-", "", "Local")
            self._refused = True
            metrics.CONNECTIONS.inc(connector=c.identity if c is not None else "", code=str(d.reply.code))
            transport.write(f"{d.reply}\r\n".encode("ascii"))  # type: ignore[attr-defined]
            transport.close()
            return
        assert facts is not None
        facts.served.inc()
        ctx.counts.add(guid, source, 1)
        ctx.sessions.add(self)
        if self._verbose:  # the flag list costs ~0.1 ms to build: only when the protocol log is written
            self._plog("*", log_flags(d.rights), "Set Session Permissions")
        self.hostname = facts.fqdn
        tls = index.tls.get(guid)  # the certificate chosen for this connector (transport/tls.py)
        if tls is not None:
            self.tls_context = tls.context
            self.tls_thumbprint = tls.thumbprint
        self.idle_seconds = facts.idle_seconds
        if facts.session_seconds > 0:
            self._session_timer = self.loop.call_later(facts.session_seconds, self._session_timeout)
        log.debug("session %s from %s:%s on %s:%s -> %s", self.session_id, *self.remote, *self.local, facts.identity)
        super().connection_made(transport)

    def tls_started(self) -> None:
        self._reset_transaction()  # RFC 3207 §4.2: the session starts over after the handshake
        super().tls_started()

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        if self._session_timer is not None:
            self._session_timer.cancel()
        if self in self.ctx.sessions:
            self.ctx.sessions.discard(self)
            if self.facts is not None:
                self.ctx.counts.add(self.facts.guid, self.remote[0], -1)
        self._plog("-", "", "Remote" if error is None else f"Remote ({type(error).__name__})")
        if self.ctx.protocol_log is not None and self._verbose:
            self.ctx.protocol_log.flush()
        super().connection_lost(error)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        self._last_rx = self.loop.time()  # any bytes count as activity, not only whole commands
        self.input.feed(data)  # what SMTPProtocol.data_received does, without the extra call per read

    def eof_received(self) -> bool | None:
        if self._refused:
            return False
        return super().eof_received()

    def idle_timeout(self) -> None:
        # ConnectionInactivityTimeout: Exchange answers before dropping (QA-305565). The timer is armed per
        # command; bytes received since then (a DATA line, half a command) push the deadline on.
        idle = self.loop.time() - self._last_rx
        if idle < self.idle_seconds - 0.01:
            self.reset_timeout(self.idle_seconds - idle)
            return
        self._close_with(R.INACTIVITY_TIMEOUT, "inactivity timeout")

    def _session_timeout(self) -> None:
        self._close_with(R.CONNECTION_TIMED_OUT, "connection timeout")

    def _close_with(self, reply: R.Reply, why: str) -> None:
        if self.transport is None:
            return
        if self.transport.is_closing():  # asked before (a TLS close waits for the peer's close_notify): force it
            self.transport.abort()  # type: ignore[attr-defined]
            return
        self._plog(">", str(reply), why)
        try:
            self.write_now(f"{reply}\r\n".encode("ascii"))
        finally:
            self.close()

    @property
    def in_transaction(self) -> bool:
        return self._mail_given or self._in_data

    def shutdown(self) -> None:
        """Engine stopping and the grace period is over."""
        self._close_with(R.SHUTTING_DOWN, "service stopping")

    # ------------------------------------------------------------------ output helpers
    async def greet(self) -> None:
        assert self.decision is not None
        await self.reply(self.decision.reply)  # the connect step's reply is the banner (PolicyIndex.greeting)

    async def push(self, status: str | bytes) -> None:
        text = status if isinstance(status, str) else status.decode("ascii", "replace")
        close = False
        if text[:1] == "5" and L.is_protocol_error(text):  # every protocol error is a 5xx: the rest skip the parse
            self._errors += 1
            facts = self.facts
            limit = facts.max_protocol_errors if facts is not None else None
            if limit is not None and self._errors > limit:
                self._plog("*", "", f"{self._errors} protocol errors (MaxProtocolErrors {limit})")
                log.info("closing %s:%s on %s: %d protocol errors (MaxProtocolErrors %d)", *self.remote,
                         facts.identity if facts is not None else "-", self._errors, limit)
                status = text = str(R.TOO_MANY_ERRORS)
                close = True
        if self._verbose:
            self._plog(">", text, "")
        if close:
            self.pending += text.encode("ascii", "replace") + b"\r\n"
            self.close()  # commands still buffered are not read, as after QUIT
            return
        # RFC 2920 pipelining: the core holds this reply while the client's next command is already buffered
        # and sends the group in one write (smtp_core.SMTPProtocol.queue_reply).
        waiter = self.queue_reply((text.encode("ascii", "replace") if isinstance(status, str) else status) + b"\r\n")
        if waiter is not None:
            await waiter

    def hold_back_forbidden(self) -> bool:
        return self._in_data  # the 354 (and a reply inside DATA) goes out at once

    async def _refuse_and_close(self, reply: R.Reply, why: str) -> None:
        self._plog("*", "", why)
        log.info("%s:%s on %s: %s -> %s", *self.remote,
                 self.decision.connector.identity if self.decision and self.decision.connector else "-", why, reply)
        self._plog(">", str(reply), "")
        self.pending += f"{reply}\r\n".encode("ascii")
        self.close()

    def reply(self, reply: R.Reply) -> Coroutine[Any, Any, None]:
        """`await self.reply(R.X)`: push's coroutine itself (no second coroutine wrapped around it)."""
        return self.push(str(reply))

    async def push_lines(self, code: int, lines: list[str]) -> None:
        """A multi-line reply in one write (fewer syscalls and one drain, RFC 5321 §4.2.1)."""
        text = "".join(f"{code}{'-' if i < len(lines) - 1 else ' '}{line}\r\n" for i, line in enumerate(lines))
        for line in text.splitlines():
            self._plog(">", line, "")
        self.pending += text.encode("ascii", "replace")
        await self.flush()

    async def _answer(self, d: Decision) -> None:
        if d.tarpit > 0:
            c = d.connector
            interval: Any = getattr(c, "tarpit_interval", None)
            form = interval.log_form() if hasattr(interval, "log_form") else str(d.tarpit)
            self._plog("*", f"Tarpit for '{form}'", "")
            await asyncio.sleep(d.tarpit)
        if not d.accepted:
            metrics.REFUSED.inc(connector=d.connector.identity if d.connector else "", step=d.step,
                                code=str(d.reply.code))
            self._plog("*", "", d.reason)
            log.info("%s %s:%s on %s: %s -> %s", d.step, self.remote[0], self.remote[1],
                     d.connector.identity if d.connector else "-", d.reason, d.reply)
        await self.reply(d.reply)

    def _plog(self, event: str, data: str, context: str) -> None:
        plog = self.ctx.protocol_log
        if plog is None or not self._verbose:
            return
        c = self.decision.connector if self.decision else None
        plog.write(
            c.identity if c is not None else "",
            self.session_id,
            self._log_seq,
            _endpoint(self.local),
            _endpoint(self.remote),
            event,
            data,
            context,
        )
        self._log_seq += 1

    def _log_in(self, verb: str, arg: str | None) -> None:
        if self._verbose:
            self._plog("<", verb if not arg else f"{verb} {arg}", "")

    # ------------------------------------------------------------------ verbs
    def _gated(self) -> bool:
        """Whether RequireTLS or a missing HELO may refuse a mail verb: the two coroutines that answer are
        created only then, not on every MAIL, RCPT and DATA."""
        assert self.facts is not None
        return not self.session.host_name or (self.facts.require_tls and not self.tls_active)

    async def check_helo_needed(self, helo: str = "HELO") -> bool:
        assert self.session is not None
        if not self.session.host_name:
            await self.reply(R.SEND_HELLO_FIRST)
            return True
        return False

    async def _ehlo_refused(self, hostname: str) -> bool:
        """RequireEHLODomain: no domain in EHLO/HELO closes the connection (PS-NRC); else an empty argument is
        only a syntax error."""
        if self.facts is not None and self.facts.require_ehlo_domain and not L.is_domain(hostname or ""):
            await self._refuse_and_close(R.EHLO_REQUIRES_DOMAIN,
                                         f"RequireEHLODomain: {hostname or 'nothing'!r} is not a domain")
            return True
        if not hostname:
            await self.reply(R.INVALID_DOMAIN)
            return True
        return False

    async def smtp_EHLO(self, hostname: str) -> None:
        self._log_in("EHLO", hostname)
        if await self._ehlo_refused(hostname):
            return
        self._reset_transaction()
        assert self.session is not None and self.decision is not None
        self.session.extended_smtp = True
        self.session.host_name = hostname
        lines = [f"{self.hostname} Hello [{self.remote[0]}]"] + self.ehlo_lines()  # smtp_security.ehlo_extensions
        await self.push_lines(250, lines)

    async def smtp_HELO(self, hostname: str) -> None:
        self._log_in("HELO", hostname)
        if await self._ehlo_refused(hostname):
            return
        self._reset_transaction()
        assert self.session is not None
        self.session.extended_smtp = False
        self.session.host_name = hostname
        await self.push(f"250 {self.hostname} Hello [{self.remote[0]}]")

    async def smtp_NOOP(self, arg: str) -> None:
        self._log_in("NOOP", arg)
        await self.reply(R.NOOP_OK)

    async def smtp_RSET(self, arg: str) -> None:
        self._log_in("RSET", arg)
        self._reset_transaction()
        await self.reply(R.RSET_OK)

    async def smtp_QUIT(self, arg: str) -> None:
        self._log_in("QUIT", arg)
        await self.reply(R.QUIT)
        self.close()

    async def smtp_VRFY(self, arg: str) -> None:
        self._log_in("VRFY", arg)
        if await self.refused_before_tls("VRFY"):
            return
        await self.push("252 2.1.5 Cannot VRFY user, but will accept message for delivery")

    async def smtp_HELP(self, arg: str | None) -> None:
        self._log_in("HELP", arg)
        await self.push_lines(214, ["This server supports the following commands:",
                                    "HELO EHLO STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH"])

    async def smtp_EXPN(self, arg: str | None) -> None:
        self._log_in("EXPN", arg)
        await self.reply(R.NOT_IMPLEMENTED)

    def _reset_transaction(self) -> None:
        self.envelope = Envelope()
        self._mail_given = False
        self._mail_decision = None
        self._mail_params = {}
        self._rcpt_params = []

    async def smtp_MAIL(self, arg: str | None) -> None:
        self._log_in("MAIL", arg)
        if self._gated() and (await self.refused_before_tls("MAIL") or await self.check_helo_needed()):
            return
        if self._mail_given:
            await self.reply(R.BAD_SEQUENCE_MAIL)
            return
        try:
            path_text, params = split_argument(arg, "FROM:")
        except AddressError:
            await self.reply(R.SYNTAX_ERROR)
            return
        if params and not MAIL_PARAMS.issuperset(params):
            await self.reply(R.UNKNOWN_PARAMETER)
            return
        size = None
        if "SIZE" in params:
            raw = params["SIZE"]
            if not isinstance(raw, str) or not raw.isdigit():
                await self.reply(R.SYNTAX_ERROR)
                return
            size = int(raw)
        body = params.get("BODY")
        if body is not None and str(body).upper() not in ("7BIT", "8BITMIME"):
            await self.reply(R.SYNTAX_ERROR)
            return
        guard = self.ctx.guard
        pressure = guard.pressure() if guard is not None else None
        if pressure:
            self._plog("*", "", f"back pressure: {pressure}")
            log.warning("back pressure: %s; MAIL deferred with 452 4.3.1", pressure)
            await self.reply(R.INSUFFICIENT_RESOURCES)
            return
        d = decide(self.index, self.local, self.remote[0], "mail", sender=path_text, size=size,
                   **self.auth_arguments())
        if d.accepted and not self._within_rate(d):
            await self._refuse_and_close(R.RATE_LIMIT_EXCEEDED, "MessageRateLimit reached for this source")
            return
        if d.accepted:
            assert self.envelope is not None and d.path is not None
            self.envelope.mail_from = d.path.address
            self._mail_given = True
            self._mail_decision = d
            self._mail_params = {k: v for k, v in params.items() if k != "AUTH"}
        await self._answer(d)

    def _within_rate(self, d: Decision) -> bool:
        facts = self.facts
        assert facts is not None
        limit = facts.rate_limit
        if limit is None:
            return True
        user = self.logon.principal if self.logon is not None else None
        keys = L.rate_keys(facts.rate_source, self.remote[0], user, facts.guid)
        return all([self.ctx.rates.allow(k, limit) for k in keys])

    async def smtp_RCPT(self, arg: str | None) -> None:
        self._log_in("RCPT", arg)
        if self._gated() and (await self.refused_before_tls("RCPT") or await self.check_helo_needed()):
            return
        if not self._mail_given:
            await self.reply(R.BAD_SEQUENCE_RCPT)
            return
        try:
            path_text, params = split_argument(arg, "TO:")
        except AddressError:
            await self.reply(R.SYNTAX_ERROR)
            return
        if params and not RCPT_PARAMS.issuperset(params):
            await self.reply(R.UNKNOWN_PARAMETER)
            return
        assert self.envelope is not None
        d = decide(
            self.index, self.local, self.remote[0], "rcpt",
            recipient=path_text, recipients_so_far=len(self.envelope.rcpt_tos), **self.auth_arguments(),
        )
        if d.accepted:
            assert d.path is not None
            self.envelope.rcpt_tos.append(d.path.address or d.path.local)
            self._rcpt_params.append(dict(params))
        await self._answer(d)

    async def smtp_DATA(self, arg: str | None) -> None:
        self._log_in("DATA", arg)
        if self._gated() and (await self.refused_before_tls("DATA") or await self.check_helo_needed()):
            return
        assert self.envelope is not None and self.decision is not None and self.facts is not None
        if not self._mail_given:
            await self.reply(R.BAD_SEQUENCE_RCPT)
            return
        if not self.envelope.rcpt_tos:
            await self.reply(R.BAD_SEQUENCE_DATA)
            return
        if arg:
            await self.reply(R.SYNTAX_ERROR)
            return
        c = self.decision.connector
        facts = self.facts
        mail = self._mail_decision
        bypass = mail is not None and mail.granted("ms-Exch-Bypass-Message-Size-Limit")  # no limit but the ceiling
        limit = HARD_MAX_MESSAGE if bypass else facts.max_message
        max_header = facts.max_header
        spool = self.ctx.spool
        reader = DataReader(DataStream(self.input), limit=limit, max_header=max_header,
                            body_path=spool.new_body_path, write=spool.run, account=self._account_bytes)
        self._in_data = True  # also makes the 354 go out at once (see push)
        try:
            await self.reply(R.START_MAIL_INPUT)
            try:
                msg = await reader.read()
            except HeaderTooLarge as e:
                self._reset_transaction()
                await self._refuse_and_close(
                    R.HEADER_TOO_LARGE, f"the header passed {e.args[0]:,} bytes (MaxHeaderSize {max_header:,})")
                return
        finally:
            self._in_data = False
        if not msg.complete:
            await reader.discard()
            return  # connection lost mid-DATA: nothing was promised
        # The header's From is checked only for an authenticated session (auth_arguments): joined only then.
        header = None
        if self.logon is not None and not msg.oversize:
            header = b"".join(f.raw() for f in msg.fields) + b"\r\n"
        d = decide(self.index, self.local, self.remote[0], "data_end", size=msg.size,
                   **self.auth_arguments(header))
        if d.accepted and msg.oversize:
            d = Decision(c, [], d.principal, d.rights, "reject", R.SIZE_EXCEEDED,
                         f"message exceeds the engine ceiling of {HARD_MAX_MESSAGE:,} bytes", "data_end", d.tarpit)
        if d.accepted:
            hops = L.count_hops([f.value() for f in msg.fields if f.name == b"received"], self.index.local_hosts)
            why = hops.refusal(facts.max_hops, facts.max_local_hops)
            if why:
                d = Decision(c, [], d.principal, d.rights, "reject", R.HOP_COUNT_EXCEEDED, why, "data_end", 0.0)
                await self._track_loop(msg, why)
        if not d.accepted:
            await reader.discard()
            self._reset_transaction()
            await self._answer(d)
            return
        self._in_data = True  # the spool write is part of the transaction a graceful stop waits for
        try:
            await reader.finish()
            status = await self._queue(d, msg)
        finally:
            self._in_data = False
            await reader.discard()  # a body file the spool did not take (it removes the one it took)
        self._reset_transaction()
        await self.push(status)

    def _account_bytes(self, delta: int) -> None:
        """DATA bytes held in memory, summed engine-wide for back pressure (ResourceGuard.max_buffered)."""
        guard = self.ctx.guard
        if guard is not None:
            guard.buffered += delta

    async def _track_loop(self, msg: ReadMessage, why: str) -> None:
        """A loop refused at end of DATA is recorded in the message tracking log (event FAIL, source SMTP),
        so `Get-MessageTrackingLog -MessageId` shows where the loop was stopped."""
        from exshell.transport.delivery import tracking  # lazy: only a refused loop is tracked from here

        assert self.envelope is not None
        state_dir = os.path.dirname(self.ctx.spool.path)  # <state>/spool
        settings = self.index.settings
        if settings is not None and not getattr(settings, "message_tracking_log_enabled", True):
            return
        mid = _message_id_of(msg) or ""
        subject = msg.first(b"subject")
        await self.ctx.spool.run(functools.partial(
            tracking.log_event, state_dir, "FAIL", source="SMTP", message_id=mid,
            sender=self.envelope.mail_from or "", recipients=list(self.envelope.rcpt_tos),
            recipient_status=[str(R.HOP_COUNT_EXCEEDED)] * len(self.envelope.rcpt_tos), total_bytes=msg.size,
            connector_id=self.decision.connector.identity if self.decision and self.decision.connector else "",
            subject=subject.value().decode("utf-8", "replace") if subject else "", client_ip=self.remote[0],
            server_hostname=self.index.server_fqdn, source_context=why,
        ))

    async def _queue(self, d: Decision, msg: ReadMessage) -> str:
        assert self.envelope is not None and self.session is not None and self.facts is not None
        facts = self.facts  # d's connector is the session's: the same index answers for the same endpoints
        fqdn = facts.fqdn
        spool = self.ctx.spool
        esmtp_id = spool.new_name()
        # Exchange keeps the message's own Message-ID and adds one only when it has none.
        own = _message_id_of(msg)
        message_id = own or f"{esmtp_id}@{fqdn}"
        rights = self.index.granted_names(d.rights)
        externally_secured = d.principal == "MS Exchange\\Externally Secured Servers"
        received = rfc2822_now()
        rcpts = list(self.envelope.rcpt_tos)
        head = stamp_head(
            [f.raw() for f in msg.fields],
            msg.body_head,
            StampContext(
                helo=self.session.host_name or "",
                remote_ip=self.remote[0],
                fqdn=fqdn,
                message_id=esmtp_id,
                rights=rights,
                externally_secured=externally_secured,
                received=received,
                recipient=rcpts[0] if len(rcpts) == 1 else None,
                auth_mechanism=AUTH_MECHANISM_CODE if self.logon is not None else None,
                with_protocol="ESMTP" + ("S" if self.tls_active else "") + ("A" if self.logon is not None else ""),
                add_message_id=None if own else message_id,
            ),
            self.ctx.directory if self.ctx.directory is not None else self.index.directory,
            [f.name for f in msg.fields],  # named once by the DATA reader
        )
        body = msg.body if msg.body is not None else b""
        if not msg.body_size:
            body = b"\r\n"  # all header: the stamped block still needs its end
        data = head.data + body
        size = len(data) + (msg.body_size if msg.body is None else 0)
        envelope = {
            "message_id": message_id,
            "sender": self.envelope.mail_from or "",
            "recipients": rcpts,
            "mail_params": self._mail_params,
            "rcpt_params": self._rcpt_params,
            "connector": facts.identity,
            "connector_guid": facts.guid,
            "local": _endpoint(self.local),
            "remote": _endpoint(self.remote),
            "helo": self.session.host_name or "",
            "principal": d.principal,
            "auth_as": head.auth_as,
            "authenticated_as": self.logon.principal if self.logon is not None else None,
            "tls": self.tls_active,
            "scl": head.scl,
            "resolved_sender": head.resolved_sender,
            "received": _iso_now(),
            "size": size,
            "config_version": self.index.version,
        }
        try:
            spool_id = await spool.store(envelope, data, msg.body_path if msg.body is None else None)
        except OSError as e:
            log.error("spool write failed for a message from %s: %s", self.remote[0], e)
            metrics.REFUSED.inc(connector=facts.identity, step="data_end", code=str(R.SPOOL_FAILED.code))
            return str(R.SPOOL_FAILED)
        self.ctx.accepted += 1
        facts.accepted.inc()
        if self.ctx.on_spooled is not None:
            try:
                self.ctx.on_spooled(spool_id)
            except Exception:  # the message is safe on disk; a wake-up hook must not turn that into a failure
                log.exception("on_spooled hook failed for %s", spool_id)
        if self._verbose:
            self._plog("*", message_id, "receiving message")
        if log.isEnabledFor(logging.INFO):  # the recipient list is joined only when the line is written
            log.info("received <%s> (InternalId %s) from %s via %s for %s, %d bytes", message_id, spool_id,
                     self.remote[0], facts.identity, ", ".join(rcpts), size)
        return str(R.QUEUED.format(message_id=message_id, internal_id=spool_id, hostname=fqdn))

    async def handle_exception(self, error: Exception) -> str:
        if isinstance(error, TLSSetupException):  # a failed handshake: the client's problem, the connection closes
            self.tls_failed(error)
            return ""
        log.exception("session %s: unexpected error", self.session_id)
        return str(R.LOCAL_ERROR)


def _message_id_of(msg: ReadMessage) -> str | None:
    """The message's own Message-ID without < >, or None when it has none (or an unusable one)."""
    f = msg.first(b"message-id")
    if f is None:
        return None
    text = f.value().decode("utf-8", "replace").strip()
    if "<" in text and ">" in text.split("<", 1)[1]:
        text = text.split("<", 1)[1].split(">", 1)[0]
    text = text.strip()
    if not text or len(text) > 995 or any(ch in text for ch in " \t<>"):
        return None
    return text


_iso: tuple[int, str] = (-1, "")


def _iso_now() -> str:
    """UTC now as the envelope's `received` (ISO 8601, second resolution), formatted once per second."""
    global _iso
    second = int(time.time())
    if _iso[0] != second:
        _iso = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return _iso[1]


def _endpoint(addr: tuple[str, int]) -> str:
    host = addr[0]
    return f"[{host}]:{addr[1]}" if ":" in host else f"{host}:{addr[1]}"
