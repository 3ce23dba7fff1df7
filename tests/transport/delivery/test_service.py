"""The delivery service end to end over loopback: spool → Maildir / smart host / NDR, retries, expiry,
restart, and the queue cmdlets against the running service."""

from __future__ import annotations

import datetime as dt
import email
import mailbox
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from email.policy import default as default_policy
from pathlib import Path

import pytest

from exshell.transport.delivery import tracking

from .harness import ServiceThread, Shell, SmartHost, configure, spool_message, wait_until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def host() -> Iterator[SmartHost]:
    h = SmartHost().start()
    yield h
    h.stop()


@pytest.fixture
def shell(tmp_path: Path, host: SmartHost) -> Shell:
    s = Shell(tmp_path / "state")
    configure(s, host.port)
    return s


def maildir_messages(state: Path, alias: str) -> list[email.message.EmailMessage]:
    folder = state / "mailboxes" / alias
    if not (folder / "new").is_dir():
        return []
    return [
        email.message_from_bytes(m.as_bytes(), policy=default_policy)
        for m in mailbox.Maildir(str(folder), create=False)
    ]


def events(state: Path, **filters: object) -> list[str]:
    return [e.event_id for e in tracking.search(tracking.read_entries(state), **filters)]  # type: ignore[arg-type]


def dsn_original_id(state: Path) -> str:
    (receive,) = tracking.search(tracking.read_entries(state), event_id="RECEIVE")
    return receive.fields["message-id"].strip("<>")


def spool_empty(state: Path) -> bool:
    return not list((state / "spool").glob("*.msg")) and not list(
        (state / "queue" / "messages").glob("*.json")
    )


def test_external_recipient_arrives_at_smart_host_with_headers_and_send_is_tracked(
    shell: Shell, host: SmartHost
) -> None:
    state = shell.state
    with ServiceThread(state, shell.store):
        spool_message(state, "scanner@contoso.com", ["bob@external.example"], subject="Scan 1")
        wait_until(lambda: host.messages, what="the smart host to receive the message")
        wait_until(lambda: spool_empty(state), what="the spool to empty")
    (got,) = host.messages
    assert got.sender == "scanner@contoso.com" and got.recipients == ["bob@external.example"]
    assert b"Subject: Scan 1" in got.data and b"by ex01.contoso.com with Microsoft SMTP Server" in got.data
    assert got.helo == "ex01.contoso.com"  # no connector Fqdn: the server's FQDN
    assert events(state, sender="scanner@contoso.com") == ["RECEIVE", "SEND"]
    (send,) = tracking.search(tracking.read_entries(state), event_id="SEND")
    assert send.fields["connector-id"] == "To SmartHost"
    assert send.fields["source-context"] == f"127.0.0.1:{host.port}"


def test_connector_fqdn_is_used_for_ehlo_and_smart_host_port_wins(shell: Shell, host: SmartHost) -> None:
    shell.ok(
        f"Set-SendConnector 'To SmartHost' -Fqdn relay.contoso.com -Port 1 "
        f"-SmartHosts '[127.0.0.1]:{host.port}'"
    )
    with ServiceThread(shell.state, shell.store):
        spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
        wait_until(lambda: host.messages, what="delivery")
    assert host.messages[0].helo == "relay.contoso.com"


def test_smart_hosts_fail_over_in_order(tmp_path: Path, host: SmartHost) -> None:
    from .harness import free_port

    shell = Shell(tmp_path / "state")
    configure(shell, None)
    dead = free_port()
    shell.ok(
        f"New-SendConnector -Name Out -AddressSpaces '*' -SmartHosts '[127.0.0.1]:{dead}','[127.0.0.1]:{host.port}'"
    )
    with ServiceThread(shell.state, shell.store):
        spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
        wait_until(lambda: host.messages, what="delivery through the second smart host")


def test_local_recipient_lands_in_maildir_and_deliver_is_tracked(shell: Shell) -> None:
    state = shell.state
    with ServiceThread(state, shell.store):
        spool_message(state, "scanner@contoso.com", ["Alice@contoso.com"], subject="For Alice")
        wait_until(lambda: maildir_messages(state, "alice"), what="the Maildir delivery")
        wait_until(lambda: spool_empty(state), what="the spool to empty")
    (msg,) = maildir_messages(state, "alice")
    assert msg["Subject"] == "For Alice" and msg["Delivered-To"] == "Alice@contoso.com"
    assert events(state, recipients=["Alice@contoso.com"]) == ["RECEIVE", "DELIVER"]


