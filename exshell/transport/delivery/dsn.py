"""Non-delivery reports: RFC 3464 multipart/report (report-type=delivery-status), built with `email`.

Three parts, as Exchange sends them: a human-readable text/plain part with Exchange's wording and the
"Diagnostic information for administrators" block (`Remote Server returned '550 5.1.1 ...'`), the
machine-readable message/delivery-status (RFC 3464 §2: per-message fields, then one block per recipient
with Final-Recipient, Action: failed, Status and Diagnostic-Code), and the original headers as
text/rfc822-headers (RFC 6522). The envelope sender of an NDR is `<>` (RFC 5321 §4.5.5), so an NDR never
causes another NDR.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exshell.transport.durable import fsync_directory

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True, slots=True)
class FailedRecipient:
    address: str
    diagnostic: str  # the reply: `550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found`
    remote_mta: str = ""  # the host that answered, when there was one


def status_of(diagnostic: str) -> str:
    """The enhanced status code (RFC 3463) in a reply, else one derived from the basic code."""
    m = _ENHANCED.search(diagnostic)
    if m:
        return ".".join(m.groups())
    return "4.0.0" if diagnostic.startswith("4") else "5.0.0"


def original_headers(data: bytes) -> bytes:
    head, sep, _ = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, _ = data.partition(b"\n\n")
    return head + b"\r\n"


def header_value(data: bytes, name: str) -> str:
    """The first `name:` field of the message's header, unfolded (and RFC 2047-decoded, by the email package,
    when it has encoded words or 8-bit text)."""
    plain = _plain_header_value(data, name.encode("ascii").lower() + b":")
    if plain is not None:
        return plain
    from email.parser import BytesHeaderParser
    from email.policy import default

    try:
        msg = BytesHeaderParser(policy=default).parsebytes(original_headers(data))
        value = msg.get(name)
        return "" if value is None else str(value)
    except Exception:  # noqa: BLE001 - the email package raises many kinds; a bad header must not stop an NDR
        return ""


def _plain_header_value(data: bytes, prefix: bytes) -> str | None:
    """The common case without the email package: a 7-bit field without encoded words. None: not that case
    (the caller parses); "": no such field."""
    head = original_headers(data)
    lower = head.lower()
    if lower.startswith(prefix):
        pos = len(prefix)
    else:
        at = lower.find(b"\n" + prefix)
        if at < 0:
            return ""
        pos = at + 1 + len(prefix)
    parts = []
    while True:  # the field and its folded continuation lines (RFC 5322 §2.2.3)
        nl = head.find(b"\n", pos)
        nl = len(head) if nl < 0 else nl
        parts.append(head[pos:nl].rstrip(b"\r"))
        pos = nl + 1
        if pos >= len(head) or head[pos : pos + 1] not in (b" ", b"\t"):
            break
    raw = b"".join(parts)
    if b"=?" in raw or any(c > 126 or (c < 32 and c != 9) for c in raw):
        return None
    return raw.decode("ascii").lstrip(" \t")


def build_ndr(
    *,
    original: bytes,
    original_sender: str,
    failed: Sequence[FailedRecipient],
    reporting_mta: str,
    postmaster: str,
    arrival: dt.datetime | None = None,
    message_id_domain: str | None = None,
    delayed: bool = False,
) -> bytes:
    """The NDR's bytes (CRLF line ends), addressed From the postmaster To the original sender.
    `delayed`: a delay notification instead (RFC 3464 Action: delayed; Exchange sends one when a message is
    still queued after DelayNotificationTimeout, and keeps trying)."""
    from email.message import EmailMessage, MIMEPart
    from email.policy import SMTP
    from email.utils import format_datetime, make_msgid

    subject = header_value(original, "Subject")
    original_id = header_value(original, "Message-ID")
    now = dt.datetime.now(dt.UTC)

    report = EmailMessage(policy=SMTP)
    report["From"] = f"Microsoft Outlook <{postmaster}>"
    report["To"] = original_sender
    report["Date"] = format_datetime(now)
    prefix = "Delivery delayed:" if delayed else "Undeliverable:"
    report["Subject"] = f"{prefix} {subject}" if subject else prefix
    report["Message-ID"] = make_msgid(domain=message_id_domain or reporting_mta)
    if original_id:
        report["In-Reply-To"] = original_id
        report["References"] = original_id
    report["Auto-Submitted"] = "auto-replied"  # RFC 3834: never auto-answer this
    if not delayed:
        report["X-MS-Exchange-Message-Is-Ndr"] = ""
    report.set_type("multipart/report")
    report.set_param("report-type", "delivery-status")

    if delayed:
        lines = ["Delivery is delayed to these recipients or groups:", ""]
        for f in failed:
            lines += [f.address, ""]
        lines += ["This message hasn't been delivered yet. Delivery will continue to be attempted.", ""]
    else:
        lines = ["Delivery has failed to these recipients or groups:", ""]
        for f in failed:
            lines += [f.address, _friendly(f.diagnostic), ""]
    lines += [
        "",
        "",
        "Diagnostic information for administrators:",
        "",
        f"Generating server: {reporting_mta}",
        "",
    ]
    for f in failed:
        lines += [
            f.address,
            f"{f.remote_mta or reporting_mta}",
            f"Remote Server returned '{f.diagnostic}'",
            "",
        ]
    lines += ["Original message headers:", "", original_headers(original).decode("utf-8", "replace")]
    text = MIMEPart(policy=SMTP)
    text.set_content("\r\n".join(lines), subtype="plain", charset="utf-8")

    # message/delivery-status is a sequence of header blocks (RFC 3464 §2.1); the email package
    # generates it from a list of Message objects, one per block.
    from email.message import Message

    per_message = Message(policy=SMTP)
    per_message["Reporting-MTA"] = f"dns;{reporting_mta}"
    if arrival is not None:
        per_message["Arrival-Date"] = format_datetime(arrival)
    blocks: list[Message | str] = [per_message]
    for f in failed:
        block = Message(policy=SMTP)
        block["Final-Recipient"] = f"rfc822;{f.address}"
        block["Action"] = "delayed" if delayed else "failed"
        block["Status"] = status_of(f.diagnostic)
        block["Diagnostic-Code"] = f"smtp;{f.diagnostic}"
        if f.remote_mta:
            block["Remote-MTA"] = f"dns;{f.remote_mta.rsplit(':', 1)[0]}"
        blocks.append(block)
    status = MIMEPart(policy=SMTP)
    status["Content-Type"] = "message/delivery-status"
    status.set_payload(blocks)
    headers = MIMEPart(policy=SMTP)
    headers.set_content(original_headers(original), maintype="text", subtype="rfc822-headers", cte="7bit")

    for part in (text, status, headers):
        report.attach(part)  # type: ignore[arg-type]  # typeshed wants EmailMessage; MIMEPart works
    return report.as_bytes()


def _friendly(diagnostic: str) -> str:
    """Exchange's one-line explanation above the diagnostics."""
    if "5.1.1" in diagnostic:
        return (
            "The email address you entered couldn't be found. Please check the recipient's email address "
            "and try to resend the message."
        )
    if "4.4.7" in diagnostic or "Expired" in diagnostic:
        return "The message couldn't be delivered in time; the destination kept refusing or wasn't reachable."
    if "QUEUE.Admin" in diagnostic:
        return "The message was deleted by an administrator."
    return "The destination server rejected the message."


def spool_dsn(
    spool_dir: Path,
    tmp_dir: Path,
    envelope: dict[str, Any],
    data: bytes,
    *,
    counter: Iterator[int],
    fsync: bool = True,
) -> str:
    """Spool a DSN in the spool's format (exshell/transport/spool.py), durably, under an id the receiving
    engine can never produce: the engine's ids are 16 digits (millisecond clock x 1000 + counter) and `Spool`
    renames over an existing file, so a DSN written through a second Spool instance could collide with, and be
    overwritten by, an accepted message. DSN ids are 17 digits (millisecond clock x 10000 + counter), and the
    final name is taken with link(), which never replaces a file."""
    import json

    while True:
        msg_id = str(int(time.time() * 1000) * 10000 + next(counter) % 10000)
        record = {**envelope, "id": msg_id, "internal_id": int(msg_id)}
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
        tmp = tmp_dir / f"{msg_id}.dsn.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            for chunk in (line.encode("utf-8") + b"\n", data):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, spool_dir / f"{msg_id}.msg")
        except FileExistsError:
            continue
        finally:
            os.unlink(tmp)
        if fsync:
            fsync_directory(spool_dir)
        return msg_id
