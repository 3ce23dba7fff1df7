"""Out-Default's formatting: objects → lines (output.md §1–§4). Pure; renderers write the lines.

A *formatting run* is a maximal stretch of objects shown in one shape. The first object picks the shape
(registered view, else ≤ 4 properties → table, ≥ 5 → list); later objects reuse the first object's columns;
objects that do not fit a view run are written out of band; scalars are written as they come.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Iterable

from exshell.errors import ExshellError
from exshell.output.cells import (
    cell_text,
    default_alignment,
    display_width,
    is_scalar,
    pad,
    scalar_text,
    truncate,
)
from exshell.output.cells import (
    enumeration_limit as _limit,
)
from exshell.output.listing import render_list
from exshell.output.objects import (
    get_or_none,
    is_dictionary,
    is_psobject,
    new_object,
    property_names_of,
    type_names_of,
)
from exshell.output.table import OutOfBand, TableColumn, render_table
from exshell.output.views import DICTIONARY_ENTRY, Column, ListView, TableView, list_view_for, view_for
from exshell.runtime.values import enumerate_value

if TYPE_CHECKING:
    from exshell.output.properties import PropertySpec

PROPERTY_COUNT_FOR_TABLE = 4  # displayDescriptionData.cs


class FormatRecord:
    """What Format-Table/-List/-Wide emit: formatted output that Out-Default/Out-String/Out-File render.

    Piped into other cmdlets it is just this object (PowerShell's FormatStartData & co.), not the data."""

    type_names = ("Microsoft.PowerShell.Commands.Internal.Format.FormatStartData", "System.Object")
    __ps_type_name__ = "Microsoft.PowerShell.Commands.Internal.Format.FormatStartData"

    def __init__(self, build: Callable[[int], list[str]], kind: str = "table") -> None:
        self._build = build
        self.kind = kind

    def lines(self, width: int = 120) -> list[str]:
        return self._build(width)

    def __str__(self) -> str:
        return self.__ps_type_name__


# --------------------------------------------------------------------------- helpers


def unroll(objects: Iterable[Any]) -> list[Any]:
    """Out-Default enumerates collections (one level); a hashtable shows as its entries."""
    out: list[Any] = []
    for obj in objects:
        items = enumerate_value(obj)
        if items is None:
            out.append(obj)
        else:
            out.extend(items)
    return out


def dictionary_entries(table: Any) -> list[Any]:
    """A hashtable displayed directly: one DictionaryEntry (Name, Value) per key, in enumeration order."""
    return [new_object([("Name", k), ("Key", k), ("Value", table[k])], [DICTIONARY_ENTRY, "System.ValueType"]) for k in table.keys()]


def _expand_dictionaries(objects: list[Any]) -> list[Any]:
    out: list[Any] = []
    for obj in objects:
        if is_dictionary(obj):
            out.extend(dictionary_entries(obj))
        else:
            out.append(obj)
    return out


# Value types shown by their text on their own line although they have properties: an Identity printed alone
# (`Get-ReceiveConnector | % Identity`) reads as the text the cmdlets take back (docs/values.md).
TEXT_TYPES = frozenset(["Microsoft.Exchange.Data.Directory.ADObjectId"])


def _is_shapeless(obj: Any) -> bool:
    """Scalars, and objects with no displayable properties, print their ToString on one line."""
    if obj is None or is_scalar(obj):
        return True
    if is_psobject(obj):
        return not property_names_of(obj)
    import datetime as _dt

    if isinstance(obj, (_dt.datetime, _dt.timedelta)):
        return True
    names = type_names_of(obj)
    if names and names[0] in TEXT_TYPES:
        return True
    return not property_names_of(obj)


def _forced_scalar(obj: Any) -> bool:
    """Format-Table/-List force the shape onto anything with properties (`'abc' | ft` shows Length); only
    values with no properties at all (numbers, booleans) still print as text."""
    return obj is None or not property_names_of(obj)


def _scalar_lines(obj: Any) -> list[str]:
    text = scalar_text(obj)
    return text.replace("\r\n", "\n").split("\n")


class _Col:
    # Internal to a formatting run; plain slotted classes here and below, not dataclasses: generating a
    # dataclass costs about a millisecond of every start-up.
    __slots__ = ("label", "get", "width", "align")

    def __init__(
        self, label: str, get: Callable[[Any], Any], width: int | None = None, align: str | None = None
    ) -> None:
        self.label = label
        self.get = get
        self.width = width
        self.align = align


def _spec_columns(specs: list[PropertySpec], first: Any) -> list[_Col]:
    # Lazy for start-up: only Format-Table/-List with -Property get here, Out-Default never does.
    from exshell.output.properties import expand_specs

    return [_Col(s.name, s.value, s.width, s.align) for s in expand_specs(specs, first)]


def _view_columns(cols: Iterable[Column]) -> list[_Col]:
    return [_Col(c.label, c.value, c.width, c.align or "left") for c in cols]


def _default_columns(first: Any) -> list[_Col]:
    return [_Col(name, _getter(name)) for name in property_names_of(first)]


def _getter(name: str) -> Callable[[Any], Any]:
    return lambda obj: get_or_none(obj, name)


def _safe(get: Callable[[Any], Any], obj: Any) -> Any:
    # A column whose value cannot be resolved shows an empty cell, no error (output.md §2.1).

    try:
        return get(obj)
    except ExshellError:
        return None


# --------------------------------------------------------------------------- table runs


class _TableRun:
    __slots__ = ("cols", "view", "group_by", "wrap", "hide_headers", "auto_size", "aligns", "groups")

    def __init__(
        self,
        cols: list[_Col],
        view: Any = None,
        group_by: tuple[str, Callable[[Any], Any]] | None = None,
        wrap: bool = False,
        hide_headers: bool = False,
        auto_size: bool = False,
    ) -> None:
        self.cols = cols
        self.view = view
        self.group_by = group_by
        self.wrap = wrap
        self.hide_headers = hide_headers
        self.auto_size = auto_size
        self.aligns: list[str] | None = None
        self.groups: list[tuple[Any, list[Any]]] = []

    def add(self, obj: Any) -> None:
        if self.aligns is None:
            self.aligns = [
                c.align if c.align else default_alignment(_safe(c.get, obj)) for c in self.cols
            ]
        key = _safe(self.group_by[1], obj) if self.group_by else None
        if not self.groups or (self.group_by and cell_text(self.groups[-1][0]) != cell_text(key)):
            self.groups.append((key, []))
        self.groups[-1][1].append(tuple(cell_text(_safe(c.get, obj)) for c in self.cols))

    def add_out_of_band(self, lines: Sequence[str]) -> None:
        if not self.groups:
            self.groups.append((None, []))
        self.groups[-1][1].append(OutOfBand(tuple(lines)))

    def lines(self, width: int) -> list[str]:
        aligns = self.aligns or ["left"] * len(self.cols)
        columns = [
            TableColumn(c.label, a, None if self.auto_size else c.width) for c, a in zip(self.cols, aligns)
        ]
        out: list[str] = []
        for key, rows in self.groups:
            out.append("")
            if self.group_by:
                out.append(f"   {self.group_by[0]}: {cell_text(key)}")
                out.append("")
            out.extend(render_table(columns, rows, width, self.wrap, self.hide_headers))
        out.append("")
        return out


class _ListRun:
    __slots__ = ("cols", "blocks", "width")

    def __init__(self, cols: list[_Col] | None, width: int = 120) -> None:
        self.cols = cols  # None: each object's own properties
        self.blocks: list[list[str] | tuple[str, ...]] = []
        self.width = width

    def add(self, obj: Any) -> None:
        cols = self.cols if self.cols is not None else _default_columns(obj)
        entries = [(c.label, cell_text(_safe(c.get, obj), in_table=False)) for c in cols]
        self.blocks.append(render_list(entries, self.width))

    def add_out_of_band(self, lines: Sequence[str]) -> None:
        self.blocks.append(tuple(lines))

    def lines(self, width: int) -> list[str]:
        out: list[str] = [""]
        for block in self.blocks:
            if isinstance(block, tuple):
                out.extend(block)
            else:
                # One empty line after every object (PS 7.4 ends list output with exactly one).
                out.extend(block)
                out.append("")
        return out


def _out_of_band_lines(obj: Any, width: int) -> list[str]:
    """An object that does not match the run's view: its own list view, or all its properties, as a list."""
    if _is_shapeless(obj):
        return _scalar_lines(obj)
    view = view_for(type_names_of(obj))
    cols = _view_columns(view.columns()) if isinstance(view, ListView) else _default_columns(obj)
    entries = [(c.label, cell_text(_safe(c.get, obj), in_table=False)) for c in cols]
    return [""] + render_list(entries, width) + [""]


def _start_run(obj: Any, width: int) -> tuple[Any, Any]:
    """(run, view) for the first object of a run (output.md §1 step 4)."""
    view = view_for(type_names_of(obj))
    if isinstance(view, TableView):
        group = None
        if view.group_by:
            label, prop = view.group_by
            group = (label, prop if callable(prop) else _getter(prop))
        return (
            _TableRun(_view_columns(view.columns), view, group, auto_size=view.auto_size,
                      hide_headers=view.hide_headers),
            view,
        )
    if isinstance(view, ListView):
        return _ListRun(_view_columns(view.columns()), width=width), view
    names = property_names_of(obj)
    cols = _default_columns(obj)
    if len(names) <= PROPERTY_COUNT_FOR_TABLE:
        return _TableRun(cols), None
    return _ListRun(cols, width=width), None


def format_objects(objects: list[Any], width: int = 120, enumeration_limit: Any = None) -> list[str]:
    """The lines Out-Default writes for `objects` at screen width `width` (`enumeration_limit`:
    $FormatEnumerationLimit, default 4)."""
    if enumeration_limit is not None:
        with _limit(enumeration_limit):
            return format_objects(objects, width)
    width = width if width and width > 0 else 120
    lines: list[str] = []
    run: Any = None
    run_view: Any = None
    run_types: tuple[str, ...] = ()

    def close() -> None:
        nonlocal run
        if run is not None:
            lines.extend(run.lines(width))
            run = None

    for obj in _expand_dictionaries(unroll(objects)):
        if obj is None:
            continue
        if isinstance(obj, FormatRecord):
            close()
            lines.extend(obj.lines(width))
            continue
        if _is_shapeless(obj):
            text = _scalar_lines(obj)
            if run is not None:
                run.add_out_of_band(text)
            else:
                lines.extend(text)
            continue
        if run is None:
            run, run_view = _start_run(obj, width)
            run_types = tuple(type_names_of(obj))
            run.add(obj)
            continue
        if run_view is not None:
            names = type_names_of(obj)
            if view_for(names) is not run_view and (not names or names[0] != run_types[0]):
                run.add_out_of_band(_out_of_band_lines(obj, width))
                continue
        run.add(obj)
    close()
    return lines


# --------------------------------------------------------------------------- Format-Table / -List / -Wide


def _group_getter(group_by: PropertySpec | None) -> tuple[str, Callable[[Any], Any]] | None:
    if group_by is None:
        return None
    return (group_by.name, group_by.value)


def format_table(
    objects: list[Any],
    width: int = 120,
    specs: list[PropertySpec] | None = None,
    auto_size: bool = False,
    hide_headers: bool = False,
    wrap: bool = False,
    group_by: PropertySpec | None = None,
) -> list[str]:
    """Format-Table's lines: explicit properties, else the type's table view, else all properties."""
    items = [o for o in _expand_dictionaries(unroll(objects)) if o is not None]
    if not items:
        return []
    first = next((o for o in items if not _forced_scalar(o)), None)
    if first is None:
        return [line for o in items for line in _scalar_lines(o)]
    if specs:
        cols = _spec_columns(specs, first)
        view_group = None
    else:
        view = view_for(type_names_of(first))
        if isinstance(view, TableView):
            cols = _view_columns(view.columns)
            auto_size = auto_size or view.auto_size
            view_group = view.group_by
        else:
            cols = _default_columns(first)
            view_group = None
    group = _group_getter(group_by)
    if group is None and view_group:
        label, prop = view_group
        group = (label, prop if callable(prop) else _getter(prop))
    run = _TableRun(cols, None, group, wrap=wrap, hide_headers=hide_headers, auto_size=auto_size)
    for obj in items:
        if _forced_scalar(obj):
            run.add_out_of_band(_scalar_lines(obj))
        else:
            run.add(obj)
    return run.lines(width)


def format_list(
    objects: list[Any], width: int = 120, specs: list[PropertySpec] | None = None
) -> list[str]:
    """Format-List's lines: explicit properties (wildcards expanded per object), else list view, else all."""
    items = [o for o in _expand_dictionaries(unroll(objects)) if o is not None]
    if not items:
        return []
    run = _ListRun(None, width=width)
    for obj in items:
        if _forced_scalar(obj):
            run.add_out_of_band(tuple(_scalar_lines(obj)) + ("",))
            continue
        if specs:
            run.cols = _spec_columns(specs, obj)
        else:
            view = list_view_for(type_names_of(obj))
            run.cols = _view_columns(view.columns()) if view is not None else _default_columns(obj)
        run.add(obj)
    return run.lines(width)


def format_wide(
    objects: list[Any],
    width: int = 120,
    spec: PropertySpec | None = None,
    columns: int | None = None,
    auto_size: bool = False,
) -> list[str]:
    """Format-Wide: one property per object laid out in columns (default 2 columns)."""
    items = [o for o in unroll(objects) if o is not None]
    if not items:
        return []
    texts: list[str] = []
    for obj in items:
        if spec is not None:
            texts.append(cell_text(_safe(spec.value, obj)))
        elif _is_shapeless(obj):
            texts.append(scalar_text(obj))
        else:
            names = property_names_of(obj)
            key = next((n for n in names if n.lower() == "name"), names[0] if names else None)
            texts.append(cell_text(get_or_none(obj, key)) if key else scalar_text(obj))
    longest = max(display_width(t) for t in texts)
    if columns is None:
        columns = max(1, (width + 1) // (longest + 1)) if auto_size else 2
    col_width = max(1, (width - (columns - 1)) // columns)

    out = [""]
    for i in range(0, len(texts), columns):
        row = [pad(truncate(t, col_width), col_width, "left") for t in texts[i : i + columns]]
        out.append(" ".join(row).rstrip())
    out.append("")
    return out
