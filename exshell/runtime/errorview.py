"""How error records, warnings and verbose lines are printed: PowerShell 5's NormalView (binding.md §12.2).

    Set-Thing : A parameter cannot be found that matches parameter name 'Foo'.
    At line:1 char:11
    + Set-Thing -Foo 1
    +           ~~~~
        + CategoryInfo          : InvalidArgument: (:) [Set-Thing], ParameterBindingException
        + FullyQualifiedErrorId : NamedParameterNotFound,Set-Thing
    (a line with one space)
"""

from __future__ import annotations

from exshell.errors import ErrorRecord
from exshell.lang.position import Span

# Position.cs cuts source lines longer than this around the error extent.
_MAX_LINE = 69


def position_message(span: Span) -> list[str]:
    """`At line:L char:C`, `+ source line`, `+ ~~~~` (Position.cs, PS5 ellipsis `...`)."""
    line, col = span.line, span.col
    where = f"At {span.source.name}:{line} char:{col}" if span.source.name else f"At line:{line} char:{col}"
    text = span.source.line_text(line).replace("\t", " ")
    start = col - 1
    # The extent may run over several lines: underline only the part on the first line.
    end_offset = min(span.end, span.start + max(0, len(text) - start))
    length = max(1, end_offset - span.start)
    if len(text) > _MAX_LINE:
        text, start = _cut_line(text, start, length)
        length = min(length, max(1, len(text) - start))
    return [where, "+ " + text, "+ " + " " * start + "~" * length]


def _cut_line(text: str, start: int, length: int) -> tuple[str, int]:
    """Keep about _MAX_LINE characters around the error extent, marking cuts with `... ` / ` ...`."""
    left = max(0, start - 10)
    right = min(len(text), left + _MAX_LINE)
    if right - left < _MAX_LINE:
        left = max(0, right - _MAX_LINE)
    piece = text[left:right]
    new_start = start - left
    if left > 0:
        piece = "... " + piece
        new_start += 4
    if right < len(text):
        piece = piece + " ..."
    return piece, new_start


def format_error(record: ErrorRecord) -> str:
    """The NormalView text of an error record (lines joined with newlines, ending with the ' ' line)."""
    lines: list[str] = []
    is_parse = record.category == "ParserError"
    if is_parse:
        if record.span is not None:
            lines.extend(position_message(record.span))
        lines.extend(record.message.split("\n"))
    else:
        msg_lines = record.message.split("\n")
        if record.command:
            msg_lines[0] = f"{record.command} : {msg_lines[0]}"
        lines.extend(msg_lines)
        if record.span is not None:
            lines.extend(position_message(record.span))
    lines.append(f"    + CategoryInfo          : {category_info(record)}")
    lines.append(f"    + FullyQualifiedErrorId : {record.error_id}")
    lines.append(" ")
    return "\n".join(lines)


def category_info(record: ErrorRecord) -> str:
    """`{Category}: ({TargetName}:{TargetType}) [{Activity}], {ExceptionType}`."""
    return record.category_info


def format_warning(text: str) -> str:
    return f"WARNING: {text}"


def format_verbose(text: str) -> str:
    return f"VERBOSE: {text}"


def format_debug(text: str) -> str:
    return f"DEBUG: {text}"
