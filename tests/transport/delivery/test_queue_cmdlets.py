"""The queue and tracking cmdlets' views, filters and errors, against queue state the real service wrote."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from exshell.transport.delivery import control, tracking

from .harness import ServiceThread, Shell, SmartHost, configure, spool_message, wait_until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def queued(tmp_path: Path) -> Iterator[Shell]:
    """Two messages deferred to a smart host that is down, the service still running."""
    host = SmartHost()  # never started: connections are refused
    shell = Shell(tmp_path / "state")
    configure(shell, host.port, retry="00:10:00")
    with ServiceThread(shell.state, shell.store):
        spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"], subject="Invoice")
        spool_message(shell.state, "alice@contoso.com", ["carol@external.example"], subject="Report")
        wait_until(
            lambda: len(tracking.search(tracking.read_entries(shell.state), event_id="DEFER")) == 2,
            what="both deferrals",
        )
        # The tracking row is written before the queue state: wait for what Get-Queue reads too.
        wait_until(lambda: len(list((shell.state / "queue" / "messages").glob("*.json"))) == 2,
                   what="both queue states")
        yield shell


def header_line(output: str) -> list[str]:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[0].split()


def test_get_queue_default_view_has_exchange_columns(queued: Shell) -> None:
    out = queued.ok("Get-Queue")
    assert header_line(out) == ["Identity", "DeliveryType", "Status", "MessageCount", "NextHopDomain"]
    row = next(line for line in out.splitlines() if line.startswith("EX01\\1"))
    assert row.split()[1:4] == ["SmartHostConnectorDelivery", "Retry", "2"]


def test_get_queue_filter_selects_by_opath(queued: Shell) -> None:
    assert queued.values("Get-Queue -Filter \"Status -eq 'Retry' -and MessageCount -ge 2\" | % Identity") == [
        "EX01\\1"
    ]
    assert queued.values("Get-Queue -Filter \"NextHopDomain -eq 'nowhere.example'\" | % Identity") == []
    r = queued.run("Get-Queue -Filter \"Status = 'Retry'\"")
    assert not r.success and "Invalid filter syntax" in r.errors


def test_get_queue_unknown_identity_is_not_found(queued: Shell) -> None:
    r = queued.run("Get-Queue EX01\\42")
    assert "couldn't be found" in r.errors


def test_get_message_view_filter_and_recipient_info(queued: Shell) -> None:
    out = queued.ok("Get-Message")
    assert header_line(out) == ["Identity", "FromAddress", "Status", "Queue", "Subject"]
    assert queued.values("Get-Message -Filter \"FromAddress -like 'alice@*'\" | % Subject") == ["Report"]
    assert queued.values("Get-Message -Filter \"Subject -eq 'Invoice'\" | % { $_.Recipients.Count }") == ["0"]
    assert queued.values(
        "Get-Message -Filter \"Subject -eq 'Invoice'\" -IncludeRecipientInfo | % { $_.Recipients }"
    ) == ["bob@external.example"]
    assert queued.values("Get-Message -ResultSize 1 | Measure-Object | % Count") == ["1"]


def test_get_message_by_internal_id_alone(queued: Shell) -> None:
    ident = queued.values("Get-Message -Filter \"Subject -eq 'Report'\" | % Identity")[0]
    internal = ident.rpartition("\\")[2]
    assert queued.values(f"Get-Message {internal} | % Identity") == [ident]
    assert queued.values(f"Get-Message {internal} | % InternetMessageId")[0].startswith("<")


def test_action_reports_when_engine_does_not_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shell = Shell(tmp_path / "state")
    configure(shell, None, retry="00:10:00")
    with ServiceThread(shell.state, shell.store):
        spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
        wait_until(lambda: "EX01\\Unreachable" in shell.ok("Get-Queue"), what="the Unreachable queue")
    # A heartbeat that looks alive, but nobody reads requests any more.
    heartbeat = shell.state / "queue" / "engine.json"
    heartbeat.write_text(json.dumps({"heartbeat": dt.datetime.now(dt.UTC).isoformat(), "stopped": False}))
    monkeypatch.setattr(control, "ACK_TIMEOUT", 0.3)
    r = shell.run("Retry-Queue EX01\\Unreachable -Resubmit $true")
    assert "The transport engine on EX01 didn't answer within 0.3 seconds." in r.errors
    assert not list((shell.state / "queue" / "control").glob("*.req.json"))  # the request was withdrawn


def test_unreadable_spool_file_goes_to_poison_queue(tmp_path: Path) -> None:
    shell = Shell(tmp_path / "state")
    configure(shell, None)
    spool = shell.state / "spool"
    spool.mkdir(parents=True, exist_ok=True)
    (spool / "17.msg").write_bytes(b"{not json\nSubject: x\r\n\r\n")
    with ServiceThread(shell.state, shell.store):
        wait_until(lambda: "EX01\\Poison" in shell.ok("Get-Queue"), what="the Poison queue")
        assert shell.values('Get-Queue EX01\\Poison | % { "$($_.Status) $($_.MessageCount)" }') == [
            "Suspended 1"
        ]
    assert (spool / "17.msg").exists()  # kept for the administrator, never silently deleted


def test_message_over_connector_size_limit_is_bounced(tmp_path: Path) -> None:
    host = SmartHost().start()
    try:
        shell = Shell(tmp_path / "state")
        configure(shell, host.port)
        shell.ok("Set-SendConnector 'To SmartHost' -MaxMessageSize 100B")
        with ServiceThread(shell.state, shell.store):
            spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"], subject="Big scan")
            wait_until(
                lambda: list((shell.state / "mailboxes" / "scanner" / "new").glob("*")), what="the NDR"
            )
        ndr = next((shell.state / "mailboxes" / "scanner" / "new").glob("*")).read_bytes()
        assert b"550 5.3.4 ROUTING.SizeLimit" in ndr
        assert host.messages == []
    finally:
        host.stop()


def test_get_messagetrackinglog_view_and_filters(queued: Shell) -> None:
    out = queued.ok("Get-MessageTrackingLog")
    assert header_line(out) == ["Timestamp", "EventId", "Source", "Sender", "Recipients", "MessageSubject"]
    assert queued.values("Get-MessageTrackingLog -ResultSize 1 | Measure-Object | % Count") == ["1"]
    mid = queued.values("Get-MessageTrackingLog -Sender alice@contoso.com -EventId RECEIVE | % MessageId")[0]
    assert queued.values(f"Get-MessageTrackingLog -MessageId '{mid}' | % EventId") == ["RECEIVE", "DEFER"]
    assert queued.values(
        "Get-MessageTrackingLog -Recipients carol@external.example -EventId DEFER | % Source"
    ) == ["SMTP"]
    assert queued.values(
        "Get-MessageTrackingLog -MessageSubject voice | % Sender | Select-Object -Unique"
    ) == ["scanner@contoso.com"]
    future = "Get-MessageTrackingLog -Start (Get-Date).AddHours(1) | Measure-Object | % Count"
    assert queued.values(future) == ["0"]


def test_message_that_keeps_crashing_delivery_is_parked_in_poison_and_resumable(tmp_path: Path) -> None:
    host = SmartHost().start()
    try:
        shell = Shell(tmp_path / "state")
        configure(shell, host.port)
        with ServiceThread(shell.state, shell.store) as st:
            real_deliver = st.service.smtp.deliver
            calls = []

            async def crashing(*args: object) -> None:
                calls.append(args)
                raise RuntimeError("simulated crash")

            st.service.smtp.deliver = crashing  # type: ignore[method-assign]
            spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"], subject="Crasher")
            wait_until(lambda: "EX01\\Poison" in shell.ok("Get-Queue"), timeout=30, what="the Poison queue")
            assert len(calls) == 3, calls  # backed off between crashes, parked after the third
            assert "simulated crash" in shell.ok("(Get-Message -Queue EX01\\Poison).LastError")
            st.service.smtp.deliver = real_deliver  # type: ignore[method-assign]
            shell.ok("Get-Message -Queue EX01\\Poison | Resume-Message")
            wait_until(lambda: host.messages, timeout=30, what="delivery after Resume-Message")
    finally:
        host.stop()


def test_get_queue_include_and_exclude_by_kind(queued: Shell) -> None:
    assert queued.values("Get-Queue -Exclude Empty | % Identity") == ["EX01\\1"]
    assert queued.values("Get-Queue -Include External -Exclude Empty | % Identity") == ["EX01\\1"]
    assert queued.values("Get-Queue -Include SmtpDeliveryToMailbox | % Identity") == []
    assert queued.values("Get-Queue -Include Empty | % Identity") == ["EX01\\Submission"]


def test_retry_queue_by_filter_asks_the_engine_for_each_matching_queue(queued: Shell) -> None:
    before = len(tracking.search(tracking.read_entries(queued.state), event_id="DEFER"))
    queued.ok("Retry-Queue -Filter \"Status -eq 'Retry'\"")
    wait_until(
        lambda: len(tracking.search(tracking.read_entries(queued.state), event_id="DEFER")) == before + 2,
        what="both messages attempted again at once",
    )
