"""Where `exshell serve` logs: the journal or syslog as a service, stderr otherwise, plus rotated files.

- Under systemd, stderr is the journal ($JOURNAL_STREAM names it): each line gets the sd-daemon(3) priority
  prefix (`<3>` for errors ...), so `journalctl -p warning` works, and no timestamp (the journal adds one).
- `--log-target syslog` sends to the local syslog daemon (/dev/log, facility mail), as Postfix does.
- `<state>/logs/transport.log` is rotated by size (default) or daily (age), keeping N old files. Several
  worker processes share it: a rotation happens under a lock file, and a process that finds the file renamed
  under it reopens it.
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


class JournalFormatter(logging.Formatter):
    """`<6>component: message`: the priority prefix journald parses from a service's stderr."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        prefix = f"<{_SD_PRIORITY.get(record.levelno, 6)}>"
        return "\n".join(prefix + line for line in text.splitlines() or [""])


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
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

    def __init__(self, path: str, rotate: str = "size", max_bytes: int = 10 * 1024 * 1024, keep: int = 7) -> None:
        super().__init__(path, "a", encoding="utf-8", delay=False)
        self.rotate_by, self.max_bytes, self.keep = rotate, max_bytes, keep
        self.lock_path = path + ".lock"
        self._day = time.strftime("%Y-%m-%d")

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
        if self._renamed():
            self._reopen()
        if self.rotate_by == "daily":
            return time.strftime("%Y-%m-%d") != self._day
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
        self._day = time.strftime("%Y-%m-%d")

    def reopen(self) -> None:
        self.acquire()
        try:
            self._reopen()
        finally:
            self.release()


def configure(state: str, settings: LogSettings, filters: Sequence[Callable[[], logging.Filter]] = (),
              logger_name: str = ROOT) -> list[logging.Handler]:
    """Attach the handlers to the `exshell` logger (every component logs under it); return them. `filters` are
    factories: each handler gets its own instance (a rate-limiting filter shared by two handlers would see every
    record twice and hold the second copy back)."""
    logger = logging.getLogger(logger_name)
    logger.setLevel(settings.level)
    for name, level in settings.components.items():
        logging.getLogger(name).setLevel(level)
    if settings.fmt == "json":
        console_fmt: logging.Formatter = JsonFormatter()
        file_fmt: logging.Formatter = JsonFormatter()
    else:
        file_fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        console_fmt = file_fmt
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
