"""CommandRuntime: what a cmdlet sees as `self.runtime` (docs/internals.md "Cmdlet runtime").

Output, non-terminating/terminating errors with -ErrorAction/-ErrorVariable, warnings, verbose lines,
-OutVariable, ShouldProcess (-WhatIf/-Confirm/ConfirmImpact, binding.md §11) and access to the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.lang.position import Span
from exshell.runtime.errorview import format_debug, format_verbose, format_warning
from exshell.runtime.values import enumerate_value, is_true, to_string, type_name

if TYPE_CHECKING:  # pragma: no cover
    from exshell.runtime.evaluator import Evaluator
    from exshell.runtime.host import Host
    from exshell.runtime.parameters import BoundParameters


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()

_IMPACT = {"none": 0, "low": 1, "medium": 2, "high": 3}

CONFIRM_CHOICES: list[tuple[str, str]] = [
    ("&Yes", "Continue with only the next step of the operation."),
    ("Yes to &All", "Continue with all the steps of the operation."),
    ("&No", "Skip this operation and proceed with the next operation."),
    ("No to A&ll", "Skip this operation and all subsequent operations."),
    ("&Suspend", "Pause the current pipeline and return to the command prompt. Type \"exit\" to resume the pipeline."),
]


@dataclass(frozen=True, slots=True)
class InvocationInfo:
    command_name: str  # as typed (an alias stays an alias)
    span: Span | None
    pipeline_position: int
    statement_text: str
    pipeline_length: int = 1


def preference_name(value: Any) -> str:
    """An ActionPreference value (enum member, name or number) → lower-case name."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "continue" if value else "silentlycontinue"
    if isinstance(value, int):
        names = ["silentlycontinue", "stop", "continue", "inquire", "ignore", "suspend", "break"]
        return names[value] if 0 <= value < len(names) else ""
    return to_string(value).lower()


class SessionFacade:
    """`runtime.session`: variable access in the scope the command runs in."""

    def __init__(self, evaluator: "Evaluator") -> None:
        self._ev = evaluator

    def get_variable(self, name: str, default: Any = None) -> Any:
        return self._ev.get_variable(name, default)

    def set_variable(self, name: str, value: Any, scope: str | None = None) -> None:
        self._ev.state.set(name, value, scope)

    def remove_variable(self, name: str, scope: str | None = None) -> bool:
        return self._ev.state.remove(name, scope)

    def variables(self) -> list[tuple[str, Any]]:
        return [(v.name, self.get_variable(v.name)) for v in self._ev.state.visible_variables()]

    def history(self) -> list[Any]:
        """The HistoryInfo records of this session, oldest first (Get-History)."""
        return list(self._ev.history)

    def invoke(self, text: str) -> list[Any]:
        """Run PowerShell text in the current scope and return its output (Invoke-Expression)."""
        return self._ev.invoke_text(text)


