"""Outbound SMTP connections: kept open for the next message to the same host, and counted against the server's
limits (Set-TransportService):

- MaxOutboundConnections: connections open at once from this server, whatever their destination;
- MaxPerDomainOutboundConnections: connections open at once to one destination. A destination is the next hop
  of a queue (Get-Queue's NextHopDomain): the send connector for smart-host routing, the recipient domain for
  DNS routing, as Exchange counts it per remote domain.

An idle connection counts until it is closed. A session that needs a connection takes an idle one to the same
host (reuse: the previous transaction ended with its reply, or was reset with RSET), else opens one when both
limits leave room, else closes an idle connection that holds the room it needs (another destination's, or
one to another host of the same destination), else waits until a connection is given back. A connection is
dropped instead of kept when it failed, when the remote end closed it, after `max_messages` messages (Exchange's
SmtpMaxMessagesPerConnection, 20), once it has been idle `idle_timeout` seconds, or when lowered limits leave it
over the count.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

IDLE_TIMEOUT = 10.0
MAX_MESSAGES = 20


@dataclass(frozen=True, slots=True)
class Limits:
    """None = unlimited."""

    max_connections: int | None = 1000
    max_per_destination: int | None = 40

    @classmethod
    def of(cls, settings: Any) -> Limits:
        """From a merged TransportSettings: `Unlimited` values, whose `.value` is None when unlimited."""
        return cls(_count(settings.max_outbound_connections), _count(settings.max_per_domain_outbound_connections))


def _count(value: Any) -> int | None:
    inner = getattr(value, "value", value)
    return None if inner is None else max(1, int(inner))


@dataclass(slots=True)
class Lease:
    """The right to one open connection to `destination`. `smtp` is the kept client when reused (None: the
    holder connects and hands its client to `release`)."""

    destination: str
    key: Hashable
    smtp: Any = None
    used: int = 0  # messages already sent over it
    returned: bool = field(default=False, repr=False)  # given back: a second release is ignored


@dataclass(slots=True)
class _Idle:
    lease: Lease
    since: float


class ConnectionPool:
    def __init__(
        self, limits: Limits | None = None, *, idle_timeout: float = IDLE_TIMEOUT, max_messages: int = MAX_MESSAGES
    ) -> None:
        self.limits = limits or Limits()
        self.idle_timeout = idle_timeout
        self.max_messages = max_messages
        # Connections open per destination: busy, idle, connecting, or closing. A closing one still counts
        # until its socket is closed, so the remote end never sees more than the limit.
        self._open: dict[str, int] = {}
        self._closing: dict[str, int] = {}
        self._idle: list[_Idle] = []  # oldest first
        self._waiters: list[asyncio.Future[None]] = []
        self._sweep: asyncio.TimerHandle | None = None
        self._closers: set[asyncio.Task[None]] = set()
        self.opened = 0  # connections opened so far (tests, metrics)

    # ---- counts
    @property
    def open_connections(self) -> int:
        return sum(self._open.values())

    def open_to(self, destination: str) -> int:
        return self._open.get(destination, 0)

    def has_room(self, destination: str) -> bool:
        """Whether a session for `destination` could start now without waiting (an idle or a free slot)."""
        return any(i.lease.destination == destination for i in self._idle) or self._room(destination)

    def _room(self, destination: str) -> bool:
        lim = self.limits
        return (lim.max_connections is None or self.open_connections < lim.max_connections) and (
            lim.max_per_destination is None or self.open_to(destination) < lim.max_per_destination
        )

    # ---- leases
    async def acquire(self, destination: str, key: Hashable) -> Lease:
        while True:
            lease = self._take_idle(key)
            if lease is not None:
                return lease
            if self._room(destination):
                self._open[destination] = self.open_to(destination) + 1
                self.opened += 1
                return Lease(destination, key)
            self._evict_for(destination)  # frees room once the QUIT is answered: wait for it
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def release(self, lease: Lease, smtp: Any, *, reusable: bool) -> None:
        """Give the connection back: kept for the next message when `reusable` (the transaction ended cleanly)
        and the limits still leave room for it, else closed. `smtp` None: no connection was made."""
        if lease.returned:
            return
        lease.returned = True
        used = lease.used + (1 if reusable else 0)
        keep = (
            reusable
            and smtp is not None
            and smtp.is_connected
            and used < self.max_messages
            and not self._over_limits(lease.destination)
        )
        if keep:
            self._idle.append(_Idle(Lease(lease.destination, lease.key, smtp, used), time.monotonic()))
            self._arm_sweep()
            self._wake_all()
        else:
            self._retire(lease.destination, smtp)

    def set_limits(self, limits: Limits) -> None:
        """New limits (a configuration version): idle connections over them are closed now, busy ones when they
        are given back; waiters look again."""
        if limits == self.limits:
            return
        self.limits = limits
        for idle in list(self._idle):
            if self._over_limits(idle.lease.destination):
                self._drop(idle)
        self._wake_all()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for i in idle:
            self._retire(i.lease.destination, i.lease.smtp)
        if self._closers:
            await asyncio.wait(set(self._closers), timeout=3.0)
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None

    # ---- internals
    def _take_idle(self, key: Hashable) -> Lease | None:
        now = time.monotonic()
        for idle in reversed(list(self._idle)):  # the most recently used first: the warmest
            if idle.lease.key != key:
                continue
            if now - idle.since <= self.idle_timeout and idle.lease.smtp.is_connected:
                self._idle.remove(idle)
                return idle.lease
            self._drop(idle)
        return None

    def _evict_for(self, destination: str) -> None:
        """Close the idle connection that stands in the way of a new one to `destination`, unless connections
        already closing will make the room: one to the same destination (another host) when that destination
        is at its limit, else the oldest idle one."""
        lim = self.limits
        live_total = self.open_connections - sum(self._closing.values())
        live_here = self.open_to(destination) - self._closing.get(destination, 0)
        if lim.max_per_destination is not None and live_here >= lim.max_per_destination:
            candidates = [i for i in self._idle if i.lease.destination == destination]
        elif lim.max_connections is not None and live_total >= lim.max_connections:
            candidates = self._idle
        else:
            return
        if candidates:
            self._drop(candidates[0])

    def _over_limits(self, destination: str) -> bool:
        """Whether the connections open and not closing exceed the limits."""
        lim = self.limits
        live_total = self.open_connections - sum(self._closing.values())
        live_here = self.open_to(destination) - self._closing.get(destination, 0)
        return (lim.max_connections is not None and live_total > lim.max_connections) or (
            lim.max_per_destination is not None and live_here > lim.max_per_destination
        )

    def _drop(self, idle: _Idle) -> None:
        self._idle.remove(idle)
        self._retire(idle.lease.destination, idle.lease.smtp)

    def _retire(self, destination: str, smtp: Any) -> None:
        """Close the connection (QUIT, RFC 5321 §4.1.1.10); its room is free once it is closed."""
        if smtp is None:
            self._forget(destination)
            return
        self._closing[destination] = self._closing.get(destination, 0) + 1
        try:
            task = asyncio.get_running_loop().create_task(_quit(smtp))
        except RuntimeError:  # no loop any more (shutting down)
            smtp.close()
            self._closed(destination)
            return
        self._closers.add(task)
        task.add_done_callback(functools.partial(self._closed, destination))

    def _closed(self, destination: str, task: asyncio.Task[None] | None = None) -> None:
        if task is not None:
            self._closers.discard(task)
        left = self._closing.get(destination, 0) - 1
        if left > 0:
            self._closing[destination] = left
        else:
            self._closing.pop(destination, None)
        self._forget(destination)

    def _forget(self, destination: str) -> None:
        left = self.open_to(destination) - 1
        if left > 0:
            self._open[destination] = left
        else:
            self._open.pop(destination, None)
        self._wake_all()

    def _wake_all(self) -> None:
        """Every waiter looks again (few of them: bounded by the service's concurrency); waking only one could
        wake one that still can't proceed while another that could goes on waiting."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _arm_sweep(self) -> None:
        if self._sweep is None:
            self._sweep = asyncio.get_running_loop().call_later(self.idle_timeout, self._expire_idle)

    def _expire_idle(self) -> None:
        self._sweep = None
        cutoff = time.monotonic() - self.idle_timeout
        for idle in list(self._idle):
            if idle.since <= cutoff or not idle.lease.smtp.is_connected:
                self._drop(idle)
        if self._idle:
            self._arm_sweep()


async def _quit(smtp: Any) -> None:
    """QUIT, bounded: a host that doesn't answer is simply disconnected (smtp_wire.Connection.quit never
    raises; the bound and the catch are for any client with quit()/close())."""
    try:
        await asyncio.wait_for(smtp.quit(), 2.0)
    except (TimeoutError, OSError):
        smtp.close()
