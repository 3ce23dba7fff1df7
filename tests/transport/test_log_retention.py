"""Circular logging with tiny limits: old protocol and tracking log files go, the folder stays within its size."""

from __future__ import annotations

import os
import time

from exshell.model.config import SETTINGS, TRANSPORT_SETTINGS_KEY
from exshell.transport.log_retention import Retention, prune

from .scenario import EngineThread, free_port, make_store, seed_connectors

DAY = 86400


def fill(folder, prefix: str, ages_days: list[float], size: int = 1000) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    now = time.time()
    for i, age in enumerate(ages_days):
        name = f"{prefix}2026010{i % 10}-{i + 1}.log"
        path = folder / name
        path.write_bytes(b"x" * size)
        os.utime(path, (now - age * DAY, now - age * DAY))
        names.append(name)
    return names


def total(folder) -> int:
    return sum(p.stat().st_size for p in folder.iterdir())


def test_engine_prunes_protocol_and_tracking_logs_by_age_and_size(tmp_path):
    state = tmp_path / "state"
    store = make_store(state, seed_connectors(free_port()))

    def tiny(doc):
        record = dict(doc.get(SETTINGS, TRANSPORT_SETTINGS_KEY) or {})
        record.update({"ReceiveProtocolLogMaxAge": "2.00:00:00", "ReceiveProtocolLogMaxDirectorySize": "5KB",
                       "MessageTrackingLogMaxAge": "1.00:00:00", "MessageTrackingLogMaxDirectorySize": "3KB"})
        doc.put(SETTINGS, TRANSPORT_SETTINGS_KEY, record)

    store.commit(tiny, command="Set-TransportService -ReceiveProtocolLogMaxAge 2.00:00:00 ...")
    recv = state / "logs" / "ProtocolLog" / "SmtpReceive"
    trk = state / "logs" / "MessageTracking"
    recv_names = fill(recv, "RECV", [10, 9, 5, 1.5, 1, 0.5, 0.4, 0.3, 0.2, 0.1])
    trk_names = fill(trk, "MSGTRK", [3, 2, 0.9, 0.5, 0.2, 0.1])
    (recv / "notes.txt").write_text("not a log: left alone")
    with EngineThread(state, store):
        pass
    left = sorted(p.name for p in recv.iterdir() if p.name.startswith("RECV"))
    # Older than two days: gone; then the oldest until 5 KB: the five newest stay.
    assert left == sorted(recv_names[-5:])
    assert total(recv) - len("not a log: left alone") <= 5 * 1024
    assert (recv / "notes.txt").exists()
    assert sorted(p.name for p in trk.iterdir()) == sorted(trk_names[-3:])


def test_the_newest_file_is_kept_even_when_it_alone_is_over_the_limit(tmp_path):
    names = fill(tmp_path, "RECV", [3, 2, 1], size=4096)
    removed = prune(Retention(str(tmp_path), "RECV", None, 1024))
    assert removed == names[:2] and [p.name for p in tmp_path.iterdir()] == [names[2]]
