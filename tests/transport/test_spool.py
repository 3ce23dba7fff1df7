"""The durable spool (exshell/transport/spool.py)."""

from __future__ import annotations

import asyncio
import os

from exshell.transport.spool import Spool


def test_store_then_load_round_trips_envelope_and_bytes(tmp_path):
    spool = Spool(tmp_path / "spool")
    data = b"Subject: hi\r\n\r\nbody \xff\r\n"
    msg_id = asyncio.run(spool.store({"sender": "a@x.example", "recipients": ["b@y.example"]}, data))
    assert spool.list() == [msg_id]
    m = spool.load(msg_id)
    assert m.data == data
    assert m.envelope["sender"] == "a@x.example" and m.envelope["recipients"] == ["b@y.example"]
    assert m.envelope["id"] == msg_id


def test_concurrent_stores_share_directory_fsyncs(tmp_path):
    spool = Spool(tmp_path / "spool")

    async def burst():
        return await asyncio.gather(*(spool.store({"n": i}, b"x\r\n") for i in range(40)))

    ids = asyncio.run(burst())
    assert len(set(ids)) == 40 and sorted(spool.list()) == sorted(ids)
    assert 1 <= spool.directory_syncs < 40  # group commit: fewer directory fsyncs than messages


def test_partial_temp_files_are_never_listed_and_are_recovered(tmp_path):
    spool = Spool(tmp_path / "spool")
    with open(os.path.join(spool.tmp, "123.tmp"), "wb") as f:
        f.write(b'{"id": "123"')  # a crash mid-write
    assert spool.list() == []
    assert spool.recover() == 0  # young: could be another process's write in flight
    assert spool.recover(0) == 1
    assert os.listdir(spool.tmp) == []


def test_ids_increase_across_spool_instances(tmp_path):
    first = Spool(tmp_path / "s").store_blocking({}, b"a")
    second = Spool(tmp_path / "s").store_blocking({}, b"b")
    assert int(second) > int(first)
    assert Spool(tmp_path / "s").list() == [first, second]


def test_remove_deletes_the_message(tmp_path):
    spool = Spool(tmp_path / "s")
    msg_id = spool.store_blocking({}, b"a")
    spool.remove(msg_id)
    assert spool.list() == []
