"""Spool slots (exshell/transport/spool_slots.py): files whose directory entries are durable before a message."""

from __future__ import annotations

import asyncio
import functools
import os
import time

from exshell.transport.spool import TRAILER_LEN, Spool
from exshell.transport import spool_slots
from exshell.transport.spool_slots import SlotReserve


def filled(spool: Spool) -> bool:
    return spool.slots is not None and spool.slots.refills >= 1


def wait_for(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def slots_in(path) -> list[str]:
    return sorted(n for n in os.listdir(path) if n.endswith(".slot"))


def test_messages_go_into_slots_and_only_refills_fsync_the_directory(tmp_path):
    spool = Spool(tmp_path / "spool", slots=True)
    spool.start()
    wait_for(lambda: spool.slots is not None and spool.slots.refills == 1, "the reserve to fill")

    async def burst():
        return await asyncio.gather(*(spool.store({"n": i}, b"Subject: s\r\n\r\nx\r\n") for i in range(40)))

    ids = asyncio.run(burst())
    assert sorted(spool.list(), key=int) == sorted(ids, key=int)
    assert {spool.load(i).envelope["n"] for i in ids} == set(range(40))
    assert all(int(i) == spool.load(i).envelope["internal_id"] for i in ids)
    # No message waited for a directory fsync: the refill made the slots' entries durable before.
    assert spool.slots is not None and spool.directory_syncs == 0 and spool.slots.refills >= 1
    spool.close()
    assert slots_in(spool.slots_dir) == []  # the unused reserve is deleted at a clean stop
    assert sorted(spool.list(), key=int) == sorted(ids, key=int)


def test_a_message_finds_its_slot_gone_and_is_written_without_it(tmp_path):
    spool = Spool(tmp_path / "spool", slots=True)
    spool.start()
    wait_for(lambda: spool.slots is not None and spool.slots.refills == 1, "the reserve to fill")
    for name in slots_in(spool.slots_dir):
        os.unlink(os.path.join(spool.slots_dir, name))  # deleted by hand
    msg_id = asyncio.run(spool.store({}, b"Subject: s\r\n\r\nbody\r\n"))
    assert spool.list() == [msg_id] and spool.load(msg_id).data == b"Subject: s\r\n\r\nbody\r\n"
    spool.close()


def test_recover_renames_a_sealed_slot_moves_a_cut_one_aside_and_deletes_only_its_own_empty_slots(tmp_path):
    path = tmp_path / "spool"
    writer = Spool(path)
    done = writer.store_blocking({"sender": "a@x.example"}, b"Subject: s\r\n\r\nkept\r\n")
    cut = writer.store_blocking({"sender": "b@x.example"}, b"Subject: s\r\n\r\ncut\r\n")
    slots = path / "slots"
    slots.mkdir()
    # What a crash can leave: a slot written and sealed whose rename was lost; one cut before its seal.
    os.rename(path / f"{done}.msg", slots / f"{done}.slot")
    blob = (path / f"{cut}.msg").read_bytes()
    (path / f"{cut}.msg").unlink()
    (slots / f"{cut}.slot").write_bytes(blob[: len(blob) - TRAILER_LEN])
    for empty in (1000, 1001, 1002, 1003):
        (slots / f"{empty}.slot").write_bytes(b"")
    # Another process's (delivery's) Spool, without slots: it leaves every empty slot alone.
    assert Spool(path).recover(0) == 1
    assert slots_in(slots) == ["1000.slot", "1001.slot", "1002.slot", "1003.slot"]
    assert Spool(path).list() == [done] and Spool(path).load(done).data.endswith(b"kept\r\n")
    assert os.listdir(path / "incomplete") == [f"{cut}.slot"]
    # Worker 1 of 2 deletes the empty slots of its own id class only: the others are worker 0's, alive.
    Spool(path, slots=True, id_stride=2, id_offset=1).recover(60)
    assert slots_in(slots) == ["1000.slot", "1002.slot"]
    Spool(path, slots=True).recover(0)
    assert slots_in(slots) == []


def test_a_young_written_slot_is_a_write_in_flight_and_left_alone(tmp_path):
    path = tmp_path / "spool"
    msg_id = Spool(path).store_blocking({}, b"Subject: s\r\n\r\nx\r\n")
    (path / "slots").mkdir()
    os.rename(path / f"{msg_id}.msg", path / "slots" / f"{msg_id}.slot")
    assert Spool(path).recover(60) == 0
    assert slots_in(path / "slots") == [f"{msg_id}.slot"] and Spool(path).list() == []


def test_after_recover_ids_are_past_every_message_in_the_spool_even_with_the_clock_set_back(tmp_path):
    path = tmp_path / "spool"
    ahead = 10 ** 20 + 7  # a message from a run whose clock was far ahead
    path.mkdir()
    (path / f"{ahead}.msg").write_bytes(b'{"id":"x"}\nkept\r\n')
    for stride, offset in ((1, 0), (3, 1)):
        spool = Spool(path, slots=True, id_stride=stride, id_offset=offset)
        spool.recover(0)
        spool.start()
        wait_for(functools.partial(filled, spool), "the reserve to fill")
        msg_id = asyncio.run(spool.store({}, b"Subject: s\r\n\r\nx\r\n"))
        assert int(msg_id) > ahead and int(msg_id) % stride == offset
        assert all(int(n.split(".")[0]) > ahead for n in slots_in(path / "slots"))
        spool.close()
        spool.remove(msg_id)
    assert (path / f"{ahead}.msg").read_bytes().endswith(b"kept\r\n")


def test_a_slot_name_already_taken_is_skipped(tmp_path):
    path = str(tmp_path)
    ids = iter(range(10, 100))
    for taken in (10, 12):
        open(os.path.join(path, f"{taken}.slot"), "wb").close()  # e.g. another process's
    reserve = SlotReserve(path, lambda: next(ids), size=4, fsync=False)
    reserve.start()
    wait_for(lambda: reserve.refills >= 1, "the reserve to fill")
    assert [reserve.take() for _ in range(2)] == [11, 13]
    reserve.close()
    assert slots_in(path) == ["10.slot", "11.slot", "12.slot", "13.slot"]  # taken: the taker's; the rest went


def test_slots_that_cannot_be_made_leave_messages_stored_and_say_so_once(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(spool_slots, "RETRY_SECONDS", 0.02)
    spool = Spool(tmp_path / "spool", slots=True)
    os.rmdir(spool.slots_dir)  # e.g. a file system that refuses new files: every refill fails
    with caplog.at_level("WARNING", logger="exshell.transport.spool"):
        spool.start()
        wait_for(lambda: spool.slots is not None and spool.slots.failures >= 3, "three failed refills")
        ids = [asyncio.run(spool.store({"n": n}, b"Subject: s\r\n\r\nx\r\n")) for n in range(3)]
        assert sorted(spool.list(), key=int) == sorted(ids, key=int)
        assert spool.directory_syncs >= 1  # written the old way: file and directory fsynced
        failed = [r for r in caplog.records if "could not be created" in r.getMessage()]
        assert len(failed) == 1
        os.mkdir(spool.slots_dir)
        wait_for(functools.partial(filled, spool), "a refill once the directory is back")
        assert any("created again" in r.getMessage() for r in caplog.records)
    spool.close()