class CommandRuntime:
    def __init__(
        self,
        evaluator: "Evaluator",
        cmdlet_name: str,
        error_source: str,
        invocation: InvocationInfo,
        confirm_impact: str = "Medium",
        supports_should_process: bool = False,
    ) -> None:
        self.evaluator = evaluator
        self.cmdlet_name = cmdlet_name
        self.error_source = error_source
        self.invocation = invocation
        self.confirm_impact = confirm_impact
        self.supports_should_process = supports_should_process
        self.current_input: Any = None
        self.expecting_input = False
        self.progress: Any = None  # the pipeline's progress reporter over this command's input (runtime.progress)
        self.downstream_processor: Any = None  # the next pipeline element (told how many objects are coming)
        self.params: "BoundParameters | None" = None  # the command-line bound parameters (common ones)
        self.downstream: Any = None  # callable(obj) set by the pipeline
        self.error_redirect: Any = None  # callable(record) when `2>&1` / `2> file` applies
        self._out_var: list[Any] | None = None
        self._err_var: list[Any] | None = None
        self._warn_var: list[Any] | None = None
        self._pipeline_var: str | None = None
        self._yes_to_all = False
        self._no_to_all = False
        self.session = SessionFacade(evaluator)

    # ------------------------------------------------------------------ set-up from common parameters

    def init_common(self, params: "BoundParameters") -> None:
        """-OutVariable / -ErrorVariable / -WarningVariable: create (or, with `+name`, append to) the lists."""
        self.params = params
        self._out_var = self._variable_list(params.get("OutVariable"))
        self._err_var = self._variable_list(params.get("ErrorVariable"))
        self._warn_var = self._variable_list(params.get("WarningVariable"))
        self._pipeline_var = params.get("PipelineVariable") or None

    def _variable_list(self, spec: Any) -> list[Any] | None:
        if not spec:
            return None
        name = str(spec)
        if name.startswith("+"):
            name = name[1:]
            current = self.evaluator.state.get(name)
            if isinstance(current, list):
                return current
            lst: list[Any] = [] if current is None else [current]
            self.evaluator.state.set(name, lst)
            return lst
        lst = []
        self.evaluator.state.set(name, lst)
        return lst

    def _common(self, name: str) -> Any:
        if self.params is not None and self.params.is_bound(name):
            return self.params[name]
        return MISSING

    # ------------------------------------------------------------------ services

    @property
    def host(self) -> "Host":
        return self.evaluator.host

    @property
    def services(self) -> Any:
        return self.evaluator.services

    # ------------------------------------------------------------------ output

    def write_object(self, obj: Any, enumerate_collection: bool = False) -> None:
        if enumerate_collection:
            items = enumerate_value(obj)
            if items is not None:
                for item in list(items):
                    self._emit(item)
                return
        self._emit(obj)

    def expect_output(self, count: int) -> None:
        """This command is about to write `count` objects: the next command's progress can show a percentage
        (only known for the first command of a pipeline, which runs once)."""
        nxt = self.downstream_processor
        if nxt is not None and not self.expecting_input:
            nxt.input_total = count

    def _emit(self, obj: Any) -> None:
        if self._out_var is not None:
            self._out_var.append(obj)
        if self._pipeline_var:
            # -PipelineVariable: later commands of the pipeline see this command's current output.
            self.evaluator.state.set(str(self._pipeline_var), obj)
        if self.downstream is not None:
            self.downstream(obj)

    # ------------------------------------------------------------------ errors

    def make_record(
        self,
        message: "str | ErrorRecord",
        error_id: str = "",
        category: str = Category.NotSpecified,
        target: Any = None,
        exception_type: str = "RuntimeException",
    ) -> ErrorRecord:
        if isinstance(message, ErrorRecord):
            rec = message
        else:
            eid = error_id or exception_type
            if "," not in eid:
                eid = f"{eid},{self.error_source}"
            rec = ErrorRecord(
                message=message,
                error_id=eid,
                category=category,
                target=target,
                target_name=to_string(target) if target is not None else "",
                target_type=type_name(target).rsplit(".", 1)[-1] if target is not None else "",
                exception_type=exception_type,
            )
        if rec.command is None:
            rec.command = self.invocation.command_name
        if rec.activity is None:
            rec.activity = self.cmdlet_name
        if rec.span is None and not rec.extra.get("no_position"):
            rec.span = self.invocation.span
        return rec

    def write_error(
        self,
        message: "str | ErrorRecord",
        error_id: str = "",
        category: str = Category.NotSpecified,
        target: Any = None,
        exception_type: str = "RuntimeException",
    ) -> None:
        """A non-terminating error, honouring -ErrorAction / $ErrorActionPreference (binding.md §12)."""
        rec = self.make_record(message, error_id, category, target, exception_type)
        self.write_error_record(rec)

    def write_error_record(self, rec: ErrorRecord) -> None:
        action = self._common("ErrorAction")
        pref = preference_name(action) if action is not MISSING else preference_name(
            self.evaluator.get_variable("ErrorActionPreference", "Continue")
        )
        self.evaluator.mark_failed()
        if pref == "ignore":
            return
        if self._err_var is not None:
            self._err_var.append(rec)
        if pref == "stop":
            # ActionPreferenceStopException: the original record, now terminating.
            raise PSRuntimeError(rec, script_terminating=True)
        self.evaluator.add_error(rec)
        if pref == "silentlycontinue":
            return
        if self.error_redirect is not None:
            self.error_redirect(rec)
        else:
            self.evaluator.show_error(rec)

    def throw_terminating(
        self,
        message: "str | ErrorRecord",
        error_id: str = "",
        category: str = Category.NotSpecified,
        target: Any = None,
        exception_type: str = "RuntimeException",
    ) -> None:
        rec = self.make_record(message, error_id, category, target, exception_type)
        if self._err_var is not None:
            self._err_var.append(rec)
        raise PSRuntimeError(rec)

    # ------------------------------------------------------------------ other streams

    def write_warning(self, text: str) -> None:
        action = self._common("WarningAction")
        pref = preference_name(action) if action is not MISSING else preference_name(
            self.evaluator.get_variable("WarningPreference", "Continue")
        )
        if pref == "ignore":
            return
        if self._warn_var is not None:
            self._warn_var.append(text)
        if pref == "silentlycontinue":
            return
        self.host.write_warning_text(format_warning(text))
        if pref == "stop":
            rec = self.make_record(
                f"The running command stopped because the preference variable \"WarningPreference\" or common "
                f"parameter is set to Stop: {text}",
                "ActionPreferenceStop",
                Category.OperationStopped,
                exception_type="ActionPreferenceStopException",
            )
            raise PSRuntimeError(rec, script_terminating=True)

    def verbose_enabled(self) -> bool:
        v = self._common("Verbose")
        if v is not MISSING:
            return bool(v)
        return preference_name(self.evaluator.get_variable("VerbosePreference", "SilentlyContinue")) in (
            "continue",
            "inquire",
            "stop",
        )

    def write_verbose(self, text: str) -> None:
        if self.verbose_enabled():
            self.host.write_verbose_text(format_verbose(text))

    def write_debug(self, text: str) -> None:
        if self._common("Debug") is True:
            self.host.write_line(format_debug(text))

    def write_host(self, text: str, newline: bool = True) -> None:
        self.host.write(text + ("\n" if newline else ""))

    # ------------------------------------------------------------------ ShouldProcess (binding.md §11)

    def _whatif(self) -> bool:
        v = self._common("WhatIf")
        if v is not MISSING:
            return bool(v)

        return is_true(self.evaluator.get_variable("WhatIfPreference", False))

    def should_process(self, target: str, action: str | None = None, description: str | None = None) -> bool:
        desc = description or f'Performing the operation "{action or self.cmdlet_name}" on target "{target}".'
        if self._whatif():
            # Written straight to the host: `$x = Set-Thing -WhatIf` captures nothing.
            self.host.write_line(f"What if: {desc}")
            return False
        if self._yes_to_all:
            return True
        if self._no_to_all:
            return False
        confirm = self._common("Confirm")
        if confirm is not MISSING:
            need = bool(confirm)
        else:
            pref = preference_name(self.evaluator.get_variable("ConfirmPreference", "High"))
            need = _IMPACT.get(pref, 3) > 0 and _IMPACT.get(self.confirm_impact.lower(), 2) >= _IMPACT.get(pref, 3)
        if self.verbose_enabled():
            self.write_verbose(desc)
        if not need:
            return True
        if not self.host.interactive:
            self.write_error(
                f"Confirmation is required but the host is not interactive. {desc} "
                "Re-run the command with -Confirm:$false to proceed.",
                "ConfirmationRequired",
                Category.InvalidOperation,
                target=target,
                exception_type="InvalidOperationException",
            )
            return False
        choice = self.host.choose(
            "Confirm", "Are you sure you want to perform this action?\n" + desc, CONFIRM_CHOICES, 0
        )
        if choice == 1:
            self._yes_to_all = True
        elif choice == 3:
            self._no_to_all = True
        return choice in (0, 1)

    def should_continue(self, query: str, caption: str, default_no: bool = False) -> bool:
        """ShouldContinue. PowerShell's default answer is Yes; a risky change (an open relay, dropped entries,
        lost rights) asks with default_no so that pressing Enter never grants it."""
        if self._yes_to_all:
            return True
        if not self.host.interactive:
            return False
        choice = self.host.choose(caption, query, CONFIRM_CHOICES[:4], 2 if default_no else 0)
        if choice == 1:
            self._yes_to_all = True
        return choice in (0, 1)

    def caller(self) -> tuple[str, Any] | None:
        """(name, invocation span) of the function or script whose code invoked this command, or None at the
        top level."""
        return self.evaluator.call_stack[-1] if self.evaluator.call_stack else None

    # ------------------------------------------------------------------ script blocks

    def invoke_scriptblock(
        self, sb: Any, dollar_under: Any = MISSING, args: Any = (), new_scope: bool = False
    ) -> list[Any]:
        """Run a script block in the caller's scope (unless new_scope) and return its output objects."""
        return self.evaluator.invoke_scriptblock(sb, dollar_under, list(args), new_scope)