def test_unknown_authoritative_recipient_gets_ndr_in_local_senders_mailbox(shell: Shell) -> None:
    state = shell.state
    with ServiceThread(state, shell.store):
        spool_message(state, "scanner@contoso.com", ["nobody@contoso.com", "alice@contoso.com"], subject="Hi")
        wait_until(lambda: maildir_messages(state, "scanner"), what="the NDR in the sender's mailbox")
        wait_until(lambda: spool_empty(state), what="the spool to empty")
    (ndr,) = maildir_messages(state, "scanner")
    assert ndr["Subject"] == "Undeliverable: Hi" and "postmaster@contoso.com" in ndr["From"]
    text = ndr.get_payload()[0].get_content()
    assert "Remote Server returned '550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found'" in text
    assert (
        "nobody@contoso.com" in text and "alice@contoso.com" not in text.split("Original message headers")[0]
    )
    assert len(maildir_messages(state, "alice")) == 1  # the other recipient still got it
    (dsn,) = tracking.search(tracking.read_entries(state), event_id="DSN")
    # DSN spool ids are 17 digits, a range the receiving engine's 16-digit ids never reach (no overwrite).
    assert len(dsn.fields["internal-message-id"]) == 17
    assert dsn.fields["reference"] == f"<{dsn_original_id(state)}>"


def test_smart_host_refusal_produces_ndr_and_fail_dsn_rows(shell: Shell, host: SmartHost) -> None:
    host.handler.rcpt_reply["bob@external.example"] = "550 5.1.1 User unknown"
    state = shell.state
    with ServiceThread(state, shell.store):
        spool_message(
            state,
            "scanner@contoso.com",
            ["bob@external.example", "carol@external.example"],
            subject="Quarterly",
        )
        wait_until(lambda: maildir_messages(state, "scanner"), what="the NDR")
        wait_until(lambda: spool_empty(state), what="the spool to empty")
    assert [m.recipients for m in host.messages] == [["carol@external.example"]]
    (ndr,) = maildir_messages(state, "scanner")
    report = ndr.get_payload()
    assert "Remote Server returned '550 5.1.1 User unknown'" in report[0].get_content()
    assert report[1].get_payload()[1]["Final-Recipient"] == "rfc822;bob@external.example"
    found = events(state, sender="scanner@contoso.com")
    assert found[0] == "RECEIVE" and {"SEND", "FAIL"} <= set(found)
    assert events(state, event_id="DSN") == ["DSN"]
    out = shell.ok(
        "Get-MessageTrackingLog -Sender scanner@contoso.com -EventId FAIL | "
        "ForEach-Object { $_.RecipientStatus }"
    )
    assert "550 5.1.1 User unknown" in out


def test_rejected_data_fails_every_accepted_recipient(shell: Shell, host: SmartHost) -> None:
    host.handler.data_reply = "554 5.6.0 Content rejected"
    with ServiceThread(shell.state, shell.store):
        spool_message(shell.state, "scanner@contoso.com", ["bob@external.example", "carol@external.example"])
        wait_until(lambda: maildir_messages(shell.state, "scanner"), what="the NDR")
    text = maildir_messages(shell.state, "scanner")[0].get_payload()[0].get_content()
    assert text.count("Remote Server returned '554 5.6.0 Content rejected'") == 2


def test_a_refused_sender_fails_every_recipient_and_a_quoted_one_is_sent_as_it_was(shell: Shell,
                                                                                   host: SmartHost) -> None:
    host.handler.mail_reply = "550 5.7.1 Sender refused"
    state = shell.state
    with ServiceThread(state, shell.store):
        spool_message(state, "scanner@contoso.com", ["bob@external.example", "carol@external.example"])
        wait_until(lambda: maildir_messages(state, "scanner"), what="the NDR")
        text = maildir_messages(state, "scanner")[0].get_payload()[0].get_content()
        assert text.count("Remote Server returned '550 5.7.1 Sender refused'") == 2
        host.handler.mail_reply = None
        spool_message(state, '"john smith"@contoso.com', ["bob@external.example"], subject="quoted")
        wait_until(lambda: host.messages, what="the message with a quoted local part")
    assert host.handler.mail_from == ["scanner@contoso.com", '"john smith"@contoso.com']
    assert host.messages[0].sender == '"john smith"@contoso.com'


