"""Pipeline execution (binding.md §9): resolve and bind every command first, then begin of all in order,
then depth-first streaming of each object through process, then end of all in order.

`Select-Object -First` style early stop: a command raises exshell.errors.PipelineStopped from its process;
the commands upstream of it stop (their end is skipped); it and the commands downstream still run end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from exshell.errors import PipelineStopped, PSRuntimeError
from exshell.lang import ast
from exshell.runtime.values import PSObject

if TYPE_CHECKING:  # pragma: no cover
    from exshell.runtime.binder import Binder, BindState
    from exshell.runtime.context import CommandRuntime
    from exshell.runtime.evaluator import Evaluator
    from exshell.runtime.progress import LoopProgress
    from exshell.runtime.scopes import Scope


Emit = Callable[[Any], None]


class Processor:
    """One pipeline element. The pipeline sets `downstream` before begin()."""

    position: int = 1
    expecting_input: bool = False
    downstream: Emit
    # How many input objects are coming, when the element before knows (an expression's array); else -1.
    input_total: int = -1
    next_processor: "Processor | None" = None

    def begin(self) -> None:
        pass

    def process(self, obj: Any, has_input: bool) -> None:
        pass

    def end(self) -> None:
        pass

    def finish_progress(self) -> None:
        """Take this element's progress line away (the pipeline ended, or stopped with an error)."""


class ExpressionProcessor(Processor):
    """`$list | ...`, `2+2`: the first element is an expression; its value is unrolled into the pipeline."""

    def __init__(self, evaluator: "Evaluator", node: ast.CommandExpression) -> None:
        self.ev = evaluator
        self.node = node

    def process(self, obj: Any, has_input: bool) -> None:
        value = self.ev.eval_expr(self.node.expr)
        if self.ev.is_void_cast(self.node.expr):
            return
        if self.next_processor is not None and isinstance(value, (list, tuple)):
            self.next_processor.input_total = len(value)
        self.ev.emit_unrolled(value, self.downstream)


class CmdletProcessor(Processor):
    def __init__(self, evaluator: "Evaluator", cls: type, binder: "Binder", state: "BindState",
                 runtime: "CommandRuntime") -> None:
        self.ev = evaluator
        self.cls = cls
        self.binder = binder
        self.state = state
        self.runtime = runtime
        self.instance = cls()
        self.instance.runtime = runtime
        self.instance.params = state.bound_parameters()
        runtime.init_common(self.instance.params)
        self.progress: "LoopProgress | None" = None
        self.inputs = 0

    def begin(self) -> None:
        self.runtime.downstream = self.downstream
        self.runtime.downstream_processor = self.next_processor
        self.runtime.expecting_input = self.expecting_input
        if self.expecting_input and getattr(self.cls, "input_progress", False):
            from exshell.runtime.progress import PIPELINE_ACTIVITY_BASE, LoopProgress  # only for bulk changes

            activity_id = PIPELINE_ACTIVITY_BASE + self.position
            self.progress = LoopProgress(self.runtime, self.runtime.cmdlet_name, activity_id)
            self.runtime.progress = self.progress
        self.instance.begin()

    def process(self, obj: Any, has_input: bool) -> None:
        if has_input:
            state, err = self.binder.bind_pipeline_object(self.state, obj)
            if err is not None:
                self.runtime.write_error_record(self.runtime.make_record(err))
                return
            assert state is not None
            self.instance.params = state.bound_parameters()
            self.runtime.current_input = obj
            if self.progress is not None:
                self.inputs += 1
                # Only a clock read per object until a record is due (runtime.progress).
                progress = self.progress
                if progress.due():
                    progress.show(self.inputs - 1, self.input_total, progress.status_of(self.instance.params))
        try:
            self.instance.process()
        finally:
            self.runtime.current_input = None

    def end(self) -> None:
        # As in PowerShell, end sees the values bound for the last input object (they are only reset when the
        # next object is bound).
        self.instance.end()
        self.finish_progress()

    def finish_progress(self) -> None:
        if self.progress is not None and self.progress.shown:
            try:
                self.progress.done()
            except PSRuntimeError:  # $ProgressPreference turned to Stop meanwhile: nothing to take away
                pass


