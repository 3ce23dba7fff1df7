"""The real engine over loopback with smtplib: the seed scenario end to end, limits, reload, logs."""

from __future__ import annotations

import dataclasses
import smtplib
import socket
import time
from email.parser import BytesHeaderParser

import pytest

from exshell.model.config import RECEIVE_CONNECTORS
from exshell.transport import replies as R
from exshell.transport.headers import DirectoryEntry

from .scenario import (
    FQDN, INTERNET_HOST, LISTEN, RELAY_HOSTS, STRANGER, TRUSTED_HOST, EngineThread, connector, free_port, grant,
    make_store, seed_connectors, update_connector,
)

MESSAGE = b"From: Bharat <bharat@domain.example>\r\nSubject: scan\r\nX-MS-Exchange-Organization-SCL: -1\r\n\r\nhello\r\n"


def client(port, host, timeout=10):
    c = smtplib.SMTP(LISTEN, port, source_address=(host, 0), timeout=timeout)
    c.ehlo("device.example")
    return c


def reply(code_msg):
    code, msg = code_msg
    return R.Reply(code, msg.decode())


def spooled_headers(engine, message_id_reply):
    text = message_id_reply[1].decode()
    internal = text.split("InternalId=", 1)[1].split(",", 1)[0]
    m = engine.spool.load(internal)
    return m, BytesHeaderParser().parsebytes(m.data)


@pytest.fixture
def seed(tmp_path):
    port = free_port()
    store = make_store(tmp_path / "state", seed_connectors(port))
    with EngineThread(tmp_path / "state", store, directory=OneMailbox()) as et:
        yield et, store, port


class OneMailbox:
    def entry(self, addr):
        return DirectoryEntry("bharat@domain.example", "Bharat Kumar") if addr == "bharat@domain.example" else None


def test_greeting_and_ehlo_follow_exchange(seed):
    et, store, port = seed
    s = socket.create_connection((LISTEN, port), timeout=10, source_address=(RELAY_HOSTS[0], 0))
    f = s.makefile("rb")
    greeting = f.readline().decode()
    assert greeting.startswith(f"220 {FQDN} Microsoft ESMTP MAIL Service ready at ")
    s.sendall(b"MAIL FROM:<a@b.example>\r\n")
    assert f.readline().decode().strip() == str(R.SEND_HELLO_FIRST)
    s.sendall(b"EHLO device.example\r\n")
    lines = [f.readline().decode().strip() for _ in range(6)]
    assert lines == [f"250-{FQDN} Hello [{RELAY_HOSTS[0]}]", "250-SIZE 10485760", "250-PIPELINING", "250-DSN",
                     "250-ENHANCEDSTATUSCODES", "250 8BITMIME"]
    s.sendall(b"QUIT\r\n")
    assert f.readline().decode().strip() == str(R.QUIT)
    s.close()


def test_externally_secured_host_relays_and_is_stamped_internal(seed):
    et, store, port = seed
    c = client(port, TRUSTED_HOST)
    assert reply(c.mail("scanner@domain.example")) == R.SENDER_OK
    assert reply(c.rcpt("someone@outside.example")) == R.RECIPIENT_OK
    queued = c.data(MESSAGE)
    c.quit()
    assert queued[0] == 250 and queued[1].decode().endswith(f"Hostname={FQDN}] Queued mail for delivery")
    m, h = spooled_headers(et.engine, queued)
    assert h["X-MS-Exchange-Organization-AuthAs"] == "Internal"
    assert h.get_all("X-MS-Exchange-Organization-SCL") == ["-1"]
    assert h["X-MS-Exchange-Organization-AuthMechanism"] == "10"
    assert h["From"] == "Bharat Kumar <bharat@domain.example>"  # sender resolved ("P2")
    assert m.envelope["recipients"] == ["someone@outside.example"]
    assert m.envelope["connector"] == "EX01\\Secured Relay"


