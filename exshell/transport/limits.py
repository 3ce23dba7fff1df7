"""The receive connector's abuse limits, as the session applies them (tls-auth.md §5; semantics.md §g).

- MaxHopCount / MaxLocalHopCount: the message's `Received:` fields (all of them / those stamped by a server
  of this organization) are counted as the header arrives, before the header firewall; when the count
  reaches the limit, the hop this server would add is one too many: `554 5.4.6 Hop count exceeded - possible
  mail loop` (Postfix's `hopcount_limit` counts the same way). MaxLocalHopCount 0 turns that check off.
- MaxProtocolErrors: replies of the protocol-error class (500-504, 555: unknown verb, bad syntax, bad
  sequence, line too long, bare CR) are counted per session; the one after the limit is answered
  `421 4.7.0 Too many errors on this connection, closing transmission channel` and the connection closed.
- MessageRateLimit: messages (accepted MAIL commands) per source per minute, a sliding window shared by all
  sessions of the engine; past the limit MAIL gets `421 4.4.2 Message submission rate for this client has
  exceeded the configured limit` and the connection is closed. MessageRateSource picks the source:
  IPAddress (the client's address), User (the authenticated account: anonymous sessions are not counted),
  All (both), None (no limit).
- RequireEHLODomain: EHLO/HELO must name a domain (not an address literal, not empty): otherwise
  `501 5.0.0 EHLO requires domain address` and the connection is closed.
- Back pressure: MAIL is answered `452 4.3.1 Insufficient system resources` while the spool's file system
  has less free space, or the machine less available memory, than the engine's floors, or while the bodies
  being received hold more than the engine's in-memory budget (Exchange's back pressure defers at MAIL too).
"""

from __future__ import annotations

import collections
import os
import re
import time
from dataclasses import dataclass, field

from exshell.transport import replies as R

PROTOCOL_ERROR_CODES = frozenset({500, 501, 502, 503, 504, 555})
RATE_WINDOW = 60.0
_BY = re.compile(rb"\bby\s+([^\s;()]+)", re.IGNORECASE)
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def is_protocol_error(reply_text: str) -> bool:
    head = reply_text[:3]
    return head.isdigit() and int(head) in PROTOCOL_ERROR_CODES


def is_domain(name: str) -> bool:
    """A domain name as RequireEHLODomain wants it: dot-separated labels (a single label is allowed, as
    Exchange accepts `EHLO copier`), not an address literal, not an IP address."""
    if not name or name.startswith("[") or len(name) > 255:
        return False
    labels = name.rstrip(".").split(".")
    if all(label.isdigit() for label in labels):
        return False  # a dotted quad without brackets
    return all(_LABEL.match(label) for label in labels)


def received_by(field_value: bytes) -> str:
    """The `by` host of a Received field (lower case), or ''."""
    m = _BY.search(field_value)
    return m.group(1).decode("ascii", "replace").lower().rstrip(".") if m else ""


@dataclass(slots=True)
class HopCount:
    total: int
    local: int

    def refusal(self, max_hops: int, max_local: int) -> str | None:
        """Why the message is refused (for the logs), or None."""
        if max_hops and self.total >= max_hops:
            return f"the message has {self.total} Received header fields (MaxHopCount {max_hops})"
        if max_local and self.local >= max_local:
            return (f"the message has {self.local} Received header fields from this organization's servers "
                    f"(MaxLocalHopCount {max_local})")
        return None


def count_hops(received_values: list[bytes], local_hosts: frozenset[str]) -> HopCount:
    local = sum(1 for v in received_values if received_by(v) in local_hosts)
    return HopCount(len(received_values), local)


@dataclass(slots=True)
class RateLimiter:
    """Accepted messages per key in the last RATE_WINDOW seconds (a deque of times per key, at most `limit`
    long, so memory is bounded by the limit and the number of active sources)."""

    seen: dict[tuple[str, str], collections.deque[float]] = field(default_factory=dict)
    max_keys: int = 100_000

    def allow(self, key: tuple[str, str], limit: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        times = self.seen.get(key)
        if times is None or times.maxlen != limit:
            if len(self.seen) >= self.max_keys:
                self._prune(now)
            times = self.seen[key] = collections.deque(times or (), maxlen=limit)
        while times and now - times[0] >= RATE_WINDOW:
            times.popleft()
        if len(times) >= limit:
            return False
        times.append(now)
        return True

    def _prune(self, now: float) -> None:
        self.seen = {k: v for k, v in self.seen.items() if v and now - v[-1] < RATE_WINDOW}


def rate_keys(source: str, remote_ip: str, user: str | None, guid: str) -> list[tuple[str, str]]:
    """The keys a message counts against under MessageRateSource (per connector, as the limit is)."""
    src = source.lower()
    keys = []
    if src in ("ipaddress", "all"):
        keys.append((guid, "ip:" + remote_ip))
    if src in ("user", "all") and user:
        keys.append((guid, "user:" + user.lower()))
    return keys


@dataclass(slots=True)
class ResourceGuard:
    """Back pressure. Floors in bytes; checks are cached for `every` seconds (one statvfs and one read of
    /proc/meminfo a second at most, whatever the message rate)."""

    spool_path: str
    min_free_disk: int = 500 * 1024 * 1024
    min_free_memory: int = 128 * 1024 * 1024
    max_buffered: int = 256 * 1024 * 1024  # bytes held by sessions' DATA buffers and headers, engine-wide
    every: float = 1.0
    buffered: int = 0
    _checked: float = -1e9
    _state: str | None = None

    def pressure(self, now: float | None = None) -> str | None:
        """Why new mail must wait (for the logs), or None."""
        now = time.monotonic() if now is None else now
        if self.buffered > self.max_buffered:
            return f"sessions hold {self.buffered:,} bytes of message data (budget {self.max_buffered:,})"
        if now - self._checked >= self.every:
            self._checked = now
            self._state = self._measure()
        return self._state

    def _measure(self) -> str | None:
        try:
            st = os.statvfs(self.spool_path)
            free = st.f_bavail * st.f_frsize
            if free < self.min_free_disk:
                return f"the spool's file system has {free:,} bytes free (floor {self.min_free_disk:,})"
        except OSError:
            pass
        available = _mem_available()
        if available is not None and available < self.min_free_memory:
            return f"{available:,} bytes of memory available (floor {self.min_free_memory:,})"
        return None


def _mem_available() -> int | None:
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


REPLIES = {
    "hops": R.HOP_COUNT_EXCEEDED,
    "errors": R.TOO_MANY_ERRORS,
    "rate": R.RATE_LIMIT_EXCEEDED,
    "ehlo": R.EHLO_REQUIRES_DOMAIN,
    "pressure": R.INSUFFICIENT_RESOURCES,
}
