"""The outbound SMTP connection: an `asyncio.Protocol` of our own that reads replies and writes commands, with
PIPELINING (RFC 2920).

aiosmtplib, used here before, writes one command and waits for its reply; it has no pipelining and no public way
to send several commands before reading. A socket write on loopback costs ~0.1-0.15 ms here (it wakes the peer
on another CPU), so a transaction in four writes and four round trips (MAIL, RCPT, DATA, body) was a large part
of the delivery process's CPU. With PIPELINING offered, MAIL, every RCPT and DATA go out in one write and their
replies are read together (RFC 2920 §3.1: DATA may end a group), then the body in a second write.

This module knows the wire (replies, commands, EHLO extensions, STARTTLS, AUTH, the envelope and the body);
what a reply means for a recipient, and which text goes to the tracking log, is `smtp_client`'s business.
Every read has a timeout; a timeout, an unparseable reply, or an unsolicited one leave the stream out of step
with the commands, so the connection is closed then rather than risk pairing a reply with the wrong command.
"""

from __future__ import annotations

import asyncio
import base64
import re
import ssl
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

MAX_LINE = 8192  # a reply line longer than this is not SMTP (RFC 5321 §4.5.3.1.5 allows 512)
MAX_REPLY = MAX_LINE * 4  # one reply with its continuation lines: bounds memory against an endless stream
QUIT_TIMEOUT = 2.0

# Lone CR or LF become CRLF, and a line starting with "." gets a second one (RFC 5321 §4.5.2): the bytes on the
# wire are what aiosmtplib sent before, so a smart host receives the same message.
_LINE_ENDINGS = re.compile(rb"\r\n|\n|\r(?!\n)")
_LEADING_DOT = re.compile(rb"(?m)^\.")
_UNSAFE_ARG = re.compile(rb"[\x00-\x20\x7f<>]")  # would end the address or start another command
# A quoted-string local part (RFC 5321 §4.1.2) may hold spaces and brackets: `"john smith"@contoso.com`
_QUOTED_LOCAL = re.compile(rb'"(?:[^"\\\x00-\x1f\x7f]|\\[\x20-\x7e])*"(?=@)')
_AUTH_EQUALS = re.compile(r"auth=(.*)", re.IGNORECASE)


# The exception names are those aiosmtplib used: their `Name: text` appears in LastError and the tracking log,
# and it stays the same for the administrator whose scripts match on it.
class SMTPError(Exception):
    """The connection can't carry the conversation any further: it is closed."""


class SMTPConnectError(SMTPError):
    pass


class SMTPConnectTimeoutError(SMTPError):
    pass


class SMTPServerDisconnected(SMTPError):
    pass


class SMTPReadTimeoutError(SMTPError):
    pass


class SMTPProtocolError(SMTPError):
    """A reply that is not SMTP (no three-digit code, too long)."""


@dataclass(frozen=True, slots=True)
class Reply:
    code: int
    message: str  # the text of each line after the code, joined by "\n" (what aiosmtplib reported)

    @property
    def text(self) -> str:
        """One line for LastError and the tracking log: `250 2.0.0 OK queued`."""
        return f"{self.code} {' '.join(self.message.split())}".strip()


@dataclass(slots=True)
class Envelope:
    """The replies to MAIL, each RCPT and DATA, in order. Shorter than what was sent when the conversation
    stopped early: MAIL refused (without pipelining nothing else was sent), or a 421 (the server is closing)."""

    mail: Reply
    rcpts: list[Reply] = field(default_factory=list)
    data: Reply | None = None


def dot_stuffed(data: bytes) -> bytes:
    """The message as it goes after DATA: CRLF line endings, leading dots doubled, then the CRLF . CRLF end."""
    crlf = data.count(b"\r\n")
    # Counting is C speed; the substitutions only run when a line needs them (a relayed message rarely does).
    body = data if data.count(b"\n") == crlf == data.count(b"\r") else _LINE_ENDINGS.sub(b"\r\n", data)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    if body.startswith(b".") or b"\n." in body:
        body = _LEADING_DOT.sub(b"..", body)
    return body + b".\r\n"


