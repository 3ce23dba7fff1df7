"""The message tracking log: Exchange 2013+'s CSV layout under `<state>/logs/MessageTracking/`.

One file per UTC day, `MSGTRKyyyymmdd-1.LOG`, opened with the W3C-style header Exchange writes
(`#Software`, `#Version`, `#Log-Type`, `#Date`, `#Fields`). Rows are appended under a process-local lock
with O_APPEND and one write() per row, so the receiving engine and the delivery service (separate
processes) can both log to the same file without interleaving a row. Exchange 2013+ field set (not the
2007 one): `recipient-address` holds every recipient joined with `;`, as Exchange does.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIELDS: tuple[str, ...] = (
    "date-time",
    "client-ip",
    "client-hostname",
    "server-ip",
    "server-hostname",
    "source-context",
    "connector-id",
    "source",
    "event-id",
    "internal-message-id",
    "message-id",
    "network-message-id",
    "recipient-address",
    "recipient-status",
    "total-bytes",
    "recipient-count",
    "related-recipient-address",
    "reference",
    "message-subject",
    "sender-address",
    "return-path",
    "message-info",
    "directionality",
    "tenant-id",
    "original-client-ip",
    "original-server-ip",
    "custom-data",
)
SOFTWARE = "Microsoft Exchange Server"
VERSION = "15.2.0.0"
_lock = threading.Lock()
_made: set[Path] = set()  # log folders known to exist (one mkdir per folder per process, not per row)


@dataclass(slots=True)
class _OpenLog:
    """A log file kept open for appending, so a row costs one write(): reopened when the day changes and when
    a look at most every RECHECK_SECONDS finds it removed (log retention) or missing its header."""

    path: Path
    fd: int
    checked: float


RECHECK_SECONDS = 1.0
_open_logs: dict[tuple[str, tuple[int, int, int]], _OpenLog] = {}  # (state folder, day) -> the open file; a few at most


def _append(state_dir: str | os.PathLike[str], now: dt.datetime, text: str) -> None:
    """Under _lock."""
    key = (os.fspath(state_dir), (now.year, now.month, now.day))
    log = _open_logs.get(key)
    mono = time.monotonic()
    if log is not None and mono - log.checked > RECHECK_SECONDS:
        log.checked = mono
        try:
            gone = os.fstat(log.fd).st_nlink == 0
        except OSError:
            gone = True
        if gone:
            _close_log(key)
            log = None
    if log is None:
        for old in [k for k in _open_logs if k[0] == key[0] or len(_open_logs) >= 8]:
            _close_log(old)  # yesterday's file, or another state folder's (tests run many)
        path = log_path(state_dir, now)
        if path.parent not in _made:
            path.parent.mkdir(parents=True, exist_ok=True)
            _made.add(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except FileNotFoundError:  # the folder was removed meanwhile (log cleanup): make it again
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        log = _open_logs[key] = _OpenLog(path, fd, mono)
        if os.fstat(fd).st_size == 0:
            text = _header(now) + text
    os.write(log.fd, text.encode("utf-8"))


def _close_log(key: tuple[str, tuple[int, int, int]]) -> None:
    log = _open_logs.pop(key, None)
    if log is not None:
        try:
            os.close(log.fd)
        except OSError:
            pass


def log_dir(state_dir: str | os.PathLike[str]) -> Path:
    return Path(state_dir) / "logs" / "MessageTracking"


def log_path(state_dir: str | os.PathLike[str], when: dt.datetime) -> Path:
    return log_dir(state_dir) / f"MSGTRK{when:%Y%m%d}-1.LOG"


def _header(when: dt.datetime) -> str:
    return (
        f"#Software: {SOFTWARE}\r\n#Version: {VERSION}\r\n#Log-Type: Message Tracking Log\r\n"
        f"#Date: {when:%Y-%m-%dT%H:%M:%S.%f}"[:-3]
        + "Z\r\n"
        + "#Fields: "
        + ",".join(FIELDS)
        + "\r\n"
    )


class _Seconds:
    """The `2026-01-02T03:04:05` part of a row's time, made once a second (strftime was a tenth of a row's cost)."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last: tuple[dt.datetime | None, str] = (None, "")

    def text(self, when: dt.datetime) -> str:
        second = when.replace(microsecond=0)
        last = self.last  # one read: a bounce thread may replace it meanwhile, never half of it
        if last[0] != second:
            last = self.last = (second, second.strftime("%Y-%m-%dT%H:%M:%S"))
        return last[1]


