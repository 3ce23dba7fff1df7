"""Format-Table, Format-List, Format-Wide, Out-String, Out-Default, Out-Host (output.md §1–§3).

Format-* emit FormatRecord objects (PowerShell's format data): Out-Default, Out-String and Out-File render
them; any other cmdlet receives the records themselves, not the data (so they belong at the end of a pipeline).
"""

from __future__ import annotations

from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.errors import Category
from exshell.output import out_default
from exshell.output.cells import enumeration_limit
from exshell.output.render import FormatRecord, format_table, format_list, format_wide, format_objects


def _property_specs(cmdlet: Cmdlet, value: Any, allowed: tuple[str, ...]) -> list[Any]:
    # Lazy: only this command's formatting uses it.
    from exshell.output.properties import PropertySpecError, parse_property_args

    def invoke(block: Any, obj: Any) -> list:
        return list(cmdlet.runtime.invoke_scriptblock(block, dollar_under=obj))

    try:
        return parse_property_args(value, invoke, allowed)
    except PropertySpecError as e:
        cmdlet.throw_terminating(e.message, e.error_id, Category.InvalidArgument)
        raise


def enumeration_limit_of(cmdlet: Cmdlet) -> Any:
    """The session's $FormatEnumerationLimit (default 4)."""
    return cmdlet.runtime.session.get_variable("FormatEnumerationLimit", 4)


def _host_width(cmdlet: Cmdlet) -> int:
    width = getattr(cmdlet.runtime.host, "width", 120)
    return width if isinstance(width, int) and width > 0 else 120


class _FormatCommand(Cmdlet):
    """Buffers the input; at the end emits one FormatRecord laid out for the host's width (re-laid out on
    demand for another width, e.g. Out-String -Width)."""

    kind = "table"

    def begin(self) -> None:
        self._items: list[Any] = []

    def process(self) -> None:
        if not self.runtime.expecting_input and not self.params.is_bound("InputObject"):
            return
        obj = self.params.get("InputObject")
        if obj is not None:
            self._items.append(obj)

    def layout(self, items: list[Any], width: int) -> list[str]:  # pragma: no cover - overridden
        raise NotImplementedError

    def end(self) -> None:
        if not self._items:
            return

        items = self._items
        cache: dict[int, list[str]] = {}
        limit = enumeration_limit_of(self)

        def build(width: int) -> list[str]:
            if width not in cache:
                with enumeration_limit(limit):
                    cache[width] = self.layout(items, width)
            return cache[width]

        build(_host_width(self))  # evaluate calculated properties now, while the pipeline runs
        self.write_object(FormatRecord(build, self.kind))

    def group_spec(self) -> Any:
        if not self.params.is_bound("GroupBy"):
            return None
        specs = _property_specs(self, self.params["GroupBy"], ("name", "label", "expression", "formatstring"))
        return specs[0] if specs else None


_COMMON_FORMAT = (
    Parameter("InputObject", T.PSOBJECT, pipeline=True, help="The objects to format."),
    Parameter("GroupBy", T.OBJECT, help="Starts a new group (with a `   Name: value` header) when this changes."),
    Parameter("View", T.STRING, help="Accepted for compatibility; the default view is used."),
    Parameter("ShowError", T.SWITCH, help="Accepted for compatibility."),
    Parameter("DisplayError", T.SWITCH, help="Accepted for compatibility."),
    Parameter("Force", T.SWITCH, help="Accepted for compatibility."),
    Parameter("Expand", T.STRING, help="Accepted for compatibility."),
)


class FormatTable(_FormatCommand):
    name = "Format-Table"
    aliases = ("ft",)
    synopsis = "Formats the output as a table."
    description = (
        "Shows the chosen properties (names, wildcards or @{Name=...;Expression={...};Width=...;Alignment=...}) "
        "as table columns. Columns are sized to their content; the rightmost columns are cut or dropped to fit "
        "the screen."
    )
    error_source = "Microsoft.PowerShell.Commands.FormatTableCommand"
    parameters = (
        Parameter("Property", T.OBJECTS, position=0, completer="property", help="The properties to show."),
        Parameter("AutoSize", T.SWITCH, help="Sizes every column to its content, ignoring view widths."),
        Parameter("HideTableHeaders", T.SWITCH, help="Omits the header and dash lines."),
        Parameter("Wrap", T.SWITCH, help="Wraps long values onto further lines instead of truncating them."),
        Parameter("RepeatHeader", T.SWITCH, help="Accepted for compatibility."),
        *_COMMON_FORMAT,
    )
    examples = (
        Example("Get-ReceiveConnector | Format-Table Identity, Enabled -AutoSize", "Two columns, content-sized."),
        Example("$o | ft @{n='Size';e={$_.Length};Alignment='Right'}", "A calculated, right-aligned column."),
    )
    related = ("Format-List", "Out-String")

    def layout(self, items: list[Any], width: int) -> list[str]:
        from exshell.output.properties import FORMAT_KEYS  # lazy: only this command's formatting uses it

        specs = _property_specs(self, self.params["Property"], FORMAT_KEYS) if self.params.is_bound("Property") else None
        return format_table(
            items,
            width,
            specs,
            auto_size=bool(self.params.get("AutoSize")),
            hide_headers=bool(self.params.get("HideTableHeaders")),
            wrap=bool(self.params.get("Wrap")),
            group_by=self.group_spec(),
        )


