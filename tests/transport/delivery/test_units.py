"""Routing, the tracking log, NDR structure, the OPATH filter, queue state files and Maildir, without sockets."""

from __future__ import annotations

import csv
import datetime as dt
import email
import io
import mailbox
from email.policy import default as default_policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exshell.model.config import Config
from exshell.transport.delivery import maildir, tracking
from exshell.transport.delivery.dsn import FailedRecipient, build_ndr, status_of
from exshell.transport.delivery.opath import FilterError, matches, parse_filter
from exshell.transport.delivery.queue import (
    GroupState,
    MessageState,
    QueueStore,
    RecipientState,
    write_atomic,
)
from exshell.transport.delivery.router import (
    DNS,
    MAILBOX,
    RECIPIENT_NOT_FOUND,
    SMART_HOST,
    UNREACHABLE,
    Router,
    recipient_exists,
)

from .harness import Shell, configure, make_message


@pytest.fixture
def config(tmp_path: Path) -> Config:
    shell = Shell(tmp_path / "state")
    configure(shell, 2525)
    shell.ok("New-AcceptedDomain -Name Partner -DomainName partner.example -DomainType ExternalRelay")
    shell.ok(
        "New-SendConnector -Name Partner -AddressSpaces 'partner.example' -SmartHosts '[127.0.0.1]:2526'"
    )
    shell.ok("New-SendConnector -Name Dns -AddressSpaces '*.dns.example' -DNSRoutingEnabled $true")
    return Config.from_data(shell.store.snapshot().data)


def test_authoritative_recipient_with_mailbox_routes_to_mailbox(config: Config) -> None:
    r = Router(config, "EX01").route("Alice@Contoso.com")
    assert r.hop.delivery_type == MAILBOX and r.failure is None and r.hop.next_hop_domain == "contoso.com"


def test_unknown_authoritative_recipient_is_marked_for_ndr(config: Config) -> None:
    r = Router(config, "EX01").route("nobody@contoso.com")
    assert r.failure == RECIPIENT_NOT_FOUND == "550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found"


def test_internal_relay_without_mailbox_goes_to_closest_connector(config: Config) -> None:
    r = Router(config, "EX01").route("someone@fabrikam.com")
    assert r.hop.delivery_type == SMART_HOST and r.hop.connector == "To SmartHost" and r.failure is None


def test_external_relay_uses_most_specific_address_space(config: Config) -> None:
    router = Router(config, "EX01")
    assert router.route("x@partner.example").hop.connector == "Partner"
    assert router.route("x@other.example").hop.connector == "To SmartHost"
    dns = router.route("x@mx.dns.example").hop
    assert dns.delivery_type == DNS and dns.next_hop_domain == "mx.dns.example"


def test_no_matching_connector_routes_to_unreachable(tmp_path: Path) -> None:
    shell = Shell(tmp_path / "state")
    configure(shell, None)
    router = Router(Config.from_data(shell.store.snapshot().data), "EX01")
    assert router.route("bob@elsewhere.example").hop.delivery_type == UNREACHABLE


def test_recipient_exists_has_an_opinion_only_for_authoritative_domains(config: Config) -> None:
    router = Router(config, "EX01")
    assert recipient_exists(config, router.directory, "alice@contoso.com") is True
    assert recipient_exists(config, router.directory, "nobody@contoso.com") is False
    assert recipient_exists(config, router.directory, "nobody@fabrikam.com") is None
    assert recipient_exists(config, router.directory, "bob@elsewhere.example") is None


def test_postmaster_is_default_domain_unless_external_postmaster_set(tmp_path: Path) -> None:
    shell = Shell(tmp_path / "state")
    assert (
        Router(Config.from_data(shell.store.snapshot().data), "EX01").postmaster == "postmaster@contoso.com"
    )
    shell.ok("Set-TransportConfig -ExternalPostmasterAddress bounces@contoso.com")
    assert Router(Config.from_data(shell.store.snapshot().data), "EX01").postmaster == "bounces@contoso.com"


# ---------------------------------------------------------------------- tracking log