def test_anonymous_relay_refused_until_ace_committed_then_relays_without_restart(seed):
    et, store, port = seed
    early = client(port, RELAY_HOSTS[0])  # a session opened before the change keeps its version
    c = client(port, RELAY_HOSTS[0])
    assert reply(c.mail("app@outside.example")) == R.SENDER_OK
    assert reply(c.rcpt("x@outside.example")) == R.UNABLE_TO_RELAY
    c.quit()
    grant(store, "Anonymous Relay", "ms-Exch-SMTP-Accept-Any-Recipient")
    committed = time.monotonic()
    while True:
        c = client(port, RELAY_HOSTS[1])
        c.mail("app@outside.example")
        got = reply(c.rcpt("x@outside.example"))
        if got == R.RECIPIENT_OK:
            break
        c.quit()
        assert time.monotonic() - committed < 1.0, "the new permission did not apply within one second"
        time.sleep(0.05)
    queued = c.data(MESSAGE)
    c.quit()
    _, h = spooled_headers(et.engine, queued)
    assert h["X-MS-Exchange-Organization-AuthAs"] == "Anonymous"
    scl = h.get_all("X-MS-Exchange-Organization-SCL")
    assert len(scl) == 1 and int(scl[0]) >= 0  # the forged -1 was removed by the header firewall
    assert h["From"] == "Bharat <bharat@domain.example>"  # anonymous: not resolved
    # the first host of the range relays too, and the early session still runs on the old version
    c = client(port, RELAY_HOSTS[0])
    c.mail("app@outside.example")
    assert reply(c.rcpt("y@outside.example")) == R.RECIPIENT_OK
    c.quit()
    early.mail("app@outside.example")
    assert reply(early.rcpt("x@outside.example")) == R.UNABLE_TO_RELAY
    early.quit()


def test_host_outside_every_range_gets_421(seed):
    et, store, port = seed
    with pytest.raises(smtplib.SMTPConnectError) as e:
        smtplib.SMTP(LISTEN, port, source_address=(STRANGER, 0), timeout=10)
    assert R.Reply(e.value.smtp_code, e.value.smtp_error.decode()) == R.SERVICE_NOT_AVAILABLE


def test_permissions_never_leak_to_the_wildcard_connector_on_the_same_port(seed):
    et, store, port = seed
    grant(store, "Anonymous Relay", "ms-Exch-SMTP-Accept-Any-Recipient")
    time.sleep(0.5)
    c = client(port, INTERNET_HOST)  # reaches 127.0.0.17 through the 0.0.0.0 listener
    c.mail("a@outside.example")
    assert reply(c.rcpt("x@outside.example")) == R.UNABLE_TO_RELAY
    assert reply(c.rcpt("x@domain.example")) == R.RECIPIENT_OK
    c.quit()


def test_oversized_data_is_refused_after_streaming_and_session_continues(tmp_path):
    port = free_port()
    store = make_store(tmp_path / "state", seed_connectors(port, max_message_size="64KB"))
    with EngineThread(tmp_path / "state", store) as et:
        c = client(port, RELAY_HOSTS[0])
        c.mail("a@outside.example")
        c.rcpt("b@domain.example")
        big = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 200
        assert reply(c.data(big)) == R.SIZE_EXCEEDED
        c.rset()
        c.mail("a@outside.example")
        c.rcpt("b@domain.example")
        assert c.data(b"Subject: small\r\n\r\nok\r\n")[0] == 250
        c.quit()
        assert len(et.engine.spool.list()) == 1


def test_declared_size_too_large_is_552_at_mail(seed):
    et, store, port = seed
    c = client(port, RELAY_HOSTS[0])
    assert reply(c.docmd("MAIL FROM:<a@outside.example> SIZE=20000000")) == R.SIZE_EXCEEDED
    c.quit()


def test_recipients_beyond_limit_get_452(tmp_path):
    port = free_port()
    store = make_store(tmp_path / "state", seed_connectors(port, max_recipients_per_message=2))
    with EngineThread(tmp_path / "state", store):
        c = client(port, RELAY_HOSTS[0])
        c.mail("a@outside.example")
        assert [reply(c.rcpt(f"u{i}@domain.example")) for i in range(3)] == [
            R.RECIPIENT_OK, R.RECIPIENT_OK, R.TOO_MANY_RECIPIENTS]
        assert c.data(b"Subject: x\r\n\r\nx\r\n")[0] == 250  # the message itself is not rejected
        c.quit()


def test_tarpit_delays_failures_only(tmp_path):
    port = free_port()
    store = make_store(tmp_path / "state", seed_connectors(port, tarpit_interval="00:00:00.2"))
    with EngineThread(tmp_path / "state", store):
        c = client(port, RELAY_HOSTS[0])
        c.mail("a@outside.example")
        t0 = time.monotonic()
        assert reply(c.rcpt("x@outside.example")) == R.UNABLE_TO_RELAY
        failed = time.monotonic() - t0
        t0 = time.monotonic()
        assert reply(c.rcpt("x@domain.example")) == R.RECIPIENT_OK
        ok = time.monotonic() - t0
        c.quit()
        s = client(port, TRUSTED_HOST)  # externally secured: never tarpitted
        s.mail("a@b@c")
        t0 = time.monotonic()
        s.mail("a@b@c")
        secured = time.monotonic() - t0
        s.quit()
    assert failed >= 0.19 and ok < 0.15 and secured < 0.15


