"""Utility cmdlets: Write-Output/Host/Warning/Error/Verbose, Out-Null, Get-/Set-Variable, Invoke-Expression."""

from __future__ import annotations

from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.errors import Category, ErrorRecord, ParseError
from exshell.runtime.values import enumerate_value, to_string, type_name, PSObject
from exshell.runtime.wildcard import WildcardPattern, has_wildcards

_CONSOLE_COLOR = T.enum(
    "System.ConsoleColor",
    (
        "Black", "DarkBlue", "DarkGreen", "DarkCyan", "DarkRed", "DarkMagenta", "DarkYellow", "Gray",
        "DarkGray", "Blue", "Green", "Cyan", "Red", "Magenta", "Yellow", "White",
    ),
    display="ConsoleColor",
)
_CATEGORY = T.enum(
    "System.Management.Automation.ErrorCategory",
    tuple(k for k in vars(Category) if not k.startswith("_")),
    display="ErrorCategory",
)


class WriteOutput(Cmdlet):
    name = "Write-Output"
    aliases = ("echo", "write")
    synopsis = "Sends the specified objects to the next command in the pipeline."
    description = (
        "Writes objects to the success stream. Arrays are enumerated (each element is sent on its own) unless "
        "-NoEnumerate is given. Several arguments are sent as several objects."
    )
    error_source = "Microsoft.PowerShell.Commands.WriteOutputCommand"
    source = "Microsoft.PowerShell.Utility"
    parameters = (
        Parameter("InputObject", T.OBJECT, position=0, mandatory=True, pipeline=True, remaining=True,
                  allow_null=True, allow_empty=True, help="The objects to send down the pipeline."),
        Parameter("NoEnumerate", T.SWITCH, help="Sends a collection as one object."),
    )
    examples = (Example("Write-Output a b", "Writes two strings."),)

    def process(self) -> None:
        value = self.params.get("InputObject")
        self.write_object(value, enumerate_collection=not self.params.get("NoEnumerate"))


def _flatten(value: Any, out: list[Any], depth: int = 0) -> None:
    items = enumerate_value(value)
    if items is None or depth > 20:
        out.append(value)
        return
    for item in items:
        _flatten(item, out, depth + 1)


class WriteHost(Cmdlet):
    name = "Write-Host"
    synopsis = "Writes text to the host."
    description = (
        "Writes the string form of its arguments to the host, not to the pipeline (it cannot be captured). "
        "Collections are flattened and joined by -Separator (one space by default)."
    )
    error_source = "Microsoft.PowerShell.Commands.WriteHostCommand"
    source = "Microsoft.PowerShell.Utility"
    parameters = (
        Parameter("Object", T.OBJECT, position=0, pipeline=True, remaining=True, help="What to write."),
        Parameter("NoNewline", T.SWITCH, help="Do not end with a newline."),
        Parameter("Separator", T.OBJECT, help="String put between items (default: one space)."),
        Parameter("ForegroundColor", _CONSOLE_COLOR, help="Text colour (accepted; plain hosts ignore it)."),
        Parameter("BackgroundColor", _CONSOLE_COLOR, help="Background colour (accepted; ignored)."),
    )
    examples = (Example("Write-Host 1,2,3", "Prints `1 2 3`."),)

    def process(self) -> None:
        items: list[Any] = []
        if self.params.is_bound("Object"):
            _flatten(self.params["Object"], items)
        sep = self.params.get("Separator")
        sep_text = " " if sep is None else to_string(sep)
        text = sep_text.join(to_string(i) for i in items)
        self.write_host(text, newline=not self.params.get("NoNewline"))


class WriteWarning(Cmdlet):
    name = "Write-Warning"
    synopsis = "Writes a warning message (`WARNING: text`)."
    error_source = "Microsoft.PowerShell.Commands.WriteWarningCommand"
    source = "Microsoft.PowerShell.Utility"
    parameters = (
        Parameter("Message", T.STRING, position=0, mandatory=True, pipeline=True, allow_empty=True,
                  aliases=("Msg",), help="The warning text."),
    )

    def process(self) -> None:
        self.write_warning(self.params.get("Message") or "")


class WriteVerbose(Cmdlet):
    name = "Write-Verbose"
    synopsis = "Writes a verbose message, shown with -Verbose or $VerbosePreference = 'Continue'."
    error_source = "Microsoft.PowerShell.Commands.WriteVerboseCommand"
    source = "Microsoft.PowerShell.Utility"
    parameters = (
        Parameter("Message", T.STRING, position=0, mandatory=True, pipeline=True, allow_empty=True,
                  aliases=("Msg",), help="The verbose text."),
    )

    def process(self) -> None:
        self.write_verbose(self.params.get("Message") or "")


