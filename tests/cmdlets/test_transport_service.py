"""Get-/Set-TransportService and their 2007/2010 names Get-/Set-TransportServer: per-server transport settings
that the delivery service and the engine's log retention of that server use."""

from __future__ import annotations

import os
import time

import pytest
from exchange_harness import Shell

from exshell.transport.delivery.service import DeliveryService
from exshell.transport.delivery.tracking import log_dir, read_entries


@pytest.fixture
def sh(tmp_path):
    shell = Shell(tmp_path / "state")
    shell.ok("New-ExchangeServer EX02 -Fqdn ex02.contoso.com")
    return shell


def test_server_timers_override_the_organizations(sh):
    sh.ok("Set-TransportConfig -MessageRetryInterval 00:05:00 -MessageExpirationTimeout 2.00:00:00")
    sh.ok("Set-TransportServer EX01 -MessageRetryInterval 00:01:00 -TransientFailureRetryCount 2 "
          "-TransientFailureRetryInterval 00:00:30 -MessageExpirationTimeout 1.00:00:00 "
          "-DelayNotificationTimeout 02:00:00")
    assert sh.values("Get-TransportService EX01 | % { \"$($_.MessageRetryInterval) $($_.TransientFailureRetryCount)\" }") \
        == ["00:01:00 2"]
    assert sh.values("Get-TransportServer EX02 | % { \"$($_.MessageRetryInterval)\" }") == ["00:05:00"]
    ex01 = DeliveryService(sh.state, sh.store, "EX01").settings
    ex02 = DeliveryService(sh.state, sh.store, "EX02").settings
    assert (ex01.message_retry_interval.seconds, ex01.transient_failure_retry_count,
            ex01.transient_failure_retry_interval.seconds, ex01.message_expiration_timeout.seconds,
            ex01.delay_notification_timeout.seconds) == (60, 2, 30, 86400, 7200)
    assert (ex02.message_retry_interval.seconds, ex02.message_expiration_timeout.seconds) == (300, 2 * 86400)


def test_bad_values_and_unknown_servers_change_nothing(sh):
    before = sh.version()
    r = sh.run("Set-TransportService EX01 -TransientFailureRetryCount 20")
    assert not r.success and "between 0 and 15" in r.errors
    r = sh.run("Set-TransportService NOSUCH -MessageRetryInterval 00:01:00")
    assert not r.success and "NOSUCH" in r.errors
    assert sh.version() == before


def test_log_paths_are_refused(sh):
    before = sh.version()
    r = sh.run("Set-TransportService EX01 -MessageTrackingLogPath 'D:\\Logs'")
    assert not r.success and "state folder" in r.errors
    assert sh.version() == before
    path = sh.values("(Get-TransportService EX01).MessageTrackingLogPath")
    assert path == [str(sh.state / "logs" / "MessageTracking")]


def test_tracking_log_turned_off_on_this_server_only(sh):
    sh.ok("Set-TransportService EX01 -MessageTrackingLogEnabled $false")
    for server in ("EX01", "EX02"):
        service = DeliveryService(sh.state, sh.store, server)
        service.refresh()
        service.tracker.track("RECEIVE", source="SMTP", message_id=f"<{server}@x>")
    assert [e.fields["message-id"] for e in read_entries(sh.state)] == ["<EX02@x>"]


def test_log_limits_set_on_the_server_prune_its_logs(sh):
    from exshell.transport.engine import Engine
    from exshell.transport.session import EngineContext

    sh.ok("Set-TransportService EX01 -MessageTrackingLogMaxAge 1.00:00:00 -MessageTrackingLogMaxDirectorySize 3KB "
          "-ReceiveProtocolLogMaxAge 2.00:00:00 -ReceiveProtocolLogMaxDirectorySize 2KB")
    folder = log_dir(sh.state)
    folder.mkdir(parents=True)
    recv = sh.state / "logs" / "ProtocolLog" / "SmtpReceive"
    recv.mkdir(parents=True)
    now = time.time()
    for i, age in enumerate([3, 1.5, 0.5, 0.4, 0.3, 0.2]):
        for d, prefix in ((folder, "MSGTRK"), (recv, "RECV")):
            f = d / f"{prefix}2026010{i}-1.LOG"
            f.write_bytes(b"x" * 1000)
            os.utime(f, (now - age * 86400, now - age * 86400))
    engine = Engine(sh.state, "EX01", store=sh.store)
    engine.ctx = EngineContext(index=engine._compile(), spool=engine.spool)
    engine.prune_logs()
    engine.spool.close()
    assert sorted(p.name for p in folder.iterdir()) == [f"MSGTRK2026010{i}-1.LOG" for i in (3, 4, 5)]
    assert sorted(p.name for p in recv.iterdir()) == [f"RECV2026010{i}-1.LOG" for i in (4, 5)]