_seconds = _Seconds()


def _timestamp(when: dt.datetime) -> str:
    """`2026-01-02T03:04:05.678Z` (milliseconds truncated)."""
    return f"{_seconds.text(when)}.{when.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class TrackingRow:
    fields: dict[str, str]
    when: dt.datetime
    text: str  # the CSV line, CRLF-terminated


def log_event(state_dir: str | os.PathLike[str], event_id: str, **fields: Any) -> dict[str, str]:
    """Append one row (and return its fields). Never raises for a disk problem: tracking must not stop
    delivery (Exchange keeps delivering when the tracking log can't be written)."""
    row = make_row(event_id, **fields)
    write_rows(state_dir, [row])
    return row.fields


def write_rows(state_dir: str | os.PathLike[str], rows: Sequence[TrackingRow]) -> None:
    """Append rows in order, one write() per day's file."""
    try:
        with _lock:
            start = 0
            while start < len(rows):
                day = rows[start].when.date()
                end = start + 1
                while end < len(rows) and rows[end].when.date() == day:
                    end += 1
                _append(state_dir, rows[start].when, "".join(r.text for r in rows[start:end]))
                start = end
    except OSError:
        pass


def make_row(
    event_id: str,
    *,
    source: str,
    message_id: str = "",
    internal_message_id: str | int = "",
    sender: str = "",
    recipients: Sequence[str] = (),
    recipient_status: Sequence[str] = (),
    total_bytes: int | None = None,
    connector_id: str = "",
    subject: str = "",
    client_ip: str = "",
    client_hostname: str = "",
    server_ip: str = "",
    server_hostname: str = "",
    source_context: str = "",
    related_recipient_address: str = "",
    reference: str = "",
    return_path: str | None = None,
    directionality: str = "Originating",
    when: dt.datetime | None = None,
) -> TrackingRow:
    """One row of the log (Exchange's fields), not yet written."""
    now = when or dt.datetime.now(dt.UTC)
    values = (  # in FIELDS order
        _timestamp(now),
        client_ip,
        client_hostname,
        server_ip,
        server_hostname,
        source_context,
        connector_id,
        source,
        event_id,
        str(internal_message_id),
        message_id if not message_id or message_id.startswith("<") else f"<{message_id}>",
        "",
        ";".join(recipients),
        ";".join(recipient_status),
        "" if total_bytes is None else str(total_bytes),
        str(len(recipients)),
        related_recipient_address,
        reference,
        subject,
        sender,
        sender if return_path is None else return_path,
        "",
        directionality,
        "",
        "",
        "",
        "",
    )
    return TrackingRow(dict(zip(FIELDS, values)), now, _csv_line(values))


class _Line:
    """What a csv.writer writes one row to: the row's text."""

    __slots__ = ("text",)

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text = text


_writers = threading.local()  # one csv.writer per thread (rows are made on the loop and in bounce threads)


def _csv_line(values: Sequence[str]) -> str:
    try:
        writer, line = _writers.pair
    except AttributeError:
        line = _Line()
        writer = csv.writer(line, lineterminator="\r\n")
        _writers.pair = writer, line
    writer.writerow(values)
    return line.text


