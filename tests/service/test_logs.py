"""The shared log file: rotation by other processes and by logrotate, and the formatter's text."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from exshell.service import logs
from exshell.service.logs import RENAME_CHECK_SECONDS, SharedRotatingFileHandler

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(msg: str, *args: object, created: float | None = None) -> logging.LogRecord:
    r = logging.LogRecord("exshell.transport.delivery", logging.INFO, __file__, 1, msg, args, None)
    if created is not None:
        r.created, r.msecs = created, (created - int(created)) * 1000
    return r


def handler(path: Path, clock: Clock, **kw: int) -> SharedRotatingFileHandler:
    h = SharedRotatingFileHandler(str(path), clock=clock, **kw)  # type: ignore[arg-type]
    h.setFormatter(logs.Formatter(TEXT))
    return h


def test_a_file_logrotate_renamed_is_reopened_within_the_check_interval_and_no_line_is_lost(tmp_path: Path) -> None:
    path, clock = tmp_path / "transport.log", Clock()
    h = handler(path, clock)
    h.handle(record("before the rename"))
    os.rename(path, tmp_path / "transport.log.1")  # logrotate without copytruncate, and no SIGHUP
    clock.now += RENAME_CHECK_SECONDS / 2
    h.handle(record("within the interval"))  # still the renamed file: it is not lost
    clock.now += RENAME_CHECK_SECONDS
    h.handle(record("after the interval"))
    h.close()
    rotated = (tmp_path / "transport.log.1").read_text()
    current = path.read_text()
    assert "before the rename" in rotated
    assert ("within the interval" in rotated) != ("within the interval" in current)  # in one of them
    assert "after the interval" in current and "after the interval" not in rotated
    assert RENAME_CHECK_SECONDS <= 1.0


def test_two_processes_rotating_one_file_by_size_keep_every_line_once(tmp_path: Path) -> None:
    path, clock = tmp_path / "transport.log", Clock()  # the clock stands still: only the size check rotates
    a, b = (handler(path, clock, max_bytes=1000, keep=20) for _ in range(2))
    for i in range(60):
        (a if i % 2 else b).handle(record("line %03d of the test", i))
    a.close()
    b.close()
    files = sorted(tmp_path.glob("transport.log*"))
    assert len(files) > 2  # it rotated
    lines = [line for f in files if not f.name.endswith(".lock") for line in f.read_text().splitlines()]
    assert sorted(line.rsplit(": ", 1)[1] for line in lines) == [f"line {i:03d} of the test" for i in range(60)]


def test_the_formatter_writes_what_loggings_own_formatter_writes() -> None:
    ours, std = logs.Formatter(TEXT), logging.Formatter(TEXT)
    t = 1_790_000_000.0
    for created in (t, t + 0.001, t + 0.999, t + 1.0005, t + 61.25):
        assert ours.format(record("delivered <%s> to %s", "m@x", "b@y", created=created)) == \
            std.format(record("delivered <%s> to %s", "m@x", "b@y", created=created))
    journal, std_journal = logs.JournalFormatter("%(name)s: %(message)s"), logging.Formatter("%(name)s: %(message)s")
    assert journal.format(record("a\nb")) == "\n".join("<6>" + x for x in std_journal.format(record("a\nb")).split("\n"))


def test_a_record_rewritten_by_a_filter_is_formatted_again() -> None:
    # Both handlers share the formatter; the second handler's RepeatFilter may rewrite the message after the
    # first handler formatted it.
    fmt = logs.Formatter(TEXT)
    r = record("smart host down: %s", "451")
    assert fmt.format(r).endswith("smart host down: 451")
    r.msg, r.args = "smart host down: 451 (repeated 3 more time(s) in the last 60 s)", ()
    assert fmt.format(r).endswith("(repeated 3 more time(s) in the last 60 s)")
