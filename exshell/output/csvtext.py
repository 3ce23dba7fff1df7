"""CSV text as PowerShell reads and writes it (CsvCommands.cs; output.md §5.8, §5.9).

Reading: `parse_records` splits text into records by PowerShell's rules; `records_to_objects` applies the
header rules. Writing: `csv_lines` turns objects into the header line and one line per object.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from exshell.errors import ExshellError
from exshell.output.cells import datetime_cell
from exshell.output.objects import get_or_none, new_object, property_names_of, type_names_of
from exshell.runtime.values import is_enumerable, to_string, type_name


class CsvError(ExshellError):
    def __init__(self, message: str, error_id: str) -> None:
        super().__init__(message)
        self.message = message
        self.error_id = error_id


MISSING_HEADER_WARNING = (
    'One or more headers were not specified. Default names starting with "H" have been used in place of any '
    "missing headers."
)


def parse_records(text: str, delimiter: str = ",") -> list[list[str]]:
    """Records of fields. Leading blanks before a value are ignored, trailing blanks after an unquoted value or
    a closing quote trimmed; quoted values may hold delimiters, newlines and `""`; a quote inside an unquoted
    value is literal; completely blank lines are skipped."""
    records: list[list[str]] = []
    i, n = 0, len(text)
    while i < n:
        fields: list[str] = []
        start = i
        # One record.
        while True:
            while i < n and text[i] in " \t":
                i += 1
            value: list[str] = []
            if i < n and text[i] == '"':
                i += 1
                while i < n:
                    c = text[i]
                    if c == '"':
                        if i + 1 < n and text[i + 1] == '"':
                            value.append('"')
                            i += 2
                            continue
                        i += 1
                        break
                    value.append(c)
                    i += 1
                # Text after the closing quote up to the delimiter is kept (trailing blanks trimmed).
                tail: list[str] = []
                while i < n and text[i] != delimiter and text[i] not in "\r\n":
                    tail.append(text[i])
                    i += 1
                field = "".join(value) + "".join(tail).rstrip(" \t")
            else:
                while i < n and text[i] != delimiter and text[i] not in "\r\n":
                    value.append(text[i])
                    i += 1
                field = "".join(value).rstrip(" \t")
            fields.append(field)
            if i < n and text[i] == delimiter:
                i += 1
                continue
            break
        # End of record: consume the newline.
        if i < n and text[i] == "\r":
            i += 1
        if i < n and text[i] == "\n":
            i += 1
        if fields == [""] and not text[start:i].strip():
            continue  # a completely blank line (a lone `""` is a record with one empty value)
        records.append(fields)
    return records


def split_preamble(text: str) -> tuple[str | None, list[str] | None, str]:
    """Lines starting with `#` before the header: `#TYPE Name` (first line) and `#Fields: a b` (W3C logs).
    Returns (type name, fields header, remaining text)."""
    type_name: str | None = None
    fields: list[str] | None = None
    pos = 0
    first = True
    while pos < len(text):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        stripped = line.rstrip("\r")
        if stripped.strip() == "" or stripped.startswith("#"):
            if first and stripped.startswith("#TYPE "):
                type_name = stripped[6:].strip() or None
            elif stripped.startswith("#Fields: "):
                fields = stripped[len("#Fields: ") :].split()
            if stripped.strip():
                first = False
            pos = len(text) if end < 0 else end + 1
            continue
        break
    return type_name, fields, text[pos:]


def header_names(raw: list[str]) -> tuple[list[str], bool]:
    """Empty names become H1, H2, …; a duplicate (case-insensitive) is a terminating error."""
    names: list[str] = []
    missing = 0
    seen: set[str] = set()
    for name in raw:
        if name == "":
            missing += 1
            name = f"H{missing}"
        if name.lower() in seen:
            raise CsvError(f'The member "{name}" is already present.', "AlreadyPresentPSMemberInfoInternalCollectionAdd")
        seen.add(name.lower())
        names.append(name)
    return names, missing > 0


def records_to_objects(
    text: str, delimiter: str = ",", header: list[str] | None = None
) -> tuple[list[Any], bool]:
    """PSCustomObjects (string NoteProperties in header order) and whether the missing-header warning applies."""
    type_name, fields, body = split_preamble(text)
    records = parse_records(body, delimiter)
    if header is None:
        if fields is not None:
            raw_header = fields
        elif records:
            raw_header = records.pop(0)
        else:
            return [], False
    else:
        raw_header = list(header)
    names, warned = header_names(raw_header)
    type_names = ["System.Management.Automation.PSCustomObject", "System.Object"]
    if type_name:
        type_names = [f"CSV:{type_name}", type_name] + type_names
    objects = []
    for rec in records:
        pairs = [(name, rec[i] if i < len(rec) else None) for i, name in enumerate(names)]
        objects.append(new_object(pairs, type_names))
    return objects, warned


# --------------------------------------------------------------------------- writing


def csv_value(value: Any) -> str | None:
    """ToString of a property value for CSV (None stays None: written empty and unquoted)."""
    if value is None:
        return None

    if isinstance(value, _dt.datetime):
        return datetime_cell(value)
    if is_enumerable(value):
        return type_name(value) if isinstance(value, (list, tuple)) else "System.Object[]"
    return to_string(value)


def _quote(text: str, mode: str, delimiter: str, force: bool) -> str:
    if mode == "never":
        return text
    if mode == "always" or force:
        return '"' + text.replace('"', '""') + '"'
    # AsNeeded: only values containing the delimiter, a quote or a newline.
    if delimiter in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def columns_of(first: Any) -> list[str]:
    return property_names_of(first)


def csv_line(values: list[str | None], names: list[str], delimiter: str, mode: str, quote_fields: set[str]) -> str:
    out = []
    for name, v in zip(names, values):
        if v is None:
            out.append("")
            continue
        m = "asneeded" if quote_fields else mode
        out.append(_quote(v, m, delimiter, name.lower() in quote_fields))
    return delimiter.join(out)


def csv_lines(
    objects: list[Any],
    delimiter: str = ",",
    quotes: str = "always",
    quote_fields: list[str] | None = None,
    include_type: bool = False,
    no_header: bool = False,
    columns: list[str] | None = None,
) -> list[str]:
    """Header and rows for `objects` (columns = the first object's properties, unless given)."""
    if not objects:
        return []
    first = objects[0]
    names = columns if columns is not None else columns_of(first)
    qf = {q.lower() for q in (quote_fields or [])}
    mode = quotes.lower()
    lines: list[str] = []
    if include_type:
        tn = type_names_of(first)
        t = tn[0] if tn else "System.Object"
        lines.append("#TYPE " + (t[4:] if t.startswith("CSV:") else t))
    if not no_header:
        lines.append(csv_line(list(names), names, delimiter, mode, qf))
    for obj in objects:
        lines.append(csv_line([csv_value(get_or_none(obj, n)) for n in names], names, delimiter, mode, qf))
    return lines
