"""Table layout (output.md §2): widths, fitting to the screen, truncation, wrapping, header and dashes.

Pure text in, lines out; the caller resolves cell values to text first (cells.cell_text).
"""

from __future__ import annotations

from exshell.output.cells import display_width, first_line, pad, take_width, truncate, wrap_text


class TableColumn:
    # A plain slotted class, not a dataclass: generating one costs about a millisecond of every start-up.
    __slots__ = ("label", "align", "width")

    def __init__(self, label: str, align: str = "left", width: int | None = None) -> None:
        self.label = label
        self.align = align  # 'left' | 'right' | 'center'
        self.width = width  # declared width; None = max(header, longest cell)


class OutOfBand:
    """Lines written between table rows (out-of-band objects, output.md §1 step 5)."""

    __slots__ = ("lines",)

    def __init__(self, lines: tuple[str, ...]) -> None:
        self.lines = lines


Row = tuple[str, ...] | OutOfBand


def column_widths(columns: list[TableColumn], rows: list[Row], wrap: bool) -> list[int]:
    widths: list[int] = []
    for i, col in enumerate(columns):
        if col.width is not None:
            widths.append(max(col.width, 1))
            continue
        w = display_width(col.label)
        for row in rows:
            if isinstance(row, OutOfBand):
                continue
            text = row[i] if i < len(row) else ""
            if wrap:
                longest = max((display_width(t) for t in text.splitlines() or [""]), default=0)
            else:
                longest = display_width(first_line(text))
            w = max(w, longest)
        widths.append(max(w, 1))
    return widths


def fit_widths(widths: list[int], total: int) -> list[int]:
    """Shrink the last visible column to fit `total`; drop it when it would be < 1 char and retry with the
    one before (columns disappear from the right; ColumnWidthManager). Returns widths of visible columns."""
    visible = list(widths)
    while visible:
        used = sum(visible) + len(visible) - 1
        if used <= total:
            break
        excess = used - total
        if visible[-1] - excess >= 1:
            visible[-1] -= excess
            break
        visible.pop()
    return visible


def _header_lines(columns: list[TableColumn], widths: list[int]) -> list[str]:
    # A label longer than its column wraps onto further header lines (TableWriter.GenerateHeader).
    chunks = []
    for col, w in zip(columns, widths):
        label = col.label
        parts = []
        rest = label
        while rest:
            piece = take_width(rest, w) or rest[:1]
            parts.append(piece)
            rest = rest[len(piece) :]
        parts = parts or [""]
        chunks.append(parts)
    height = max(len(c) for c in chunks)
    lines = []
    for n in range(height):
        cells = [c[n] if n < len(c) else "" for c in chunks]
        lines.append(_join(cells, columns, widths))
    dashes = ["-" * min(w, display_width(col.label)) for col, w in zip(columns, widths)]
    lines.append(_join(dashes, columns, widths))
    return lines


def _join(cells: list[str], columns: list[TableColumn], widths: list[int]) -> str:
    out = [pad(text, w, col.align) for text, col, w in zip(cells, columns, widths)]
    # No trailing spaces on any line: the last column is not padded on the right.
    return " ".join(out).rstrip()


def _row_lines(row: tuple[str, ...], columns: list[TableColumn], widths: list[int], wrap: bool) -> list[str]:
    if not wrap:
        cells = [
            truncate(first_line(row[i] if i < len(row) else ""), w, col.align)
            for i, (col, w) in enumerate(zip(columns, widths))
        ]
        return [_join(cells, columns, widths)]
    wrapped = [wrap_text(row[i] if i < len(row) else "", w) for i, w in enumerate(widths)]
    wrapped = [[truncate(t, w) for t in parts] for parts, w in zip(wrapped, widths)]
    height = max(len(p) for p in wrapped)
    return [
        _join([p[n] if n < len(p) else "" for p in wrapped], columns, widths) for n in range(height)
    ]


def render_table(
    columns: list[TableColumn],
    rows: list[Row],
    total_width: int = 120,
    wrap: bool = False,
    hide_headers: bool = False,
) -> list[str]:
    """Header, dashes and rows (no surrounding blank lines)."""
    widths = fit_widths(column_widths(columns, rows, wrap), total_width)
    if not widths:  # screen narrower than one column: keep the first column, cut to the screen
        widths = [max(total_width, 1)]
    visible = columns[: len(widths)]
    lines: list[str] = [] if hide_headers else _header_lines(visible, widths)
    for row in rows:
        if isinstance(row, OutOfBand):
            lines.extend(row.lines)
        else:
            lines.extend(_row_lines(row, visible, widths, wrap))
    return lines
