"""Metrics: the text exposition format, and counts scraped over HTTP during traffic equal what clients saw."""

from __future__ import annotations

import re
import time
import smtplib
import urllib.request

from exshell.transport import metrics
from exshell.transport import replies as R

from .scenario import LISTEN, RELAY_HOSTS, STRANGER, TRUSTED_HOST, EngineThread, free_port, make_store, seed_connectors

MESSAGE = b"From: app@domain.example\r\nSubject: m\r\n\r\nhello\r\n"
SAMPLE = re.compile(r'^(?P<name>[a-z_]+)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$')


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The text format back into {(name, labels): value}; fails on any line that is not valid."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert line.startswith(("# HELP ", "# TYPE ")), line
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m["labels"] or "")
        out[(m["name"], frozenset((k, v.replace("\\\\", "\\")) for k, v in labels))] = float(m["value"])
    return out


def value(samples, name, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_counter_gauge_histogram_render_in_the_text_format():
    reg = metrics.Registry()
    c = reg.counter("x_total", "help text", ("connector",))
    c.inc(connector='EX01\\Relay "A"')
    c.inc(2, connector='EX01\\Relay "A"')
    g = reg.gauge("depth", "queue depth", ("queue",))
    g.set_function(lambda: {("contoso.com",): 4.0})
    h = reg.histogram("lat_seconds", "latency", ("hop",), buckets=(1, 10))
    for v in (0.5, 5, 50):
        h.observe(v, hop="smart")
    text = reg.render()
    assert 'x_total{connector="EX01\\\\Relay \\"A\\""} 3' in text
    assert "# TYPE depth gauge" in text and 'depth{queue="contoso.com"} 4' in text
    assert 'lat_seconds_bucket{hop="smart",le="1"} 1' in text
    assert 'lat_seconds_bucket{hop="smart",le="10"} 2' in text
    assert 'lat_seconds_bucket{hop="smart",le="+Inf"} 3' in text
    assert 'lat_seconds_count{hop="smart"} 3' in text and 'lat_seconds_sum{hop="smart"} 55.5' in text
    parse(text)


def test_a_label_set_other_than_declared_is_refused():
    reg = metrics.Registry()
    c = reg.counter("y_total", "h", ("a",))
    try:
        c.inc(b="1")
    except ValueError as e:
        assert "a" in str(e)
    else:
        raise AssertionError("a wrong label was accepted")


def scrape(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return parse(r.read().decode())


def test_scraped_counts_equal_what_the_clients_saw(tmp_path):
    port, mport = free_port(), free_port()
    store = make_store(tmp_path / "state", seed_connectors(port))
    with EngineThread(tmp_path / "state", store) as et:
        server = et.run(metrics.start_http("127.0.0.1", mport))
        try:
            before = scrape(mport)
            seen: dict[str, int] = {"accepted": 0, "relay_refused": 0, "connect_refused": 0}
            for i in range(5):  # the externally secured host relays
                c = smtplib.SMTP(LISTEN, port, source_address=(TRUSTED_HOST, 0), timeout=10)
                c.ehlo("app.example")
                c.mail("app@domain.example")
                c.rcpt(f"user{i}@outside.example")
                code, _ = c.data(MESSAGE)
                seen["accepted"] += code == 250
                c.quit()
            for _ in range(3):  # anonymous hosts may not relay on their connector
                c = smtplib.SMTP(LISTEN, port, source_address=(RELAY_HOSTS[0], 0), timeout=10)
                c.ehlo("app.example")
                c.mail("app@domain.example")
                code, msg = c.rcpt("x@outside.example")
                seen["relay_refused"] += R.Reply(code, msg.decode()) == R.UNABLE_TO_RELAY
                c.quit()
            for _ in range(2):  # no connector covers this host: 421 at connect
                try:
                    smtplib.SMTP(LISTEN, port, source_address=(STRANGER, 0), timeout=10)
                except smtplib.SMTPConnectError as e:
                    seen["connect_refused"] += e.smtp_code == 421
            after = scrape(mport)
        finally:
            et.call(server.close)  # on the engine's loop: asyncio servers are not thread-safe

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert seen == {"accepted": 5, "relay_refused": 3, "connect_refused": 2}
    secured = "EX01\\Secured Relay"
    anonymous = "EX01\\Anonymous Relay"
    assert delta("exshell_messages_accepted_total", connector=secured) == seen["accepted"]
    assert delta("exshell_smtp_refused_total", connector=anonymous, step="rcpt",
                 code=str(R.UNABLE_TO_RELAY.code)) == seen["relay_refused"]
    refused_at_connect = sum(v for (n, labels), v in after.items()
                             if n == "exshell_smtp_connections_total" and ("code", "421") in labels)
    refused_before = sum(v for (n, labels), v in before.items()
                         if n == "exshell_smtp_connections_total" and ("code", "421") in labels)
    assert refused_at_connect - refused_before == seen["connect_refused"]
    assert delta("exshell_smtp_connections_total", connector=secured, code="220") == 5
    assert value(after, "exshell_config_version") == et.engine.index.version


def test_tls_handshakes_and_auth_attempts_are_counted_as_the_client_saw_them(tmp_path):
    import ssl

    import trustme

    from .secure_scenario import FQDN, PASSWORD, client_context, connector, issue, login, mailbox, secure_store, smtp
    from .secure_scenario import LISTEN as SECURE_LISTEN

    ca = trustme.CA()
    port = free_port()
    state = tmp_path / "state"
    cert = issue(ca, state, FQDN, SECURE_LISTEN)
    conns = [connector("Basic", [f"{SECURE_LISTEN}:{port}"], ["127.0.0.101"], "AnonymousUsers, ExchangeUsers",
                       "Tls, BasicAuth", fqdn=FQDN)]
    store = secure_store(state, conns, [cert], [mailbox("Copier", "copier@domain.example", PASSWORD)])
    name = "EX01\\Basic"
    before = (metrics.TLS_HANDSHAKES.value(connector=name, result="ok"),
              metrics.TLS_HANDSHAKES.value(connector=name, result="failed"),
              metrics.AUTH_ATTEMPTS.value(connector=name, mechanism="LOGIN", result="ok"),
              metrics.AUTH_ATTEMPTS.value(connector=name, mechanism="LOGIN", result="failed"))
    with EngineThread(state, store):
        c = smtp(port, "127.0.0.101")
        try:
            c.starttls(context=ssl.create_default_context())  # does not trust the test CA: handshake fails
        except ssl.SSLError:
            pass
        c.close()
        for password in ("wrong", PASSWORD):
            c = smtp(port, "127.0.0.101")
            c.starttls(context=client_context(ca))
            c.ehlo("copier.domain.example")
            code = login(c, "copier@domain.example", password)[0]
            assert code == (235 if password == PASSWORD else 535)
            c.close()
        deadline = time.monotonic() + 10  # the failed handshake is noticed when the engine reads it
        while metrics.TLS_HANDSHAKES.value(connector=name, result="failed") == before[1]:
            assert time.monotonic() < deadline, "the failed handshake was not counted"
            time.sleep(0.05)
    after = (metrics.TLS_HANDSHAKES.value(connector=name, result="ok"),
             metrics.TLS_HANDSHAKES.value(connector=name, result="failed"),
             metrics.AUTH_ATTEMPTS.value(connector=name, mechanism="LOGIN", result="ok"),
             metrics.AUTH_ATTEMPTS.value(connector=name, mechanism="LOGIN", result="failed"))
    assert [a - b for a, b in zip(after, before)] == [2, 1, 1, 1]
