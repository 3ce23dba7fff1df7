"""Where `exshell serve` logs: the journal or syslog as a service, stderr otherwise, plus rotated files.

- Under systemd, stderr is the journal ($JOURNAL_STREAM names it): each line gets the sd-daemon(3) priority
  prefix (`<3>` for errors ...), so `journalctl -p warning` works, and no timestamp (the journal adds one).
- `--log-target syslog` sends to the local syslog daemon (/dev/log, facility mail), as Postfix does.
- `<state>/logs/transport.log` is rotated by size (default) or daily (age), keeping N old files. Several
  worker processes share it: a rotation happens under a lock file, and a process that finds the file renamed
  under it (another process's rotation, or logrotate's) reopens it. It looks at most once every
  RENAME_CHECK_SECONDS, not per line (two system calls a line were 3 % of the delivery process's time): the
  lines of that last second land in the renamed file, none is lost.
- A record is formatted once for both handlers (the console and the file share the formatter), and the
  timestamp text is made once per second.
- Levels per component: `--log-level DEBUG`, `--log-level delivery=WARNING` (exshell.transport.delivery).
- `--log-format json`: one JSON object per line (time, level, component, message), for log shippers.
"""

from __future__ import annotations

import fcntl
import json
import logging
import logging.handlers
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

ROOT = "exshell"
COMPONENTS = {  # short names accepted by --log-level NAME=LEVEL
    "transport": "exshell.transport",
    "delivery": "exshell.transport.delivery",
    "service": "exshell.service",
    "store": "exshell.store",
}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
RENAME_CHECK_SECONDS = 1.0
_SD_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


@dataclass(slots=True)
class LogSettings:
    level: str = "INFO"
    components: dict[str, str] = field(default_factory=dict)  # logger name -> level
    target: str = "auto"  # auto (journal when stderr is the journal, else stderr), stderr, journal, syslog
    fmt: str = "text"  # text | json
    rotate: str = "size"  # size | daily
    max_bytes: int = 10 * 1024 * 1024
    keep: int = 7


def parse_levels(values: Sequence[str]) -> tuple[str, dict[str, str]]:
    """['INFO', 'delivery=DEBUG'] -> ('INFO', {'exshell.transport.delivery': 'DEBUG'}); ValueError on a typo."""
    level, components = "INFO", {}
    for value in values:
        name, eq, lvl = value.rpartition("=")
        lvl = lvl.upper()
        if lvl not in LEVELS:
            raise ValueError(f"'{value}': the level is one of {', '.join(LEVELS)}")
        if not eq:
            level = lvl
            continue
        logger = COMPONENTS.get(name.lower(), name if name.startswith(ROOT + ".") else "")
        if not logger:
            raise ValueError(f"'{value}': the component is one of {', '.join(COMPONENTS)} (or an exshell.* logger)")
        components[logger] = lvl
    return level, components


