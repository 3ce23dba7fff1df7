"""SMTP Receive protocol log in Exchange's CSV format (semantics.md §e, PL).

Written for connectors whose ProtocolLoggingLevel is Verbose, to
`<state>/logs/ProtocolLog/SmtpReceive/RECVyyyymmdd-N.log` (UTC date; N starts at 1 and grows when a file
reaches MAX_FILE_BYTES). Each file starts with the `#Software/#Version/#Log-Type/#Date/#Fields` header.
Lines are buffered in memory and flushed at least every FLUSH_SECONDS and at session end — a protocol log
is a diagnostic, not a durability promise, so there is no fsync per line.
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
import time
from typing import Any

FIELDS = "date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context"
MAX_FILE_BYTES = 10 * 1024 * 1024
FLUSH_SECONDS = 1.0
VERSION = "15.0.0.0"


def _csv(value: str) -> str:
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""').replace("\r", " ").replace("\n", " ") + '"'
    return value


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


class ProtocolLog:
    """One writer per engine; thread-safe; call `close()` at shutdown."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = os.fspath(directory)
        self._lock = threading.Lock()
        self._buffer: list[str] = []
        self._file: Any = None
        self._day = ""
        self._size = 0
        self._last_flush = time.monotonic()

    def write(
        self,
        connector_id: str,
        session_id: str,
        seq: int,
        local: str,
        remote: str,
        event: str,
        data: str = "",
        context: str = "",
    ) -> None:
        stamp = _now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        line = ",".join(
            (stamp, _csv(connector_id), session_id, str(seq), local, remote, event, _csv(data), _csv(context))
        )
        with self._lock:
            self._buffer.append(line + "\n")
            if time.monotonic() - self._last_flush >= FLUSH_SECONDS or len(self._buffer) >= 512:
                self._flush_locked()

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        text = "".join(self._buffer)
        self._buffer.clear()
        data = text.encode("utf-8")
        f = self._open_locked(len(data))
        # One unbuffered write of whole lines to an O_APPEND file: the worker processes of one engine append
        # to the same file without tearing each other's lines.
        f.write(data)
        self._size += len(data)

    def _open_locked(self, incoming: int):
        day = _now().strftime("%Y%m%d")
        if self._file is not None and day == self._day and self._size + incoming <= MAX_FILE_BYTES:
            return self._file
        if self._file is not None:
            self._file.close()
        os.makedirs(self.directory, exist_ok=True)
        n = 1
        while True:
            path = os.path.join(self.directory, f"RECV{day}-{n}.log")
            size = os.path.getsize(path) if os.path.exists(path) else 0
            if size == 0 or (day == self._day and size + incoming <= MAX_FILE_BYTES) or (
                self._file is None and size + incoming <= MAX_FILE_BYTES
            ):
                break
            n += 1
        f = open(path, "ab", buffering=0)  # noqa: SIM115 - kept open for the log's life, closed by close()
        if size == 0:
            f.write((
                "#Software: exshell\n"
                f"#Version: {VERSION}\n"
                "#Log-Type: SMTP Receive Protocol Log\n"
                f"#Date: {_now().strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z\n"
                f"#Fields: {FIELDS}\n"
            ).encode())
            size = f.tell()
        self._file, self._day, self._size = f, day, size
        return f

    def close(self) -> None:
        with self._lock:
            self._flush_locked()
            if self._file is not None:
                self._file.close()
                self._file = None


def format_timespan(seconds: float) -> str:
    """Exchange's `d.hh:mm:ss` as in `Tarpit for '0.00:00:05'`."""
    total = int(round(seconds))
    days, rem = divmod(total, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    return f"{days}.{h:02d}:{m:02d}:{s:02d}"