class FunctionProcessor(Processor):
    """A script function or script block run as a command: begin/process/end blocks in its own scope."""

    def __init__(self, evaluator: "Evaluator", name: str, block: ast.ScriptBlock, binder: "Binder",
                 state: "BindState", runtime: "CommandRuntime", dot_source: bool = False) -> None:
        self.ev = evaluator
        self.name = name
        self.block = block
        self.binder = binder
        self.state = state
        self.runtime = runtime
        self.dot_source = dot_source
        self.scope: "Scope | None" = None
        self.inputs: list[Any] = []
        params = state.bound_parameters()
        runtime.init_common(params)
        self.has_pipeline_params = any(
            p.pipeline or p.by_property_name or any(a.pipeline or a.by_property_name for a in p.per_set.values())
            for p in binder.meta.parameters
        )

    def _run(self, body: ast.StatementBlock | None, dollar_under: Any = None, set_under: bool = False) -> None:
        if body is None:
            return
        saved = self.ev.state.current
        assert self.scope is not None
        self.ev.state.current = self.scope
        try:
            if set_under:
                self.ev.state.set_local("_", dollar_under)
                self.ev.state.set_local("PSItem", dollar_under)
            self.ev.call_stack.append((self.name, self.runtime.invocation.span))
            try:
                self.ev.run_function_body(body, self.runtime._emit)
            finally:
                self.ev.call_stack.pop()
        finally:
            self.ev.state.current = saved

    def begin(self) -> None:
        self.runtime.downstream = self.downstream
        saved = self.ev.state.current
        self.scope = saved if self.dot_source else saved.child()
        self.ev.state.current = self.scope
        try:
            self.ev.bind_function_variables(self.binder.meta, self.state, self.block)
            self.ev.state.set_local("input", self.inputs)
            self._apply_common_preferences()
            if not self.binder.meta.simple_function:
                self.ev.state.set_local("PSCmdlet", self._pscmdlet())
        finally:
            self.ev.state.current = saved
        self._run(self.block.begin)

    def _pscmdlet(self) -> Any:
        """`$PSCmdlet` of an advanced function: ShouldProcess/ShouldContinue/WriteError/ThrowTerminatingError
        through this command's runtime."""
        rt = self.runtime

        def should_process(_obj: Any, target: Any, action: Any = None, *rest: Any) -> bool:
            return rt.should_process(str(target), None if action is None else str(action))

        def should_continue(_obj: Any, query: Any, caption: Any = "", *rest: Any) -> bool:
            return rt.should_continue(str(query), str(caption))

        def write_error(_obj: Any, record: Any) -> None:
            rt.write_error(record if not isinstance(record, str) else record)

        def throw_terminating(_obj: Any, record: Any) -> None:
            rt.throw_terminating(record)

        return PSObject(
            [("MyInvocation", rt.invocation), ("ParameterSetName", self.state.chosen_set or "__AllParameterSets")],
            type_names=("System.Management.Automation.PSScriptCmdlet", "System.Object"),
            methods={"ShouldProcess": should_process, "ShouldContinue": should_continue,
                     "WriteError": write_error, "ThrowTerminatingError": throw_terminating},
        )

    def _apply_common_preferences(self) -> None:
        """An advanced function's -ErrorAction/-WarningAction/-Verbose/-WhatIf/-Confirm become the matching
        preference variables inside it (about_CommonParameters), so the commands it runs honour them."""
        params = self.runtime.params
        if params is None:
            return
        for name, var in (("ErrorAction", "ErrorActionPreference"), ("WarningAction", "WarningPreference")):
            if params.is_bound(name):
                self.ev.state.set_local(var, params[name])
        if params.is_bound("Verbose"):
            self.ev.state.set_local("VerbosePreference", "Continue" if params["Verbose"] else "SilentlyContinue")
        if params.is_bound("WhatIf"):
            self.ev.state.set_local("WhatIfPreference", bool(params["WhatIf"]))
        if params.is_bound("Confirm"):
            self.ev.state.set_local("ConfirmPreference", "Low" if params["Confirm"] else "None")

    def process(self, obj: Any, has_input: bool) -> None:
        if has_input and self.has_pipeline_params:
            state, err = self.binder.bind_pipeline_object(self.state, obj)
            if err is not None:
                self.runtime.write_error_record(self.runtime.make_record(err))
                return
            assert state is not None
            saved = self.ev.state.current
            assert self.scope is not None
            self.ev.state.current = self.scope
            try:
                self.ev.bind_function_variables(self.binder.meta, state, None)
            finally:
                self.ev.state.current = saved
        if has_input:
            self.inputs.append(obj)
        if self.block.process is not None:
            self._run(self.block.process, obj if has_input else None, True)

    def end(self) -> None:
        body = self.block.end if (self.block.begin or self.block.process or self.block.end) else self.block.body
        self._run(body, None, False)


class Pipeline:
    """Wires processors together and runs them (binding.md §9)."""

    def __init__(self, processors: list[Processor], out: Emit) -> None:
        self.processors = processors
        self.out = out
        n = len(processors)
        for i, p in enumerate(processors):
            p.position = i + 1
            p.expecting_input = i > 0
            p.downstream = self._feeder(i + 1) if i + 1 < n else out
            p.next_processor = processors[i + 1] if i + 1 < n else None

    def _feeder(self, k: int) -> Emit:
        proc = self.processors[k]

        def feed(obj: Any) -> None:
            try:
                proc.process(obj, True)
            except PipelineStopped as e:
                if not hasattr(e, "origin"):
                    e.origin = k  # type: ignore[attr-defined]
                    e.pipeline = self  # type: ignore[attr-defined]
                raise

        return feed

    def run(self) -> None:
        try:
            self._run()
        finally:
            for p in self.processors:
                p.finish_progress()

    def _run(self) -> None:
        for p in self.processors:
            p.begin()
        i = 0
        try:
            self.processors[0].process(None, False)
        except PipelineStopped as e:
            self._check_owner(e)
            i = getattr(e, "origin", 0)
        n = len(self.processors)
        while i < n:
            try:
                self.processors[i].end()
                i += 1
            except PipelineStopped as e:
                # A command downstream had enough while an upstream end was writing: skip to it.
                self._check_owner(e)
                i = max(i + 1, getattr(e, "origin", i + 1))

    def _check_owner(self, e: PipelineStopped) -> None:
        """A stop requested by a command of an enclosing pipeline (this pipeline runs inside a function that
        streams into it) must unwind through here to that pipeline."""
        owner = getattr(e, "pipeline", None)
        if owner is not None and owner is not self:
            raise e
