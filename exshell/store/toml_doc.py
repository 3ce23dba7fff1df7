"""config.toml: written with tomlkit (comments, stable order), read with tomllib (fast). tomlkit types never
leave this module: callers give and get plain dicts and text.

Layout: a header comment; per collection a comment block, then one `[collection.<guid>]` table per object
preceded by `# <Name> (<label>)`; record keys in the order the record gave them. Nested dicts are inline
tables and lists of dicts are multi-line arrays of inline tables, so every object stays one section.

Editing keeps the admin's comments: when a commit only changes properties of existing objects, the parsed
document is edited in place (tomlkit preserves everything else). Adding or removing objects re-renders the
file in the canonical layout, because tomlkit attaches the comment above a table to the table before it and
cannot move or drop it with the table (the history keeps every hand edit).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from exshell.store.base import collection_label

HEADER = """\
exshell configuration: the current version of the relay's configuration.

Written by exshell on every change (each change is also kept as a version under history/).
You may edit this file by hand: the edit is adopted as a new version, attributed to
"(manual edit of config.toml)", the next time exshell reads or writes the store. If the file
does not parse, exshell refuses the edit, names the line and column, and keeps serving the
last good version. Prefer the cmdlets (Set-ReceiveConnector, ...): they validate values.

Layout: one table per object, [<collection>.<GUID>], keys in the order exshell wrote them."""

COLLECTION_COMMENTS: dict[str, str] = {
    "receive_connectors": "Receive connectors: who may connect on which local address/port (Bindings,\n"
    "RemoteIPRanges), how they authenticate, and the permission groups they get.",
    "send_connectors": "Send connectors: where outbound mail for which address spaces goes.",
    "accepted_domains": "Accepted domains: the domains this relay accepts mail for (Authoritative,\n"
    "InternalRelay, ExternalRelay).",
    "servers": "Exchange servers known to this configuration (name, version, roles).",
    "settings": "Organization and transport-service settings (size and recipient limits, retry intervals,\n"
    "relay reply style): one record, 'transport'.",
    "mailboxes": "Mailboxes: local recipients that accepted mail is delivered to.",
}


def object_comment(collection: str, record: Mapping[str, Any], key: str) -> str:
    name = str(record.get("Name", "") or record.get("Identity", "") or key)
    return _one_line(f"{name} ({collection_label(collection)})")


def _one_line(text: str) -> str:
    """Comment text: a newline or control character in a name must not end the comment early."""
    return "".join(c if c.isprintable() else " " for c in text)


def _item(value: Any) -> Any:
    """A tomlkit item for one property value (inline tables inside a record)."""
    import tomlkit

    if isinstance(value, Mapping):
        t = tomlkit.inline_table()
        for k, v in value.items():
            t.append(k, _item(v))
        return t
    if isinstance(value, (list, tuple)):
        arr = tomlkit.array()
        for v in value:
            arr.append(_item(v))
        if any(isinstance(v, Mapping) for v in value):
            arr.multiline(True)  # one ACE / inline table per line reads (and diffs) better
        return arr
    return tomlkit.item(value)


# ------------------------------------------------------------------ the canonical layout
#
# Written directly rather than through tomlkit's document API: building a tomlkit document costs ~0.5 ms per
# object on a small machine (100 ms for 200 objects), and the canonical layout needs none of tomlkit's
# style-keeping. The output is plain TOML 1.0; tests check that tomllib reads back exactly the data and that
# tomlkit round-trips it unchanged. Edits of existing objects still go through tomlkit (ConfigDocument).

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group(0)
    return _ESCAPES.get(ch) or f"\\u{ord(ch):04x}"


def _string(text: str) -> str:
    """A TOML basic string (TOML 1.0, "String"): quote, backslash and control characters escaped."""
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, text) + '"'


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _float(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    text = repr(x)
    return text if any(c in text for c in ".eEn") else text + ".0"


def _value(value: Any, indent: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{" + ", ".join(f"{_key(k)} = {_value(v, indent)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, Mapping) for v in value):
            # one inline table (an ACE, say) per line reads and diffs better
            inner = indent + "    "
            return "[\n" + "".join(f"{inner}{_value(v, inner)},\n" for v in value) + indent + "]"
        return "[" + ", ".join(_value(v, indent) for v in value) + "]"
    raise TypeError(f"cannot write a {type(value).__name__} to TOML")


def render(data: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    """The canonical file for `data`."""
    out = [f"# {line}".rstrip() + "\n" for line in HEADER.splitlines()]
    rule = "# " + "-" * 100 + "\n"
    for coll, objs in data.items():
        if not objs:
            continue
        out.append("\n" + rule)
        text = COLLECTION_COMMENTS.get(coll, f"{collection_label(coll).capitalize()} objects.")
        out.extend(f"# {_one_line(line)}\n" for line in text.splitlines())
        out.append(rule)
        for key, rec in objs.items():
            out.append(f"\n# {object_comment(coll, rec, key)}\n[{_key(coll)}.{_key(key)}]\n")
            out.extend(f"{_key(k)} = {_value(v)}\n" for k, v in rec.items())
    return "".join(out)


class ConfigDocument:
    """Produces the next config.toml text from the previous one and a commit's change records, keeping the
    admin's comments when possible: changed properties are rewritten line by line (splice); a file splice
    can't edit goes through tomlkit, whose parsed document of the text it last produced is remembered (by
    content hash): parsing with tomlkit costs far more than the edit itself, and a process that commits
    several times in a row (a script) then parses once."""

    def __init__(self) -> None:
        self._hash: str | None = None
        self._doc: Any = None
        self._pending: Any = None

    def updated(
        self, text: str, text_hash: str, changes: list[dict[str, Any]], new_data: Mapping[str, Any]
    ) -> str:
        doc = self._doc if self._hash == text_hash else None
        self._hash = self._doc = self._pending = None  # edited in place: stale until committed()
        if any(ch["op"] != "Changed" for ch in changes):
            return render(new_data)
        spliced = splice(text, changes)
        if spliced is not None:
            return spliced
        import tomlkit  # the text isn't in a shape splice edits: tomlkit keeps what the admin wrote

        try:
            if doc is None:
                doc = tomlkit.parse(text)
            for ch in changes:
                table = doc[ch["collection"]][ch["key"]]
                before, after = ch["before"], ch["after"]
                for k in before:
                    if k not in after:
                        del table[k]
                for k, v in after.items():
                    if k not in before or before[k] != v:
                        table[k] = _item(v)
        except Exception:  # noqa: BLE001 - a hand-restructured file (dotted keys, inline objects): use the layout
            return render(new_data)
        self._pending = doc
        return tomlkit.dumps(doc)

    def committed(self, new_hash: str) -> None:
        """The text from the last `updated` is now config.toml, with this content hash."""
        self._hash, self._doc, self._pending = new_hash, self._pending, None


# ------------------------------------------------------------------ changed properties, edited as text
#
# A commit that changes properties of existing objects rewrites only the lines of those properties: parsing a
# large file with tomlkit costs seconds (a store of 1,000 connectors x 100 ranges: most of a
# Set-ReceiveConnector), while the lines of one table are found by a scan. Everything else in the file
# (comments, blank lines, order) stays as it is. Whenever the text is not in a shape this handles (a dotted
# or quoted key, a comment on a changed line, a table that isn't found) it returns None and tomlkit does the
# edit; the edited table is read back with tomllib and must equal the new record.

_TABLE = re.compile(r"\s*\[")


def splice(text: str, changes: list[dict[str, Any]]) -> str | None:
    """The file with the changed properties' lines replaced, or None (then the caller uses tomlkit)."""
    import tomllib

    lines = text.splitlines(keepends=True)
    headers = {line.strip(): i for i, line in enumerate(lines) if line.startswith("[")}
    edits: list[tuple[int, int, list[str]]] = []  # (first line, end line, replacement), one table each
    for ch in changes:
        start = headers.get(f"[{_key(ch['collection'])}.{_key(ch['key'])}]")
        if start is None:
            return None
        end = start + 1
        while end < len(lines) and not _TABLE.match(lines[end]):
            end += 1
        body = _edit_table(lines[start + 1 : end], ch["before"], ch["after"])
        if body is None:
            return None
        try:
            parsed = tomllib.loads(lines[start] + "".join(body))
        except tomllib.TOMLDecodeError:
            return None
        if parsed.get(ch["collection"], {}).get(ch["key"]) != _plain(ch["after"]):
            return None
        edits.append((start + 1, end, body))
    for first, end, body in sorted(edits, reverse=True):
        lines[first:end] = body
    return "".join(lines)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _edit_table(body: list[str], before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str] | None:
    out = list(body)
    spans: dict[str, tuple[int, int]] = {}  # key -> (first line, end line) of its key/value
    i = 0
    while i < len(out):
        m = _BARE_KEY.match(out[i])
        if m and out[i][m.end() :].lstrip().startswith("="):
            j = i + 1
            if out[i].rstrip().endswith("[") and not out[i].rstrip().endswith("= []"):
                while j < len(out) and out[j].strip() != "]":  # a multi-line array (one table per line)
                    j += 1
                j += 1
            if m.group(0) in spans:
                return None
            spans[m.group(0)] = (i, j)
            i = j
        else:
            i += 1
    replace: dict[int, tuple[int, list[str]]] = {}
    for k in before:
        if k in after and before[k] == after[k]:
            continue
        if k not in spans:
            return None  # written in a way this scan doesn't know (quoted, dotted): let tomlkit do it
        first, end = spans[k]
        if any("#" in line for line in out[first:end]):
            return None  # a comment on a changed line: tomlkit keeps it
        replace[first] = (end, [f"{_key(k)} = {_value(after[k])}\n"] if k in after else [])
    added = [f"{_key(k)} = {_value(v)}\n" for k, v in after.items() if k not in before]
    for first in sorted(replace, reverse=True):
        end, new = replace[first]
        out[first:end] = new
    if added:
        last = max((i for i, line in enumerate(out) if line.strip() and not line.lstrip().startswith("#")),
                   default=-1)
        out[last + 1 : last + 1] = added
    return out


