"""The tree-walking evaluator: `visit_<Node>` over exshell/lang/ast.py (grammar.md §3–§4).

Statements write their output through an `out` callable (so a function's output streams straight into the
next pipeline command); expressions return values. Runtime errors carry the span of the node being evaluated.
Error kinds follow binding.md §12: non-terminating errors are written and execution continues;
statement-terminating errors (PSRuntimeError) end the statement; script-terminating ones
(`throw`, -ErrorAction Stop) unwind to the nearest try/catch or to the top.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from exshell.errors import Category, ErrorRecord, ExitRequested, PSRuntimeError
from exshell.lang import ast
from exshell.lang.parser import parse
from exshell.runtime.binder import BindArg, Binder
from exshell.runtime.command_lookup import CommandLookup, NoCommands
from exshell.runtime.comparison import equals
from exshell.runtime.context import MISSING, preference_name
from exshell.runtime.convert import convert_to
from exshell.runtime.errorview import format_error
from exshell.runtime.expressions import ExpressionVisitor, TypeLiteral, collapse  # noqa: F401
from exshell.runtime.members import set_index, set_member
from exshell.runtime.operators import binary_op
from exshell.runtime.regex import compile_regex, matches_table
from exshell.runtime.scopes import FunctionInfo, SessionState
from exshell.runtime.values import (
    PSHashtable,
    ScriptBlockValue,
    enumerate_value,
    is_true,
    to_string,
    type_name,
)
from exshell.runtime.wildcard import WildcardPattern

if TYPE_CHECKING:  # pragma: no cover
    from exshell.runtime.binder import BindState, CommandMeta
    from exshell.runtime.host import Host

Emit = Callable[[Any], None]


# --------------------------------------------------------------------------- flow control


class FlowControl(Exception):
    """break / continue / return unwinding (not errors)."""


class BreakFlow(FlowControl):
    def __init__(self, label: str | None = None) -> None:
        super().__init__(label)
        self.label = label


class ContinueFlow(FlowControl):
    def __init__(self, label: str | None = None) -> None:
        super().__init__(label)
        self.label = label


class ReturnFlow(FlowControl):
    pass


_ERROR_LIMIT = 256  # $MaximumErrorCount
HISTORY_LIMIT = 4096  # $MaximumHistoryCount's default
CALL_DEPTH_LIMIT = 100  # PowerShell's script call depth limit (ScriptCallDepthException)


def _label_matches(flow_label: str | None, loop_label: str | None) -> bool:
    return flow_label is None or (loop_label is not None and flow_label.lower() == loop_label.lower())


class Evaluator(ExpressionVisitor):
    def __init__(
        self,
        host: "Host",
        services: Any = None,
        registry: CommandLookup | None = None,
        state: SessionState | None = None,
    ) -> None:
        self.host = host
        self.services = services
        self.registry: CommandLookup = registry if registry is not None else NoCommands()
        self.state = state or SessionState()
        self.last_ok = True
        self.failed = False
        self.had_error = False
        self.error_list: list[ErrorRecord] = []
        self.statement_text = ""
        self.try_depth = 0
        # (function name or script path, span of its invocation) of the script code now running: Write-Error
        # reports its errors as coming from there (PS5 shows `f : message`).
        self.call_stack: list[tuple[str, Any]] = []
        self.call_depth = 0
        self.error_sink: Callable[[ErrorRecord], None] | None = None
        self.history: list[Any] = []  # HistoryInfo records of the lines typed at the prompt (Get-History)
        self._version_table: Any = None
        self._visitors: dict[type, Callable[..., Any]] = {}
        self._init_variables()

    def _init_variables(self) -> None:
        g = self.state.global_scope
        self.state.current = g
        defaults = {
            "ErrorActionPreference": "Continue",
            "WarningPreference": "Continue",
            "VerbosePreference": "SilentlyContinue",
            "ProgressPreference": "Continue",
            "DebugPreference": "SilentlyContinue",
            "ConfirmPreference": "High",
            "WhatIfPreference": False,
            "FormatEnumerationLimit": 4,
            "Error": self.error_list,
            "HOME": os.path.expanduser("~"),
            "PID": os.getpid(),
            "MaximumErrorCount": _ERROR_LIMIT,
            "MaximumHistoryCount": HISTORY_LIMIT,
        }
        for k, v in defaults.items():
            self.state.set(k, v, "global")

    # ------------------------------------------------------------------ variables

    def get_variable(self, name: str, default: Any = None, scope: str | None = None) -> Any:
        key = name.lower()
        if scope is None:
            if key == "?":
                return self.last_ok
            if key == "pwd":
                return os.getcwd()
            if key == "psitem":
                var = self.state.lookup("_")
                return default if var is None else var.value
            if key == "host":
                # automatic.py loads platform, uuid and shutil: only when $Host / $PSVersionTable is read.
                from exshell.runtime.automatic import host_object

                return host_object(self.host)
            if key == "psversiontable":
                if self._version_table is None:
                    from exshell.runtime.automatic import ps_version_table

                    self._version_table = ps_version_table()
                return self._version_table
        var = self.state.lookup(name, scope)
        return default if var is None else var.value

    # ------------------------------------------------------------------ errors

    def mark_failed(self) -> None:
        self.failed = True

    def add_error(self, rec: ErrorRecord) -> None:
        self.error_list.insert(0, rec)
        del self.error_list[_ERROR_LIMIT:]

    def show_error(self, rec: ErrorRecord) -> None:
        self.had_error = True
        if self.error_sink is not None:
            self.error_sink(rec)
        else:
            self.host.write_error_text(format_error(rec))

    def report_terminating(self, rec: ErrorRecord) -> None:
        """A terminating error that reached a statement boundary (or the top) uncaught."""
        self.mark_failed()
        self.last_ok = False
        self.add_error(rec)

        if preference_name(self.get_variable("ErrorActionPreference", "Continue")) in ("silentlycontinue", "ignore"):
            return
        self.show_error(rec)

    def _with_span(self, e: PSRuntimeError, node: ast.Node) -> PSRuntimeError:
        if e.record.span is None:
            e.record.span = node.span
        return e

    # ------------------------------------------------------------------ dispatch

    def visit(self, node: ast.Node, *args: Any) -> Any:
        fn = self._visitors.get(type(node))
        if fn is None:
            fn = getattr(self, "visit_" + type(node).__name__, None)
            if fn is None:
                raise PSRuntimeError(
                    ErrorRecord(f"The '{type(node).__name__}' construct is not supported.", "NotSupported",
                                Category.NotImplemented, span=node.span)
                )
            self._visitors[type(node)] = fn
        return fn(node, *args)

    # ------------------------------------------------------------------ statements

    def exec_block(self, block: ast.StatementBlock | None, out: Emit) -> None:
        if block is None:
            return
        for stmt in block.statements:
            self.exec_statement(stmt, out)

    def exec_statement(self, stmt: ast.Statement, out: Emit) -> None:
        """Run one statement; a statement-terminating error is reported here and execution goes on."""
        try:
            self.visit(stmt, out)
        except PSRuntimeError as e:
            self._with_span(e, stmt)

            if e.script_terminating or self.try_depth > 0:
                raise
            if preference_name(self.get_variable("ErrorActionPreference", "Continue")) == "stop":
                raise PSRuntimeError(e.record, script_terminating=True) from None
            self.report_terminating(e.record)

    def statement_output(self, stmt: ast.Statement) -> list[Any]:
        items: list[Any] = []
        self.visit(stmt, items.append)
        return items

    def statement_value(self, stmt: ast.Statement) -> Any:
        """The value of a statement used as a value (assignment RHS, `( )`, conditions): a lone expression is
        its value as is (`$x = ,1` keeps the array); a pipeline's output is collapsed (none → $null, one → it,
        several → Object[])."""
        if isinstance(stmt, ast.Pipeline) and len(stmt.elements) == 1:
            el = stmt.elements[0]
            if isinstance(el, ast.CommandExpression) and not el.redirections:
                return self.eval_expr(el.expr)
        if isinstance(stmt, ast.Assignment):
            return self.do_assignment(stmt)
        return collapse(self.statement_output(stmt))

    def emit_unrolled(self, value: Any, out: Emit) -> None:
        items = enumerate_value(value)
        if items is None:
            out(value)
        else:
            for item in list(items):
                out(item)

    @staticmethod
    def is_void_cast(expr: ast.Expr) -> bool:
        if isinstance(expr, ast.ConvertExpr) and expr.type_name.lower() in ("void", "system.void"):
            return True
        return isinstance(expr, (ast.PostfixExpr,)) or (
            isinstance(expr, ast.UnaryExpr) and expr.op in ("++", "--")
        )

    def visit_StatementBlock(self, node: ast.StatementBlock, out: Emit) -> None:
        self.exec_block(node, out)

    def visit_Pipeline(self, node: ast.Pipeline, out: Emit) -> None:
        self._tracked(lambda: self.run_pipeline(node, out))

    def _tracked(self, action: Callable[[], Any]) -> None:
        """Run a pipeline-level action and set `$?`: False when it wrote or threw an error."""
        saved = self.failed
        self.failed = False
        ok = False
        try:
            action()
            ok = True
        finally:
            inner = self.failed or not ok
            self.last_ok = not inner
            self.failed = saved or inner

    def visit_PipelineChain(self, node: ast.PipelineChain, out: Emit) -> None:
        self.exec_statement(node.pipelines[0], out)
        for op, pipe in zip(node.ops, node.pipelines[1:]):
            if (op == "&&") == self.last_ok:
                self.exec_statement(pipe, out)

    def visit_Assignment(self, node: ast.Assignment, out: Emit) -> None:
        self._tracked(lambda: self.do_assignment(node))

    def visit_IfStatement(self, node: ast.IfStatement, out: Emit) -> None:
        for clause in node.clauses:
            if is_true(self.statement_value(clause.condition)):
                self.exec_block(clause.body, out)
                return
        if node.else_body is not None:
            self.exec_block(node.else_body, out)

    def _loop_body(self, body: ast.StatementBlock, out: Emit, label: str | None) -> bool:
        """Run a loop body once; False when the loop must stop (break)."""
        try:
            self.exec_block(body, out)
        except BreakFlow as b:
            if _label_matches(b.label, label):
                return False
            raise
        except ContinueFlow as c:
            if _label_matches(c.label, label):
                return True
            raise
        return True

    def visit_ForeachStatement(self, node: ast.ForeachStatement, out: Emit) -> None:
        value = self.statement_value(node.iterable)
        items = enumerate_value(value)
        if items is None:
            items = [] if value is None else [value]
        for item in list(items):
            self.assign_variable(node.variable, item)
            if not self._loop_body(node.body, out, node.label):
                break

    def visit_ForStatement(self, node: ast.ForStatement, out: Emit) -> None:
        if node.init is not None:
            self.statement_output(node.init)
        while node.condition is None or is_true(self.statement_value(node.condition)):
            if not self._loop_body(node.body, out, node.label):
                break
            if node.step is not None:
                self.statement_output(node.step)

    def visit_WhileStatement(self, node: ast.WhileStatement, out: Emit) -> None:
        def cond() -> bool:
            v = is_true(self.statement_value(node.condition))
            return not v if node.until else v

        if node.do_loop:
            while True:
                if not self._loop_body(node.body, out, node.label):
                    break
                if not cond():
                    break
        else:
            while cond():
                if not self._loop_body(node.body, out, node.label):
                    break

    def visit_SwitchStatement(self, node: ast.SwitchStatement, out: Emit) -> None:
        """about_Switch: each input value is tested against every clause in order and every matching
        clause runs (`$_` is the value); `default` runs when none matched; `break` leaves the switch,
        `continue` goes on with the next value. A collection is tested element by element, `$null` once."""
        if node.file is not None:
            items: list[Any] = self._switch_file_lines(node.file)
        else:
            assert node.value is not None
            value = self.statement_value(node.value)
            found = enumerate_value(value)
            items = [value] if found is None else list(found)
        saved = self.state.current.variables.get("_"), self.state.current.variables.get("psitem")
        try:
            for item in items:
                self.state.set_local("_", item)
                self.state.set_local("PSItem", item)
                try:
                    matched = False
                    for clause in node.clauses:
                        if self._switch_matches(node, clause.condition, item):
                            matched = True
                            self.exec_block(clause.body, out)
                    if not matched and node.default is not None:
                        self.exec_block(node.default, out)
                except BreakFlow as b:
                    if _label_matches(b.label, node.label):
                        return
                    raise
                except ContinueFlow as c:
                    if _label_matches(c.label, node.label):
                        continue
                    raise
        finally:
            for key, old in zip(("_", "psitem"), saved):
                if old is None:
                    self.state.current.variables.pop(key, None)
                else:
                    self.state.current.variables[key] = old

    def _switch_matches(self, node: ast.SwitchStatement, condition: ast.Expr, item: Any) -> bool:
        if isinstance(condition, ast.ScriptBlockExpr):
            cond: Any = ScriptBlockValue(condition.block)
        else:
            cond = self.eval_expr(condition)
        if isinstance(cond, ScriptBlockValue):
            # a script block clause: its result, with $_ the tested value, decides (about_Switch)
            return is_true(collapse(self.invoke_scriptblock(cond, item)))
        try:
            if node.mode == "wildcard":
                return WildcardPattern(to_string(cond), node.case_sensitive).match(to_string(item))
            if node.mode == "regex":
                m = compile_regex(to_string(cond), node.case_sensitive).search(to_string(item))
                if m is not None:
                    self.state.set("Matches", matches_table(m))
                return m is not None
            return equals(item, cond, node.case_sensitive)
        except PSRuntimeError as e:
            raise self._with_span(e, condition) from None

    def _switch_file_lines(self, path_expr: ast.Expr) -> list[str]:
        """`switch -File path`: the file's lines (about_Switch), or PowerShell's path-not-found error."""
        path = to_string(self.eval_expr(path_expr))
        try:
            with open(os.path.expanduser(path), encoding="utf-8-sig") as f:
                return f.read().splitlines()
        except (OSError, UnicodeDecodeError):
            raise PSRuntimeError(ErrorRecord(
                f"Cannot find path '{os.path.abspath(path)}' because it does not exist.", "PathNotFound",
                Category.ObjectNotFound, target_name=path, exception_type="ItemNotFoundException",
                span=path_expr.span)) from None

    def visit_FlowControl(self, node: ast.FlowControl, out: Emit) -> None:
        kind = node.kind
        if kind in ("break", "continue"):
            label = None
            if node.value is not None:
                v = self.statement_value(node.value)
                label = None if v is None else to_string(v)
            raise BreakFlow(label) if kind == "break" else ContinueFlow(label)
        if kind == "return":
            if node.value is not None:
                self.visit(node.value, out)
            raise ReturnFlow()
        if kind == "exit":
            code = 0
            if node.value is not None:
                v = self.statement_value(node.value)
                try:
                    code = int(v) if v is not None else 0
                except (TypeError, ValueError):
                    code = 0
            raise ExitRequested(code)
        if kind == "throw":
            value = self.statement_value(node.value) if node.value is not None else None
            raise PSRuntimeError(self.throw_record(value, node), script_terminating=True)
        raise PSRuntimeError(ErrorRecord(f"Unknown flow control '{kind}'.", "NotSupported", span=node.span))

    def throw_record(self, value: Any, node: ast.Node) -> ErrorRecord:
        if isinstance(value, ErrorRecord):
            return value
        if value is None:
            return ErrorRecord("ScriptHalted", "ScriptHalted", Category.OperationStopped, span=node.span,
                               exception_type="RuntimeException", activity="")
        text = to_string(value)
        return ErrorRecord(
            text,
            text,
            Category.OperationStopped,
            target=value,
            target_name=text,
            target_type=type_name(value).rsplit(".", 1)[-1],
            exception_type="RuntimeException",
            span=node.span,
            activity="",
        )

    def visit_TryStatement(self, node: ast.TryStatement, out: Emit) -> None:
        try:
            self.try_depth += 1
            try:
                self.exec_block(node.body, out)
            finally:
                self.try_depth -= 1
        except PSRuntimeError as e:
            self._with_span(e, node)
            clause = self._matching_catch(node.catches, e.record)
            if clause is None:
                raise
            self.add_error(e.record)
            saved_under = self.state.lookup("_")
            self.state.set_local("_", e.record)
            self.state.set_local("PSItem", e.record)
            try:
                self.exec_block(clause.body, out)
            finally:
                self.state.set_local("_", saved_under.value if saved_under else None)
                self.state.set_local("PSItem", saved_under.value if saved_under else None)
        finally:
            if node.finally_body is not None:
                self.exec_block(node.finally_body, out)

    @staticmethod
    def _matching_catch(catches: tuple[ast.CatchClause, ...], rec: ErrorRecord) -> ast.CatchClause | None:
        for c in catches:
            if not c.type_names:
                return c
            for t in c.type_names:
                short = t.rsplit(".", 1)[-1].lower()
                if short in ("exception", "runtimeexception", "systemexception", rec.exception_type.lower()):
                    return c
        return None

    def visit_FunctionDefinition(self, node: ast.FunctionDefinition, out: Emit) -> None:
        name = node.name
        scope = None
        if ":" in name:
            prefix, rest = name.split(":", 1)
            if prefix.lower() in ("global", "script", "local", "private"):
                scope, name = prefix.lower(), rest
        self.state.set_function(FunctionInfo(name, node.params or node.body.params, node.body), scope)

    # ------------------------------------------------------------------ assignment

    def do_assignment(self, node: ast.Assignment) -> Any:
        value = self.statement_value(node.value)
        op = node.op
        if op == "=":
            self.assign(node.target, value)
            return value
        current = self.eval_expr(_strip_cast(node.target))
        if op == "??=":
            if current is not None:
                return current
            self.assign(node.target, value)
            return value
        try:
            new = binary_op(op[:-1], current, value)
        except PSRuntimeError as e:
            raise self._with_span(e, node) from None
        self.assign(node.target, new)
        return new

    def assign(self, target: ast.Expr, value: Any) -> None:
        try:
            if isinstance(target, ast.VariableExpr):
                self.assign_variable(target, value)
            elif isinstance(target, ast.ConvertExpr):
                self.assign(target.operand, convert_to(value, target.type_name))
            elif isinstance(target, ast.MemberExpr):
                obj = self.eval_expr(target.obj)
                set_member(obj, self.member_name(target.member), value)
            elif isinstance(target, ast.IndexExpr):
                set_index(self.eval_expr(target.obj), self.eval_expr(target.index), value)
            elif isinstance(target, ast.ArrayLiteralExpr):
                items = enumerate_value(value)
                values = list(items) if items is not None else [value]
                n = len(target.elements)
                for i, t in enumerate(target.elements):
                    if i == n - 1:
                        rest = values[i:]
                        self.assign(t, None if not rest else rest[0] if len(rest) == 1 else rest)
                    else:
                        self.assign(t, values[i] if i < len(values) else None)
            elif isinstance(target, ast.ParenExpr) and isinstance(target.pipeline, ast.Pipeline):
                el = target.pipeline.elements[0]
                if isinstance(el, ast.CommandExpression):
                    self.assign(el.expr, value)
                    return
                raise self._invalid_lhs(target)
            else:
                raise self._invalid_lhs(target)
        except PSRuntimeError as e:
            raise self._with_span(e, target) from None

    def _invalid_lhs(self, target: ast.Node) -> PSRuntimeError:
        return PSRuntimeError(
            ErrorRecord(
                "The assignment expression is not valid. The input to an assignment operator must be an object "
                "that is able to accept assignments, such as a variable or a property.",
                "InvalidLeftHandSide",
                Category.ParserError,
                span=target.span,
            )
        )

    def assign_variable(self, var: ast.VariableExpr, value: Any) -> None:
        if var.name.lower() == "null" and var.scope is None:
            return  # `$null = expr` discards the value (about_Automatic_Variables)
        if var.name.lower() in ("_", "psitem") and var.scope is None:
            self.state.set_local("_", value)
            self.state.set_local("PSItem", value)
            return
        self.state.set(var.name, value, var.scope)

    # ------------------------------------------------------------------ expressions

    def eval_expr(self, node: ast.Expr) -> Any:
        try:
            return self.visit(node)
        except PSRuntimeError as e:
            raise self._with_span(e, node) from None

    # ------------------------------------------------------------------ pipelines and commands

    def run_pipeline(self, node: ast.Pipeline, out: Emit) -> None:
        from exshell.runtime.commands import build_pipeline  # commands builds on this module: an import cycle

        if len(node.elements) == 1:
            el = node.elements[0]
            if isinstance(el, ast.CommandExpression) and not el.redirections:
                # A lone expression needs no processors: evaluate and unroll (hot in loops).
                value = self.eval_expr(el.expr)
                if not self.is_void_cast(el.expr):
                    self.emit_unrolled(value, out)
                return

        build_pipeline(self, node, out)

    # ------------------------------------------------------------------ script blocks and functions

    def run_function_body(self, body: ast.StatementBlock, out: Emit) -> None:
        if self.call_depth >= CALL_DEPTH_LIMIT:
            from exshell.runtime.session import call_depth_overflow  # the session imports this module: a cycle

            raise PSRuntimeError(call_depth_overflow(), script_terminating=True)
        self.call_depth += 1
        try:
            self.exec_block(body, lambda v: self.emit_unrolled(v, out))
        except ReturnFlow:
            pass
        finally:
            self.call_depth -= 1

    def invoke_scriptblock(self, sb: Any, dollar_under: Any = MISSING, args: list[Any] | None = None,
                           new_scope: bool = False) -> list[Any]:
        """Run sb in the current (caller's) scope or a new child scope; `$_` set when dollar_under is given.
        `return` ends the block; break/continue propagate to the enclosing loop (as in ForEach-Object)."""
        block: ast.ScriptBlock = sb.block
        items: list[Any] = []
        out = items.append
        saved_scope = self.state.current
        if new_scope:
            self.state.push()
        saved_under = self.state.current.variables.get("_")
        saved_item = self.state.current.variables.get("psitem")
        try:
            if dollar_under is not MISSING:
                self.state.set_local("_", dollar_under)
                self.state.set_local("PSItem", dollar_under)
            if block.params or args:
                self._bind_block_args(block, args or [])
            for body in block_bodies(block):
                self.run_function_body(body, out)
        finally:
            if not new_scope:
                for key, saved in (("_", saved_under), ("psitem", saved_item)):
                    if saved is None:
                        self.state.current.variables.pop(key, None)
                    else:
                        self.state.current.variables[key] = saved
            self.state.current = saved_scope
        return items

    def _bind_block_args(self, block: ast.ScriptBlock, args: list[Any]) -> None:
        from exshell.runtime.commands import function_meta  # an import cycle, as in run_pipeline

        meta = function_meta("", block.params)
        binder = Binder(meta, "", block.span, self.host)
        state = binder.bind_command_line([BindArg("positional", value=a) for a in args], False)
        self.bind_function_variables(meta, state, block)

    def bind_function_variables(self, meta: "CommandMeta", state: "BindState", block: ast.ScriptBlock | None) -> None:
        """Set parameter variables in the current scope; unbound ones get their default (evaluated here)."""
        decls = {d.name.lower(): d for d in (block.params if block is not None else ())}
        bound = PSHashtable()
        for p in meta.parameters:
            key = p.name.lower()
            if key in state.values:
                value = state.values[key][1]
                bound[p.name] = value
                self.state.set_local(p.name, value)
            elif block is not None:
                d = decls.get(key)
                if d is not None and d.default is not None:
                    self.state.set_local(p.name, self.eval_expr(d.default))
                else:
                    self.state.set_local(p.name, False if p.is_switch else None)
        if block is not None:
            self.state.set_local("args", list(state.extra_args))
            self.state.set_local("PSBoundParameters", bound)

    def invoke_text(self, text: str) -> list[Any]:
        block = parse(text)
        items: list[Any] = []
        for body in block_bodies(block):
            self.exec_block(body, items.append)
        return items


def block_bodies(block: ast.ScriptBlock) -> list[ast.StatementBlock]:
    if block.begin is not None or block.process is not None or block.end is not None:
        return [b for b in (block.begin, block.process, block.end) if b is not None]
    return [block.body]


def _strip_cast(target: ast.Expr) -> ast.Expr:
    return target.operand if isinstance(target, ast.ConvertExpr) else target