def test_no_ndr_for_null_sender(shell: Shell, host: SmartHost) -> None:
    host.handler.rcpt_reply["bob@external.example"] = "550 5.1.1 User unknown"
    state = shell.state
    with ServiceThread(state, shell.store):
        spool_message(state, "", ["bob@external.example"])
        wait_until(lambda: events(state, event_id="FAIL"), what="the failure")
        wait_until(lambda: spool_empty(state), what="the spool to empty")
    assert events(state, event_id="DSN") == []
    assert not maildir_messages(state, "scanner")


def test_down_smart_host_defers_then_retry_delivers(shell: Shell, host: SmartHost) -> None:
    host.stop()
    state = shell.state
    shell.ok("Set-TransportConfig -MessageRetryInterval 00:10:00 -TransientFailureRetryInterval 00:10:00")
    with ServiceThread(state, shell.store):
        spool_message(state, "scanner@contoso.com", ["bob@external.example"], subject="Pending scan")
        wait_until(lambda: events(state, event_id="DEFER"), what="the DEFER")
        rows = shell.values(
            "Get-Queue | Where-Object { $_.DeliveryType -eq 'SmartHostConnectorDelivery' } | "
            'ForEach-Object { "$($_.Identity)|$($_.Status)|$($_.MessageCount)|$($_.NextHopDomain)" }'
        )
        assert rows == ["EX01\\1|Retry|1|To SmartHost"]
        table = shell.ok("Get-Queue")
        assert "SmartHostConnectorDelivery" in table and "EX01\\Submission" in table
        msg = shell.values(
            "Get-Queue EX01\\1 | Get-Message -IncludeRecipientInfo | ForEach-Object { "
            '"$($_.FromAddress)|$($_.Status)|$($_.Subject)|$($_.Queue)|$($_.RetryCount)|'
            '$($_.Recipients)" }'
        )
        assert msg == ["scanner@contoso.com|Retry|Pending scan|EX01\\1|1|bob@external.example"]
        last_error = shell.ok("(Get-Message -Queue 'To SmartHost').LastError")
        assert "451 4.4.0" in last_error and str(host.port) in last_error
        host.start()
        shell.ok("Retry-Queue -Identity EX01\\1")
        wait_until(lambda: host.messages, what="delivery after Retry-Queue")
        wait_until(lambda: spool_empty(state), what="the spool to empty")
        assert shell.values("Get-Queue | Measure-Object | ForEach-Object Count") == ["1"]  # Submission only


def test_expired_message_is_bounced_with_queue_expired(shell: Shell, host: SmartHost) -> None:
    host.stop()
    state = shell.state
    shell.ok("Set-TransportConfig -MessageExpirationTimeout 00:00:02")
    with ServiceThread(state, shell.store):
        spool_message(state, "scanner@contoso.com", ["bob@external.example"], subject="Too late")
        wait_until(lambda: maildir_messages(state, "scanner"), timeout=15, what="the expiry NDR")
        wait_until(lambda: spool_empty(state), what="the spool to empty")
    text = maildir_messages(state, "scanner")[0].get_payload()[0].get_content()
    assert "550 4.4.7 QUEUE.Expired; message expired" in text


def test_unreachable_message_is_resubmitted_after_a_connector_is_added(
    tmp_path: Path, host: SmartHost
) -> None:
    shell = Shell(tmp_path / "state")
    configure(shell, None, retry="00:10:00")
    state = shell.state
    with ServiceThread(state, shell.store):
        spool_message(state, "scanner@contoso.com", ["bob@external.example"])
        wait_until(lambda: "EX01\\Unreachable" in shell.ok("Get-Queue"), what="the Unreachable queue")
        assert shell.values(
            'Get-Queue EX01\\Unreachable | ForEach-Object { "$($_.DeliveryType) $($_.MessageCount)" }'
        ) == ["Unreachable 1"]
        assert shell.values("Get-Message -Queue EX01\\Unreachable | ForEach-Object Identity")[0].startswith(
            "EX01\\Unreachable\\"
        )
        shell.ok(f"New-SendConnector -Name Late -AddressSpaces '*' -SmartHosts '[127.0.0.1]:{host.port}'")
        shell.ok("Retry-Queue -Identity EX01\\Unreachable -Resubmit $true")
        wait_until(lambda: host.messages, what="delivery after resubmit")