@dataclass(frozen=True, slots=True)
class TrackingEntry:
    """One row as Get-MessageTrackingLog returns it (field names without dashes; cmdlets.md §7.4)."""

    timestamp: dt.datetime
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def event_id(self) -> str:
        return self.fields.get("event-id", "")

    @property
    def sender(self) -> str:
        return self.fields.get("sender-address", "")

    @property
    def recipients(self) -> list[str]:
        text = self.fields.get("recipient-address", "")
        return [r for r in text.split(";") if r]

    def to_properties(self) -> dict[str, Any]:
        f = self.fields
        total = f.get("total-bytes", "")
        status = f.get("recipient-status", "")
        return {
            "Timestamp": self.timestamp,
            "ClientIp": f.get("client-ip", ""),
            "ClientHostname": f.get("client-hostname", ""),
            "ServerIp": f.get("server-ip", ""),
            "ServerHostname": f.get("server-hostname", ""),
            "SourceContext": f.get("source-context", ""),
            "ConnectorId": f.get("connector-id", ""),
            "Source": f.get("source", ""),
            "EventId": self.event_id,
            "InternalMessageId": f.get("internal-message-id", ""),
            "MessageId": f.get("message-id", ""),
            "NetworkMessageId": f.get("network-message-id", ""),
            "Recipients": self.recipients,
            "RecipientStatus": [s for s in status.split(";") if s],
            "TotalBytes": int(total) if total.isdigit() else None,
            "RecipientCount": int(f.get("recipient-count") or 0),
            "RelatedRecipientAddress": f.get("related-recipient-address", ""),
            "Reference": f.get("reference", ""),
            "MessageSubject": f.get("message-subject", ""),
            "Sender": self.sender,
            "ReturnPath": f.get("return-path", ""),
            "MessageInfo": f.get("message-info", ""),
            "Directionality": f.get("directionality", ""),
        }


def entry_of(fields: dict[str, str]) -> TrackingEntry | None:
    """A row (field -> value, as log_event writes it) as an entry; None when its time can't be read."""
    when = _parse_time(fields.get("date-time", ""))
    return None if when is None else TrackingEntry(when, fields)


def _parse_time(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def read_entries(state_dir: str | os.PathLike[str]) -> Iterator[TrackingEntry]:
    """Every row of every tracking log file, oldest file first; malformed rows are skipped."""
    folder = log_dir(state_dir)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("MSGTRK*.LOG")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        fields: Sequence[str] = FIELDS
        rows = csv.reader(io.StringIO(text, newline=""))
        for row in rows:
            if not row:
                continue
            if row[0].startswith("#"):
                if row[0].startswith("#Fields: "):
                    fields = [row[0][len("#Fields: ") :], *row[1:]]
                continue
            values = dict(zip(fields, row))
            when = _parse_time(values.get("date-time", ""))
            if when is None:
                continue
            yield TrackingEntry(when, values)


def search(
    entries: Iterable[TrackingEntry],
    *,
    sender: str | None = None,
    recipients: Sequence[str] = (),
    message_id: str | None = None,
    internal_message_id: str | None = None,
    event_id: str | None = None,
    source: str | None = None,
    subject: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    result_size: int | None = 1000,
) -> list[TrackingEntry]:
    """Get-MessageTrackingLog's filters: exact (case-insensitive) sender, any of the recipients, message id
    with or without angle brackets, partial subject, Start inclusive and End exclusive (cmdlets.md §7.4)."""
    want_rcpts = {r.lower() for r in recipients}
    want_mid = message_id.strip().strip("<>").lower() if message_id else None
    out: list[TrackingEntry] = []
    for e in entries:
        f = e.fields
        if sender and e.sender.lower() != sender.lower():
            continue
        if want_rcpts and not want_rcpts & {r.lower() for r in e.recipients}:
            continue
        if want_mid and f.get("message-id", "").strip("<>").lower() != want_mid:
            continue
        if internal_message_id and f.get("internal-message-id", "") != str(internal_message_id):
            continue
        if event_id and e.event_id.lower() != event_id.lower():
            continue
        if source and f.get("source", "").lower() != source.lower():
            continue
        if subject and subject.lower() not in f.get("message-subject", "").lower():
            continue
        if start and e.timestamp < _aware(start):
            continue
        if end and e.timestamp >= _aware(end):
            continue
        out.append(e)
        if result_size is not None and len(out) >= result_size:
            break
    return out


def _aware(when: dt.datetime) -> dt.datetime:
    """A naive DateTime from the shell is local time, as in PowerShell."""
    return when.astimezone(dt.UTC) if when.tzinfo is None else when
