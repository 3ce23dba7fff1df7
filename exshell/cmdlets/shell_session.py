"""Cmdlets about the shell session itself: Get-History, Get-Alias and `more` (the pager)."""

from __future__ import annotations

from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, ParamType, T
from exshell.errors import Category
from exshell.output.render import format_objects
from exshell.runtime.wildcard import WildcardPattern, has_wildcards

_LONGS = ParamType("long", "System.Int64[]", array=True, display="Int64[]")


class GetHistory(Cmdlet):
    name = "Get-History"
    aliases = ("h", "ghy", "history")
    synopsis = "Gets the list of commands entered during the current session."
    description = (
        "Lists the lines typed at the exshell prompt in this session, oldest first, with their Id, execution "
        "status and times. Commands run with -c, -f or from a script are not recorded, as in PowerShell."
    )
    error_source = "Microsoft.PowerShell.Commands.GetHistoryCommand"
    source = "Microsoft.PowerShell.Core"
    output_type = "Microsoft.PowerShell.Commands.HistoryInfo"
    parameters = (
        Parameter("Id", _LONGS, position=0, pipeline=True, help="The Ids of the history entries to get."),
        Parameter("Count", T.INT, position=1, help="How many of the most recent entries to get."),
    )
    examples = (
        Example("Get-History", "Lists this session's commands."),
        Example("Get-History -Count 5", "The last five commands."),
    )

    def process(self) -> None:
        entries = self.runtime.session.history()
        ids = self.params.get("Id")
        if ids:
            for wanted in ids:
                found = [e for e in entries if e.get("Id") == wanted]
                if not found:
                    self.write_error(
                        f"Cannot locate history for Id {wanted}.", "GetHistoryNoHistoryForId",
                        Category.ObjectNotFound, target=wanted, exception_type="ArgumentException",
                    )
                for e in found:
                    self.write_object(e)
            return
        count = self.params.get("Count")
        if count is not None:
            if count < 0 or count > 32767:
                self.throw_terminating(
                    f"Cannot validate argument on parameter 'Count'. The {count} argument is not in the range "
                    "of 0 to 32767.", "ParameterArgumentValidationError", Category.InvalidData,
                    exception_type="ParameterBindingValidationException",
                )
            entries = entries[len(entries) - count:] if count else []
        for e in entries:
            self.write_object(e)


class GetAlias(Cmdlet):
    name = "Get-Alias"
    aliases = ("gal",)
    synopsis = "Gets the aliases of the shell."
    description = "Lists the aliases (`where -> Where-Object`); -Name and -Definition take wildcards."
    error_source = "Microsoft.PowerShell.Commands.GetAliasCommand"
    source = "Microsoft.PowerShell.Utility"
    output_type = "System.Management.Automation.AliasInfo"
    parameters = (
        Parameter("Name", T.STRINGS, position=0, pipeline=True, by_property_name=True,
                  help="Alias names. Wildcard characters are permitted."),
        Parameter("Definition", T.STRINGS, help="Gets the aliases of these commands. Wildcard characters are "
                  "permitted."),
        Parameter("Exclude", T.STRINGS, help="Leaves out these aliases. Wildcard characters are permitted."),
    )
    examples = (
        Example("Get-Alias", "Lists every alias."),
        Example("Get-Alias -Definition Where-Object", "The aliases of Where-Object."),
    )

    def process(self) -> None:
        # Lazy: another cmdlet module, loaded when its command runs.
        from exshell.cmdlets.help import list_commands

        names = list(self.params.get("Name") or [])
        registry = self.runtime.services.registry
        found, missing = list_commands(registry, names, types=["Alias"])
        definitions = [WildcardPattern(d) for d in self.params.get("Definition") or []]
        excluded = [WildcardPattern(x) for x in self.params.get("Exclude") or []]
        found.sort(key=lambda a: str(a.get("Name")).lower())
        for alias in found:
            if definitions and not any(p.match(str(alias.get("Definition"))) for p in definitions):
                continue
            if any(p.match(str(alias.get("Name"))) for p in excluded):
                continue
            self.write_object(alias)
        for name in missing:
            if has_wildcards(name):
                continue
            self.write_error(
                f"This command cannot find a matching alias because an alias with the name '{name}' does not "
                "exist.", "ItemNotFoundException", Category.ObjectNotFound, target=name,
                exception_type="ItemNotFoundException",
            )


class More(Cmdlet):
    name = "more"
    synopsis = "Shows a file or the piped output one screen at a time."
    description = (
        "Pages its input on a terminal: Space shows the next page, Enter the next line, Q stops. Without a "
        "terminal (a pipe, a file, -c) everything is written at once."
    )
    error_source = "more"
    source = "Microsoft.PowerShell.Core"
    parameters = (
        Parameter("Path", T.STRINGS, position=0, help="Files to show."),
        Parameter("InputObject", T.PSOBJECT, pipeline=True, help="The objects to show."),
    )
    examples = (Example("Get-Content .\\log.txt | more", "Pages the file."),)

    def begin(self) -> None:
        self._items: list[Any] = []

    def process(self) -> None:
        if self.runtime.expecting_input or self.params.is_bound("InputObject"):
            self._items.append(self.params.get("InputObject"))

    def end(self) -> None:
        from exshell.output.pager import page_lines  # lazy: only -Paging uses it

        host = self.runtime.host
        lines: list[str] = []
        for path in self.params.get("Path") or []:
            try:
                with open(path, encoding="utf-8-sig") as f:
                    lines.extend(f.read().splitlines())
            except (OSError, UnicodeDecodeError):
                self.write_error(
                    f"Cannot find path '{path}' because it does not exist.", "PathNotFound",
                    Category.ObjectNotFound, target=path, exception_type="ItemNotFoundException",
                )
        if self._items:
            lines.extend(format_objects(self._items, getattr(host, "width", 120), 4))
        page_lines(lines, host)