@pytest.mark.timeout(240)  # eight shell commands and four waits: generous bounds for a loaded machine
def test_suspend_resume_and_remove_message_through_the_engine(shell: Shell, host: SmartHost) -> None:
    host.stop()
    state = shell.state
    shell.ok("Set-TransportConfig -MessageRetryInterval 00:10:00 -TransientFailureRetryInterval 00:10:00")
    with ServiceThread(state, shell.store):
        spool_message(state, "scanner@contoso.com", ["bob@external.example"], subject="First")
        spool_message(state, "scanner@contoso.com", ["carol@external.example"], subject="Second")
        wait_until(lambda: len(events(state, event_id="DEFER")) == 2, timeout=60, what="both deferred")
        ids = shell.values("Get-Message -Queue EX01\\1 | Sort-Object Subject | ForEach-Object Identity")
        assert len(ids) == 2
        shell.ok(f"Suspend-Message -Identity '{ids[0]}' -Confirm:$false")
        assert shell.values(f"(Get-Message '{ids[0]}').Status") == ["Suspended"]
        shell.ok(f"Resume-Message '{ids[0]}'")
        # Resumed = attempted again at once (the host is still down, so a third DEFER, back to Retry).
        wait_until(lambda: len(events(state, event_id="DEFER")) == 3, timeout=60, what="the attempt after Resume-Message")
        assert shell.values(f"(Get-Message '{ids[0]}').Status") in (["Ready"], ["Retry"])
        shell.ok(f"Get-Message '{ids[1]}' | Remove-Message -WithNDR $true -Confirm:$false")
        wait_until(lambda: maildir_messages(state, "scanner"), timeout=60, what="the NDR for the removed message")
        assert shell.values("Get-Message -Queue EX01\\1 | ForEach-Object Subject") == ["First"]
        text = maildir_messages(state, "scanner")[0].get_payload()[0].get_content()
        assert "QUEUE.Admin; message deleted by administrative action" in text
        shell.ok(f"Remove-Message '{ids[0]}' -WithNDR $false -Confirm:$false")
        wait_until(lambda: spool_empty(state), timeout=60, what="the spool to empty")
    assert len(maildir_messages(state, "scanner")) == 1  # no NDR for the silent removal
    assert host.messages == []


def test_remove_message_requires_confirmation_in_a_script(shell: Shell, host: SmartHost) -> None:
    host.stop()
    shell.ok("Set-TransportConfig -MessageRetryInterval 00:10:00 -TransientFailureRetryInterval 00:10:00")
    with ServiceThread(shell.state, shell.store):
        spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
        wait_until(lambda: events(shell.state, event_id="DEFER"), what="the deferral")
        r = shell.run("Get-Message -Queue EX01\\1 | Remove-Message")
        assert "Confirmation is required" in r.errors
        assert len(shell.values("Get-Message -Queue EX01\\1 | ForEach-Object Identity")) == 1


def test_queue_actions_without_engine_say_it_is_not_running(shell: Shell) -> None:
    spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
    assert len(shell.values("Get-Message | ForEach-Object Identity")) == 1  # reading needs no engine
    assert shell.values("Get-Queue EX01\\Submission | ForEach-Object MessageCount") == ["1"]
    r = shell.run("Get-Message | Suspend-Message -Confirm:$false")
    assert "hasn't been routed yet" in r.errors
    shell.state.joinpath("queue").mkdir(exist_ok=True)
    (shell.state / "queue" / "queues.json").write_text('{"connector:to smarthost": 1}')
    (shell.state / "queue" / "messages").mkdir(exist_ok=True)
    from exshell.transport.delivery.queue import GroupState, MessageState, QueueStore, RecipientState

    msg_id = next((shell.state / "spool").glob("*.msg")).stem
    QueueStore(shell.state).save(
        MessageState(
            msg_id,
            "scanner@contoso.com",
            "m@x",
            "S",
            1,
            dt.datetime.now(dt.UTC).isoformat(),
            groups=[
                GroupState(
                    "connector:to smarthost",
                    "SmartHostConnectorDelivery",
                    "To SmartHost",
                    "To SmartHost",
                    [RecipientState("bob@x")],
                )
            ],
        )
    )
    r = shell.run("Retry-Queue -Identity EX01\\1")
    assert not r.success
    assert "The transport engine isn't running on EX01 (no heartbeat in" in r.errors
    assert "start it with exshell serve." in r.errors and "Traceback" not in r.errors