class WriteError(Cmdlet):
    name = "Write-Error"
    synopsis = "Writes a non-terminating error."
    description = "Adds an error record to $Error and shows it; the script goes on (unless -ErrorAction Stop)."
    error_source = "Microsoft.PowerShell.Commands.WriteErrorCommand"
    source = "Microsoft.PowerShell.Utility"
    parameters = (
        Parameter("Message", T.STRING, position=0, mandatory=True, pipeline=True, allow_empty=True,
                  aliases=("Msg",), help="The error text."),
        Parameter("Category", _CATEGORY, help="The error category."),
        Parameter("ErrorId", T.STRING, help="The FullyQualifiedErrorId."),
        Parameter("TargetObject", T.OBJECT, help="The object being processed."),
    )

    def process(self) -> None:
        target = self.params.get("TargetObject")
        category = self.params.get("Category")
        # PS5 reports a Write-Error as coming from the code that called it: the function (`f : msg`, its
        # FQID suffixed `,f`) or the script; typed at the prompt, the statement text itself, with no position.
        caller = self.runtime.caller()
        if caller is None:
            command, span, suffix = self.runtime.invocation.statement_text, None, ""
        else:
            command, span, suffix = caller[0], caller[1], "," + caller[0]
        rec = ErrorRecord(
            message=self.params.get("Message") or "",
            error_id=(self.params.get("ErrorId") or "Microsoft.PowerShell.Commands.WriteErrorException") + suffix,
            category=to_string(category) if category is not None else Category.NotSpecified,
            target=target,
            target_name=to_string(target) if target is not None else "",
            target_type=type_name(target).rsplit(".", 1)[-1] if target is not None else "",
            exception_type="WriteErrorException",
            command=command,
            activity="Write-Error",
        )
        if span is not None:
            rec.span = span
        else:
            rec.extra["no_position"] = True
        self.write_error(rec)


class OutNull(Cmdlet):
    name = "Out-Null"
    synopsis = "Discards its input."
    error_source = "Microsoft.PowerShell.Commands.OutNullCommand"
    source = "Microsoft.PowerShell.Core"
    parameters = (Parameter("InputObject", T.OBJECT, pipeline=True, help="Discarded."),)


class GetVariable(Cmdlet):
    name = "Get-Variable"
    aliases = ("gv",)
    synopsis = "Gets the variables of the current scope."
    error_source = "Microsoft.PowerShell.Commands.GetVariableCommand"
    source = "Microsoft.PowerShell.Utility"
    output_type = "System.Management.Automation.PSVariable"
    parameters = (
        Parameter("Name", T.STRINGS, position=0, pipeline=True, by_property_name=True,
                  help="Names (wildcards allowed)."),
        Parameter("ValueOnly", T.SWITCH, help="Output only the values."),
    )

    def process(self) -> None:
        patterns = self.params.get("Name") or ["*"]
        variables = self.runtime.session.variables()
        for pat in patterns:
            matcher = WildcardPattern(pat)
            found = [(n, v) for n, v in variables if matcher.match(n)]
            if not found and not has_wildcards(pat):
                self.write_error(
                    f"Cannot find a variable with the name '{pat}'.",
                    "VariableNotFound",
                    Category.ObjectNotFound,
                    target=pat,
                    exception_type="ItemNotFoundException",
                )
                continue
            for n, v in found:
                if self.params.get("ValueOnly"):
                    self.write_object(v)
                else:
                    self.write_object(
                        PSObject([("Name", n), ("Value", v)], type_names=(
                            "System.Management.Automation.PSVariable", "System.Object"))
                    )


class SetVariable(Cmdlet):
    name = "Set-Variable"
    aliases = ("set", "sv")
    synopsis = "Sets the value of a variable, creating it if needed."
    error_source = "Microsoft.PowerShell.Commands.SetVariableCommand"
    source = "Microsoft.PowerShell.Utility"
    parameters = (
        Parameter("Name", T.STRINGS, position=0, mandatory=True, pipeline=True, by_property_name=True,
                  help="Variable names."),
        Parameter("Value", T.OBJECT, position=1, pipeline=True, by_property_name=True, help="The value."),
        Parameter("Scope", T.STRING, help="Global, Script or Local."),
        Parameter("PassThru", T.SWITCH, help="Output the variable."),
    )

    def process(self) -> None:
        scope = self.params.get("Scope")
        for n in self.params.get("Name") or []:
            self.runtime.session.set_variable(n, self.params.get("Value"), scope.lower() if scope else None)


