"""The receive connector's abuse limits through real sockets: MaxHeaderSize, MaxProtocolErrors, MessageRateLimit,
RequireEHLODomain, the two timeouts against slow clients, the organization's size and recipient limits, back
pressure, a bare CR in a command, and the client's own Message-ID."""

from __future__ import annotations

import smtplib
import socket
import threading
import time

import pytest

from exshell.model.config import SETTINGS, TRANSPORT_SETTINGS_KEY
from exshell.model.permissions import ACE, ANONYMOUS
from exshell.transport import replies as R
from exshell.transport.limits import ResourceGuard, is_domain, received_by

from .scenario import LISTEN, RELAY_HOSTS, EngineThread, free_port, make_store, seed_connectors

pytestmark = pytest.mark.timeout(90)


def relay_connectors(port: int, **overrides):
    connectors = seed_connectors(port, **overrides)
    relay = connectors[1]
    connectors[1] = relay.add_aces([ACE(relay.identity, ANONYMOUS, "ms-Exch-SMTP-Accept-Any-Recipient")])
    return connectors


def engine_with(tmp_path, settings=None, **overrides):
    port = free_port()
    store = make_store(tmp_path / "state", relay_connectors(port, **overrides))
    if settings:
        def mutate(doc):
            record = dict(doc.get(SETTINGS, TRANSPORT_SETTINGS_KEY) or {})
            record.update(settings)
            doc.put(SETTINGS, TRANSPORT_SETTINGS_KEY, record)

        store.commit(mutate, command="Set-TransportConfig")
    return EngineThread(tmp_path / "state", store), port