def stderr_is_journal(environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    dev, _, ino = env.get("JOURNAL_STREAM", "").partition(":")
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return dev.isdigit() and ino.isdigit() and (st.st_dev, st.st_ino) == (int(dev), int(ino))


class Formatter(logging.Formatter):
    """logging.Formatter's output, cheaper: the text of a record is kept on it for the next handler with the
    same formatter (the console and the file), and the date and time part of asctime is made once per second."""

    def __init__(self, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self._second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second, text = self._second  # one read: another thread may replace it meanwhile, never half of it
        if int(record.created) != second:
            second = int(record.created)
            text = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, text)
        return f"{text},{int(record.msecs):03d}"  # logging's default_msec_format

    def format(self, record: logging.LogRecord) -> str:
        # Valid while msg and args are the same objects (a filter that rewrites a record replaces them).
        done = record.__dict__.get("_exshell_text")
        if done is not None and done[0] is self and done[1] is record.msg and done[2] is record.args:
            return done[3]
        text = self.format_once(record)
        record.__dict__["_exshell_text"] = (self, record.msg, record.args, text)
        return text

    def format_once(self, record: logging.LogRecord) -> str:
        return super().format(record)


class JournalFormatter(Formatter):
    """`<6>component: message`: the priority prefix journald parses from a service's stderr."""

    def format_once(self, record: logging.LogRecord) -> str:
        text = super().format_once(record)
        prefix = f"<{_SD_PRIORITY.get(record.levelno, 6)}>"
        return "\n".join(prefix + line for line in text.splitlines() or [""])


class JsonFormatter(Formatter):
    def format_once(self, record: logging.LogRecord) -> str:
        doc = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "component": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


class SharedRotatingFileHandler(logging.handlers.BaseRotatingHandler):
    """Rotation by size or by day that several processes can share: the rename happens under an flock'ed lock
    file and only if nobody rotated first; a process whose file was renamed under it reopens the path."""

    def __init__(self, path: str, rotate: str = "size", max_bytes: int = 10 * 1024 * 1024, keep: int = 7, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(path, "a", encoding="utf-8", delay=False)
        self.rotate_by, self.max_bytes, self.keep = rotate, max_bytes, keep
        self.lock_path = path + ".lock"
        self.clock = clock
        self._next_rename_check = clock() + RENAME_CHECK_SECONDS
        self._day_ends = _next_midnight()

    def _renamed(self) -> bool:
        try:
            st = os.stat(self.baseFilename)
        except FileNotFoundError:
            return True
        if self.stream is None:
            return True
        own = os.fstat(self.stream.fileno())
        return (st.st_dev, st.st_ino) != (own.st_dev, own.st_ino)

    def _reopen(self) -> None:
        # Through public API only (setStream, 3.7+): logging's FileHandler._open is private.
        old = self.setStream(open(self.baseFilename, "a", encoding="utf-8"))  # noqa: SIM115 - the handler owns it
        if old is not None:
            old.close()

    def shouldRollover(self, record: logging.LogRecord) -> bool:  # noqa: N802 - logging's name
        now = self.clock()
        if now >= self._next_rename_check:
            self._next_rename_check = now + RENAME_CHECK_SECONDS
            if self._renamed():
                self._reopen()
        if self.rotate_by == "daily":
            return time.time() >= self._day_ends
        assert self.stream is not None
        return self.max_bytes > 0 and self.stream.tell() >= self.max_bytes

    def doRollover(self) -> None:  # noqa: N802 - logging's name
        with open(self.lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self._renamed() and (self.rotate_by == "daily" or os.path.getsize(self.baseFilename) >= self.max_bytes):
                for i in range(self.keep - 1, 0, -1):
                    older = f"{self.baseFilename}.{i}"
                    if os.path.exists(older):
                        os.replace(older, f"{self.baseFilename}.{i + 1}")
                os.replace(self.baseFilename, f"{self.baseFilename}.1")
            self._reopen()
        self._day_ends = _next_midnight()

    def reopen(self) -> None:
        self.acquire()
        try:
            self._reopen()
        finally:
            self.release()


def _next_midnight() -> float:
    """The time.time() at which the local day changes (the daily rotation's moment)."""
    t = time.localtime()
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday + 1, 0, 0, 0, 0, 0, -1))


def configure(state: str, settings: LogSettings, filters: Sequence[Callable[[], logging.Filter]] = (),
              logger_name: str = ROOT) -> list[logging.Handler]:
    """Attach the handlers to the `exshell` logger (every component logs under it); return them. `filters` are
    factories: each handler gets its own instance (a rate-limiting filter shared by two handlers would see every
    record twice and hold the second copy back)."""
    logger = logging.getLogger(logger_name)
    logger.setLevel(settings.level)
    for name, level in settings.components.items():
        logging.getLogger(name).setLevel(level)
    # No formatter here shows a thread's or a multiprocessing process's name: a record needn't look them up.
    logging.logThreads = False
    logging.logMultiprocessing = False
    if settings.fmt == "json":
        file_fmt: logging.Formatter = JsonFormatter()
    else:
        file_fmt = Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    console_fmt = file_fmt  # one instance: a record is formatted once for both
    target = settings.target
    if target == "auto":
        target = "journal" if stderr_is_journal() else "stderr"
    handlers: list[logging.Handler] = []
    if target == "syslog":
        console: logging.Handler = logging.handlers.SysLogHandler(
            address="/dev/log", facility=logging.handlers.SysLogHandler.LOG_MAIL)
        console.setFormatter(logging.Formatter("exshell[%(process)d]: %(name)s: %(message)s"))
    else:
        console = logging.StreamHandler(sys.stderr)
        if target == "journal" and settings.fmt != "json":
            console.setFormatter(JournalFormatter("%(name)s: %(message)s"))
        else:
            console.setFormatter(console_fmt)
    handlers.append(console)
    logs = os.path.join(state, "logs")
    os.makedirs(logs, exist_ok=True)
    fh = SharedRotatingFileHandler(os.path.join(logs, "transport.log"), settings.rotate, settings.max_bytes,
                                   settings.keep)
    fh.setFormatter(file_fmt)
    handlers.append(fh)
    for h in handlers:
        for make in filters:
            h.addFilter(make())
        logger.addHandler(h)
    logger.propagate = False
    return handlers


def reopen(handlers: Sequence[logging.Handler]) -> None:
    for h in handlers:
        if isinstance(h, SharedRotatingFileHandler):
            h.reopen()
