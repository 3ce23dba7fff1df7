"""Outbound connections through real sockets: kept for the next message to the same smart host, at most
MaxPerDomainOutboundConnections to one destination and MaxOutboundConnections in all, and a limit changed by a
real `exshell -c Set-TransportService` process applies once the service has loaded the new version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .harness import CountingSmartHost, ServiceThread, Shell, configure, spool_message, wait_until

EXSHELL = str(Path(sys.executable).parent / "exshell")


def _relay_to(shell: Shell, port: int, **limits: int) -> None:
    configure(shell, port)
    if limits:
        shell.ok("Set-TransportService EX01 " + " ".join(f"-{k} {v}" for k, v in limits.items()))


def test_per_destination_limit_caps_connections_and_the_open_ones_carry_the_next_messages(tmp_path: Path) -> None:
    with CountingSmartHost(delay=0.2) as host:
        shell = Shell(tmp_path / "state")
        _relay_to(shell, host.ports[0], MaxPerDomainOutboundConnections=3)
        for i in range(12):  # all queued before the service starts: its first pass has all twelve to send
            spool_message(shell.state, "scanner@contoso.com", [f"user{i}@external.example"], subject=f"page {i}")
        with ServiceThread(shell.state, shell.store):
            wait_until(lambda: host.messages == 12, timeout=60, what="twelve messages at the smart host")
        assert 2 <= host.peak <= 3, host.peak  # in parallel, never more than the limit
        assert host.connections <= 3 < host.messages  # later messages went over the open sessions


def test_max_outbound_connections_caps_connections_to_all_destinations_together(tmp_path: Path) -> None:
    with CountingSmartHost(ports=2, delay=0.2) as host:
        shell = Shell(tmp_path / "state")
        configure(shell, None)
        for name, port in zip(("A", "B"), host.ports, strict=True):
            shell.ok(f"New-SendConnector -Name {name} -AddressSpaces '{name.lower()}.example' "
                     f"-SmartHosts '[127.0.0.1]:{port}'")
        shell.ok("Set-TransportService EX01 -MaxOutboundConnections 2 -MaxPerDomainOutboundConnections 5")
        for i in range(10):
            spool_message(shell.state, "scanner@contoso.com", [f"user{i}@{'ab'[i % 2]}.example"])
        with ServiceThread(shell.state, shell.store):
            wait_until(lambda: host.messages == 10, timeout=60, what="ten messages at the two smart hosts")
        assert 1 <= host.peak <= 2, host.peak


def test_limit_set_by_exshell_applies_after_reload_and_closes_connections_over_it(tmp_path: Path) -> None:
    with CountingSmartHost(delay=0.1) as host:
        shell = Shell(tmp_path / "state")
        _relay_to(shell, host.ports[0], MaxPerDomainOutboundConnections=3)
        for i in range(6):
            spool_message(shell.state, "scanner@contoso.com", [f"first{i}@external.example"])
        with ServiceThread(shell.state, shell.store):
            wait_until(lambda: host.messages == 6, timeout=60, what="the first six messages")
            assert host.peak == 3 and host.open >= 2  # idle sessions kept for the next message
            done = subprocess.run(
                [EXSHELL, "--state", str(shell.state), "-c",
                 "Set-TransportService EX01 -MaxPerDomainOutboundConnections 1"],
                capture_output=True, text=True, timeout=60,
            )
            assert done.returncode == 0, done.stderr
            # The service loads the new version at its next pass and closes the idle sessions over the limit
            # (long before the 10 s idle timeout would).
            wait_until(lambda: host.open <= 1, timeout=8, what="the sessions over the new limit to close")
            host.reset_peak()
            for i in range(6):
                spool_message(shell.state, "scanner@contoso.com", [f"second{i}@external.example"])
            wait_until(lambda: host.messages == 12, timeout=60, what="the second six messages")
        assert host.peak == 1


class FakeClient:
    """What the pool asks of a client (smtp_wire.Connection): is_connected, quit(), close()."""

    def __init__(self) -> None:
        self.is_connected = True
        self.quits = 0

    async def quit(self) -> None:
        self.quits += 1
        self.is_connected = False

    def close(self) -> None:
        self.is_connected = False


def test_pool_reuses_evicts_and_waits_within_its_limits() -> None:
    import asyncio

    from exshell.transport.delivery.connection_pool import ConnectionPool, Limits

    async def scenario() -> None:
        pool = ConnectionPool(Limits(max_connections=2, max_per_destination=1))
        a = await pool.acquire("A", "hostA")
        a_client = FakeClient()
        pool.release(a, a_client, reusable=True)
        again = await pool.acquire("A", "hostA")
        assert again.smtp is a_client and pool.opened == 1  # kept and reused
        # A is at its limit of 1: a second session for A waits until the first is given back.
        second = asyncio.ensure_future(pool.acquire("A", "hostA"))
        await asyncio.sleep(0.01)
        assert not second.done()
        pool.release(again, a_client, reusable=True)
        assert (await second).smtp is a_client
        pool.release(second.result(), a_client, reusable=True)
        b = await pool.acquire("B", "hostB")  # room for B beside A's idle session (2 in all)
        pool.release(b, FakeClient(), reusable=True)
        # C finds no room: the oldest idle session (A's) is closed, with QUIT, to make it.
        c = await asyncio.wait_for(pool.acquire("C", "hostC"), 5)
        assert a_client.quits == 1 and pool.open_to("A") == 0 and pool.open_connections == 2
        # A failed transaction is not kept; a session past the idle timeout is not reused.
        c_client = FakeClient()
        pool.release(c, c_client, reusable=False)
        await asyncio.sleep(0.01)
        assert c_client.quits == 1 and pool.open_to("C") == 0
        pool.idle_timeout = 0.0
        d = await pool.acquire("B", "hostB")
        assert d.smtp is None  # the idle one was too old: a new connection
        pool.release(d, None, reusable=False)
        await pool.close()
        assert pool.open_connections == 0

    asyncio.run(scenario())


def test_lowered_limits_close_idle_sessions_over_them() -> None:
    import asyncio

    from exshell.transport.delivery.connection_pool import ConnectionPool, Limits

    async def scenario() -> None:
        pool = ConnectionPool(Limits(max_connections=None, max_per_destination=3))
        leases = [await pool.acquire("A", "hostA") for _ in range(3)]
        clients = [FakeClient() for _ in leases]
        for lease, client in zip(leases, clients, strict=True):
            pool.release(lease, client, reusable=True)
        pool.set_limits(Limits(max_connections=None, max_per_destination=1))
        await asyncio.sleep(0.01)
        assert sorted(c.quits for c in clients) == [0, 1, 1] and pool.open_to("A") == 1
        await pool.close()

    asyncio.run(scenario())