def update(text: str, changes: list[dict[str, Any]], new_data: Mapping[str, Any]) -> str:
    """The file after `changes` (store change records), keeping hand-written comments when possible."""
    return ConfigDocument().updated(text, "", changes, new_data)


_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse(text: str) -> dict[str, Any]:
    """Fast read with tomllib. Raises ValueError(reason, line, col) when the text is not TOML."""
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = _POS.search(msg)
        line, col = (int(m.group(1)), int(m.group(2))) if m else (None, None)
        reason = _POS.sub("", msg).strip() or "invalid TOML"
        raise ValueError(reason, line, col) from None


def locate(text: str, collection: str, key: str | None, prop: str | None) -> int | None:
    """The line (1-based) of `prop` in the `[collection.key]` table of a config.toml text (of the table when
    prop is None or not found), for messages about a hand edit; None when the table isn't found."""
    header = re.compile(
        r"^\s*\[\s*\"?" + re.escape(collection) + r"\"?\s*\.\s*\"?" + re.escape(key or "") + r"\"?\s*\]"
    )
    prop_line = re.compile(r"^\s*\"?" + re.escape(prop or "") + r"\"?\s*=") if prop else None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if header.match(line):
            for j in range(i + 1, len(lines)):
                if lines[j].lstrip().startswith("["):
                    break
                if prop_line is not None and prop_line.match(lines[j]):
                    return j + 1
            return i + 1
    return None
