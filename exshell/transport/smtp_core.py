"""The SMTP server core: an `asyncio.Protocol` with an input buffer, a command loop, replies and STARTTLS.

It knows the protocol's mechanics and nothing of Exchange: reading command lines (RFC 5321 §4.5.3.1.4: 512
octets; longer ones are read to their end and answered `500 5.5.6`), dispatching them
to `smtp_<VERB>` methods of the subclass (collected once per class, not per connection), the idle timer,
replies for pipelined commands held back while the client's next command is already here (RFC 2920: one write
for the group), STARTTLS through the event loop's public `start_tls` (RFC 3207: what the client sent after the
command and before the handshake is thrown away, then the session starts over) and the AUTH challenge
exchange (RFC 4954 §4). `ExchangeSMTP` (session.py) supplies the verbs and every decision.

Only public asyncio API is used (Protocol callbacks, transport write/close/pause_reading, loop.start_tls);
the input buffer is ours, so "is another command waiting?" is a question we can ask without a private field.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import ssl
from dataclasses import dataclass, field
from typing import Any, ClassVar

from exshell.transport import replies as R

log = logging.getLogger("exshell.transport")

COMMAND_LIMIT = 512  # octets of a command line (RFC 5321 §4.5.3.1.4 says with its CRLF; we allow the CRLF on top)
LINE_SCAN_LIMIT = 1001  # bytes looked at for a line end before a line counts as too long
READ_LIMIT = 64 * 1024  # a DATA piece: what `readuntil` may return at most before LimitOverrunError
HIGH_WATER = 256 * 1024  # buffered input at which reading from the socket pauses (a client that floods)


class TLSSetupException(Exception):
    """The STARTTLS handshake failed (the client's problem: the connection closes)."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # challenge_auth: the client cancelled or sent something undecodable (answered)


@dataclass(slots=True)
class Session:
    """What the client said about itself (reset by STARTTLS)."""

    peer: Any = None
    host_name: str | None = None
    extended_smtp: bool = False
    authenticated: bool = False


@dataclass(slots=True)
class Envelope:
    """One mail transaction's envelope (reset by RSET, EHLO, the end of DATA)."""

    mail_from: str | None = None
    rcpt_tos: list[str] = field(default_factory=list)


class InputBuffer:
    """The bytes received and not yet consumed, with the reads the command loop and the DATA reader need
    (the same contract as asyncio.StreamReader's `readuntil` / `readexactly` / `read` / `readline`)."""

    def __init__(self, protocol: "SMTPProtocol", limit: int = READ_LIMIT) -> None:
        self.protocol = protocol
        self.limit = limit
        self.data = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False

    # ---- fed by the protocol
    def feed(self, data: bytes) -> None:
        self.data += data
        self._wake()
        if not self._paused and len(self.data) > HIGH_WATER:
            self._paused = True
            self.protocol.pause_input()

    def feed_eof(self) -> None:
        self.eof = True
        self._wake()

    def fail(self, error: BaseException) -> None:
        self.error = error
        self._wake()

    def clear(self) -> None:
        self.data.clear()
        self._resume()

    def has_line(self) -> bool:
        """Is a whole command line already here (the client pipelined it)?"""
        return b"\n" in self.data

    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def _resume(self) -> None:
        if self._paused and len(self.data) <= HIGH_WATER // 2:
            self._paused = False
            self.protocol.resume_input()

    async def _wait(self) -> None:
        if self.error is not None:
            raise self.error
        if self.eof:
            raise asyncio.IncompleteReadError(bytes(self.data), None)
        self._waiter = self.protocol.loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _take(self, n: int) -> bytes:
        chunk = bytes(self.data[:n])
        del self.data[:n]
        if self._paused:
            self._resume()
        return chunk

    # ---- reads
    async def readuntil(self, separator: bytes = b"\n", eager: bool = False) -> bytes:
        """`eager`: when the separator is not here yet, raise LimitOverrunError for what can be taken now (all
        but a possible start of the separator) instead of waiting for the limit: DATA is processed as it
        arrives, so a header that passes MaxHeaderSize is refused while the client is still sending."""
        seplen = len(separator)
        start = 0
        while True:
            i = self.data.find(separator, start)
            if i >= 0:
                if i > self.limit:
                    raise asyncio.LimitOverrunError("separator is found, but chunk is longer than limit", i)
                return self._take(i + seplen)
            if len(self.data) > self.limit or (eager and len(self.data) >= seplen):
                raise asyncio.LimitOverrunError("separator is not found, and chunk exceeds the limit",
                                                len(self.data) + 1 - seplen)
            if self.eof:
                partial = self._take(len(self.data))
                raise asyncio.IncompleteReadError(partial, None)
            start = max(0, len(self.data) + 1 - seplen)
            await self._wait()

    async def readexactly(self, n: int) -> bytes:
        while len(self.data) < n:
            if self.eof:
                partial = self._take(len(self.data))
                raise asyncio.IncompleteReadError(partial, n)
            await self._wait()
        return self._take(n)

    async def read(self, n: int) -> bytes:
        while not self.data:
            if self.eof:
                return b""
            await self._wait()
        return self._take(n)

    async def readline(self) -> bytes:
        try:
            return await self.readuntil(b"\n")
        except asyncio.IncompleteReadError as e:
            return e.partial
        except asyncio.LimitOverrunError as e:
            return self._take(e.consumed)

    async def read_command(self) -> tuple[bytes, bool]:
        """One command line without its line end, and whether it was too long (then it was read to its end
        and thrown away). Raises IncompleteReadError when the connection ends first."""
        too_long = False
        while True:
            data = self.data
            i = data.find(b"\n", 0, LINE_SCAN_LIMIT)
            if i >= 0:
                line = bytes(data[:i]).rstrip(b"\r\n")  # _take(i + 1) without its line end, inlined
                del data[:i + 1]
                if self._paused:
                    self._resume()
                if too_long or len(line) > COMMAND_LIMIT:  # without the CRLF, as before (lenient by two)
                    return b"", True
                return line, False
            if len(self.data) >= LINE_SCAN_LIMIT:  # too long: read to its end, keep what follows it
                too_long = True
                end = self.data.find(b"\n")
                if end >= 0:
                    self._take(end + 1)
                    return b"", True
                self._take(len(self.data))
                continue
            if self.eof:
                raise asyncio.IncompleteReadError(bytes(self.data), None)
            await self._wait()


class DataStream:
    """The DATA reader's view of the input (data_reader.DataReader): reads as the buffer's, `readuntil` eager."""

    def __init__(self, buffer: InputBuffer) -> None:
        self.buffer = buffer

    async def readuntil(self, separator: bytes) -> bytes:
        return await self.buffer.readuntil(separator, eager=True)

    async def readexactly(self, n: int) -> bytes:
        return await self.buffer.readexactly(n)

    async def read(self, n: int) -> bytes:
        return await self.buffer.read(n)


def _verbs(cls: type) -> dict[str, Any]:
    """VERB -> the class's `smtp_VERB` function (called with the session: no getattr per command)."""
    return {name[5:]: getattr(cls, name) for name in dir(cls) if name.startswith("smtp_")}


class SMTPProtocol(asyncio.Protocol):
    """The protocol machinery. A subclass defines `async def smtp_VERB(self, arg: str | None)` methods and may
    override `greet`, `handle_exception`, `idle_timeout`, `tls_started` and `unrecognized`."""

    idle_seconds: float = 300.0
    _verb_table: ClassVar[dict[type, dict[str, Any]]] = {}

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.input = InputBuffer(self)
        self.session = Session()
        self.envelope = Envelope()
        self.hostname = ""
        self.tls_context: ssl.SSLContext | None = None
        self.tls_active = False
        self.task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._last_command = 0.0  # loop time of the last command dispatched (the idle timer's reference)
        self.pending = bytearray()  # replies held back while pipelined commands are waiting
        self._can_write: asyncio.Future[None] | None = None
        self._closed = False
        table = SMTPProtocol._verb_table.get(type(self))
        if table is None:  # once per class: no reflection per connection
            table = SMTPProtocol._verb_table[type(self)] = _verbs(type(self))
        self.verbs = table

    # ---------------------------------------------------------------- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.session.peer = transport.get_extra_info("peername")
        self.reset_timeout()
        self.task = self.loop.create_task(self._serve())

    def data_received(self, data: bytes) -> None:
        self.input.feed(data)

    def eof_received(self) -> bool | None:
        self.input.feed_eof()
        return False  # close our side too (also right for TLS transports)

    def connection_lost(self, error: Exception | None) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        self.input.fail(ConnectionResetError("connection lost"))
        if self._can_write is not None and not self._can_write.done():
            self._can_write.set_exception(ConnectionResetError("connection lost"))
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.transport = None

    def pause_writing(self) -> None:
        if self._can_write is None or self._can_write.done():
            self._can_write = self.loop.create_future()

    def resume_writing(self) -> None:
        if self._can_write is not None and not self._can_write.done():
            self._can_write.set_result(None)

    def pause_input(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_input(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    # ---------------------------------------------------------------- the command loop
    async def _serve(self) -> None:
        try:
            await self.greet()
            while self.transport is not None and not self._closed:
                try:
                    line, too_long = await self.input.read_command()
                except asyncio.IncompleteReadError:
                    break
                if too_long:
                    await self.push(str(R.LINE_TOO_LONG))
                    continue
                await self._dispatch(line)
        except (asyncio.CancelledError, ConnectionError):
            pass
        finally:
            self.close()

    async def _dispatch(self, line: bytes) -> None:
        verb_bytes, _, arg_bytes = line.partition(b" ")
        arg_bytes = arg_bytes.strip()
        try:
            verb = verb_bytes.upper().decode("ascii")
            arg = arg_bytes.decode("ascii") if arg_bytes else None
        except UnicodeDecodeError:  # RFC 5321 commands are ASCII (no SMTPUTF8 offered)
            await self.unrecognized(line)
            return
        handler = self.verbs.get(verb) if verb else None
        if handler is None:
            await self.unrecognized(line)
            return
        # The idle timer is not re-armed per command (a cancel and a new TimerHandle each time): it checks,
        # when it fires, how long ago the last command came, and waits the rest.
        self._last_command = self.loop.time()
        if self._timer is None:
            self.reset_timeout()
        try:
            refusal = self.command_refusal(verb, arg)
            if refusal is not None:
                await self.push(refusal)
                return
            await handler(self, arg)
        except (asyncio.CancelledError, ConnectionError):
            raise
        except TLSSetupException as e:
            await self.handle_exception(e)
            self.close()
        except Exception as e:
            status = await self.handle_exception(e)
            if status:
                await self.push(status)

    async def unrecognized(self, line: bytes) -> None:
        await self.push(str(R.UNRECOGNIZED_COMMAND))

    def command_refusal(self, verb: str, arg: str | None) -> str | None:
        """The reply refusing a known verb's line before the verb sees it, or None (the verb runs). Not a
        coroutine: it is asked for every command and almost always says None."""
        return None

    # ---------------------------------------------------------------- hooks (the subclass overrides)
    async def greet(self) -> None:
        await self.push(f"220 {self.hostname} ESMTP")

    async def handle_exception(self, error: Exception) -> str:
        log.exception("SMTP session error")
        return str(R.LOCAL_ERROR)

    def idle_timeout(self) -> None:
        self.close()

    def tls_started(self) -> None:
        """STARTTLS succeeded; the session has started over."""

    # ---------------------------------------------------------------- output
    async def push(self, status: str | bytes) -> None:
        """One reply line (without CRLF). Held back while the client's next command is already buffered
        (pipelining), then sent together with the replies after it."""
        waiter = self.queue_reply((status.encode("ascii", "replace") if isinstance(status, str) else status)
                                  + b"\r\n")
        if waiter is not None:
            await waiter

    def queue_reply(self, line: bytes) -> asyncio.Future[None] | None:
        """`push` without the coroutine (a subclass's push calls this, so a reply costs one coroutine, not
        three): `line` (with its CRLF) is held back or written; returns what to await while the transport's
        buffer is full, else None."""
        if self._closed:  # after a closing reply (QUIT, a limit) nothing more is said
            return None
        if b"\n" in self.input.data and not self.hold_back_forbidden():  # input.has_line(), inlined: every reply asks
            self.pending += line
            return None
        # flush(), inlined: one write per reply is the common case (a client that does not pipeline)
        if self.transport is None:
            self.pending.clear()
            return None
        if self.pending:
            self.pending += line
            line = bytes(self.pending)
            self.pending.clear()
        self.transport.write(line)
        waiter = self._can_write
        return waiter if waiter is not None and not waiter.done() else None

    def hold_back_forbidden(self) -> bool:
        """A reply the client waits for before sending more (354, 334, 220 STARTTLS) is never held back."""
        return False

    async def flush(self) -> None:
        if not self.pending or self.transport is None:
            self.pending.clear()
            return
        self.transport.write(bytes(self.pending))
        self.pending.clear()
        if self._can_write is not None and not self._can_write.done():
            await self._can_write

    def write_now(self, data: bytes) -> None:
        """Pending replies plus `data`, without waiting (before a close)."""
        if self.transport is not None:
            self.transport.write(bytes(self.pending) + data)
        self.pending.clear()

    def close(self) -> None:
        """Send what is pending and close (after QUIT, a limit, a timeout)."""
        self._closed = True
        if self.transport is not None:
            if self.pending:
                self.write_now(b"")
            self.transport.close()
        task = self.task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()

    # ---------------------------------------------------------------- timers
    def reset_timeout(self, duration: float | None = None) -> None:
        """Check for idleness after `duration` (default: idle_seconds from now)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if duration is None:
            self._last_command = self.loop.time()
        if not self._closed:
            self._timer = self.loop.call_later(duration or self.idle_seconds, self._idle_check)

    def _idle_check(self) -> None:
        self._timer = None
        if self._closed:
            return
        idle = self.loop.time() - self._last_command
        if idle < self.idle_seconds - 0.01:  # a command came since the timer was armed
            self._timer = self.loop.call_later(self.idle_seconds - idle, self._idle_check)
            return
        self.idle_timeout()

    # ---------------------------------------------------------------- STARTTLS and AUTH
    async def start_tls(self, ready: str) -> None:
        """Answer `ready` (220), then run the TLS handshake on the same connection; raises TLSSetupException.
        Afterwards the session starts over (RFC 3207 §4.2) and `tls_started` runs."""
        assert self.tls_context is not None and self.transport is not None
        await self.push(ready)
        await self.flush()
        self.input.clear()  # RFC 3207 §5: anything pipelined after STARTTLS is not part of the TLS session
        try:
            transport = await self.loop.start_tls(self.transport, self, self.tls_context, server_side=True,
                                                  ssl_handshake_timeout=60.0)
        except (TimeoutError, ConnectionError, OSError, ssl.SSLError) as e:
            raise TLSSetupException(str(e)) from e
        if transport is None:
            raise TLSSetupException("the connection closed during the handshake")
        # No clearing here: the client's first command inside TLS may already be in the buffer (the SSL layer
        # delivers it as soon as the handshake ends, before this coroutine resumes).
        self.transport = transport  # type: ignore[assignment]
        self.tls_active = True
        self.session = Session(peer=self.session.peer)
        self.envelope = Envelope()
        self.tls_started()

    async def challenge_auth(self, challenge: str | bytes, encode_to_b64: bool = True) -> Any:
        """Send `334 <challenge>` and return the client's decoded answer, or MISSING (answered already) when
        it cancelled with `*` or sent something that is not base64 (RFC 4954 §4)."""
        raw = challenge.encode() if isinstance(challenge, str) else challenge
        await self.push(b"334 " + (base64.b64encode(raw) if encode_to_b64 else raw))
        await self.flush()
        line = (await self.input.readline()).strip()
        if line == b"*":
            await self.push(str(R.AUTH_CANCELLED))
            return MISSING
        try:
            return base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            await self.push(str(R.AUTH_BAD_BASE64))
            return MISSING