def test_tracking_log_file_has_exchange_header_and_fields(tmp_path: Path) -> None:
    when = dt.datetime(2026, 11, 28, 6, 30, tzinfo=dt.UTC)
    tracking.log_event(
        tmp_path,
        "RECEIVE",
        source="SMTP",
        message_id="abc@x",
        internal_message_id=7,
        sender="scanner@contoso.com",
        recipients=["a@x.example", "b@x.example"],
        total_bytes=120,
        subject="Scan, page 1",
        when=when,
    )
    path = tmp_path / "logs" / "MessageTracking" / "MSGTRK20261128-1.LOG"
    lines = path.read_text().splitlines()
    assert lines[0] == "#Software: Microsoft Exchange Server"
    assert lines[2] == "#Log-Type: Message Tracking Log"
    assert lines[4].startswith("#Fields: date-time,client-ip,client-hostname,server-ip,")
    assert lines[4].endswith(",original-client-ip,original-server-ip,custom-data")
    (entry,) = list(tracking.read_entries(tmp_path))
    props = entry.to_properties()
    assert props["Recipients"] == ["a@x.example", "b@x.example"]
    assert props["MessageSubject"] == "Scan, page 1" and props["MessageId"] == "<abc@x>"
    assert props["TotalBytes"] == 120 and props["Timestamp"] == when and props["RecipientCount"] == 2


def test_tracking_search_filters_like_get_messagetrackinglog(tmp_path: Path) -> None:
    t0 = dt.datetime(2026, 11, 28, 6, 0, tzinfo=dt.UTC)
    for i, (event, sender, rcpt) in enumerate(
        [
            ("RECEIVE", "a@x", "r1@y"),
            ("SEND", "a@x", "r1@y"),
            ("RECEIVE", "b@x", "r2@y"),
            ("FAIL", "b@x", "r2@y"),
        ]
    ):
        tracking.log_event(
            tmp_path,
            event,
            source="SMTP",
            sender=sender,
            recipients=[rcpt],
            message_id=f"m{i % 2}@x",
            when=t0 + dt.timedelta(minutes=i),
        )
    entries = list(tracking.read_entries(tmp_path))
    assert [e.event_id for e in tracking.search(entries, sender="A@X")] == ["RECEIVE", "SEND"]
    assert [e.event_id for e in tracking.search(entries, recipients=["r2@y"])] == ["RECEIVE", "FAIL"]
    assert [e.event_id for e in tracking.search(entries, event_id="fail")] == ["FAIL"]
    assert len(tracking.search(entries, message_id="<m1@x>")) == 2
    window = tracking.search(entries, start=t0 + dt.timedelta(minutes=1), end=t0 + dt.timedelta(minutes=3))
    assert [e.event_id for e in window] == ["SEND", "RECEIVE"]  # End is exclusive
    assert len(tracking.search(entries, result_size=3)) == 3


