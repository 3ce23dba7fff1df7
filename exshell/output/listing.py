"""List layout (output.md §3): `Label : value`, labels padded to the longest, long values wrapped."""

from __future__ import annotations

from collections.abc import Sequence

from exshell.output.cells import display_width, pad, take_width, wrap_text


def render_list(entries: Sequence[tuple[str, str | None]], total_width: int = 120) -> list[str]:
    """One object's lines. A None/empty value keeps `Label : ` with its trailing space (ListWriter)."""
    if not entries:
        return []
    label_width = max(display_width(label) for label, _ in entries)
    # Labels longer than (screen width − 4) are cut (ListWriter.Initialize).
    label_width = min(label_width, max(total_width - 4, 1))
    value_width = max(total_width - label_width - 3, 1)
    indent = " " * (label_width + 3)
    lines: list[str] = []
    for label, value in entries:
        head = pad(take_width(label, label_width), label_width, "left") + " : "
        if value is None or value == "":
            lines.append(head)
            continue
        parts = wrap_text(value, value_width)
        lines.append(head + parts[0])
        lines.extend(indent + p for p in parts[1:])
    return lines
