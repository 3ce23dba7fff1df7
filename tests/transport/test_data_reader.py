"""DATA as the reader streams it: line ends normalised the same way for every part of the engine, dot-unstuffing,
and a 3 MB folded header that does not hold up the other clients."""

from __future__ import annotations

import asyncio
import socket
import statistics
import subprocess
import sys
import threading
import time

import pytest

from exshell.transport.data_reader import DataReader, HeaderTooLarge

from .scenario import LISTEN, RELAY_HOSTS, free_port, make_store
from .test_limits import relay_connectors


def read(data: bytes, step: int = 65536, max_header: int = 65536):
    async def run():
        reader = asyncio.StreamReader(limit=1001)

        async def feed():
            for i in range(0, len(data), step):
                reader.feed_data(data[i:i + step])
                await asyncio.sleep(0)

        asyncio.get_running_loop().create_task(feed())

        async def write(fn, *args):
            return fn(*args)

        r = DataReader(reader, limit=1 << 30, max_header=max_header, body_path=lambda: "/nonexistent/body", write=write)
        msg = await asyncio.wait_for(r.read(), 10)
        await r.finish()
        return msg

    return asyncio.run(run())


@pytest.mark.parametrize("step", [1, 2, 3, 5, 65536])
def test_terminator_unstuffing_and_line_ends_whatever_the_packet_boundaries(step):
    msg = read(b"Subject: a\rX-MS-Exchange-Organization-AuthAs: Internal\r\nFrom: x\n\n..dot\r\nbare\rcr\n.\n\r\n.\r\n",
               step)
    assert msg.complete
    assert [f.raw() for f in msg.fields] == [b"Subject: a\r\n", b"X-MS-Exchange-Organization-AuthAs: Internal\r\n",
                                             b"From: x\r\n"]
    # '.<LF>' after a bare LF is content, not the end (Postfix's normalize rule); it is unstuffed like any line.
    assert msg.body == b"\r\n.dot\r\nbare\r\ncr\r\n\r\n\r\n"
    assert read(b".\r\nQUIT\r\n", step).body == b""
    assert read(b"A: 1\r\n\tfolded\r\n.\r\n", step).fields[0].lines == [b"A: 1", b"\tfolded"]
    no_separator = read(b"hello\r\nA: 1\r\n.\r\n", step)
    assert no_separator.fields == [] and no_separator.body == b"\r\nhello\r\nA: 1\r\n"


def test_header_limit_is_enforced_while_reading():
    with pytest.raises(HeaderTooLarge):
        read(b"Subject: a\r\n" + b"\tfold\r\n" * 2000 + b"\r\nbody\r\n.\r\n", max_header=4096)


def _transactions(port: int, source: str, count: int, out: list[float]) -> None:
    s = socket.create_connection((LISTEN, port), timeout=60, source_address=(source, 0))
    f = s.makefile("rb")

    def cmd(line: bytes) -> bytes:
        started = time.perf_counter()
        s.sendall(line)
        while True:
            r = f.readline()
            if r[3:4] != b"-":
                break
        out.append(time.perf_counter() - started)
        return r

    f.readline()
    cmd(b"EHLO normal.example\r\n")
    for i in range(count):
        cmd(b"MAIL FROM:<app@outside.example>\r\n")
        cmd(b"RCPT TO:<someone@example.net>\r\n")
        cmd(b"DATA\r\n")
        assert cmd(b"Subject: normal %d\r\n\r\nhello\r\n.\r\n" % i).startswith(b"250")
    s.close()


def _ten_clients(port: int, count: int) -> list[float]:
    times: list[float] = []
    threads = [threading.Thread(target=_transactions, args=(port, RELAY_HOSTS[i % 2], count, times))
               for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return times


def test_a_3mb_folded_header_does_not_hold_up_ten_other_clients(tmp_path):
    # The engine in its own process (`exshell serve`), so the clients' threads do not share its interpreter.
    # MaxHeaderSize raised to 8 MB so the whole header is really parsed (the default refuses it at 64 KB).
    port = free_port()
    state = tmp_path / "state"
    make_store(state, relay_connectors(port, max_header_size="8MB", max_inbound_connection_per_source=100))
    proc = subprocess.Popen([sys.executable, "-m", "exshell.transport.cli", "--state", str(state), "--server", "EX01",
                             "--no-delivery", "--log-level", "WARNING"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection((LISTEN, port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "the engine did not start"
                time.sleep(0.1)
        _ten_clients(port, 2)  # warm up
        # The machine is shared: idle and loaded batches alternate, so a burst of outside load hits both.
        idle_times: list[float] = []
        loaded_times: list[float] = []
        overlaps: list[float] = []
        for _ in range(2):
            idle_times += _ten_clients(port, 3)
            heavy_done: list[float] = []
            h = threading.Thread(target=_heavy, args=(port, heavy_done))
            h.start()
            time.sleep(0.2)  # the heavy header is streaming in and being parsed
            started = time.perf_counter()
            loaded_times += _ten_clients(port, 3)
            h.join(120)
            assert heavy_done, "the heavy message was not accepted"
            overlaps.append(heavy_done[0] - started)
        idle_times += _ten_clients(port, 3)
    finally:
        proc.terminate()
        proc.wait(30)
    idle = statistics.median(idle_times)
    loaded = statistics.median(loaded_times)
    print(f"\nmedian reply idle {idle * 1000:.2f} ms, beside a 3 MB folded header {loaded * 1000:.2f} ms "
          f"(x{loaded / idle:.2f}); the heavy header finished {', '.join(f'{o:+.2f}' for o in overlaps)} s after "
          "the others started")
    assert min(overlaps) > 0, "a heavy header was parsed before the others started: nothing measured"
    assert loaded <= 2 * idle


def _heavy(port: int, done: list[float]) -> None:
    s = socket.create_connection((LISTEN, port), timeout=120, source_address=(RELAY_HOSTS[0], 0))
    f = s.makefile("rb")
    f.readline()
    for line in (b"EHLO heavy.example\r\n", b"MAIL FROM:<a@outside.example>\r\n", b"RCPT TO:<b@example.net>\r\n",
                 b"DATA\r\n"):
        s.sendall(line)
        while f.readline()[3:4] == b"-":
            pass
    s.sendall(b"Subject: heavy\r\n" + b"\tfo\r\n" * 750_000 + b"\r\nbody\r\n.\r\n")  # 3 MB of folds
    reply = f.readline()
    if reply.startswith(b"250"):
        done.append(time.perf_counter())
    s.close()
