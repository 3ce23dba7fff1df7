"""When a queued copy is tried again, expires, or earns a delay notice: pure functions of the attempt count, the
times and the server's transport settings (Set-TransportService, else Set-TransportConfig), tested directly.

Exchange's schedule (tls-auth.md §4.2): after a transient failure the copy waits TransientFailureRetryInterval
for the first TransientFailureRetryCount retries, MessageRetryInterval after that; a message older than
MessageExpirationTimeout is bounced with `550 4.4.7 QUEUE.Expired; message expired`; one delay DSN goes out
once it has waited DelayNotificationTimeout. A copy whose attempts keep crashing is parked in the Poison
queue after POISON_THRESHOLD crashes, backed off by TransientFailureRetryInterval before that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

EXPIRED = "550 4.4.7 QUEUE.Expired; message expired"
POISON_THRESHOLD = 3


@dataclass(frozen=True, slots=True)
class RetryTimers:
    """The settings the schedule reads, in seconds."""

    transient_failure_retry_count: int = 6
    transient_failure_retry_interval: float = 300.0
    message_retry_interval: float = 300.0
    message_expiration_timeout: float = 2 * 86400.0
    delay_notification_timeout: float = 4 * 3600.0

    @classmethod
    def of(cls, settings: Any) -> RetryTimers:
        """From a merged TransportSettings (`Config.settings_for(server)`)."""
        return cls(
            int(settings.transient_failure_retry_count),
            float(settings.transient_failure_retry_interval.seconds),
            float(settings.message_retry_interval.seconds),
            float(settings.message_expiration_timeout.seconds),
            float(settings.delay_notification_timeout.seconds),
        )


@dataclass(frozen=True, slots=True)
class RetryAt:
    """Try again at `when`; `retry_count` is the copy's count after this deferral."""

    when: dt.datetime
    retry_count: int


@dataclass(frozen=True, slots=True)
class Park:
    """Stop trying: the copy goes to the Poison queue, suspended, until an administrator resumes it."""

    reason: str


def expired(received: dt.datetime | None, now: dt.datetime, timers: RetryTimers) -> bool:
    """Checked before each attempt: an expired message is bounced instead of tried."""
    return received is not None and (now - received).total_seconds() > timers.message_expiration_timeout


def after_deferral(retry_count: int, now: dt.datetime, timers: RetryTimers) -> RetryAt:
    """The next try after a transient failure; `retry_count` is the count before it."""
    count = retry_count + 1
    quick = count <= timers.transient_failure_retry_count
    wait = timers.transient_failure_retry_interval if quick else timers.message_retry_interval
    return RetryAt(now + dt.timedelta(seconds=wait), count)


def unreachable_retry(now: dt.datetime, timers: RetryTimers) -> dt.datetime:
    """A copy with no route is looked at again after MessageRetryInterval (a connector may appear)."""
    return now + dt.timedelta(seconds=timers.message_retry_interval)


def delay_notice_due(
    received: dt.datetime | None, now: dt.datetime, already_notified: bool, timers: RetryTimers
) -> bool:
    """At most one delay DSN per message, once it has waited DelayNotificationTimeout."""
    if already_notified or received is None:
        return False
    return (now - received).total_seconds() >= timers.delay_notification_timeout


def after_crash(crashes: int, now: dt.datetime, timers: RetryTimers, error: str) -> RetryAt | Park:
    """`crashes` counts this one: back off, and park the copy once it reaches POISON_THRESHOLD (Exchange moves
    a message that keeps crashing the transport service to the Poison queue)."""
    if crashes >= POISON_THRESHOLD:
        return Park(error)
    return RetryAt(now + dt.timedelta(seconds=timers.transient_failure_retry_interval), 0)