def address_arg(address: str) -> bytes | None:
    """`<address>` for MAIL FROM / RCPT TO, or None when it can't be put on a command line (not ASCII, a space,
    a control character or a bracket in it)."""
    try:
        raw = address.strip().encode("ascii")
    except UnicodeEncodeError:
        return None
    if raw.startswith(b"<") and raw.endswith(b">"):
        raw = raw[1:-1]
    quoted = _QUOTED_LOCAL.match(raw)
    rest = raw[quoted.end():] if quoted else raw
    return None if _UNSAFE_ARG.search(rest) else b"<" + raw + b">"


class _Wire(asyncio.Protocol):
    """The socket side: bytes in, replies out (a queue, so pipelined replies that arrive together are kept)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.inbox = bytearray()
        self.lines: list[bytes] = []  # the lines of a multi-line reply so far
        self.replies: deque[Reply] = deque()
        self.failure: SMTPError | None = None  # set once: every later read raises it
        self.waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a TCP transport (asyncio's or uvloop's)

    def data_received(self, data: bytes) -> None:
        if self.failure is not None:
            return
        self.inbox += data
        start = 0
        while (end := self.inbox.find(b"\n", start)) != -1:
            line = bytes(self.inbox[start:end + 1])
            start = end + 1
            if not self._line(line):
                return
        del self.inbox[:start]
        if len(self.inbox) > MAX_LINE:
            self.fail(SMTPProtocolError("Response too long"), close=True)
        elif self.replies:
            self._wake()

    def _line(self, line: bytes) -> bool:
        code = line[:3]
        if len(line) > MAX_LINE or not code.isdigit() or line[3:4] not in (b" ", b"-", b"\r", b"\n"):
            shown = line[:80].decode("ascii", "replace").strip()
            self.fail(SMTPProtocolError(f"Malformed SMTP response line: {shown}"), close=True)
            return False
        self.lines.append(line)
        if line[3:4] == b"-":
            if sum(map(len, self.lines)) > MAX_REPLY:
                self.fail(SMTPProtocolError("Response too long"), close=True)
                return False
            return True
        text = b"\n".join(part[4:].strip(b" \t\r\n") for part in self.lines)
        self.lines = []
        # "replace": a reply's text ends up in files written as UTF-8; a stray byte must not stop that write
        self.replies.append(Reply(int(code), text.decode("utf-8", "replace")))
        return True

    def eof_received(self) -> bool:
        self.fail(SMTPServerDisconnected("Unexpected EOF received"))
        return False  # the transport closes

    def connection_lost(self, exc: Exception | None) -> None:
        lost = SMTPServerDisconnected("Connection lost")
        lost.__cause__ = exc
        self.fail(lost)
        self.transport = None

    def fail(self, error: SMTPError, *, close: bool = False) -> None:
        if self.failure is None:
            self.failure = error
        if close and self.transport is not None:
            self.transport.close()
        self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def _timed_out(self) -> None:
        self.fail(SMTPReadTimeoutError("Timed out waiting for server response"), close=True)

    async def reply(self, timeout: float) -> Reply:
        """The next reply; the connection is closed and SMTPError raised when none comes within `timeout`."""
        if not self.replies and self.failure is None:
            self.waiter = self.loop.create_future()
            timer = self.loop.call_later(timeout, self._timed_out)
            try:
                await self.waiter
            finally:
                timer.cancel()
                self.waiter = None
        if self.replies:
            return self.replies.popleft()
        assert self.failure is not None
        raise self.failure

    def write(self, data: bytes) -> None:
        if self.failure is not None:
            raise self.failure
        if self.transport is None or self.transport.is_closing():
            raise SMTPServerDisconnected("Connection lost")
        if self.replies or self.lines or self.inbox:
            # A reply nobody asked for (a server's idle-timeout 421 on a kept connection, say): what comes next
            # would be paired with the wrong command.
            stray = self.replies[0].text if self.replies else "a partial reply"
            self.fail(SMTPServerDisconnected(f"Unexpected reply before a command: {stray}"), close=True)
            raise self.failure  # type: ignore[misc]
        self.transport.write(data)


class Connection:
    """One SMTP session to a smart host. Commands raise SMTPError only when the connection is lost, times
    out or speaks garbage (it is then closed); any reply the server gives is returned for the caller to judge."""

    def __init__(self, host: str, port: int, *, timeout: float) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.wire: _Wire | None = None
        self.extensions: dict[str, str] = {}  # EHLO keyword (lower case) -> its parameters
        self.auth_methods: list[str] = []  # lower case
        self.tls = False

    @property
    def is_connected(self) -> bool:
        wire = self.wire
        return wire is not None and wire.failure is None and wire.transport is not None and \
            not wire.transport.is_closing()

    def supports(self, extension: str) -> bool:
        return extension.lower() in self.extensions

    @property
    def pipelining(self) -> bool:
        return "pipelining" in self.extensions

    async def connect(self) -> Reply:
        """Open the socket and read the greeting (the caller judges its code)."""
        loop = asyncio.get_running_loop()
        wire = _Wire(loop)
        try:
            await asyncio.wait_for(loop.create_connection(lambda: wire, self.host, self.port), self.timeout)
        except TimeoutError as exc:
            raise SMTPConnectTimeoutError(f"Timed out connecting to {self.host} on port {self.port}") from exc
        except OSError as exc:
            raise SMTPConnectError(f"Error connecting to {self.host} on port {self.port}: {exc}") from exc
        self.wire = wire
        try:
            return await wire.reply(self.timeout)
        except SMTPReadTimeoutError as exc:
            raise SMTPConnectTimeoutError("Timed out waiting for server ready message") from exc
        except SMTPServerDisconnected as exc:
            raise SMTPConnectError(f"Error connecting to {self.host} on port {self.port}: {exc}") from exc

    def _wire(self) -> _Wire:
        if self.wire is None:
            raise SMTPServerDisconnected("Server not connected")
        return self.wire

    async def command(self, line: bytes) -> Reply:
        wire = self._wire()
        wire.write(line + b"\r\n")
        reply = await wire.reply(self.timeout)
        if reply.code == 421:  # the server is closing the channel (RFC 5321 §3.8): nothing more will come
            self.close()
        return reply

    async def ehlo(self, name: str) -> Reply:
        """EHLO, and HELO when EHLO is refused with 5xx (an RFC 821 server; RFC 5321 §3.2). Extensions are what
        the last successful EHLO offered (none after HELO)."""
        self.extensions, self.auth_methods = {}, []
        arg = name.encode("ascii", "replace")
        if _UNSAFE_ARG.search(arg) or not arg:  # the Fqdn is validated when set; this guards the command line
            self.close()
            raise SMTPError(f"The EHLO name {name!r} can't be sent")
        reply = await self.command(b"EHLO " + arg)
        if reply.code == 250:
            self._parse_extensions(reply.message)
        elif 500 <= reply.code < 600 and self.is_connected:
            reply = await self.command(b"HELO " + arg)
        return reply

    def _parse_extensions(self, message: str) -> None:
        for line in message.split("\n")[1:]:  # the first line is the server's name
            line = line.strip()
            if old_style := _AUTH_EQUALS.fullmatch(line):  # "AUTH=LOGIN PLAIN", from servers before RFC 4954
                self.extensions["auth"] = old_style[1]
                self.auth_methods += [m.lower() for m in old_style[1].split()]
                continue
            keyword, _, params = line.partition(" ")
            if keyword:
                self.extensions[keyword.lower()] = params
                if keyword.lower() == "auth":
                    self.auth_methods += [m.lower() for m in params.split()]

    async def starttls(self, context: ssl.SSLContext, server_hostname: str | None) -> Reply:
        """STARTTLS; on 220 the TLS handshake through the loop's `start_tls` (its errors, ssl.SSLError or
        OSError, propagate with the connection closed). The extensions are forgotten (RFC 3207 §4.2): EHLO
        again."""
        wire = self._wire()
        reply = await self.command(b"STARTTLS")
        if reply.code != 220:
            return reply
        if wire.replies or wire.lines or wire.inbox:
            # Nothing may follow 220 before the handshake: plaintext injected by a man in the middle (RFC 3207
            # §4.2, CVE-2011-0411) would be read as if it came over TLS.
            self.close()
            raise SMTPProtocolError("Data after the 220 reply to STARTTLS")
        transport = wire.transport
        assert transport is not None
        loop = asyncio.get_running_loop()
        try:
            tls_transport = await loop.start_tls(transport, wire, context, server_side=False,
                                                 server_hostname=server_hostname, ssl_handshake_timeout=self.timeout)
        except BaseException:
            self.close()
            raise
        if tls_transport is None:  # the loop returns None only when the connection closed meanwhile
            self.close()
            raise SMTPServerDisconnected("Connection lost during the TLS handshake")
        wire.transport = tls_transport
        self.extensions, self.auth_methods = {}, []
        self.tls = True
        return reply

    async def auth_login(self, user: str, password: str) -> Reply:
        """AUTH LOGIN with the user name as the initial response (RFC 4954 §4), then the password on 334."""
        reply = await self.command(b"AUTH LOGIN " + base64.b64encode(user.encode("utf-8")))
        if reply.code != 334:
            return reply
        return await self.command(base64.b64encode(password.encode("utf-8")))

    async def auth_plain(self, user: str, password: str) -> Reply:
        token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8"))
        return await self.command(b"AUTH PLAIN " + token)

    async def envelope(self, sender: bytes, recipients: Sequence[bytes]) -> Envelope:
        """MAIL FROM, RCPT TO per recipient, and DATA when a recipient may have been taken. With PIPELINING all of
        them go in one write and every reply is read (RFC 2920 §3.1: the client checks all of them; DATA is
        answered even when every RCPT failed). Without it, one command at a time: nothing after a refused MAIL,
        no DATA when no RCPT was taken. A 421 ends the reading (the server closes)."""
        wire = self._wire()
        mail = b"MAIL FROM:" + sender + b"\r\n"
        rcpts = [b"RCPT TO:" + r + b"\r\n" for r in recipients]
        if self.pipelining:
            wire.write(b"".join((mail, *rcpts, b"DATA\r\n")))
            out = Envelope(await self._read())
            if out.mail.code == 421:
                return out
            for _ in rcpts:
                out.rcpts.append(await self._read())
                if out.rcpts[-1].code == 421:
                    return out
            out.data = await self._read()
            return out
        out = Envelope(await self.command(mail[:-2]))
        if out.mail.code != 250:
            return out
        for rcpt in rcpts:
            out.rcpts.append(await self.command(rcpt[:-2]))
            if out.rcpts[-1].code == 421:
                return out
        if any(r.code in (250, 251) for r in out.rcpts):
            out.data = await self.command(b"DATA")
        return out

    async def _read(self) -> Reply:
        reply = await self._wire().reply(self.timeout)
        if reply.code == 421:
            self.close()
        return reply

    async def body(self, data: bytes) -> Reply:
        """After 354: the message, dot-stuffed and ended, in one write; the final reply."""
        wire = self._wire()
        wire.write(dot_stuffed(data))
        return await self._read()

    async def end_empty_data(self) -> Reply:
        """After a pipelined DATA got 354 although no recipient was taken: an empty message, just the ending dot
        (RFC 2920 §3.1: 'the client SHOULD send a single dot'); the server then refuses or ignores it."""
        wire = self._wire()
        wire.write(b".\r\n")
        return await self._read()

    async def rset(self) -> Reply:
        return await self.command(b"RSET")

    async def quit(self) -> None:
        """QUIT and close; never raises (the session is over either way)."""
        try:
            if self.is_connected:
                wire = self._wire()
                wire.write(b"QUIT\r\n")
                await wire.reply(min(self.timeout, QUIT_TIMEOUT))
        except SMTPError:
            pass
        finally:
            self.close()

    def close(self) -> None:
        wire = self.wire
        if wire is not None and wire.transport is not None and not wire.transport.is_closing():
            wire.transport.close()
        if wire is not None and wire.failure is None:
            wire.failure = SMTPServerDisconnected("Connection closed")
