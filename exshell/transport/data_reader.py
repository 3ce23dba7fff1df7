"""DATA, streamed: the message is read in bulk pieces, its header parsed line by line as it arrives (linear in
its size, bounded by MaxHeaderSize, yielding to the event loop every few thousand lines), and its body written
to a temporary file in the spool, so a session holds at most its header plus one write buffer in memory.

Line ends: every bare CR and bare LF in DATA is normalised to CRLF as it is read, as Postfix 3.9's default
`smtpd_forbid_bare_newline = normalize` does for bare LF and as the outbound client does for both on the
way out. So the header firewall, the stored message and what is sent onward see the same lines: a header
smuggled behind a bare CR is a header line here too, and the firewall removes it. The end of DATA is only the
standard `<CRLF>.<CRLF>` (a `.` line after a bare LF is content, as Postfix requires), and dot-unstuffing
(RFC 5321 §4.5.2) applies to the normalised lines.

The header block ends at the first empty line, or at the first line that is neither a field nor a folded
continuation (RFC 5322 §2.1 allows a message without a body separator); that line starts the body.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass, field
from collections.abc import Awaitable, Callable
from typing import Protocol

_END = b"\r\n.\r\n"
_FIELD_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+[ \t]*:")  # RFC 5322 ftext, optional WSP (obs-), ':'
_NEXT_LINE_NOT_FOLDED = re.compile(rb"\r\n(?![ \t])")  # the end of a run of folded continuation lines
WRITE_CHUNK = 256 * 1024  # body bytes held before a write to the temporary file
SCAN_BYTES = 64 * 1024  # body bytes kept for the content filter's look at the start of the body
PIECE = 8 * 1024  # header bytes handled in one turn of the event loop
BODY_PIECE = 64 * 1024  # body bytes handled in one turn (only C-level work per byte)
YIELD_LINES = 128  # lines handled between two yields to the event loop


class HeaderTooLarge(Exception):
    """The header block passed MaxHeaderSize while it was being read."""


@dataclass(slots=True)
class Field:
    name: bytes  # lower case, without the colon
    data: bytes  # the whole field as received: its first line and folded continuation lines, each with CRLF

    def raw(self) -> bytes:
        return self.data

    @property
    def lines(self) -> list[bytes]:
        return self.data.split(b"\r\n")[:-1]

    def value(self) -> bytes:
        """Unfolded (RFC 5322 §2.2.3), without the name and surrounding white space."""
        text = self.data.split(b":", 1)[1]
        return b" ".join(part.strip() for part in text.split(b"\r\n")).strip()


@dataclass(slots=True)
class ReadMessage:
    """What DATA delivered. The body (from the separator line on) is in `body` or in the file `body_path`,
    unless `oversize`."""

    complete: bool = False  # the terminator was read (False: the connection ended mid-DATA)
    size: int = 0  # bytes after unstuffing and normalisation, header and body
    oversize: bool = False  # passed the size limit: nothing kept, the rest was drained
    fields: list[Field] = field(default_factory=list)
    header_bytes: int = 0
    body_path: str | None = None  # the body's temporary file, once it passed WRITE_CHUNK
    body: bytes | None = None  # the body itself when it stayed below WRITE_CHUNK
    body_size: int = 0
    body_head: bytes = b""  # the first SCAN_BYTES of the body (content filter)
    separator: bool = False  # the header block ended with an empty line (False: it ended at a body line)

    def count(self, name: bytes) -> int:
        return sum(1 for f in self.fields if f.name == name)

    def first(self, name: bytes) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


class ByteStream(Protocol):
    """What DataReader reads from: asyncio.StreamReader's contract (the SMTP core's DataStream keeps it, with
    `readuntil` raising LimitOverrunError for what is here instead of waiting for its limit)."""

    async def readuntil(self, separator: bytes) -> bytes: ...

    async def readexactly(self, n: int) -> bytes: ...

    async def read(self, n: int) -> bytes: ...


class DataReader:
    """Reads one DATA section from a ByteStream (the SMTP core's input; an asyncio StreamReader in tests).

    `write` runs a blocking file operation off the event loop (the spool's executor); `body_path` names the body's
    temporary file, asked for only when the body spills to disk; `limit` is the size past which nothing more is kept (the rest is drained so the reply lands
    after the terminator, RFC 5321 §4.2.5); `max_header` raises HeaderTooLarge at once."""

    def __init__(self, reader: ByteStream, *, limit: int, max_header: int, body_path: Callable[[], str],
                 write: Callable[..., Awaitable[object]], account: Callable[[int], None] | None = None) -> None:
        self.reader = reader
        self.limit = limit
        self.max_header = max_header
        self.body_path = body_path
        self._write = write
        self.msg = ReadMessage()
        self._in_header = True
        self._head = bytearray()  # the header block as received so far (normalised)
        self._pos = 0  # offset in _head of the first line not examined yet
        self._field: int | None = None  # offset in _head where the open (possibly still folding) field starts
        self._carry = b""  # a trailing CR whose LF may start the next piece
        self._bol = True  # the next normalised byte starts a line
        self._out = bytearray()  # body bytes waiting for the next write
        self._fd: int | None = None
        self._lines = 0
        self._account = account  # told of every change in the bytes this reader holds (engine-wide budget)
        self._held = 0

    async def read(self) -> ReadMessage:
        try:
            await self._read()
        except BaseException:
            await self.discard()
            raise
        return self.msg

    async def _read(self) -> None:
        """In bulk: `readuntil(<CRLF>.<CRLF>)`, and when a piece passes the stream's limit, `read()` what the
        stream says can be taken without splitting a terminator (all but its last four bytes). Only the very
        start is read byte by byte: the DATA command's CRLF counts as the line end before a first `.` line,
        and the stream cannot see it, so bytes are taken one at a time while they could still complete
        `<CRLF>.<CRLF>` together with that CRLF (one to three bytes for any real message)."""
        reader = self.reader
        head = b"\r\n"  # the DATA command's line end
        while True:
            k = next((n for n in (4, 3, 2, 1) if head.endswith(_END[:n])), 0)
            if not k:
                break
            try:
                head += await reader.readexactly(1)
            except asyncio.IncompleteReadError:
                return
            if head.endswith(_END):
                await self._feed(head[2:-3], final=True)
                self.msg.complete = True
                return
        await self._feed(head[2:])
        while True:
            try:
                piece = await reader.readuntil(_END)
            except asyncio.LimitOverrunError as e:
                # At most PIECE bytes a turn (less than the stream allows is as safe): a turn's work stays small.
                step = PIECE if self._in_header else BODY_PIECE
                await self._feed(await reader.read(max(1, min(e.consumed, step))))
                await asyncio.sleep(0)  # one socket read per turn: a fast sender never starves the others
                continue
            except asyncio.IncompleteReadError:
                return
            await self._feed(piece[:-3], final=True)  # keep the CRLF that ends the last line
            self.msg.complete = True
            return

    # ---------------------------------------------------------------- normalise, unstuff, split
    def _report(self) -> None:
        if self._account is None:
            return
        held = len(self._head) + len(self._out)
        if held != self._held:
            self._account(held - self._held)
            self._held = held

    async def _feed(self, raw: bytes, final: bool = False) -> None:
        try:
            await self._feed_text(raw, final)
        finally:
            self._report()

    async def _feed_text(self, raw: bytes, final: bool = False) -> None:
        raw = self._carry + raw
        self._carry = b""
        if raw.endswith(b"\r") and not final:
            raw, self._carry = raw[:-1], b"\r"
        if not raw:
            return
        crlf = raw.count(b"\r\n")
        if raw.count(b"\r") != crlf or raw.count(b"\n") != crlf:  # a bare CR or LF: every line end becomes CRLF
            text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
        else:
            text = raw
        if self._bol and text[:1] == b".":
            text = text[1:]
        text = text.replace(b"\r\n.", b"\r\n")
        self._bol = text.endswith(b"\n") if text else self._bol
        if not text:
            return
        self.msg.size += len(text)
        if self.msg.size > self.limit and not self.msg.oversize:
            self.msg.oversize = True
            await self.discard()
        if self.msg.oversize:
            return
        if self._in_header:
            text = await self._header(text)
            if not text:
                return
        await self._body(text)

    async def _header(self, text: bytes) -> bytes:
        """Take header text; return what belongs to the body (b'' while still in the header). Python work is per
        field, not per line: runs of folded continuation lines are skipped by one regex search in C, so a
        header folded over a million lines costs what one long line costs."""
        msg = self.msg
        head = self._head
        head += text
        last = head.rfind(b"\r\n")
        complete = last + 2 if last >= 0 else 0  # lines before this offset are whole
        pos = self._pos
        limit = self.max_header
        while pos < complete:
            if head[pos:pos + 1] in (b" ", b"\t") and self._field is not None:
                m = _NEXT_LINE_NOT_FOLDED.search(head, pos, complete)
                if m is None or m.end() >= complete:
                    pos = complete  # folds up to here; the next line decides (more data will tell)
                    break
                pos = m.end()
                continue
            line_end = head.find(b"\r\n", pos, complete)
            self._close_field(pos)
            if line_end == pos or not _FIELD_NAME.match(head, pos, line_end):
                # The empty separator line, or a line that is no field: the body starts here.
                msg.separator = line_end == pos
                msg.header_bytes = pos
                if pos > limit:
                    raise HeaderTooLarge(pos)
                self._in_header = False
                rest = bytes(head[pos:])
                self._head = bytearray()
                return rest if msg.separator else b"\r\n" + rest
            self._field = pos
            pos = line_end + 2
            self._lines += 1
            if self._lines % YIELD_LINES == 0:
                self._pos = pos
                await asyncio.sleep(0)  # thousands of fields: let the other sessions in
        self._pos = pos
        msg.header_bytes = len(head)
        if len(head) > limit:
            raise HeaderTooLarge(len(head))
        return b""

    def _close_field(self, end: int) -> None:
        if self._field is None:
            return
        data = bytes(self._head[self._field:end])
        self.msg.fields.append(Field(data.split(b":", 1)[0].strip().lower(), data))
        self._field = None

    async def _body(self, text: bytes) -> None:
        msg = self.msg
        if len(msg.body_head) < SCAN_BYTES:
            msg.body_head += text[: SCAN_BYTES - len(msg.body_head)]
        msg.body_size += len(text)
        self._out += text
        if len(self._out) >= WRITE_CHUNK:
            await self._flush()

    async def _flush(self) -> None:
        if not self._out:
            return
        chunk = bytes(self._out)
        self._out.clear()
        if self._fd is None:
            path = self.body_path()
            self._fd = await self._write(os.open, path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # type: ignore[assignment]
            self.msg.body_path = path
        await self._write(_write_all, self._fd, chunk)

    async def finish(self) -> None:
        """Write what is buffered and close the body file (call once the message is complete)."""
        if self.msg.oversize:
            return
        if self._in_header:  # all header, no body: the last field ends with the message
            self._close_field(len(self._head))
            self._head = bytearray()
        if self._fd is None:  # a small message: the body never left memory and needs no file
            self.msg.body = bytes(self._out)
            self._out = bytearray()
            self._report()
            return
        await self._flush()
        fd, self._fd = self._fd, None
        await self._write(os.close, fd)

    async def discard(self) -> None:
        """Drop the body file (refused, oversize, connection lost)."""
        self._out = bytearray()
        self._head = bytearray()
        self._report()
        fd, self._fd = self._fd, None
        path, self.msg.body_path = self.msg.body_path, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
        if path is not None:
            try:
                os.unlink(path)
            except OSError:
                pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