def test_tracking_rows_are_quoted_as_the_csv_module_does_and_keep_their_millisecond_and_day(tmp_path: Path) -> None:
    t0 = dt.datetime(2026, 11, 28, 23, 59, 59, 998_700, tzinfo=dt.UTC)
    when = [t0, t0 + dt.timedelta(microseconds=1_000), t0 + dt.timedelta(microseconds=3_000)]  # the last: next day
    subjects = ['Scan, "page" 1', "line\nbreak", "Überweisung; März"]
    rows = [tracking.make_row("RECEIVE", source="SMTP", subject=s, sender="a@x", recipients=["b@y", "c@y"], when=w)
            for s, w in zip(subjects, when)]
    for row, w in zip(rows, when):
        expected = io.StringIO()
        csv.writer(expected, lineterminator="\r\n").writerow([row.fields[f] for f in tracking.FIELDS])
        assert row.text == expected.getvalue()
        assert row.fields["date-time"] == w.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    tracking.write_rows(tmp_path, rows)
    folder = tmp_path / "logs" / "MessageTracking"
    assert sorted(p.name for p in folder.iterdir()) == ["MSGTRK20261128-1.LOG", "MSGTRK20261129-1.LOG"]
    entries = list(tracking.read_entries(tmp_path))
    assert [e.fields["message-subject"] for e in entries] == subjects
    assert [e.timestamp for e in entries] == [w.replace(microsecond=w.microsecond // 1000 * 1000) for w in when]
    assert entries[0].recipients == ["b@y", "c@y"]


# ---------------------------------------------------------------------- NDR


def test_ndr_is_rfc3464_multipart_report_with_exchange_diagnostics() -> None:
    original = make_message("scanner@contoso.com", ["bob@x.example"], "Invoice 7")
    ndr = build_ndr(
        original=original,
        original_sender="scanner@contoso.com",
        failed=[FailedRecipient("bob@x.example", "550 5.1.1 User unknown", "127.0.0.1:2525")],
        reporting_mta="ex01.contoso.com",
        postmaster="postmaster@contoso.com",
    )
    msg = email.message_from_bytes(ndr, policy=default_policy)
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    assert msg["Subject"] == "Undeliverable: Invoice 7"
    assert "postmaster@contoso.com" in msg["From"] and msg["To"] == "scanner@contoso.com"
    parts = msg.get_payload()
    assert [p.get_content_type() for p in parts] == [
        "text/plain",
        "message/delivery-status",
        "text/rfc822-headers",
    ]
    assert "Remote Server returned '550 5.1.1 User unknown'" in parts[0].get_content()
    blocks = parts[1].get_payload()
    assert blocks[0]["Reporting-MTA"] == "dns;ex01.contoso.com"
    assert blocks[1]["Final-Recipient"] == "rfc822;bob@x.example"
    assert blocks[1]["Action"] == "failed" and blocks[1]["Status"] == "5.1.1"
    assert blocks[1]["Diagnostic-Code"] == "smtp;550 5.1.1 User unknown"
    assert b"Subject: Invoice 7" in parts[2].as_bytes()


def test_status_code_comes_from_enhanced_code_or_basic_class() -> None:
    assert status_of("550 4.4.7 QUEUE.Expired; message expired") == "4.4.7"
    assert status_of("554 Transaction failed") == "5.0.0"
    assert status_of("451 try later") == "4.0.0"


# ---------------------------------------------------------------------- OPATH filter


def test_filter_combines_comparisons_with_and() -> None:
    terms = parse_filter("NextHopDomain -eq 'contoso.com' -and Status -eq 'Retry'")
    assert matches(terms, {"NextHopDomain": "CONTOSO.com", "Status": "Retry"})
    assert not matches(terms, {"NextHopDomain": "contoso.com", "Status": "Ready"})
    assert matches(parse_filter("MessageCount -gt 9"), {"MessageCount": 10})
    assert not matches(parse_filter("MessageCount -gt 9"), {"MessageCount": 9})
    assert matches(parse_filter('FromAddress -like "*@contoso.com"'), {"FromAddress": "a@contoso.com"})


def test_filter_reports_bad_syntax_and_unknown_properties() -> None:
    with pytest.raises(FilterError):
        parse_filter("Status = 'Retry'")
    with pytest.raises(FilterError):
        parse_filter("Status -eq 'Retry' -or Status -eq 'Ready'")
    with pytest.raises(FilterError):
        matches(parse_filter("Colour -eq 'red'"), {"Status": "Retry"})


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_filter_parser_only_raises_filter_errors(text: str) -> None:
    try:
        parse_filter(text)
    except FilterError:
        pass


# ---------------------------------------------------------------------- queue state and Maildir


def test_message_state_round_trips_through_its_file(tmp_path: Path) -> None:
    store = QueueStore(tmp_path)
    store.ensure()
    state = MessageState(
        "12",
        "a@x",
        "m@x",
        "Subj",
        10,
        "2026-11-28T06:00:00+00:00",
        groups=[
            GroupState(
                "connector:out",
                SMART_HOST,
                "out",
                "Out",
                [RecipientState("b@y"), RecipientState("c@y", "Delivered")],
                status="Retry",
                retry_count=2,
                last_error="451 4.4.0 down",
            )
        ],
    )
    store.save(state)
    loaded = store.load("12")
    assert loaded == state and [r.address for r in loaded.groups[0].pending] == ["b@y"]
    assert store.ids() == ["12"] and not [p for p in store.messages.iterdir() if p.name.endswith(".tmp")]


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    write_atomic(target, b"old")
    write_atomic(target, b"new content")
    assert target.read_bytes() == b"new content" and [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_engine_alive_needs_a_fresh_heartbeat(tmp_path: Path) -> None:
    store = QueueStore(tmp_path)
    store.ensure()
    assert not store.engine_alive()
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=60)).isoformat()
    store.write_heartbeat({"heartbeat": old})
    assert not store.engine_alive()
    store.write_heartbeat({"heartbeat": dt.datetime.now(dt.UTC).isoformat()})
    assert store.engine_alive()


def test_maildir_delivery_is_readable_by_the_stdlib_maildir(tmp_path: Path) -> None:
    class Box:
        alias = "alice"
        guid = "g"

    folder = maildir.mailbox_folder(tmp_path, Box())
    data = make_message("scanner@contoso.com", ["alice@contoso.com"], "Hello")
    maildir.deliver(folder, data, sender="scanner@contoso.com", recipient="alice@contoso.com")
    box = mailbox.Maildir(str(folder), create=False)
    (msg,) = list(box)
    assert msg["Subject"] == "Hello" and msg["Return-Path"] == "<scanner@contoso.com>"
    assert msg["Delivered-To"] == "alice@contoso.com"
    assert not list((folder / "tmp").iterdir())


def test_spool_dsn_never_overwrites_an_existing_spool_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import itertools

    from exshell.transport.delivery import dsn
    from exshell.transport.spool import Spool

    spool = Spool(tmp_path / "spool")
    monkeypatch.setattr(dsn.time, "time", lambda: 1_800_000_000.0)
    taken = str(1_800_000_000_000 * 10000)
    (tmp_path / "spool" / f"{taken}.msg").write_bytes(b'{"id":"x"}\nkeep me')
    msg_id = dsn.spool_dsn(
        tmp_path / "spool",
        tmp_path / "spool" / "tmp",
        {"sender": "", "recipients": ["a@x"]},
        b"Subject: NDR\r\n\r\n",
        counter=itertools.count(),
    )
    assert msg_id != taken and len(msg_id) == 17
    assert (tmp_path / "spool" / f"{taken}.msg").read_bytes().endswith(b"keep me")
    loaded = spool.load(msg_id)
    assert loaded.envelope["recipients"] == ["a@x"] and loaded.data == b"Subject: NDR\r\n\r\n"
    assert not list((tmp_path / "spool" / "tmp").iterdir())


def test_tracking_rows_group_recipients_by_result() -> None:
    from exshell.transport.delivery.outcome import FAIL, OK, RETRY, RecipientResult, tracking_rows

    state = MessageState("9", "a@x", "m@x", "S", 5, "2026-11-28T06:00:00+00:00")
    smart = GroupState("connector:out", SMART_HOST, "Out", "Out")
    rows = tracking_rows(
        state,
        smart,
        [
            RecipientResult("b@y", OK, "250 OK", "127.0.0.1:25"),
            RecipientResult("c@y", FAIL, "550 no"),
            RecipientResult("d@y", OK, "250 OK", "127.0.0.1:25"),
            RecipientResult("e@y", RETRY, "451"),
        ],
        "ex01.contoso.com",
    )
    assert [(e, f["recipients"], f["source"]) for e, f in rows] == [
        ("SEND", ["b@y", "d@y"], "SMTP"),
        ("FAIL", ["c@y"], "SMTP"),
        ("DEFER", ["e@y"], "SMTP"),
    ]
    assert rows[0][1]["connector_id"] == "Out" and rows[0][1]["source_context"] == "127.0.0.1:25"
    local = GroupState("mailbox:contoso.com", MAILBOX, "contoso.com")
    assert [(e, f["source"]) for e, f in tracking_rows(state, local, [RecipientResult("b@y", OK, "250", "b")], "h")] == [
        ("DELIVER", "STOREDRIVER")
    ]


@pytest.mark.parametrize("data", [
    b"Subject: hello world\r\nFrom: a@b\r\n\r\nbody",
    b"From: a@b\r\nSubject:   spaced   words  \r\n\r\nbody",
    b"From: a@b\r\nSubject: folded\r\n  line two\r\n\tline3\r\nX: y\r\n\r\nbody",
    b"From: a@b\r\nsubject: lower\r\nX-Subject: no\r\n\r\n",
    b"From: a@b\r\nX-Subject: no\r\n\r\n",
    b"From: a@b\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\n",
    b"Message-ID: <x@y>\r\nSubject: a\r\nSubject: b\r\n\r\n",
    b"Subject: end without blank line",
    b"From: a\nSubject: lf only\n\nbody",
])
def test_header_value_reads_fields_as_the_email_package_does(data: bytes) -> None:
    from email.parser import BytesHeaderParser

    from exshell.transport.delivery.dsn import header_value, original_headers

    parsed = BytesHeaderParser(policy=default_policy).parsebytes(original_headers(data))
    for name in ("Subject", "Message-ID"):
        assert header_value(data, name) == str(parsed.get(name) or "")