class FormatList(_FormatCommand):
    name = "Format-List"
    aliases = ("fl",)
    synopsis = "Formats the output as a list of properties in which each property appears on a new line."
    description = "Shows each object as `Label : value` lines; `fl *` shows every property."
    error_source = "Microsoft.PowerShell.Commands.FormatListCommand"
    kind = "list"
    parameters = (
        Parameter("Property", T.OBJECTS, position=0, completer="property", help="The properties to show."),
        *_COMMON_FORMAT,
    )
    examples = (Example("Get-ReceiveConnector Relay | Format-List *", "Every property of the connector."),)
    related = ("Format-Table",)

    def layout(self, items: list[Any], width: int) -> list[str]:
        from exshell.output.properties import FORMAT_KEYS  # lazy: only this command's formatting uses it

        specs = _property_specs(self, self.params["Property"], FORMAT_KEYS) if self.params.is_bound("Property") else None
        return format_list(items, width, specs)


class FormatWide(_FormatCommand):
    name = "Format-Wide"
    aliases = ("fw",)
    synopsis = "Formats objects as a wide table that displays only one property of each object."
    error_source = "Microsoft.PowerShell.Commands.FormatWideCommand"
    kind = "wide"
    parameters = (
        Parameter("Property", T.OBJECT, position=0, completer="property", help="The property to show."),
        Parameter("AutoSize", T.SWITCH, help="Fits as many columns as the screen allows."),
        Parameter("Column", T.INT, help="The number of columns."),
        *_COMMON_FORMAT,
    )
    examples = (Example("Get-AcceptedDomain | Format-Wide Name -Column 3", "Names in three columns."),)

    def layout(self, items: list[Any], width: int) -> list[str]:
        from exshell.output.properties import FORMAT_KEYS  # lazy: only this command's formatting uses it

        spec = None
        if self.params.is_bound("Property"):
            specs = _property_specs(self, self.params["Property"], FORMAT_KEYS)
            spec = specs[0] if specs else None
        columns = self.params.get("Column") if self.params.is_bound("Column") else None
        return format_wide(items, width, spec, columns, bool(self.params.get("AutoSize")))


# --------------------------------------------------------------------------- Out-*


class _BufferingOut(Cmdlet):
    def begin(self) -> None:
        self._items: list[Any] = []

    def process(self) -> None:
        if not self.runtime.expecting_input and not self.params.is_bound("InputObject"):
            return
        self._items.append(self.params.get("InputObject"))


class OutString(_BufferingOut):
    name = "Out-String"
    synopsis = "Outputs input objects as a string."
    description = (
        "Formats the objects as Out-Default would and returns the text as one string (each line ends with a "
        "newline), or one string per line with -Stream."
    )
    error_source = "Microsoft.PowerShell.Commands.OutStringCommand"
    output_type = "System.String"
    parameters = (
        Parameter("InputObject", T.PSOBJECT, pipeline=True, help="The objects to format."),
        Parameter("Width", T.INT, help="Characters per line (default: the host width)."),
        Parameter("Stream", T.SWITCH, help="Outputs each line as a separate string."),
        Parameter("NoNewline", T.SWITCH, help="Joins the lines without newlines."),
    )
    examples = (Example("Get-ReceiveConnector | Out-String -Width 200", "The table as one wide string."),)

    def end(self) -> None:
        width = self.params["Width"] if self.params.is_bound("Width") else _host_width(self)
        lines = format_objects(self._items, width, enumeration_limit_of(self))
        if self.params.get("Stream"):
            for line in lines:
                self.write_object(line)
            return
        if not lines and not self._items:
            return
        if self.params.get("NoNewline"):
            self.write_object("".join(lines))
        else:
            self.write_object("".join(line + "\n" for line in lines))


class OutDefault(_BufferingOut):
    name = "Out-Default"
    synopsis = "Sends the output to the default formatter and to the default output cmdlet."
    error_source = "Microsoft.PowerShell.Commands.OutDefaultCommand"
    parameters = (
        Parameter("InputObject", T.PSOBJECT, pipeline=True, help="The objects to display."),
        Parameter("Transcript", T.SWITCH, dont_show=True),
    )
    examples = (Example("Get-ReceiveConnector | Out-Default", "Same as not piping at all."),)

    def end(self) -> None:
        out_default(self._items, self.runtime.host, enumeration_limit_of(self))


class OutHost(_BufferingOut):
    name = "Out-Host"
    aliases = ("oh",)
    synopsis = "Sends output to the command line."
    error_source = "Microsoft.PowerShell.Commands.OutHostCommand"
    parameters = (
        Parameter("InputObject", T.PSOBJECT, pipeline=True, help="The objects to display."),
        Parameter("Paging", T.SWITCH, help="Shows one screen at a time on a terminal (Space: next page, Enter: "
                  "next line, Q: quit); without a terminal everything is written at once."),
    )
    examples = (
        Example("Get-ReceiveConnector | Out-Host", "Writes the table to the screen."),
        Example("Get-MessageTrackingLog | Out-Host -Paging", "Pages a long list."),
    )

    def end(self) -> None:
        if self.params.get("Paging"):
            from exshell.output.pager import page_lines  # lazy: only -Paging uses it

            host = self.runtime.host
            page_lines(format_objects(self._items, getattr(host, "width", 120) or 120,
                                      enumeration_limit_of(self)), host)
            return
        out_default(self._items, self.runtime.host, enumeration_limit_of(self))