def test_restart_resumes_queued_message_exactly(shell: Shell, host: SmartHost) -> None:
    host.stop()
    state = shell.state
    shell.ok("Set-TransportConfig -MessageRetryInterval 00:00:01 -TransientFailureRetryInterval 00:00:01")
    with ServiceThread(state, shell.store):
        spool_message(state, "scanner@contoso.com", ["bob@external.example", "alice@contoso.com"])
        wait_until(lambda: events(state, event_id="DEFER"), what="the deferral")
        wait_until(lambda: maildir_messages(state, "alice"), what="the local copy")
    host.start()
    with ServiceThread(state, shell.store):
        wait_until(lambda: host.messages, what="delivery after restart")
        wait_until(lambda: spool_empty(state), what="the spool to empty")
    assert len(maildir_messages(state, "alice")) == 1  # the delivered half wasn't delivered again
    assert [m.recipients for m in host.messages] == [["bob@external.example"]]
    assert events(state, event_id="RECEIVE") == ["RECEIVE"]


def test_require_tls_without_starttls_defers_instead_of_sending_in_clear(
    shell: Shell, host: SmartHost
) -> None:
    shell.ok("Set-SendConnector 'To SmartHost' -RequireTLS $true")
    with ServiceThread(shell.state, shell.store):
        spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
        wait_until(lambda: events(shell.state, event_id="DEFER"), what="the deferral")
        assert "451 5.7.3 STARTTLS is required to send mail" in shell.ok("(Get-Message).LastError")
    assert host.messages == []


def test_connections_to_a_smart_host_are_reused(shell: Shell, host: SmartHost) -> None:
    sessions: list[object] = []
    real = host.handler.handle_DATA

    async def counting(server, session, envelope):
        sessions.append(session)
        return await real(server, session, envelope)

    host.handler.handle_DATA = counting  # type: ignore[method-assign]
    with ServiceThread(shell.state, shell.store):
        for i in range(5):
            spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"], subject=f"page {i}")
            wait_until(lambda n=i: len(host.messages) == n + 1, what=f"message {i}")
    assert len({id(s) for s in sessions}) == 1  # one SMTP session carried all five


def change_settings(shell: Shell, **values: object) -> None:
    """Settings Set-TransportConfig has no parameter for yet (DelayNotificationTimeout,
    MessageTrackingLogEnabled): change the stored record the way a cmdlet's commit would."""
    from exshell.model.config import SETTINGS, TRANSPORT_SETTINGS_KEY, Config

    def mutate(doc: object) -> None:
        settings = Config.from_data(doc.data).settings  # type: ignore[attr-defined]
        doc.put(SETTINGS, TRANSPORT_SETTINGS_KEY, settings.with_changes(**values).to_record())  # type: ignore[attr-defined]

    shell.store.commit(mutate, command="test: change settings")


def test_one_delay_notification_after_delay_notification_timeout(shell: Shell, host: SmartHost) -> None:
    host.stop()
    from exshell.model.timespan import EnhancedTimeSpan

    change_settings(shell, delay_notification_timeout=EnhancedTimeSpan(1.0))
    state = shell.state
    with ServiceThread(state, shell.store):
        spool_message(state, "scanner@contoso.com", ["bob@external.example"], subject="Slow one")
        wait_until(lambda: maildir_messages(state, "scanner"), timeout=15, what="the delay notification")
        wait_until(lambda: len(events(state, event_id="DEFER")) >= 3, timeout=15, what="more retries")
        assert len(shell.values("Get-Message | % Identity")) == 1  # still queued: a delay isn't a failure
    (notice,) = maildir_messages(state, "scanner")
    assert notice["Subject"] == "Delivery delayed: Slow one"
    assert notice.get_payload()[1].get_payload()[1]["Action"] == "delayed"
    assert "X-MS-Exchange-Message-Is-Ndr" not in notice


def self_signed_context(tmp_path: Path) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("openssl isn't installed: no certificate for the STARTTLS smart host")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=smarthost.test"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def test_starttls_is_used_when_offered_without_verifying_the_smart_hosts_certificate(tmp_path: Path) -> None:
    tls_host = SmartHost(tls_context=self_signed_context(tmp_path)).start()
    try:
        shell = Shell(tmp_path / "state")
        configure(shell, tls_host.port)
        with ServiceThread(shell.state, shell.store):
            spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
            wait_until(lambda: tls_host.messages, what="delivery over STARTTLS")
        assert tls_host.messages[0].tls  # encrypted, although the self-signed certificate can't be verified
    finally:
        tls_host.stop()