def test_connection_limit_per_source(tmp_path):
    port = free_port()
    store = make_store(tmp_path / "state", seed_connectors(port, max_inbound_connection_per_source=1))
    with EngineThread(tmp_path / "state", store):
        first = client(port, RELAY_HOSTS[0])
        with pytest.raises(smtplib.SMTPConnectError) as e:
            smtplib.SMTP(LISTEN, port, source_address=(RELAY_HOSTS[0], 0), timeout=10)
        assert R.Reply(e.value.smtp_code, e.value.smtp_error.decode()) == R.TOO_MANY_CONNECTIONS
        other = client(port, RELAY_HOSTS[1])  # another source is still welcome
        other.quit()
        first.quit()


def test_inactivity_timeout_answers_451(tmp_path):
    port = free_port()
    store = make_store(tmp_path / "state", seed_connectors(
        port, connection_inactivity_timeout="00:00:01", connection_timeout="00:00:05"))
    with EngineThread(tmp_path / "state", store):
        s = socket.create_connection((LISTEN, port), timeout=10, source_address=(RELAY_HOSTS[0], 0))
        f = s.makefile("rb")
        f.readline()
        t0 = time.monotonic()
        assert f.readline().decode().strip() == str(R.INACTIVITY_TIMEOUT)
        assert 0.8 < time.monotonic() - t0 < 5
        assert f.readline() == b""  # closed
        s.close()


def test_protocol_log_records_permissions_and_tarpit(tmp_path):
    port = free_port()
    store = make_store(tmp_path / "state", seed_connectors(
        port, protocol_logging_level="Verbose", tarpit_interval="00:00:00.1"))
    with EngineThread(tmp_path / "state", store):
        c = client(port, RELAY_HOSTS[0])
        c.mail("a@outside.example")
        c.rcpt("x@outside.example")
        c.quit()
        time.sleep(0.2)
    logs = list((tmp_path / "state" / "logs" / "ProtocolLog" / "SmtpReceive").glob("RECV*-1.log"))
    assert len(logs) == 1
    text = logs[0].read_text()
    assert text.startswith("#Software: exshell\n#Version: ")
    assert "#Log-Type: SMTP Receive Protocol Log\n" in text
    assert ("#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,"
            "context\n") in text
    assert (",*,SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders,"
            "Set Session Permissions") in text
    assert "EX01\\Anonymous Relay" in text
    assert "Tarpit for '0.00:00:00.1000000'" in text
    assert ">,550 5.7.1 Unable to relay," in text


