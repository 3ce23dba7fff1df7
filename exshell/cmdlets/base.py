"""The cmdlet declaration: one place that binding, Get-Help, Get-Command, completion and validation read.

A cmdlet is a subclass of Cmdlet with class attributes describing it:

    class GetReceiveConnector(Cmdlet):
        name = "Get-ReceiveConnector"
        synopsis = "Lists receive connectors."
        output_type = "Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector"
        default_set = "Identity"
        parameters = (
            Parameter("Identity", T.STRING, position=0, pipeline=True, by_property_name=True, sets=("Identity",),
                      completer="receive_connector", help="Name, SERVER\\Name or GUID of the connector."),
            Parameter("Server", T.STRING, sets=("Server",), pipeline_by_property_name=True),
        )
        examples = (Example("Get-ReceiveConnector -Server EX01", "Lists the connectors of EX01."),)

        def process(self) -> None:
            for rc in ...:
                self.write_object(rc)

Bound values are read with self.params["Identity"] (case-insensitive) and self.params.is_bound("Identity").
The runtime (exshell.runtime) creates one instance per pipeline position and calls begin(), then process()
once per input object (once with no input when first in the pipeline), then end().
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

# The parameter vocabulary belongs to the runtime that binds it; cmdlet modules import it from here.
from exshell.runtime.parameters import (
    ACTION_PREFERENCE,
    ALL_SETS,
    COMMON_NAMES,
    COMMON_PARAMETERS,
    SHOULD_PROCESS_PARAMETERS,
    BoundParameters,
    ListModifier,
    Parameter,
    ParamType,
    SetAttrs,
    T,
)

if TYPE_CHECKING:  # pragma: no cover
    from exshell.errors import ErrorRecord
    from exshell.runtime.context import CommandRuntime

__all__ = [
    "ACTION_PREFERENCE", "ALL_SETS", "COMMON_NAMES", "COMMON_PARAMETERS", "SHOULD_PROCESS_PARAMETERS",
    "BoundParameters", "Cmdlet", "Example", "ListModifier", "ParamType", "Parameter", "SetAttrs", "T",
]


# --------------------------------------------------------------------------- help examples


@dataclass(frozen=True, slots=True)
class Example:
    code: str
    remarks: str = ""


# --------------------------------------------------------------------------- the cmdlet base


class Cmdlet:
    """Base of every cmdlet. Subclasses declare class attributes and override begin/process/end.

    The runtime sets `self.runtime` (a CommandRuntime: output, errors, ShouldProcess, host, session state,
    services such as the store) and `self.params` before each call.
    """

    name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    synopsis: ClassVar[str] = ""
    description: ClassVar[str] = ""
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    default_set: ClassVar[str | None] = None
    supports_should_process: ClassVar[bool] = False
    confirm_impact: ClassVar[str] = "Medium"  # 'Low' | 'Medium' | 'High'  (High prompts by default)
    output_type: ClassVar[str | None] = None
    examples: ClassVar[tuple[Example, ...]] = ()
    related: ClassVar[tuple[str, ...]] = ()
    # The .NET-style class name used in FullyQualifiedErrorIds of built-in cmdlets, e.g.
    # 'Microsoft.PowerShell.Commands.WhereObjectCommand'. Exchange cmdlets use their own name.
    error_source: ClassVar[str | None] = None
    # A cmdlet that changes things shows progress over many pipeline input objects
    # (`Get-ReceiveConnector | Set-ReceiveConnector ...`): the pipeline reports it (exshell.runtime.progress) and
    # leaves the reporter in self.runtime.progress for the cmdlet's own long end (a ConfigCmdlet's commit).
    input_progress: ClassVar[bool] = False

    runtime: "CommandRuntime"
    params: BoundParameters

    # ---- lifecycle
    def begin(self) -> None:
        """BeginProcessing: once, before any input."""

    def process(self) -> None:
        """ProcessRecord: once per input object (the bound parameters reflect that object)."""

    def end(self) -> None:
        """EndProcessing: once, after all input."""

    # ---- conveniences over the runtime
    @property
    def input_object(self) -> Any:
        return self.runtime.current_input

    def write_object(self, obj: Any, enumerate_collection: bool = False) -> None:
        self.runtime.write_object(obj, enumerate_collection)

    def expect_output(self, count: int) -> None:
        """About to write `count` objects (lets a bulk Set-/Remove- after it show a percentage)."""
        self.runtime.expect_output(count)

    def write_error(
        self,
        message: "str | ErrorRecord",
        error_id: str = "",
        category: str = "NotSpecified",
        target: Any = None,
        exception_type: str = "RuntimeException",
    ) -> None:
        """A non-terminating error: recorded in $Error, shown, and the pipeline goes on."""
        self.runtime.write_error(message, error_id, category, target, exception_type)

    def throw_terminating(
        self,
        message: "str | ErrorRecord",
        error_id: str = "",
        category: str = "NotSpecified",
        target: Any = None,
        exception_type: str = "RuntimeException",
    ) -> None:
        """ThrowTerminatingError: stops this statement."""
        self.runtime.throw_terminating(message, error_id, category, target, exception_type)

    def write_warning(self, text: str) -> None:
        self.runtime.write_warning(text)

    def write_verbose(self, text: str) -> None:
        self.runtime.write_verbose(text)

    def write_host(self, text: str, newline: bool = True) -> None:
        self.runtime.write_host(text, newline)

    def should_process(self, target: str, action: str | None = None, description: str | None = None) -> bool:
        """ShouldProcess: honours -WhatIf (prints `What if: ...`, returns False) and -Confirm / ConfirmImpact."""
        return self.runtime.should_process(target, action, description)

    def should_continue(self, query: str, caption: str, default_no: bool = False) -> bool:
        """ShouldContinue: an extra confirmation (used with -Force). default_no for risky changes: Enter
        answers No."""
        return self.runtime.should_continue(query, caption, default_no)

    @classmethod
    def all_parameters(cls) -> tuple[Parameter, ...]:
        extra = SHOULD_PROCESS_PARAMETERS if cls.supports_should_process else ()
        return tuple(cls.parameters) + COMMON_PARAMETERS + extra

    @classmethod
    def parameter_sets(cls) -> tuple[str, ...]:
        names: list[str] = []
        for p in cls.parameters:
            for s in p.set_names():
                if s not in names:
                    names.append(s)
        if not names:
            names.append(cls.default_set or ALL_SETS)
        return tuple(names)
