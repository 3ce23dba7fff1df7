"""The durable spool (exshell/transport/spool.py)."""

from __future__ import annotations

import asyncio
import os

from exshell.transport.spool import TRAILER_LEN, IncompleteMessage, Spool, is_complete, seal


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


def test_a_message_file_is_sealed_and_every_prefix_of_it_is_refused_then_moved_aside(tmp_path, caplog):
    spool = Spool(tmp_path / "spool")
    msg_id = spool.store_blocking({"sender": "a@x.example"}, b"Subject: s\r\n\r\nbody\r\n")
    path = os.path.join(spool.path, msg_id + ".msg")
    with open(path, "rb") as f:
        blob = f.read()
    assert blob.endswith(seal(len(blob) - TRAILER_LEN))
    assert spool.load(msg_id).data == b"Subject: s\r\n\r\nbody\r\n"  # the trailer is not part of the message
    # What a kill -9 (or a power loss before the fsyncs returned) can leave: any prefix of the file.
    for cut in (1, blob.index(b"\n"), blob.index(b"\n") + 1, len(blob) - TRAILER_LEN, len(blob) - 1):
        with open(path, "wb") as f:
            f.write(blob[:cut])
        try:
            spool.load(msg_id)
        except (IncompleteMessage, ValueError):
            pass
        else:
            raise AssertionError(f"a file cut at {cut} of {len(blob)} bytes was loaded")
        assert not is_complete(path)
    assert spool.recover() == 0 and spool.list() == [msg_id]  # young: may be a write in flight
    with caplog.at_level("WARNING", logger="exshell.transport.spool"):
        assert spool.recover(0) == 1
    assert spool.list() == []
    assert os.listdir(os.path.join(spool.path, "incomplete")) == [msg_id + ".msg"]
    assert "incomplete" in caplog.text and msg_id in caplog.text


def test_an_unsealed_file_from_before_sealing_is_complete_as_it_stands(tmp_path):
    spool = Spool(tmp_path / "spool")
    with open(os.path.join(spool.path, "42.msg"), "wb") as f:
        f.write(b'{"id":"42","sender":"a@x.example"}\nSubject: old\r\n\r\nbody\r\n')
    assert spool.recover(0) == 0
    assert spool.load("42").data == b"Subject: old\r\n\r\nbody\r\n"


def test_a_streamed_body_is_appended_before_the_seal(tmp_path):
    spool = Spool(tmp_path / "spool")
    body = spool.new_body_path()
    with open(body, "wb") as f:
        f.write(b"rest of the body\r\n" * 1000)
    msg_id = asyncio.run(spool.store({"n": 1}, b"Subject: big\r\n\r\n", body_file=body))
    assert spool.load(msg_id).data == b"Subject: big\r\n\r\n" + b"rest of the body\r\n" * 1000
    assert not os.path.exists(body)


def test_an_id_already_in_the_spool_is_never_overwritten(tmp_path):
    spool = Spool(tmp_path / "spool")
    taken = spool.store_blocking({"n": 1}, b"first")
    try:
        asyncio.run(spool.store({"internal_id": int(taken)}, b"second"))
    except FileExistsError:
        pass
    else:
        raise AssertionError("a second message took an id already in the spool")
    assert spool.load(taken).data == b"first"


def test_a_store_cancelled_while_its_commit_runs_leaves_no_message(tmp_path):
    """The session went away before its 250: the commit still completes in its thread, then the file is removed
    (never acknowledged: delivering it would duplicate the client's retry)."""
    spool = Spool(tmp_path / "spool")

    async def main() -> None:
        task = asyncio.create_task(spool.store({"sender": "a@x.example"}, b"Subject: s\r\n\r\nbody\r\n"))
        await asyncio.sleep(0)  # submitted to a commit thread
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        else:
            raise AssertionError("the store was not cancelled")
        await asyncio.to_thread(spool.close)  # the commit threads finished every job
        for _ in range(100):  # the discard runs on the loop, right after
            await asyncio.sleep(0)
            if not spool.list():
                break

    asyncio.run(main())
    assert spool.directory_syncs == 1  # the commit did run to its end
    assert spool.list() == []


def test_a_write_the_kernel_cuts_short_is_continued_and_the_file_is_whole(tmp_path, monkeypatch):
    real = os.writev

    def at_most_seven_bytes(fd, buffers):  # what a signal or a full pipe of a device may do to one writev
        first = bytes(b"".join(bytes(b) for b in buffers))[:7]
        return real(fd, [first])

    monkeypatch.setattr(os, "writev", at_most_seven_bytes)
    spool = Spool(tmp_path / "spool")
    data = b"Subject: cut\r\n\r\n" + b"x" * 100 + b"\r\n"
    msg_id = spool.store_blocking({"sender": "a@x.example"}, data)
    assert spool.load(msg_id).data == data and spool.load(msg_id).envelope["sender"] == "a@x.example"
