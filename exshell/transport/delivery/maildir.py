"""Local delivery: standard Maildir under `<state>/mailboxes/<alias>/`, readable by any mail client.

The folder is created with the stdlib `mailbox.Maildir` (cur/new/tmp); the message itself is written the
way qmail's spec says — a unique name in `tmp/`, fsync, rename into `new/`, fsync `new/` — because the
stdlib's `Maildir.add` doesn't fsync, and delivery reports success only once the file is durable.
A `Return-Path:` and `Delivered-To:` header are prepended, as a delivery agent does (RFC 5321 §4.4).
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import time
from pathlib import Path
from typing import Any

from exshell.transport.durable import fsync_directory, write_new_file

_counter = itertools.count()
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def mailbox_folder(state_dir: str | os.PathLike[str], mailbox: Any) -> Path:
    """`<state>/mailboxes/<alias>`; the GUID when the alias has nothing usable in a file name."""
    alias = _SAFE.sub("", str(getattr(mailbox, "alias", "") or ""))
    name = alias if alias.strip(".") else str(mailbox.guid)
    return Path(state_dir) / "mailboxes" / name


def ensure_maildir(folder: Path) -> None:
    import mailbox

    if not (folder / "new").is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(os.fspath(folder), create=True)


def deliver(folder: Path, data: bytes, *, sender: str, recipient: str, fsync: bool = True) -> Path:
    """Write one message durably into the Maildir's new/; return its path. Raises OSError on a disk error."""
    ensure_maildir(folder)
    head = f"Return-Path: <{sender}>\r\nDelivered-To: {recipient}\r\n".encode()
    unique = f"{time.time():.6f}.P{os.getpid()}Q{next(_counter)}.{socket.gethostname().replace('/', '_')}"
    tmp = folder / "tmp" / unique
    write_new_file(tmp, (head, data), fsync=fsync)
    final = folder / "new" / unique
    os.rename(tmp, final)
    if fsync:
        fsync_directory(folder / "new")
    return final
