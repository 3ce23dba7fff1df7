"""Circular logging (semantics.md §e, PL; tls-auth.md §4.2): the protocol and message-tracking log folders are
kept within their maximum age and maximum directory size, oldest files deleted first, as Exchange does.

The engine prunes at start, after each configuration change and every PRUNE_SECONDS. The newest file of a
folder is never deleted (it is the one being written), so a folder can exceed its size limit by at most one
file (10 MB at most for the protocol log, one day of tracking).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

log = logging.getLogger("exshell.transport")

PRUNE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Retention:
    directory: str
    prefix: str  # file name prefix: RECV, SEND, MSGTRK
    max_age: float | None  # seconds; None or 0: no age limit
    max_bytes: int | None  # None: unlimited


def prune(rule: Retention, now: float | None = None) -> list[str]:
    """Delete what the rule no longer allows; return the names deleted."""
    now = time.time() if now is None else now
    try:
        names = [n for n in os.listdir(rule.directory) if n.startswith(rule.prefix)]
    except FileNotFoundError:
        return []
    files = []
    for name in names:
        try:
            st = os.stat(os.path.join(rule.directory, name))
        except OSError:
            continue
        files.append((st.st_mtime, name, st.st_size))
    files.sort()  # oldest first
    if not files:
        return []
    newest = files.pop()
    removed = []
    if rule.max_age:
        while files and now - files[0][0] > rule.max_age:
            removed.append(files.pop(0)[1])
    if rule.max_bytes is not None:
        total = sum(f[2] for f in files) + newest[2]
        while files and total > rule.max_bytes:
            _, name, size = files.pop(0)
            removed.append(name)
            total -= size
    for name in removed:
        try:
            os.unlink(os.path.join(rule.directory, name))
        except OSError:
            pass
    if removed:
        log.info("log retention: removed %d file(s) from %s (%s)", len(removed), rule.directory,
                 ", ".join(removed[:5]) + (" ..." if len(removed) > 5 else ""))
    return removed
