"""Progress records (Write-Progress, long cmdlets) and how a terminal shows them.

A progress record goes to the host. On a terminal it is drawn with rich as one line per activity (a bar, the
percentage, the status), redrawn in place and erased when the activity completes; anywhere else (a pipe, a
file, a test's StringIO) it is not shown at all, as PowerShell shows progress only in an interactive console.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, TextIO


@dataclass(frozen=True, slots=True)
class ProgressRecord:
    activity: str
    status: str = "Processing"
    activity_id: int = 0
    parent_id: int = -1
    percent_complete: int = -1  # -1: unknown (no bar)
    seconds_remaining: int = -1
    current_operation: str = ""
    completed: bool = False


class TerminalProgress:
    """The activities in progress, drawn below the output on a terminal stream."""

    def __init__(self, stream: TextIO, width: int = 80) -> None:
        self.stream = stream
        self.width = width
        self.active: dict[int, ProgressRecord] = {}
        self._drawn = 0  # lines drawn last time, erased before the next draw

    def update(self, record: ProgressRecord) -> None:
        if record.completed:
            self.active.pop(record.activity_id, None)
            for child in [k for k, r in self.active.items() if r.parent_id == record.activity_id]:
                self.active.pop(child)
        else:
            self.active[record.activity_id] = record
        self._draw()

    def _ordered(self) -> list[tuple[int, ProgressRecord]]:
        out: list[tuple[int, ProgressRecord]] = []

        def walk(parent: int, depth: int) -> None:
            for r in self.active.values():
                if r.parent_id == parent and all(r is not o for _, o in out):
                    out.append((depth, r))
                    walk(r.activity_id, depth + 1)

        walk(-1, 0)
        out += [(0, r) for r in self.active.values() if all(r is not o for _, o in out)]  # orphans
        return out

    def _draw(self) -> None:
        from rich.console import Console
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        erase = f"\x1b[{self._drawn}F\x1b[J" if self._drawn else ""
        self.stream.write(erase)
        rows = self._ordered()
        if rows:
            console = Console(file=self.stream, width=self.width, highlight=False, soft_wrap=False)
            grid = Table.grid(padding=(0, 1))
            grid.add_column(no_wrap=True, overflow="ellipsis", ratio=2)
            grid.add_column(width=24)
            grid.add_column(width=5, justify="right")
            for depth, r in rows:
                text = "  " * depth + f"{r.activity}: {r.status}"
                if r.current_operation:
                    text += f" ({r.current_operation})"
                if r.seconds_remaining >= 0:
                    text += f", {r.seconds_remaining} s left"
                known = 0 <= r.percent_complete <= 100
                bar: Any = ProgressBar(total=100, completed=r.percent_complete if known else 0, width=24,
                                       pulse=not known, animation_time=time.monotonic())
                grid.add_row(text, bar, f"{r.percent_complete}%" if known else "")
            console.print(grid)
        self.stream.flush()
        self._drawn = len(rows)
