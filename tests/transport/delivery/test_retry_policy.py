"""The retry/expiry schedule as pure functions: attempt counts and times in, the next action out."""

from __future__ import annotations

import datetime as dt

from exshell.model.settings import TransportSettings
from exshell.model.timespan import EnhancedTimeSpan
from exshell.transport.delivery.retry_policy import (
    POISON_THRESHOLD,
    Park,
    RetryAt,
    RetryTimers,
    after_crash,
    after_deferral,
    delay_notice_due,
    expired,
    unreachable_retry,
)

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
TIMERS = RetryTimers(transient_failure_retry_count=2, transient_failure_retry_interval=30.0,
                     message_retry_interval=600.0, message_expiration_timeout=3600.0,
                     delay_notification_timeout=900.0)


def test_timers_come_from_the_servers_merged_settings() -> None:
    settings = TransportSettings().with_changes(
        transient_failure_retry_count=3, message_retry_interval=EnhancedTimeSpan(60.0))
    timers = RetryTimers.of(settings)
    assert (timers.transient_failure_retry_count, timers.message_retry_interval) == (3, 60.0)
    assert timers.message_expiration_timeout == 2 * 86400.0  # Exchange's default: 2 days


def test_quick_retries_first_then_the_message_retry_interval() -> None:
    waits = []
    count = 0
    for _ in range(4):
        nxt = after_deferral(count, NOW, TIMERS)
        waits.append((nxt.when - NOW).total_seconds())
        count = nxt.retry_count
    assert waits == [30.0, 30.0, 600.0, 600.0] and count == 4


def test_no_quick_retries_when_the_count_is_zero() -> None:
    timers = RetryTimers(transient_failure_retry_count=0, transient_failure_retry_interval=30.0,
                         message_retry_interval=600.0)
    assert after_deferral(0, NOW, timers) == RetryAt(NOW + dt.timedelta(seconds=600), 1)


def test_a_message_expires_only_past_the_expiration_timeout() -> None:
    assert not expired(NOW - dt.timedelta(seconds=3600), NOW, TIMERS)
    assert expired(NOW - dt.timedelta(seconds=3601), NOW, TIMERS)
    assert not expired(None, NOW, TIMERS)


def test_one_delay_notice_once_the_delay_notification_timeout_passed() -> None:
    old = NOW - dt.timedelta(seconds=900)
    assert delay_notice_due(old, NOW, False, TIMERS)
    assert not delay_notice_due(old, NOW, True, TIMERS)
    assert not delay_notice_due(NOW - dt.timedelta(seconds=899), NOW, False, TIMERS)


def test_unreachable_copies_wait_the_message_retry_interval() -> None:
    assert unreachable_retry(NOW, TIMERS) == NOW + dt.timedelta(seconds=600)


def test_crashes_back_off_then_park_the_message_in_poison() -> None:
    for crashes in range(1, POISON_THRESHOLD):
        assert after_crash(crashes, NOW, TIMERS, "boom") == RetryAt(NOW + dt.timedelta(seconds=30), 0)
    assert after_crash(POISON_THRESHOLD, NOW, TIMERS, "boom") == Park("boom")
