"""STARTTLS, RequireTLS and SMTP AUTH on the real engine over loopback, per AuthMechanism combination, with
smtplib, aiosmtplib and raw sockets; replies compared with the catalogue."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import smtplib
import socket
import ssl
import time
from email.parser import BytesHeaderParser

import pytest
import trustme

from exshell.transport import replies as R

from .scenario import EngineThread, free_port
from .secure_scenario import (
    FQDN, LISTEN, PASSWORD, auth_line, client_context, connector, ehlo_keywords, issue, login, mailbox,
    secure_store, smtp,
)

TLS_ONLY, BASIC, BASIC_REQUIRE_TLS, REQUIRE_TLS, NO_AUTH, CLIENT = (
    "127.0.0.100", "127.0.0.101", "127.0.0.102", "127.0.0.103", "127.0.0.104", "127.0.0.106")
OUTSIDE = "someone@fabrikam.example"


def connectors(port):
    b = [f"{LISTEN}:{port}"]
    return [
        connector("TlsOnly", b, [TLS_ONLY], "AnonymousUsers", "Tls", fqdn=FQDN),
        connector("Basic", b, [BASIC], "AnonymousUsers, ExchangeUsers", "Tls, BasicAuth", fqdn=FQDN),
        connector("BasicRequireTls", b, [BASIC_REQUIRE_TLS], "AnonymousUsers, ExchangeUsers",
                  "Tls, BasicAuth, BasicAuthRequireTLS", fqdn=FQDN),
        connector("RequireTls", b, [REQUIRE_TLS], "AnonymousUsers, ExchangeUsers",
                  "Tls, BasicAuth, BasicAuthRequireTLS", require_tls=True, fqdn=FQDN),
        connector("NoAuth", b, [NO_AUTH], "AnonymousUsers", "None", fqdn=FQDN),
        connector("Client", b, [CLIENT], "ExchangeUsers", "Tls, Integrated, BasicAuth, BasicAuthRequireTLS",
                  fqdn=FQDN, auth_tarpit_interval="00:00:01", max_logon_failures=2),
    ]


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def engine(tmp_path, ca):
    port = free_port()
    state = tmp_path / "state"
    cert = issue(ca, state, FQDN, LISTEN)  # the IP too: smtplib checks the name it connected to
    boxes = [mailbox("Copier", "copier@domain.example", PASSWORD, "scans@domain.example"),
             mailbox("Bharat", "bharat@domain.example")]
    store = secure_store(state, connectors(port), [cert], boxes)
    with EngineThread(state, store) as et:
        yield et, store, port


def tls_client(port, source, ca):
    c = smtp(port, source)
    c.starttls(context=client_context(ca))
    c.ehlo("copier.domain.example")
    return c


@pytest.mark.parametrize("source, before, auth_before, auth_after", [
    (TLS_ONLY, ["STARTTLS"], None, None),
    (BASIC, ["STARTTLS"], "AUTH LOGIN PLAIN", "AUTH LOGIN PLAIN"),
    (BASIC_REQUIRE_TLS, ["STARTTLS"], None, "AUTH LOGIN PLAIN"),
    (REQUIRE_TLS, ["STARTTLS"], None, "AUTH LOGIN PLAIN"),
    (CLIENT, ["STARTTLS"], None, "AUTH LOGIN PLAIN"),  # Integrated is not in force: no AUTH NTLM
])
def test_ehlo_advertises_what_the_auth_mechanism_says_before_and_after_starttls(engine, ca, source, before,
                                                                              auth_before, auth_after):
    et, store, port = engine
    c = smtp(port, source)
    kws = ehlo_keywords(c)
    assert all(k in kws for k in before)
    assert auth_line(c) == auth_before
    code, _ = c.starttls(context=client_context(ca))
    assert code == R.STARTTLS_READY.code
    c.ehlo("copier.domain.example")
    assert "STARTTLS" not in ehlo_keywords(c)  # not re-advertised after TLS (LOG16)
    assert auth_line(c) == auth_after
    assert "NTLM" not in c.ehlo_resp.decode() and "X-EXPS" not in c.ehlo_resp.decode()
    c.quit()


def test_no_auth_connector_offers_neither_starttls_nor_auth_and_refuses_a_blind_starttls(engine):
    et, store, port = engine
    c = smtp(port, NO_AUTH)
    assert "STARTTLS" not in ehlo_keywords(c) and auth_line(c) is None
    assert R.Reply(*_decode(c.docmd("STARTTLS"))) == R.UNRECOGNIZED_COMMAND
    c.quit()


def _decode(resp):
    return resp[0], resp[1].decode()


def test_starttls_reply_is_exchanges_and_a_second_starttls_is_a_bad_sequence(engine, ca):
    et, store, port = engine
    c = smtp(port, TLS_ONLY)
    assert R.Reply(*_decode(c.docmd("STARTTLS"))) == R.STARTTLS_READY
    c.sock = client_context(ca).wrap_socket(c.sock, server_hostname=FQDN)
    c.file = None
    c.ehlo("copier.domain.example")
    assert R.Reply(*_decode(c.docmd("STARTTLS"))) == R.TLS_ALREADY_ACTIVE
    c.quit()


def test_commands_pipelined_behind_starttls_are_thrown_away_not_run_inside_tls(engine, ca):
    # RFC 3207 §5 (the STARTTLS command injection): plaintext sent after STARTTLS must not be answered once the
    # TLS session has started; the session starts over with nothing said.
    et, store, port = engine
    sock = socket.create_connection((LISTEN, port), timeout=15, source_address=(TLS_ONLY, 0))
    sock.recv(4096)
    sock.sendall(b"EHLO copier.domain.example\r\n")
    while b"250 " not in sock.recv(4096):
        pass
    sock.sendall(b"STARTTLS\r\nRSET\r\nMAIL FROM:<injected@outside.example>\r\n")
    reply = b""
    while b"\r\n" not in reply:
        reply += sock.recv(4096)
    assert reply.decode().strip() == str(R.STARTTLS_READY)
    tls = client_context(ca).wrap_socket(sock, server_hostname=FQDN)
    tls.sendall(b"NOOP\r\n")
    first = tls.recv(4096).decode()
    assert first.strip() == str(R.NOOP_OK), first  # not the answers to the injected RSET / MAIL
    tls.sendall(b"MAIL FROM:<x@domain.example>\r\n")
    assert tls.recv(4096).decode().strip() == str(R.SEND_HELLO_FIRST)  # the session started over
    tls.close()


def test_auth_before_tls_under_basic_auth_require_tls_is_an_unrecognized_type(engine):
    et, store, port = engine
    c = smtp(port, BASIC_REQUIRE_TLS)
    login = base64.b64encode(b"copier@domain.example").decode()
    assert R.Reply(*_decode(c.docmd("AUTH", f"LOGIN {login}"))) == R.AUTH_UNRECOGNIZED
    assert R.Reply(*_decode(c.docmd("AUTH", "NTLM"))) == R.AUTH_UNRECOGNIZED
    c.quit()


def test_require_tls_refuses_mail_until_starttls_but_allows_the_session_verbs(engine, ca):
    et, store, port = engine
    c = smtp(port, REQUIRE_TLS)
    for verb in ("MAIL FROM:<a@domain.example>", "RCPT TO:<b@domain.example>", "DATA", "VRFY x", "AUTH LOGIN"):
        assert R.Reply(*_decode(c.docmd(verb))) == R.MUST_ISSUE_STARTTLS, verb
    assert c.noop()[0] == 250 and c.rset()[0] == 250
    c.starttls(context=client_context(ca))
    c.ehlo("copier.domain.example")
    assert R.Reply(*_decode(c.mail("a@domain.example"))) == R.SENDER_OK
    c.quit()


def test_authenticated_relay_is_allowed_while_anonymous_relay_on_the_same_connector_is_refused(engine, ca):
    et, store, port = engine
    anon = tls_client(port, BASIC_REQUIRE_TLS, ca)
    anon.mail("printer@outside.example")
    assert R.Reply(*_decode(anon.rcpt(OUTSIDE))) == R.UNABLE_TO_RELAY
    anon.quit()

    c = tls_client(port, BASIC_REQUIRE_TLS, ca)
    assert R.Reply(*_decode(c.login("copier@domain.example", PASSWORD))) == R.AUTH_OK
    assert R.Reply(*_decode(c.mail("scans@domain.example"))) == R.SENDER_OK  # a secondary address is its own
    assert R.Reply(*_decode(c.rcpt(OUTSIDE))) == R.RECIPIENT_OK
    queued = c.data(b"From: Copier <copier@domain.example>\r\nSubject: scan\r\n\r\npage 1\r\n")
    c.quit()
    assert queued[0] == 250
    internal = queued[1].decode().split("InternalId=", 1)[1].split(",", 1)[0]
    msg = et.engine.spool.load(internal)
    headers = BytesHeaderParser().parsebytes(msg.data)
    assert headers["X-MS-Exchange-Organization-AuthAs"] == "Internal"
    assert headers["X-MS-Exchange-Organization-AuthMechanism"] == "06"
    assert headers["X-MS-Exchange-Organization-AuthSource"] == FQDN
    assert headers["X-MS-Exchange-Organization-SCL"] == "-1"  # ExchangeUsers holds Bypass-Anti-Spam
    assert " with ESMTPSA " in headers["Received"]
    assert msg.envelope["authenticated_as"] == "DOMAIN\\Copier"


def test_auth_login_prompts_are_exchanges(engine, ca):
    et, store, port = engine
    c = tls_client(port, BASIC, ca)
    code, text = c.docmd("AUTH", "LOGIN")
    assert (code, text) == (334, b"VXNlcm5hbWU6")
    code, text = c.docmd(base64.b64encode(b"DOMAIN\\copier").decode())
    assert (code, text) == (334, b"UGFzc3dvcmQ6")
    assert R.Reply(*_decode(c.docmd(base64.b64encode(PASSWORD.encode()).decode()))) == R.AUTH_OK
    assert R.Reply(*_decode(c.docmd("AUTH", "LOGIN"))) == R.AUTH_ALREADY
    c.quit()


def test_auth_plain_with_initial_response_and_cancel(engine, ca):
    et, store, port = engine
    c = tls_client(port, BASIC, ca)
    assert R.Reply(*_decode(c.docmd("AUTH", "PLAIN"))) == R.Reply(334, "")
    assert R.Reply(*_decode(c.docmd("*"))) == R.AUTH_CANCELLED
    blob = base64.b64encode(b"\0copier@domain.example\0" + PASSWORD.encode()).decode()
    assert R.Reply(*_decode(c.docmd("AUTH", f"PLAIN {blob}"))) == R.AUTH_OK
    c.quit()


def test_wrong_password_is_tarpitted_and_the_connection_closed_at_max_logon_failures(engine, ca):
    et, store, port = engine
    c = tls_client(port, CLIENT, ca)
    t0 = time.monotonic()
    assert R.Reply(*_decode(login(c, "copier@domain.example", "wrong"))) == R.AUTH_FAILED
    assert time.monotonic() - t0 >= 1.0  # AuthTarpitInterval 00:00:01
    # MaxLogonFailures 2: the second failure (an unknown user costs the same) closes the connection.
    assert R.Reply(*_decode(login(c, "nobody@domain.example", PASSWORD, "PLAIN"))) == R.TOO_MANY_ERRORS
    with pytest.raises(smtplib.SMTPServerDisconnected):
        c.noop()
    # The engine carries on, and the right password works on a new connection.
    c = tls_client(port, CLIENT, ca)
    assert c.login("copier@domain.example", PASSWORD)[0] == 235
    c.quit()


def test_anonymous_client_without_submit_is_not_authenticated_and_authenticated_user_submits(engine, ca):
    et, store, port = engine
    c = tls_client(port, CLIENT, ca)
    assert R.Reply(*_decode(c.mail("copier@domain.example"))) == R.NOT_AUTHENTICATED
    c.rset()
    c.login("copier@domain.example", PASSWORD)
    assert R.Reply(*_decode(c.mail("copier@domain.example"))) == R.SENDER_OK
    c.quit()


def test_send_as_is_refused_for_an_envelope_or_header_sender_that_is_not_the_users(engine, ca):
    et, store, port = engine
    c = tls_client(port, BASIC, ca)
    c.login("copier@domain.example", PASSWORD)
    assert R.Reply(*_decode(c.mail("bharat@domain.example"))) == R.CANNOT_SEND_AS
    assert R.Reply(*_decode(c.mail("ceo@fabrikam.example"))) == R.CANNOT_SEND_AS
    c.rset()
    c.mail("copier@domain.example")
    c.rcpt(OUTSIDE)
    refused = c.data(b"From: Bharat <bharat@domain.example>\r\nSubject: x\r\n\r\nhi\r\n")
    assert R.Reply(*_decode(refused)) == R.CANNOT_SEND_AS
    c.quit()


def test_aiosmtplib_client_starttls_and_login(engine, ca):
    et, store, port = engine
    import aiosmtplib

    async def run():
        client = aiosmtplib.SMTP(hostname=LISTEN, port=port, source_address=(BASIC_REQUIRE_TLS, 0),
                                 tls_context=client_context(ca), start_tls=False, timeout=15)
        await client.connect()
        await client.starttls()
        await client.login("copier@domain.example", PASSWORD)
        errors, reply = await client.sendmail("copier@domain.example", [OUTSIDE],
                                              b"From: copier@domain.example\r\nSubject: a\r\n\r\nb\r\n")
        await client.quit()
        return errors, reply

    errors, reply = asyncio.run(run())
    assert errors == {} and "Queued mail for delivery" in reply


# ---------------------------------------------------------------------------------------------- bad input


def _greeted(port, source):
    s = socket.create_connection((LISTEN, port), timeout=15, source_address=(source, 0))
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"EHLO x.example\r\n")
    while not f.readline().startswith(b"250 "):
        pass
    return s, f


@pytest.mark.parametrize("after_220", [b"this is not a TLS record\r\nMAIL FROM:<a@b>\r\n",
                                       b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"])  # truncated ClientHello
def test_garbage_or_a_truncated_handshake_after_starttls_costs_only_that_connection(engine, ca, after_220, caplog):
    et, store, port = engine
    s, f = _greeted(port, TLS_ONLY)
    s.sendall(b"STARTTLS\r\n")
    assert f.readline().decode().strip() == str(R.STARTTLS_READY)
    s.sendall(after_220)
    if after_220.startswith(b"\x16"):
        s.close()  # the client gives up mid-handshake
    else:
        s.settimeout(15)
        try:
            rest = f.read()  # the server ends the connection (at most a TLS alert), never reads MAIL in clear
        except ConnectionResetError:
            rest = b""
        assert b"250" not in rest and b"530" not in rest
        s.close()
    c = tls_client(port, BASIC, ca)  # the engine keeps serving TLS
    assert c.login("copier@domain.example", PASSWORD)[0] == 235
    c.quit()
    assert "unexpected error" not in caplog.text and "Traceback" not in caplog.text


def test_a_client_that_rejects_the_certificate_leaves_the_engine_serving(engine, ca):
    et, store, port = engine
    c = smtp(port, TLS_ONLY)
    with pytest.raises(ssl.SSLError):
        c.starttls(context=ssl.create_default_context())  # does not trust the test CA
    c.close()
    c = tls_client(port, TLS_ONLY, ca)
    assert c.noop()[0] == 250
    c.quit()


def test_expired_mismatched_or_unreadable_certificates_mean_no_starttls(tmp_path, ca):
    port = free_port()
    state = tmp_path / "state"
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    expired = issue(ca, state, FQDN, not_before=past - dt.timedelta(days=30), not_after=past)
    other = issue(ca, state, "other.example")
    b = [f"{LISTEN}:{port}"]
    named = connector("Named", b, [BASIC], "AnonymousUsers", "Tls", fqdn=FQDN,
                      tls_certificate_name=f"<I>{other.issuer}<S>{other.subject}")
    plain = connector("ByFqdn", b, [TLS_ONLY], "AnonymousUsers", "Tls", fqdn=FQDN)
    store = secure_store(state, [named, plain], [expired, other], [])
    (state / "secrets" / "certificates" / f"{other.thumbprint}.pem").write_bytes(b"damaged")
    with EngineThread(state, store) as et:
        for source in (TLS_ONLY, BASIC):  # expired by FQDN; TlsCertificateName's key unreadable
            c = smtp(port, source)
            assert "STARTTLS" not in ehlo_keywords(c)
            assert R.Reply(*_decode(c.docmd("STARTTLS"))) == R.UNRECOGNIZED_COMMAND
            assert c.noop()[0] == 250
            c.quit()
        choices = et.call(lambda: dict(et.engine.index.tls))
        reasons = " / ".join(ch.reason for ch in choices.values())
        assert "not valid" in reasons or "no valid" in reasons
        assert "can't be loaded" in reasons


def test_a_password_set_in_the_shell_is_sealed_outside_the_configuration_and_logs_on(tmp_path, ca):
    import subprocess
    import sys

    from exshell.store import open_store

    port = free_port()
    state = tmp_path / "state"
    script = (
        "Get-ReceiveConnector | Set-ReceiveConnector -Enabled $false; "
        f"New-ReceiveConnector Copiers -Bindings {LISTEN}:{port} -RemoteIPRanges {BASIC} -Fqdn {FQDN} "
        "-PermissionGroups ExchangeUsers -AuthMechanism 'Tls, BasicAuth, BasicAuthRequireTLS' | Out-Null; "
        "New-Mailbox -Name Copier -PrimarySmtpAddress copier@exshell.local "
        f"-Password (ConvertTo-SecureString '{PASSWORD}' -AsPlainText -Force) | Out-Null; "
        "New-ExchangeCertificate -DomainName " + FQDN + " -Services SMTP -Force | Out-Null"
    )
    r = subprocess.run([sys.executable, "-m", "exshell", "--state", str(state), "--server", "EX01", "-c", script],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    for f in [state / "config.toml", state / "parsed.json", *(state / "history").iterdir()]:
        assert b"scrypt$" not in f.read_bytes() and b"PasswordHash" not in f.read_bytes(), f
    assert b"PasswordRef" in (state / "config.toml").read_bytes()
    with EngineThread(state, open_store(state)):
        c = smtp(port, BASIC)
        c.starttls()  # the self-signed certificate New-ExchangeCertificate made: not verified here
        c.ehlo("copier.example")
        assert R.Reply(*_decode(login(c, "copier@exshell.local", PASSWORD))) == R.AUTH_OK
        c.quit()
        c = smtp(port, BASIC)
        c.starttls()
        c.ehlo("copier.example")
        assert R.Reply(*_decode(login(c, "copier", "wrong", "PLAIN"))) == R.AUTH_FAILED
        c.close()


def test_stalled_handshakes_never_hold_up_another_session(engine, ca):
    """20 clients say STARTTLS and then send nothing (a handshake that never completes); a plain client on the
    same engine is still answered at once, and a TLS client still completes its handshake."""
    et, store, port = engine
    stalled = []
    for _ in range(20):
        s, f = _greeted(port, TLS_ONLY)
        s.sendall(b"STARTTLS\r\n")
        assert f.readline().decode().strip() == str(R.STARTTLS_READY)
        s.sendall(b"\x16\x03\x01")  # the first bytes of a ClientHello, then silence
        stalled.append(s)
    try:
        t0 = time.monotonic()
        c = smtp(port, NO_AUTH, timeout=10)
        assert c.noop()[0] == 250
        c.quit()
        t = tls_client(port, BASIC, ca)
        assert t.noop()[0] == 250
        t.quit()
        assert time.monotonic() - t0 < 5.0  # generous: the point is "not stuck behind the stalled handshakes"
    finally:
        for s in stalled:
            s.close()