def test_require_tls_verifies_the_certificate_and_defers_on_a_self_signed_one(tmp_path: Path) -> None:
    tls_host = SmartHost(tls_context=self_signed_context(tmp_path)).start()
    try:
        shell = Shell(tmp_path / "state")
        configure(shell, tls_host.port)
        shell.ok("Set-SendConnector 'To SmartHost' -RequireTLS $true")
        with ServiceThread(shell.state, shell.store):
            spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
            wait_until(lambda: events(shell.state, event_id="DEFER"), what="the deferral")
        assert tls_host.messages == []
    finally:
        tls_host.stop()


def test_tracking_log_can_be_turned_off(shell: Shell, host: SmartHost) -> None:
    change_settings(shell, message_tracking_log_enabled=False)
    with ServiceThread(shell.state, shell.store):
        spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
        wait_until(lambda: host.messages, what="delivery")
        wait_until(lambda: spool_empty(shell.state), what="the spool to empty")
    assert not (shell.state / "logs" / "MessageTracking").exists()


def test_ignore_starttls_sends_in_clear(tmp_path: Path) -> None:
    tls_host = SmartHost(tls_context=self_signed_context(tmp_path)).start()
    try:
        shell = Shell(tmp_path / "state")
        configure(shell, tls_host.port)
        shell.ok("Set-SendConnector 'To SmartHost' -IgnoreSTARTTLS $true")
        with ServiceThread(shell.state, shell.store):
            spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
            wait_until(lambda: tls_host.messages, what="delivery")
        assert not tls_host.messages[0].tls  # STARTTLS was offered and not used
    finally:
        tls_host.stop()


@pytest.mark.timeout(180)  # under a loaded machine the bounce alone has waited 60 s
def test_organization_max_send_size_bounces_a_message_the_send_connector_would_take(shell: Shell) -> None:
    shell.ok("Set-TransportConfig -MaxSendSize 1KB")
    assert shell.values("\"$((Get-TransportConfig).MaxSendSize)\"") == ["1 KB (1,024 bytes)"]
    with ServiceThread(shell.state, shell.store):
        spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"], subject="big " * 1000)
        wait_until(lambda: events(shell.state, event_id="FAIL"), timeout=60, what="the bounce")
    found = tracking.search(tracking.read_entries(shell.state), event_id="FAIL")
    assert any("ROUTING.SizeLimit" in e.fields["recipient-status"] for e in found), [e.fields for e in found]


def test_a_message_the_engine_announces_is_delivered_without_waiting_for_the_poll(
    shell: Shell, host: SmartHost
) -> None:
    # A poll interval far longer than the wait below: only the engine's announcement (notify) can start it.
    spool_message(shell.state, "scanner@contoso.com", ["alice@external.example"], subject="Listed")
    with ServiceThread(shell.state, shell.store, poll_interval=60.0) as st:
        # Found by the full pass at start (it lists the spool); the next full pass is a minute away.
        wait_until(lambda: len(host.messages) == 1, timeout=20, what="the message spooled before the start")
        msg_id = spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"], subject="Announced")
        st.loop.call_soon_threadsafe(st.service.notify, msg_id)
        wait_until(lambda: len(host.messages) == 2, timeout=20, what="the announced message at the smart host")
        wait_until(lambda: spool_empty(shell.state), timeout=20, what="the spool to empty")
    assert [m.recipients for m in host.messages] == [["alice@external.example"], ["bob@external.example"]]


def test_a_deferred_copy_is_retried_at_its_retry_time_and_an_unannounced_message_is_found_without_a_walk(
    shell: Shell, host: SmartHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The walk over every queued message would come only in an hour: the retry must start from the retry time
    # the service noted, and a message nobody announced from the spool listing of each full pass.
    from exshell.transport.delivery import service

    monkeypatch.setattr(service, "WALK_SECONDS", 3600.0)
    host.stop()
    state = shell.state  # configure(): retry intervals of 1 s
    with ServiceThread(state, shell.store):
        spool_message(state, "scanner@contoso.com", ["bob@external.example"], subject="Deferred first")
        wait_until(lambda: events(state, event_id="DEFER"), what="the DEFER")
        host.start()
        wait_until(lambda: len(host.messages) == 1, timeout=20, what="the retry at its retry time")
        spool_message(state, "scanner@contoso.com", ["carol@external.example"], subject="Never announced")
        wait_until(lambda: len(host.messages) == 2, timeout=20, what="the message found by the spool listing")
        wait_until(lambda: spool_empty(state), what="the spool to empty")
    assert [m.recipients for m in host.messages] == [["bob@external.example"], ["carol@external.example"]]
