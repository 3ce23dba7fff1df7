"""Progress records (Write-Progress, long cmdlets) and how a terminal shows them.

A progress record goes to the host. On a terminal it is drawn with rich as one line per activity (a bar, the
percentage, the status), redrawn in place and erased when the activity completes; anywhere else (a pipe, a
file, a test's StringIO) it is not shown at all, as PowerShell shows progress only in an interactive console.
Updates are drawn at most every REDRAW_SECONDS (a script calling Write-Progress for every one of 10,000 rows
must not spend its time drawing: PowerShell 7 throttles its progress rendering for the same reason); a new
activity and a completion are drawn at once. The host erases the lines before it writes anything else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO

from exshell.runtime.progress import ProgressRecord

REDRAW_SECONDS = 0.2


class TerminalProgress:
    """The activities in progress, drawn below the output on a terminal stream."""

    def __init__(self, stream: TextIO, width: int = 80, before_draw: Callable[[], None] | None = None) -> None:
        self.stream = stream
        self.width = width
        self.before_draw = before_draw  # flushes the output stream, so a bar never overtakes buffered output
        self.active: dict[int, ProgressRecord] = {}
        self._drawn = 0  # lines drawn last time, erased before the next draw
        self._last_draw = 0.0

    @property
    def drawn(self) -> bool:
        return self._drawn > 0

    def update(self, record: ProgressRecord) -> None:
        now = time.monotonic()
        if record.completed:
            self.active.pop(record.activity_id, None)
            for child in [k for k, r in self.active.items() if r.parent_id == record.activity_id]:
                self.active.pop(child)
        else:
            new = record.activity_id not in self.active
            self.active[record.activity_id] = record
            if not new and now - self._last_draw < REDRAW_SECONDS:
                return  # shown with the next update that comes after the interval
        self._last_draw = now
        self._draw()

    def clear(self) -> None:
        """Erase the lines drawn (the activities stay; the next update draws them again)."""
        if self._drawn:
            self.stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self.stream.flush()
            self._drawn = 0

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

        if self.before_draw is not None:
            self.before_draw()
        erase = f"\x1b[{self._drawn}F\x1b[J" if self._drawn else ""
        self.stream.write(erase)
        rows = self._ordered()
        if rows:
            console = Console(file=self.stream, width=self.width, highlight=False, soft_wrap=False)
            grid = Table.grid(padding=(0, 1))
            # Fixed widths: the bar and the percentage never give way to a long status (it is cut with …).
            grid.add_column(no_wrap=True, overflow="ellipsis", width=max(10, self.width - 24 - 5 - 3))
            grid.add_column(width=24, no_wrap=True)
            grid.add_column(width=5, justify="right", no_wrap=True)
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

