"""Registered default views, keyed by type name (PowerShell's *.format.ps1xml).

Other parts register views for the objects they emit at import time:

    register_view("Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector",
                  TableView((Column("Identity"), Column("Bindings"), Column("Enabled"))))

The first object of a formatting run picks its shape from `view_for(type_names)` (output.md §1 step 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Iterable

from exshell.output.objects import get_or_none

PropertyRef = str | Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Column:
    """One table column (or list entry): a property name or a function of the object.

    width None = sized from the content (the implicit auto-size of Out-Default); align None = left for view
    columns (views declare right alignment explicitly, as the ps1xml views do)."""

    label: str
    property: PropertyRef | None = None
    width: int | None = None
    align: str | None = None

    def value(self, obj: Any) -> Any:
        prop = self.label if self.property is None else self.property
        if callable(prop):
            return prop(obj)
        return get_or_none(obj, prop)


@dataclass(frozen=True, slots=True)
class TableView:
    """A table view. `group_by` = (label, property) prints `   Label: value` headers between groups;
    `auto_size` sizes every column from the content (Get-Member's view)."""

    columns: tuple[Column, ...]
    group_by: tuple[str, PropertyRef] | None = None
    auto_size: bool = False
    hide_headers: bool = False


@dataclass(frozen=True, slots=True)
class ListView:
    """A list view: entries are property names or Columns (label + property/function)."""

    properties: tuple[str | Column, ...]

    def columns(self) -> tuple[Column, ...]:
        return tuple(p if isinstance(p, Column) else Column(p) for p in self.properties)


View = TableView | ListView


class ViewRegistry:
    def __init__(self) -> None:
        self._views: dict[str, View] = {}
        self._list_views: dict[str, ListView] = {}

    def register(self, type_name: str, view: View) -> None:
        self._views[type_name.lower()] = view

    def register_list(self, type_name: str, view: ListView) -> None:
        self._list_views[type_name.lower()] = view

    def lookup(self, type_names: Iterable[str]) -> View | None:
        for name in type_names:
            view = self._views.get(str(name).lower())
            if view is not None:
                return view
        return None

    def lookup_list(self, type_names: Iterable[str]) -> ListView | None:
        """Format-List's view: the type's list view, else its default view when that is a list."""
        names = [str(n).lower() for n in type_names]
        for name in names:
            view = self._list_views.get(name)
            if view is not None:
                return view
        default = self.lookup(names)
        return default if isinstance(default, ListView) else None


# The registry of built-in and domain views. Views are data fixed at import time (like the ps1xml files
# loaded into every session), so one process-wide table is the right lifetime.
_REGISTRY = ViewRegistry()


def register_view(type_name: str, view: View) -> None:
    _REGISTRY.register(type_name, view)


def register_list_view(type_name: str, view: ListView) -> None:
    """A second view for Format-List when the default view is a table (a ps1xml file's ListControl)."""
    _REGISTRY.register_list(type_name, view)


def view_for(type_names: Iterable[str]) -> View | None:
    _ensure_builtin()
    return _REGISTRY.lookup(type_names)


def list_view_for(type_names: Iterable[str]) -> ListView | None:
    _ensure_builtin()
    return _REGISTRY.lookup_list(type_names)


# --------------------------------------------------------------------------- built-in views

GROUP_INFO = "Microsoft.PowerShell.Commands.GroupInfo"
GROUP_INFO_NO_ELEMENT = "Microsoft.PowerShell.Commands.GroupInfoNoElement"
MEASURE_INFO = "Microsoft.PowerShell.Commands.GenericMeasureInfo"
TEXT_MEASURE_INFO = "Microsoft.PowerShell.Commands.TextMeasureInfo"
MEMBER_DEFINITION = "Microsoft.PowerShell.Commands.MemberDefinition"
DICTIONARY_ENTRY = "System.Collections.DictionaryEntry"
HISTORY_INFO = "Microsoft.PowerShell.Commands.HistoryInfo"
COMMAND_INFO_TYPES = (
    "System.Management.Automation.CmdletInfo",
    "System.Management.Automation.AliasInfo",
    "System.Management.Automation.FunctionInfo",
    "System.Management.Automation.CommandInfo",
)

_builtin_done = False


def _ensure_builtin() -> None:
    global _builtin_done
    if _builtin_done:
        return
    _builtin_done = True
    # PowerShellCore_format_ps1xml.cs: GroupInfo — Count (5, right), Name (25), Group.
    _REGISTRY.register(
        GROUP_INFO,
        TableView((Column("Count", width=5, align="right"), Column("Name", width=25), Column("Group"))),
    )
    _REGISTRY.register(
        GROUP_INFO_NO_ELEMENT, TableView((Column("Count", width=5, align="right"), Column("Name", width=25)))
    )
    # GenericMeasureInfo (PS7): a list with the statistics in this order.
    _REGISTRY.register(
        MEASURE_INFO,
        ListView(("Count", "Average", "Sum", "Maximum", "Minimum", "StandardDeviation", "Property")),
    )
    _REGISTRY.register(
        TEXT_MEASURE_INFO,
        TableView(
            (
                Column("Lines", align="right"),
                Column("Words", align="right"),
                Column("Characters", align="right"),
                Column("Property"),
            )
        ),
    )
    # Get-Member: grouped by TypeName, auto-sized.
    _REGISTRY.register(
        MEMBER_DEFINITION,
        TableView(
            (Column("Name"), Column("MemberType"), Column("Definition")),
            group_by=("TypeName", "TypeName"),
            auto_size=True,
        ),
    )
    # DotNetTypes_format_ps1xml.cs: DictionaryEntry — Name (30), Value.
    _REGISTRY.register(DICTIONARY_ENTRY, TableView((Column("Name", width=30), Column("Value"))))
    command_view = TableView(
        (
            Column("CommandType", width=15),
            Column("Name", property=_command_display_name, width=50),
            Column("Version", width=10),
            Column("Source"),
        )
    )
    for name in COMMAND_INFO_TYPES:
        _REGISTRY.register(name, command_view)
    # PowerShellCore_format_ps1xml.cs (PS5): HistoryInfo — Id (4, right), CommandLine.
    _REGISTRY.register(HISTORY_INFO, TableView((Column("Id", width=4, align="right"), Column("CommandLine"))))


def _command_display_name(obj: Any) -> Any:
    """Aliases show `where -> Where-Object` (CommandInfo view's DisplayName)."""
    display = get_or_none(obj, "DisplayName")
    return display if display is not None else get_or_none(obj, "Name")
