"""Colour for a real terminal (PS7's $PSStyle.Formatting): table headers and list labels in the accent colour.

Only the terminal path imports rich; plain hosts never see an escape code.
"""

from __future__ import annotations

import re
from typing import Any

_HEADER_STYLE = "bold green"  # $PSStyle.Formatting.TableHeader / FormatAccent (ESC[32;1m)
_LIST_LABEL = re.compile(r"^(\S[^:]*?\s*) : ")


def styled_lines(lines: list[str]) -> list[Any]:
    """rich Text per line: a line followed by a dashes line is a table header; `Label : value` gets its label
    coloured."""
    from rich.text import Text

    out: list[Any] = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        is_dashes = bool(line.strip()) and set(line.replace(" ", "")) == {"-"}
        next_dashes = bool(nxt.strip()) and set(nxt.replace(" ", "")) == {"-"}
        if is_dashes or next_dashes:
            out.append(Text(line, style=_HEADER_STYLE))
            continue
        m = _LIST_LABEL.match(line)
        if m:
            t = Text(line)
            t.stylize(_HEADER_STYLE, 0, len(m.group(1)) + 2)
            out.append(t)
            continue
        out.append(Text(line))
    return out


def render_terminal(lines: list[str], host: Any) -> None:
    """Write `lines` with ANSI colour to the host."""
    from io import StringIO

    from rich.console import Console

    buf = StringIO()
    console = Console(file=buf, width=max(host.width, 20), force_terminal=True, color_system="standard",
                      soft_wrap=True, highlight=False, emoji=False, markup=False)
    for text in styled_lines(lines):
        console.print(text)
    host.write(buf.getvalue())