class InvokeExpression(Cmdlet):
    name = "Invoke-Expression"
    aliases = ("iex",)
    synopsis = "Runs a string as PowerShell code in the current scope."
    error_source = "Microsoft.PowerShell.Commands.InvokeExpressionCommand"
    source = "Microsoft.PowerShell.Utility"
    parameters = (
        Parameter("Command", T.STRING, position=0, mandatory=True, pipeline=True, help="The code to run."),
    )

    def process(self) -> None:
        try:
            results = self.runtime.session.invoke(self.params["Command"])
        except ParseError as e:
            self.throw_terminating(e.message, e.error_id, Category.ParserError,
                                   exception_type="ParseException")
            return
        for r in results:
            self.write_object(r)


class ClearHost(Cmdlet):
    name = "Clear-Host"
    aliases = ("cls", "clear")
    synopsis = "Clears the terminal screen (does nothing when output is not a terminal)."
    error_source = "Clear-Host"
    source = "Microsoft.PowerShell.Core"

    def process(self) -> None:
        host = self.runtime.host
        if getattr(host, "is_terminal", False):
            host.write("\x1b[2J\x1b[3J\x1b[H")  # erase screen and scroll-back, cursor home


def _percent(value: Any) -> None:
    if not -1 <= int(value) <= 100:
        raise ValueError(f"The {value} argument is greater than the maximum allowed range of 100. Supply an "
                         "argument that is less than or equal to 100 and then try the command again."
                         if int(value) > 100 else
                         f"The {value} argument is less than the minimum allowed range of -1. Supply an argument "
                         "that is greater than or equal to -1 and then try the command again.")


class WriteProgress(Cmdlet):
    name = "Write-Progress"
    synopsis = "Displays a progress bar within a PowerShell command window."
    description = (
        "Shows the activity, its status and a bar for -PercentComplete on the terminal, redrawn in place, until "
        "-Completed. Nothing is shown when the output is not a terminal (a pipe or a file) or when "
        "$ProgressPreference is SilentlyContinue or Ignore; with Stop the command stops."
    )
    error_source = "Microsoft.PowerShell.Commands.WriteProgressCommand"
    source = "Microsoft.PowerShell.Utility"
    parameters = (
        Parameter("Activity", T.STRING, position=0, help="The first line of text in the heading above the bar."),
        Parameter("Status", T.STRING, position=1, help="The second line of text (default: Processing)."),
        Parameter("Id", T.INT, position=2, help="Distinguishes this progress record from others (default 0)."),
        Parameter("PercentComplete", T.INT, validate=_percent, help="0-100; -1 shows no bar."),
        Parameter("SecondsRemaining", T.INT, help="The estimated seconds remaining."),
        Parameter("CurrentOperation", T.STRING, help="The operation in progress, shown after the status."),
        Parameter("ParentId", T.INT, help="The parent activity of this one (drawn indented below it)."),
        Parameter("Completed", T.SWITCH, help="The activity has finished: its bar is removed."),
        Parameter("SourceId", T.INT, dont_show=True, help="Accepted for compatibility; not used."),
    )
    examples = (
        Example(
            "$hosts = Import-Csv hosts.csv; $i = 0\n"
            "foreach ($h in $hosts) { $i++; Write-Progress -Activity 'Adding relay hosts' -Status $h.IP "
            "-PercentComplete ($i * 100 / $hosts.Count); ... }\n"
            "Write-Progress -Activity 'Adding relay hosts' -Completed",
            "Shows a bar while a CSV of hosts is imported.",
        ),
    )

    def process(self) -> None:
        # Lazy: only Write-Progress draws progress.
        from exshell.cmdlets import progress
        from exshell.runtime.progress import ProgressRecord

        p = self.params
        completed = bool(p.get("Completed"))
        activity = p.get("Activity")
        if activity is None and not completed:
            self.throw_terminating(
                "Cannot bind argument to parameter 'Activity' because it is null.",
                "ParameterArgumentValidationErrorNullNotAllowed",
                Category.InvalidData,
            )
        progress.emit(self, ProgressRecord(
            activity=str(activity or ""),
            status=str(p.get("Status") or "Processing"),
            activity_id=int(p.get("Id") or 0),
            parent_id=int(p["ParentId"]) if p.get("ParentId") is not None else -1,
            percent_complete=int(p["PercentComplete"]) if p.get("PercentComplete") is not None else -1,
            seconds_remaining=int(p["SecondsRemaining"]) if p.get("SecondsRemaining") is not None else -1,
            current_operation=str(p.get("CurrentOperation") or ""),
            completed=completed,
        ))