class Raw:
    """A raw-socket SMTP client: sends exact bytes, reads whole replies."""

    def __init__(self, port: int, source: str = RELAY_HOSTS[0], timeout: float = 15.0) -> None:
        self.sock = socket.create_connection((LISTEN, port), timeout=timeout, source_address=(source, 0))
        self.buf = b""
        self.greeting = self.reply()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> str:
        """One (possibly multi-line) reply; '' when the server closed the connection."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return "\n".join(lines)
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            text = line.decode()
            lines.append(text)
            if text[3:4] != "-":
                return "\n".join(lines)

    def cmd(self, line: str) -> str:
        self.send(line.encode() + b"\r\n")
        return self.reply()

    def closed(self, timeout: float = 10.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


def send_one(port: int, source: str = RELAY_HOSTS[0], body: bytes = b"Subject: hi\r\n\r\nhello\r\n") -> tuple[int, bytes]:
    with smtplib.SMTP(LISTEN, port, source_address=(source, 0), timeout=15) as smtp:
        smtp.ehlo("client.example")
        smtp.mail("app@outside.example")
        smtp.rcpt("someone@example.net")
        return smtp.data(body)


def test_header_over_max_header_size_is_refused_while_reading_and_closed(tmp_path):
    et, port = engine_with(tmp_path, max_header_size="4KB")
    with et:
        c = Raw(port)
        c.cmd("EHLO client.example")
        c.cmd("MAIL FROM:<app@outside.example>")
        c.cmd("RCPT TO:<someone@example.net>")
        assert c.cmd("DATA").startswith("354")
        # 6 KB of folded header and no end of DATA: the refusal comes while the header is being read.
        c.send(b"Subject: big\r\n" + b"\tfolded bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n" * 80)
        assert c.reply() == str(R.HEADER_TOO_LARGE)
        assert c.closed()
        c.close()
        code, _ = send_one(port)  # the connector goes on serving
        assert code == 250
        assert not list((tmp_path / "state" / "spool" / "tmp").glob("*"))  # nothing left behind


def test_protocol_errors_past_the_limit_close_the_connection(tmp_path):
    et, port = engine_with(tmp_path, max_protocol_errors=2)
    with et:
        c = Raw(port)
        c.cmd("EHLO client.example")
        assert c.cmd("XYZZY") == str(R.UNRECOGNIZED_COMMAND)
        assert c.cmd("RCPT TO:<a@example.net>") == str(R.BAD_SEQUENCE_RCPT)
        assert c.cmd("NOOP") == str(R.NOOP_OK)  # not an error: the count stays at two
        assert c.cmd("DATA") == str(R.TOO_MANY_ERRORS)
        assert c.closed()
        c.close()


def test_message_rate_limit_per_source_per_minute(tmp_path):
    et, port = engine_with(tmp_path, message_rate_limit=2)
    with et:
        assert send_one(port)[0] == 250
        assert send_one(port)[0] == 250
        c = Raw(port)
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<app@outside.example>") == str(R.RATE_LIMIT_EXCEEDED)
        assert c.closed()
        c.close()
        assert send_one(port, source=RELAY_HOSTS[1])[0] == 250  # another source has its own budget


def test_require_ehlo_domain_closes_a_session_without_one(tmp_path):
    et, port = engine_with(tmp_path, require_ehlo_domain=True)
    with et:
        for hello in ("EHLO [127.0.0.100]", "HELO 127.0.0.100", "EHLO"):
            c = Raw(port)
            assert c.cmd(hello) == str(R.EHLO_REQUIRES_DOMAIN), hello
            assert c.closed()
            c.close()
        assert send_one(port)[0] == 250  # EHLO client.example is a domain


def test_a_command_line_too_long_is_refused_and_the_session_goes_on(tmp_path):
    et, port = engine_with(tmp_path)
    with et:
        c = Raw(port)
        c.cmd("EHLO client.example")
        # 600 and 5,000 octets (RFC 5321 §4.5.3.1.4: 512), each followed by a pipelined NOOP that must still run
        c.send(b"MAIL FROM:<" + b"a" * 600 + b"@outside.example>\r\nNOOP\r\n")
        assert c.reply() == str(R.LINE_TOO_LONG)
        assert c.reply() == str(R.NOOP_OK)
        c.send(b"NOOP " + b"b" * 5000 + b"\r\nNOOP\r\n")
        assert c.reply() == str(R.LINE_TOO_LONG)
        assert c.reply() == str(R.NOOP_OK)
        assert c.cmd("MAIL FROM:<app@outside.example>") == str(R.SENDER_OK)
        c.close()


def test_bare_cr_in_a_command_is_refused(tmp_path):
    et, port = engine_with(tmp_path)
    with et:
        c = Raw(port)
        assert c.cmd("EHLO evil.example\rX-MS-Exchange-Organization-AuthAs: Internal") == str(R.BARE_CR)
        assert c.cmd("EHLO good.example").startswith("250-")
        c.close()


def test_slow_but_steady_client_is_served_and_idle_clients_are_cut_off(tmp_path):
    # Inactivity 2 s: a sender that writes one DATA line every 0.6 s for 4 s is not idle; a silent one is.
    et, port = engine_with(tmp_path, connection_inactivity_timeout="00:00:02", connection_timeout="00:00:30")
    with et:
        results: dict[str, object] = {}

        def steady() -> None:
            c = Raw(port)
            c.cmd("EHLO slow.example")
            c.cmd("MAIL FROM:<app@outside.example>")
            c.cmd("RCPT TO:<someone@example.net>")
            c.cmd("DATA")
            c.send(b"Subject: slow\r\n\r\n")
            for i in range(7):
                time.sleep(0.6)
                c.send(b"line %d\r\n" % i)
            results["steady"] = c.cmd(".")
            c.close()

        t = threading.Thread(target=steady)
        t.start()
        idle = Raw(port)
        idle.cmd("EHLO idle.example")
        started = time.monotonic()
        results["idle"] = idle.reply()
        waited = time.monotonic() - started
        idle.close()
        assert send_one(port)[0] == 250  # a normal client meanwhile
        t.join(30)
        assert str(results["steady"]).startswith("250 2.6.0")
        assert results["idle"] == str(R.INACTIVITY_TIMEOUT)
        assert 1.5 <= waited <= 15


def test_connection_timeout_cuts_a_client_that_trickles_forever(tmp_path):
    et, port = engine_with(tmp_path, connection_inactivity_timeout="00:00:02", connection_timeout="00:00:03")
    with et:
        c = Raw(port)
        c.cmd("EHLO trickle.example")
        started = time.monotonic()
        got = ""
        while time.monotonic() - started < 20:
            c.send(b"N")  # a byte every 0.2 s: never idle, never a whole command
            time.sleep(0.2)
            c.sock.settimeout(0.01)
            try:
                data = c.sock.recv(4096)
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
            got += data.decode()
            if not data or "\r\n" in got:
                break
        c.close()
        assert got.startswith(str(R.CONNECTION_TIMED_OUT))
        assert 2.5 <= time.monotonic() - started <= 15


def test_organization_limits_apply_when_lower_than_the_connectors(tmp_path):
    et, port = engine_with(tmp_path, settings={"MaxReceiveSize": "2KB", "MaxRecipientEnvelopeLimit": 2})
    with et:
        c = Raw(port)
        c.cmd("EHLO client.example")
        assert "SIZE 2048" in c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<app@outside.example> SIZE=5000") == str(R.SIZE_EXCEEDED)
        assert c.cmd("MAIL FROM:<app@outside.example>") == str(R.SENDER_OK)
        assert c.cmd("RCPT TO:<a@example.net>") == str(R.RECIPIENT_OK)
        assert c.cmd("RCPT TO:<b@example.net>") == str(R.RECIPIENT_OK)
        assert c.cmd("RCPT TO:<c@example.net>") == str(R.TOO_MANY_RECIPIENTS)
        c.cmd("DATA")
        c.send(b"Subject: big\r\n\r\n" + b"x" * 3000 + b"\r\n.\r\n")
        assert c.reply() == str(R.SIZE_EXCEEDED)
        c.close()


def test_back_pressure_defers_mail_before_data(tmp_path):
    et, port = engine_with(tmp_path)
    with et:
        guard = ResourceGuard(str(tmp_path / "state" / "spool"), min_free_disk=1 << 62, every=0.0)
        et.engine.ctx.guard = guard
        c = Raw(port)
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<app@outside.example>") == str(R.INSUFFICIENT_RESOURCES)
        guard.min_free_disk = 0
        assert c.cmd("MAIL FROM:<app@outside.example>") == str(R.SENDER_OK)
        c.close()


def test_the_clients_message_id_is_kept_and_one_is_added_when_missing(tmp_path):
    et, port = engine_with(tmp_path)
    with et:
        code, msg = send_one(port, body=b"Message-ID: <abc@client.example>\r\nSubject: own\r\n\r\nhi\r\n")
        assert code == 250 and msg.decode().startswith("2.6.0 <abc@client.example> [InternalId=")
        code, msg = send_one(port, body=b"Subject: none\r\n\r\nhi\r\n")
        generated = msg.decode().split("<", 1)[1].split(">", 1)[0]
        assert generated.endswith("@ex01.domain.example")
    spooled = {}
    for f in (tmp_path / "state" / "spool").glob("*.msg"):
        head, _, data = f.read_bytes().partition(b"\n")
        spooled[data.split(b"Subject: ", 1)[1][:4]] = (head, data)
    assert b'"message_id":"abc@client.example"' in spooled[b"own\r"][0]
    assert spooled[b"own\r"][1].count(b"Message-ID:") == 1
    assert f"Message-ID: <{generated}>".encode() in spooled[b"none"][1]


def test_helpers():
    assert is_domain("client.example") and is_domain("copier")
    assert not is_domain("[127.0.0.1]") and not is_domain("127.0.0.1") and not is_domain("a b")
    assert received_by(b"from x ([1.2.3.4]) by EX01.Domain.Example (exshell) with ESMTP id 1") == "ex01.domain.example"


def test_hop_counts_refuse_with_5_4_6(tmp_path):
    et, port = engine_with(tmp_path, max_hop_count=3, max_local_hop_count=0)
    received = b"Received: from a.example ([192.0.2.1]) by mx.elsewhere.example; Mon, 1 Jan 2026 00:00:00 +0000\r\n"
    with et:
        assert send_one(port, body=received * 2 + b"Subject: two hops\r\n\r\nhi\r\n")[0] == 250
        code, msg = send_one(port, body=received * 3 + b"Subject: three hops\r\n\r\nhi\r\n")
        assert f"{code} {msg.decode()}" == str(R.HOP_COUNT_EXCEEDED)


def test_ehlo_extensions_follow_the_connector(tmp_path):
    et, port = engine_with(tmp_path, pipelining_enabled=False, enhanced_status_codes_enabled=False,
                           eight_bit_mime_enabled=False, delivery_status_notification_enabled=False)
    with et:
        c = Raw(port)
        ehlo = c.cmd("EHLO client.example")
        c.close()
    for word in ("PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN"):
        assert word not in ehlo
    assert "SIZE" in ehlo
