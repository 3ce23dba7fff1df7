"""Paging for `Out-Host -Paging` and `more`: one screen at a time on a terminal (PowerShell's console
pager: Space = next page, Enter = next line, Q = quit), everything at once anywhere else."""

from __future__ import annotations

import os
import shutil
from typing import Any

PAGER_PROMPT = "<SPACE> next page; <CR> next line; Q quit"


def _write(lines: list[str], host: Any) -> None:
    if not lines:
        return
    if getattr(host, "is_terminal", False) and not os.environ.get("NO_COLOR"):
        from exshell.output.rich_render import render_terminal

        render_terminal(lines, host)
        return
    for line in lines:
        host.write_line(line)


def page_lines(lines: list[str], host: Any, height: int | None = None) -> None:
    """Write lines a page at a time when the host can read a key from a person; else all of them."""
    read_key = getattr(host, "read_key", None)
    if not getattr(host, "interactive", False) or read_key is None:
        _write(lines, host)
        return
    page = max(2, (height or shutil.get_terminal_size((80, 25)).lines) - 1)
    shown = min(page, len(lines))
    _write(lines[:shown], host)
    while shown < len(lines):
        try:
            key = read_key(PAGER_PROMPT)
        except (EOFError, KeyboardInterrupt):
            return
        if key.lower() == "q":
            return
        step = 1 if key in ("\r", "\n", "enter") else page
        _write(lines[shown : shown + step], host)
        shown += step
