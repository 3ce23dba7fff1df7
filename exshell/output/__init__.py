"""Output formatting: default views, table/list/wide layout, value → cell text, plain and rich renderers.

`out_default(objects, host)` is what the runtime calls for pipeline output nobody captured.
"""

from __future__ import annotations

import os
from typing import Any


def out_default(objects: list[Any], host: Any, enumeration_limit: Any = None) -> None:
    """Format `objects` (output.md §1) and write the lines to `host`: coloured when `host.is_terminal`,
    plain text with no ANSI codes otherwise. `enumeration_limit` is the session's $FormatEnumerationLimit."""
    from exshell.output.render import format_objects  # render's modules import this package: a cycle

    lines = format_objects(list(objects), getattr(host, "width", 120) or 120, enumeration_limit)
    if not lines:
        return
    if getattr(host, "is_terminal", False) and not os.environ.get("NO_COLOR"):
        from exshell.output.rich_render import render_terminal  # rich: only when drawing on a terminal

        render_terminal(lines, host)
        return
    for line in lines:
        host.write_line(line)


def format_objects(objects: list[Any], width: int = 120, enumeration_limit: Any = None) -> list[str]:
    from exshell.output.render import format_objects as _format

    return _format(objects, width, enumeration_limit)


__all__ = ["out_default", "format_objects"]
