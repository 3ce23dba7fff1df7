"""ConvertTo-Json / ConvertFrom-Json in PowerShell 7's layout (Json.NET: 2-space indent, `"key": value`)
(output.md §5.10)."""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import json
from typing import Any

from exshell.output.objects import is_dictionary, is_psobject, new_object
from exshell.runtime.values import PSHashtable, ScriptBlockValue, enumerate_value, to_string


class JsonWriter:
    def __init__(self, depth: int = 2, compress: bool = False, enums_as_strings: bool = False) -> None:
        self.depth = depth
        self.compress = compress
        self.enums_as_strings = enums_as_strings
        self.truncated = False

    # --- value → a tree of (dict | list | scalar) with depth cut-off
    def tree(self, value: Any, level: int = 0) -> Any:
        if value is None or isinstance(value, (str, bool, int, float, decimal.Decimal)):
            return value
        if isinstance(value, enum.Enum):
            if self.enums_as_strings:
                return to_string(value)
            return value.value if isinstance(value.value, (int, float)) else to_string(value)
        if isinstance(value, _dt.datetime):
            return _Raw(json.dumps(_iso(value)))
        if isinstance(value, ScriptBlockValue):
            return str(value)
        items = enumerate_value(value)
        container = items is not None or is_dictionary(value) or is_psobject(value)
        if not container:
            return to_string(value)  # model objects: their display text
        if level > self.depth:
            # Beyond -Depth the value is replaced by its ToString (PS 7.1+ warns once).
            self.truncated = True
            return to_string(value)
        if items is not None:
            return [self.tree(v, level + 1) for v in items]
        if is_dictionary(value):
            return {to_string(k): self.tree(value[k], level + 1) for k in value.keys()}
        return {n: self.tree(v, level + 1) for n, v in value.items()}

    def dumps(self, value: Any) -> str:
        return self._emit(self.tree(value), 0)

    def _emit(self, node: Any, indent: int) -> str:
        if isinstance(node, _Raw):
            return node.text
        if node is None:
            return "null"
        if isinstance(node, bool):
            return "true" if node else "false"
        if isinstance(node, int):
            return str(node)
        if isinstance(node, float):
            if node != node or node in (float("inf"), float("-inf")):
                return json.dumps(str(node).replace("inf", "Infinity").replace("nan", "NaN"))
            return repr(node)  # Json.NET writes doubles round-trip, keeping `.0`
        if isinstance(node, decimal.Decimal):
            return format(node, "f")
        if isinstance(node, str):
            return json.dumps(node, ensure_ascii=False)
        pad = "" if self.compress else "  " * (indent + 1)
        end_pad = "" if self.compress else "  " * indent
        nl = "" if self.compress else "\n"
        if isinstance(node, list):
            if not node:
                return "[]"
            parts = [pad + self._emit(v, indent + 1) for v in node]
            return "[" + nl + ("," + nl).join(parts) + nl + end_pad + "]"
        if not node:
            return "{}"
        sep = ":" if self.compress else ": "
        parts = [pad + json.dumps(k, ensure_ascii=False) + sep + self._emit(v, indent + 1) for k, v in node.items()]
        return "{" + nl + ("," + nl).join(parts) + nl + end_pad + "}"


class _Raw:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _iso(d: _dt.datetime) -> str:
    """Json.NET's round-trip date: `2021-08-05T16:13:05.6394416-07:00` (fraction trimmed of zeros)."""
    if d.tzinfo is None:
        d = d.astimezone()  # DateTimeKind.Local: Json.NET writes the local offset
    base = d.strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{d.microsecond:06d}0".rstrip("0")
    off = d.utcoffset() or _dt.timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"{base}{'.' + frac if frac else ''}{sign}{h:02d}:{m:02d}"


def parse_json(text: str, as_hashtable: bool = False) -> Any:
    """JSON text → PSObjects (properties in document order) or ordered hashtables; arrays → lists.
    Raises ValueError with the parser's reason."""
    def hook(pairs: list[tuple[str, Any]]) -> Any:
        if as_hashtable:
            return PSHashtable(pairs, ordered=True)
        return new_object(pairs)

    return json.loads(text, object_pairs_hook=hook, parse_float=float)