def test_listeners_follow_the_configuration(tmp_path):
    port, extra = free_port(), free_port()
    store = make_store(tmp_path / "state", seed_connectors(port))
    with EngineThread(tmp_path / "state", store):
        def add(doc):
            c = connector("Late", [f"127.0.0.18:{extra}"], ["127.0.0.0-127.0.0.255"], "AnonymousUsers")
            doc.put(RECEIVE_CONNECTORS, c.guid, c.to_record())

        store.commit(add, command="New-ReceiveConnector Late")
        deadline = time.monotonic() + 1.0
        while True:
            try:
                c = smtplib.SMTP("127.0.0.18", extra, source_address=(RELAY_HOSTS[0], 0), timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "new binding not listening within one second"
                time.sleep(0.05)
        c.quit()
        update_connector(store, "Late", lambda c: dataclasses.replace(c, enabled=False))
        time.sleep(0.5)
        with pytest.raises(OSError):
            smtplib.SMTP("127.0.0.18", extra, source_address=(RELAY_HOSTS[0], 0), timeout=5)


def test_binding_in_use_is_reported_and_other_listeners_keep_running(tmp_path, caplog):
    port = free_port()
    blocker = socket.socket()
    blocker.bind(("127.0.0.19", 0))
    blocker.listen()
    busy = blocker.getsockname()[1]
    try:
        cs = seed_connectors(port) + [connector("Busy", [f"127.0.0.19:{busy}"], ["127.0.0.1"], "AnonymousUsers")]
        store = make_store(tmp_path / "state", cs)
        with caplog.at_level("ERROR", logger="exshell.transport"):
            with EngineThread(tmp_path / "state", store) as et:
                client(port, RELAY_HOSTS[0]).quit()
                errors = list(et.engine.listeners.errors.values())
        assert errors == [f"Receive connector EX01\\Busy cannot listen on 127.0.0.19:{busy}: the address is already in use."]
        assert errors[0] in caplog.text
    finally:
        blocker.close()


def test_ipv6_binding_serves_ipv6_clients(tmp_path):
    port = free_port()
    cs = [connector("V6", [f"[::1]:{port}"], ["::1"], "AnonymousUsers")]
    store = make_store(tmp_path / "state", cs)
    with EngineThread(tmp_path / "state", store):
        c = smtplib.SMTP("::1", port, timeout=10)
        code, msg = c.ehlo("v6.example")
        assert code == 250 and b"Hello [::1]" in msg
        c.quit()


def test_helo_rset_noop_and_unknown_verbs_answer_like_exchange(seed):
    et, store, port = seed
    c = smtplib.SMTP(LISTEN, port, source_address=(RELAY_HOSTS[0], 0), timeout=10)
    assert c.helo("old.example") == (250, f"{FQDN} Hello [{RELAY_HOSTS[0]}]".encode())
    assert reply(c.docmd("NOOP")) == R.NOOP_OK
    assert reply(c.docmd("XYZZY")) == R.UNRECOGNIZED_COMMAND
    assert reply(c.docmd("RCPT TO:<a@domain.example>")) == R.BAD_SEQUENCE_RCPT
    assert reply(c.docmd("MAIL FROM:<a@outside.example> FOO=1")) == R.UNKNOWN_PARAMETER
    assert reply(c.docmd("MAIL FROM:<a@outside.example>")) == R.SENDER_OK
    assert reply(c.docmd("MAIL FROM:<a@outside.example>")) == R.BAD_SEQUENCE_MAIL
    assert reply(c.docmd("DATA")) == R.BAD_SEQUENCE_DATA
    assert reply(c.docmd("RSET")) == R.RSET_OK
    # That was five protocol errors, the default MaxProtocolErrors: the sixth ends the session.
    assert reply(c.docmd("RCPT TO:<a@domain.example>")) == R.TOO_MANY_ERRORS
    c.close()


def test_pipelined_transaction_gets_replies_in_order(seed):
    et, store, port = seed
    s = socket.create_connection((LISTEN, port), timeout=10, source_address=(RELAY_HOSTS[0], 0))
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"EHLO p.example\r\n")
    while f.readline()[3:4] == b"-":
        pass
    s.sendall(b"MAIL FROM:<a@outside.example>\r\nRCPT TO:<b@domain.example>\r\nRCPT TO:<c@outside.example>\r\nDATA\r\n")
    got = [f.readline().decode().strip() for _ in range(4)]
    assert got == [str(R.SENDER_OK), str(R.RECIPIENT_OK), str(R.UNABLE_TO_RELAY), str(R.START_MAIL_INPUT)]
    s.sendall(b"Subject: p\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n")
    assert f.readline().startswith(b"250 2.6.0 <")
    assert f.readline().decode().strip() == str(R.QUIT)
    s.close()
    [msg_id] = et.engine.spool.list()
    assert et.engine.spool.load(msg_id).data.endswith(b"\r\n\r\n.leading dot\r\n")  # dot-unstuffed


def test_connection_timeout_ends_even_a_busy_session(tmp_path):
    port = free_port()
    store = make_store(tmp_path / "state", seed_connectors(
        port, connection_inactivity_timeout="00:00:01", connection_timeout="00:00:02"))
    with EngineThread(tmp_path / "state", store):
        s = socket.create_connection((LISTEN, port), timeout=10, source_address=(RELAY_HOSTS[0], 0))
        f = s.makefile("rb")
        f.readline()
        t0 = time.monotonic()
        lines = []
        for _ in range(20):  # keep the session busy: the inactivity timer never fires
            s.sendall(b"NOOP\r\n")
            line = f.readline().decode().strip()
            lines.append(line)
            if line != str(R.NOOP_OK):
                break
            time.sleep(0.3)
        assert lines[-1] == str(R.CONNECTION_TIMED_OUT)
        assert 1.5 < time.monotonic() - t0 < 5
        s.close()


def test_on_spooled_hook_hears_every_queued_message(tmp_path):
    port = free_port()
    store = make_store(tmp_path / "state", seed_connectors(port))
    heard = []
    with EngineThread(tmp_path / "state", store) as et:
        et.engine.ctx.on_spooled = heard.append
        c = client(port, RELAY_HOSTS[0])
        c.mail("a@outside.example")
        c.rcpt("b@domain.example")
        c.data(b"Subject: x\r\n\r\nx\r\n")
        c.quit()
        assert heard == et.engine.spool.list()
