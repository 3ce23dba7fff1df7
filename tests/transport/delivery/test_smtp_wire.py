"""The outbound SMTP client (smtp_wire under smtp_client) through real loopback sockets: against aiosmtpd smart
hosts that record every chunk the client writes (with and without PIPELINING), and against a hand-written
server for the replies aiosmtpd never gives (354 without a recipient, garbage, a dropped connection, silence)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from hypothesis import given, settings
from hypothesis import strategies as st
from aiosmtpd.smtp import SMTP

from exshell.transport.delivery import smtp_client
from exshell.transport.delivery.connection_pool import ConnectionPool
from exshell.transport.delivery.smtp_client import SendResult, Target
from exshell.transport.delivery.smtp_wire import dot_stuffed

from .harness import free_port

HELO = "ex01.contoso.com"
BODY = b"Subject: wire\r\n\r\nline one\r\n.hidden starts with a dot\r\n..two dots\r\n.\r\nlast\r\n"
BOUND = 20.0  # every test's conversation is over long before this


def run(coro: Awaitable[Any]) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(coro, BOUND)

    return asyncio.run(bounded())


# --------------------------------------------------------------------------- an aiosmtpd host that records


@dataclass
class Recorder:
    """aiosmtpd handler: PIPELINING offered or not, per-address RCPT refusals, the messages taken."""

    pipelining: bool = True
    refuse: dict[str, str] = field(default_factory=dict)
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
                          ) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Recipient OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 2.0.0 OK queued"


class RecordingSMTP(SMTP):
    """aiosmtpd's server, noting each chunk as it comes off the socket (one chunk = one client write here: small
    writes on loopback, and the client waits for replies between its writes)."""

    def __init__(self, handler: Any, chunks: list[bytes], **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.chunks = chunks

    def data_received(self, data: bytes) -> None:
        self.chunks.append(bytes(data))
        super().data_received(data)


class RecordingController(Controller):
    def __init__(self, handler: Recorder) -> None:
        # An ephemeral port picked by the kernel (aiosmtpd's start() connects to its own port once, so not 0)
        super().__init__(handler, hostname="127.0.0.1", port=free_port())
        self.chunks: list[bytes] = []

    def factory(self) -> SMTP:
        return RecordingSMTP(self.handler, self.chunks, **self.SMTP_kwargs)

    @property
    def target(self) -> Target:
        return Target("127.0.0.1", self.port)

    def chunk_starting(self, prefix: bytes) -> int:
        return next(i for i, c in enumerate(self.chunks) if c.startswith(prefix))


@pytest.fixture
def host(request: pytest.FixtureRequest) -> Iterator[RecordingController]:
    controller = RecordingController(Recorder(pipelining=getattr(request, "param", True)))
    controller.start()
    yield controller
    controller.stop()


def send(targets: list[Target], recipients: list[str], data: bytes = BODY, **kwargs: Any) -> SendResult:
    return run(smtp_client.send(targets, "scanner@contoso.com", recipients, data, helo=HELO, **kwargs))


# --------------------------------------------------------------------------- pipelining


def test_with_pipelining_the_envelope_is_one_write_and_the_body_another(host: RecordingController) -> None:
    result = send([host.target], ["a@external.example", "b@external.example"])
    assert result.replies == {"a@external.example": "250 2.0.0 OK queued", "b@external.example": "250 2.0.0 OK queued"}
    i = host.chunk_starting(b"MAIL FROM:")
    assert host.chunks[i] == (b"MAIL FROM:<scanner@contoso.com>\r\nRCPT TO:<a@external.example>\r\n"
                              b"RCPT TO:<b@external.example>\r\nDATA\r\n")
    assert host.chunks[i + 1] == dot_stuffed(BODY)  # the whole body and its end in one write
    assert host.handler.messages == [("scanner@contoso.com", ["a@external.example", "b@external.example"], BODY)]


@pytest.mark.parametrize("host", [False], indirect=True)
def test_without_pipelining_each_command_waits_for_its_reply(host: RecordingController) -> None:
    result = send([host.target], ["a@external.example", "b@external.example"])
    assert set(result.replies.values()) == {"250 2.0.0 OK queued"}
    i = host.chunk_starting(b"MAIL FROM:")
    assert host.chunks[i:i + 5] == [b"MAIL FROM:<scanner@contoso.com>\r\n", b"RCPT TO:<a@external.example>\r\n",
                                    b"RCPT TO:<b@external.example>\r\n", b"DATA\r\n", dot_stuffed(BODY)]


@pytest.mark.parametrize("host", [True, False], indirect=True)
def test_refused_recipients_get_their_own_reply_and_the_rest_the_data_reply(host: RecordingController) -> None:
    host.handler.refuse["nobody@external.example"] = "550 5.1.1 User unknown"
    result = send([host.target], ["a@external.example", "nobody@external.example", "b@external.example"])
    assert result.replies == {"a@external.example": "250 2.0.0 OK queued",
                              "nobody@external.example": "550 5.1.1 User unknown",
                              "b@external.example": "250 2.0.0 OK queued"}
    assert [m[1] for m in host.handler.messages] == [["a@external.example", "b@external.example"]]


def test_every_recipient_refused_after_a_pipelined_data_sends_no_body_and_the_connection_is_reset_for_reuse(
        host: RecordingController) -> None:
    host.handler.refuse.update({"x@external.example": "550 5.1.1 User unknown",
                                "y@external.example": "450 4.2.1 Try later"})

    async def two_messages() -> tuple[SendResult, SendResult, int]:
        pool = ConnectionPool()
        try:
            refused = await smtp_client.send([host.target], "scanner@contoso.com",
                                             ["x@external.example", "y@external.example"], BODY, helo=HELO,
                                             pool=pool, destination="smart")
            taken = await smtp_client.send([host.target], "scanner@contoso.com", ["a@external.example"], BODY,
                                           helo=HELO, pool=pool, destination="smart")
            return refused, taken, pool.opened
        finally:
            await pool.close()

    refused, taken, opened = run(two_messages())
    assert refused.replies == {"x@external.example": "550 5.1.1 User unknown",
                               "y@external.example": "450 4.2.1 Try later"}
    assert taken.replies == {"a@external.example": "250 2.0.0 OK queued"}
    assert opened == 1  # the second message went over the same connection
    first = host.chunk_starting(b"MAIL FROM:")
    assert host.chunks[first].endswith(b"DATA\r\n")  # DATA was pipelined (aiosmtpd answers it 503)...
    assert host.chunks[first + 1] == b"RSET\r\n"  # ...so no body followed: RSET, then the next transaction
    assert host.chunks[first + 2].startswith(b"MAIL FROM:")
    assert [m[1] for m in host.handler.messages] == [["a@external.example"]]


def test_a_line_starting_with_a_dot_is_doubled_on_the_wire_and_arrives_as_sent(host: RecordingController) -> None:
    send([host.target], ["a@external.example"])
    body = host.chunks[host.chunk_starting(b"MAIL FROM:") + 1]
    assert b"\r\n..hidden starts" in body and b"\r\n...two dots" in body and b"\r\n..\r\nlast" in body
    assert body.endswith(b"last\r\n.\r\n")
    assert host.handler.messages[0][2] == BODY  # the host took the dots off again


# --------------------------------------------------------------------------- a hand-written host


@dataclass
class Scripted:
    """A server for replies aiosmtpd never gives: `answers` maps a verb (b"EHLO", b"MAIL", ..., b"." for the end
    of a body) to its reply; None closes the connection instead. Records every line it reads."""

    answers: dict[bytes, bytes | None]
    lines: list[bytes] = field(default_factory=list)
    server: asyncio.Server | None = None

    DEFAULT = {b"EHLO": b"250-scripted.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n", b"HELO": b"250 hi\r\n",
               b"MAIL": b"250 2.1.0 OK\r\n", b"RCPT": b"250 2.1.5 OK\r\n", b"DATA": b"354 go ahead\r\n",
               b".": b"250 2.0.0 queued\r\n", b"RSET": b"250 2.0.0 OK\r\n", b"QUIT": b"221 2.0.0 Bye\r\n"}

    async def __aenter__(self) -> Scripted:
        self.server = await asyncio.start_server(self.session, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def target(self) -> Target:
        assert self.server is not None
        return Target("127.0.0.1", self.server.sockets[0].getsockname()[1])

    def answer(self, verb: bytes) -> bytes | None:
        return self.answers.get(verb, self.DEFAULT.get(verb, b"500 5.5.1 unknown\r\n"))

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(b"220 scripted.example ESMTP\r\n")
            in_body = False
            for _ in range(1000):  # bounded: no test says more than this
                line = await reader.readline()
                if not line:
                    return
                self.lines.append(line)
                if in_body and line != b".\r\n":
                    continue
                verb = b"." if in_body else line[:4].upper()
                in_body = False
                reply = self.answer(verb)
                if reply is None:
                    return
                writer.write(reply)
                await writer.drain()
                in_body = verb == b"DATA" and reply.startswith(b"354")
                if verb == b"QUIT":
                    return
        except ConnectionError:
            pass
        finally:
            writer.close()


def scripted_send(answers: dict[bytes, bytes | None], recipients: list[str], *, timeout: float = 10.0
                  ) -> tuple[SendResult, list[bytes]]:
    async def go() -> tuple[SendResult, list[bytes]]:
        async with Scripted(answers) as server:
            result = await smtp_client.send([server.target], "scanner@contoso.com", recipients, BODY, helo=HELO,
                                            timeout=timeout)
            return result, server.lines

    return run(go())


def test_a_354_to_a_pipelined_data_without_recipients_gets_a_lone_dot_never_the_body() -> None:
    result, lines = scripted_send({b"RCPT": b"550 5.1.1 unknown\r\n", b".": b"554 5.5.1 no valid recipients\r\n"},
                                  ["x@external.example"])
    assert result.replies == {"x@external.example": "550 5.1.1 unknown"}
    i = lines.index(b"DATA\r\n")
    assert lines[i + 1:i + 3] == [b".\r\n", b"RSET\r\n"]  # RFC 2920 §3.1: a single dot; then the session is reset
    assert b"line one\r\n" not in lines


@pytest.mark.parametrize("pipelining", [True, False])
@pytest.mark.parametrize("drop_at", [b"MAIL", b"DATA", b"."])
def test_a_host_that_drops_the_connection_mid_transaction_leaves_every_recipient_to_retry(
        pipelining: bool, drop_at: bytes) -> None:
    answers: dict[bytes, bytes | None] = {drop_at: None}
    if not pipelining:
        answers[b"EHLO"] = b"250-scripted.example\r\n250 8BITMIME\r\n"
    result, _ = scripted_send(answers, ["a@external.example", "b@external.example"])
    assert result.replies == {}  # nobody is reported delivered or failed: the whole attempt is transient
    assert result.connection_error is not None
    assert "451 4.4.0 Connection lost: SMTPServerDisconnected" in result.connection_error


@pytest.mark.parametrize("garbage_at", [b"EHLO", b"MAIL", b"RCPT", b"."])
def test_a_garbage_reply_is_a_transient_protocol_error_not_a_crash(garbage_at: bytes) -> None:
    result, _ = scripted_send({garbage_at: b"hello there, this is not SMTP\r\n"}, ["a@external.example"])
    assert result.replies == {}
    assert result.connection_error is not None and result.connection_error.split("] ", 1)[1].startswith("451 4.4.0")
    assert "Malformed SMTP response line: hello there" in result.connection_error


def test_a_host_that_never_answers_times_out_as_a_transient_failure() -> None:
    silence = b""  # an empty reply: the server reads the command and says nothing
    result, _ = scripted_send({b"MAIL": silence}, ["a@external.example"], timeout=0.5)
    assert result.connection_error is not None and "Timed out waiting for server response" in result.connection_error


def test_ehlo_refused_falls_back_to_helo_and_sends_one_command_at_a_time() -> None:
    result, lines = scripted_send({b"EHLO": b"502 5.5.2 EHLO not implemented\r\n"}, ["a@external.example"])
    assert result.replies == {"a@external.example": "250 2.0.0 queued"}
    assert lines[:2] == [f"EHLO {HELO}\r\n".encode(), f"HELO {HELO}\r\n".encode()]


def test_a_multi_line_reply_is_reported_on_one_line_as_before() -> None:
    result, _ = scripted_send({b"RCPT": b"550-5.1.1 The email account does not exist.\r\n550 5.1.1 Try again\r\n"},
                              ["a@external.example"])
    assert result.replies == {"a@external.example": "550 5.1.1 The email account does not exist. 5.1.1 Try again"}


def test_an_address_that_would_break_the_command_line_fails_alone_and_a_quoted_local_part_goes_as_it_is() -> None:
    result, lines = scripted_send({}, ["evil@x.example\r\nRSET", '"john smith"@external.example'])
    assert result.replies == {"evil@x.example\r\nRSET": smtp_client.BAD_RECIPIENT,
                              '"john smith"@external.example': "250 2.0.0 queued"}
    assert b'RCPT TO:<"john smith"@external.example>\r\n' in lines
    assert not [line for line in lines if b"evil" in line or line == b"RSET\r\n"]


def test_an_ehlo_name_that_would_break_the_command_line_is_never_sent() -> None:
    async def go() -> tuple[SendResult, list[bytes]]:
        async with Scripted({}) as server:
            result = await smtp_client.send([server.target], "scanner@contoso.com", ["a@external.example"], BODY,
                                            helo="ex01\r\nRSET", timeout=5.0)
            return result, server.lines

    result, lines = run(go())
    assert result.connection_error is not None and "can't be sent" in result.connection_error
    assert lines == []


def test_a_reply_nobody_asked_for_on_a_kept_connection_sends_the_next_message_over_a_fresh_one() -> None:
    """A host that says more than it was asked (a second 250 after the one for the body): the kept connection is
    out of step, so the next message goes over a new one; read as the reply to its MAIL, every later reply would
    be paired with the wrong command (a 250 for RCPT taken as the answer to DATA: "delivered", never sent)."""
    async def go() -> tuple[SendResult, SendResult, int, list[bytes]]:
        pool = ConnectionPool()
        try:
            async with Scripted({b".": b"250 2.0.0 queued\r\n250 2.0.0 and another thing\r\n"}) as server:
                first = await smtp_client.send([server.target], "scanner@contoso.com", ["a@external.example"],
                                               BODY, helo=HELO, pool=pool, destination="smart")
                second = await smtp_client.send([server.target], "scanner@contoso.com", ["b@external.example"],
                                                BODY, helo=HELO, pool=pool, destination="smart")
                return first, second, pool.opened, server.lines
        finally:
            await pool.close()

    first, second, opened, lines = run(go())
    assert first.replies == {"a@external.example": "250 2.0.0 queued"}
    assert second.replies == {"b@external.example": "250 2.0.0 queued"}
    assert opened == 2
    assert [line for line in lines if line.startswith(b"RCPT")] == [b"RCPT TO:<a@external.example>\r\n",
                                                                    b"RCPT TO:<b@external.example>\r\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b".", b"..", b"a", b" "]), max_size=30))
def test_the_body_on_the_wire_has_crlf_line_endings_and_doubled_leading_dots_whatever_the_input(
    parts: list[bytes],
) -> None:
    # What RFC 5321 §4.5.2 asks, written the plain way: the fast path for clean messages must give the same bytes.
    data = b"".join(parts)
    body = re.sub(rb"\r\n|\n|\r(?!\n)", b"\r\n", data)
    body = body if body.endswith(b"\r\n") else body + b"\r\n"
    assert dot_stuffed(data) == re.sub(rb"(?m)^\.", b"..", body) + b".\r\n"
