"""From a Pipeline node to running processors: command resolution (binding.md §1), argument lists and
splatting (§2), function metadata from `param(...)` blocks, and redirections (`>`, `>>`, `2>&1`, `> $null`)."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Mapping

from exshell.errors import Category, ErrorRecord, ParseError, PSRuntimeError
from exshell.lang import ast
from exshell.lang.parser import parse
from exshell.runtime.binder import BindArg, Binder, CommandMeta, ParameterToken
from exshell.runtime.context import CommandRuntime, InvocationInfo
from exshell.runtime.convert import convert_to
from exshell.runtime.errorview import format_error
from exshell.runtime.evaluator import collapse
from exshell.runtime.host import TextHost
from exshell.runtime.parameters import (
    ALL_SETS,
    COMMON_PARAMETERS,
    SHOULD_PROCESS_PARAMETERS,
    Parameter,
    ParamType,
    T,
)
from exshell.runtime.pipeline import (
    CmdletProcessor,
    ExpressionProcessor,
    FunctionProcessor,
    Pipeline,
    Processor,
)
from exshell.runtime.values import PSHashtable, ScriptBlockValue, enumerate_value, to_string

if TYPE_CHECKING:  # pragma: no cover
    from exshell.runtime.evaluator import Evaluator

Emit = Callable[[Any], None]


# --------------------------------------------------------------------------- resolution (§1)


def command_not_found(name: str, span: Any) -> PSRuntimeError:
    # PS7 wording (binding.md §1.3), two lines; the project's message texts follow PowerShell 7.
    return PSRuntimeError(
        ErrorRecord(
            f"The term '{name}' is not recognized as a name of a cmdlet, function, script file, or executable "
            "program.\nCheck the spelling of the name, or if a path was included, verify that the path is correct "
            "and try again.",
            "CommandNotFoundException",
            Category.ObjectNotFound,
            target=name,
            target_name=name,
            target_type="String",
            exception_type="CommandNotFoundException",
            command=name,
            activity="",
            span=span,
        )
    )


def resolve_command(ev: "Evaluator", name: str) -> tuple[str, Any] | None:
    """alias → function → cmdlet → script file; then the same with `Get-` prepended."""
    for candidate in (name, "Get-" + name):
        target = ev.registry.resolve_alias(candidate)
        if target is not None:
            entry = ev.registry.resolve(target)
            if entry is not None:
                return "cmdlet", ev.registry.load(entry)
        fn = ev.state.get_function(candidate)
        if fn is not None:
            return "function", fn
        entry = ev.registry.resolve(candidate)
        if entry is not None:
            return "cmdlet", ev.registry.load(entry)
        if candidate is name and name.lower().endswith(".ps1") and os.path.isfile(name):
            return "script", name
        if "-" in name or name.lower() in _RESERVED:
            break  # PowerShell only retries plain nouns with Get-
    return None


_RESERVED = {"if", "else", "foreach", "for", "while", "do", "function", "return", "param", "switch", "try"}


# --------------------------------------------------------------------------- function metadata


_PARAM_TYPES: dict[str, ParamType] = {
    "string": T.STRING,
    "string[]": T.STRINGS,
    "int": T.INT,
    "int32": T.INT,
    "int[]": T.INT.of_array(),
    "int32[]": T.INT.of_array(),
    "long": T.LONG,
    "int64": T.LONG,
    "double": T.DOUBLE,
    "bool": T.BOOL,
    "boolean": T.BOOL,
    "switch": T.SWITCH,
    "switchparameter": T.SWITCH,
    "management.automation.switchparameter": T.SWITCH,
    "object": T.OBJECT,
    "object[]": T.OBJECTS,
    "psobject": T.PSOBJECT,
    "scriptblock": T.SCRIPTBLOCK,
    "hashtable": T.HASHTABLE,
    "collections.hashtable": T.HASHTABLE,
    "datetime": T.DATETIME,
}


def param_type(type_name: str | None) -> ParamType:
    if not type_name:
        return T.OBJECT
    key = type_name.strip().lower()
    if key.startswith("system."):
        key = key[7:]
    found = _PARAM_TYPES.get(key)
    if found is not None:
        return found

    def conv(v: Any, _tn: str = type_name) -> Any:
        try:
            return convert_to(v, _tn)
        except PSRuntimeError as e:
            raise ValueError(e.record.message) from None

    return T.custom(type_name, conv, array=key.endswith("[]"))


def _attr_value(v: Any) -> Any:
    if isinstance(v, (ast.ConstantExpr, ast.StringConstantExpr)):
        return v.value
    if isinstance(v, ast.VariableExpr):
        return {"true": True, "false": False, "null": None}.get(v.name.lower(), v.name)
    if isinstance(v, ast.ArrayLiteralExpr):
        return tuple(_attr_value(e) for e in v.elements)
    return v


_PARAM_ATTRS = {
    "mandatory",
    "position",
    "valuefrompipeline",
    "valuefrompipelinebypropertyname",
    "valuefromremainingarguments",
    "parametersetname",
    "helpmessage",
}


def flatten_attributes(attrs: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """ParamDecl.attributes in whatever shape the parser gives → {lower name: value}; `_advanced` when an
    attribute makes the function advanced ([Parameter], [CmdletBinding])."""
    out: dict[str, Any] = {}
    for item in attrs:
        if isinstance(item, tuple) and len(item) == 2:
            name, value = item
        else:
            name, value = item, None
        n = str(name).lower()
        if n == "parameter":
            out["_advanced"] = True
            if isinstance(value, Mapping):
                pairs = list(value.items())
            elif isinstance(value, (tuple, list)):
                pairs = [x if isinstance(x, tuple) and len(x) == 2 else (x, True) for x in value]
            else:
                pairs = []
            for k, v in pairs:
                out[str(k).lower()] = True if v is None else _attr_value(v)
        elif n in ("cmdletbinding",):
            out["_advanced"] = True
        elif n == "alias":
            v = _attr_value(value)
            out["alias"] = tuple(v) if isinstance(v, (tuple, list)) else (v,)
        elif n in _PARAM_ATTRS:
            out["_advanced"] = True
            out[n] = True if value is None else _attr_value(value)
        else:
            out[n] = True if value is None else _attr_value(value)
    return out


_CMDLET_BINDING = re.compile(r"^\s*(?:#[^\n]*\n\s*)*\[\s*CmdletBinding\s*\(([^)]*)\)\s*\]", re.IGNORECASE)


def cmdlet_binding(block: ast.ScriptBlock | None) -> tuple[bool, bool, str]:
    """(has [CmdletBinding()], SupportsShouldProcess, ConfirmImpact) of a script block. The parser accepts and
    drops the attribute, so it is read from the block's source text."""
    if block is None:
        return False, False, "Medium"
    m = _CMDLET_BINDING.match(block.text)
    if m is None:
        return False, False, "Medium"
    args = m.group(1).replace(" ", "").lower()
    impact = re.search(r"confirmimpact=['\"]?(low|medium|high|none)", args)
    return (
        True,
        "supportsshouldprocess" in args and "supportsshouldprocess=$false" not in args,
        impact.group(1).capitalize() if impact else "Medium",
    )


def function_meta(name: str, decls: tuple[ast.ParamDecl, ...], block: ast.ScriptBlock | None = None) -> CommandMeta:
    flat = [flatten_attributes(d.attributes) for d in decls]
    binding, should_process, _impact = cmdlet_binding(block)
    advanced = binding or any(f.get("_advanced") for f in flat)
    explicit_positions = any("position" in f for f in flat)
    params: list[Parameter] = []
    next_pos = 0
    for d, f in zip(decls, flat):
        ptype = param_type(d.type_name)
        position = f.get("position")
        if position is None and not explicit_positions and ptype.kind != "switch":
            position = next_pos
            next_pos += 1
        psn = f.get("parametersetname")
        params.append(
            Parameter(
                d.name,
                ptype,
                position=int(position) if position is not None else None,
                mandatory=bool(f.get("mandatory")),
                pipeline=bool(f.get("valuefrompipeline")),
                by_property_name=bool(f.get("valuefrompipelinebypropertyname")),
                remaining=bool(f.get("valuefromremainingarguments")),
                sets=(str(psn),) if psn and str(psn) != ALL_SETS else (),
                aliases=tuple(str(a) for a in f.get("alias", ())),
            )
        )
    sets: list[str] = []
    for p in params:
        for s in p.sets:
            if s not in sets:
                sets.append(s)
    declared = tuple(params)
    return CommandMeta(
        name=name,
        parameters=declared,
        all_parameters=declared + (COMMON_PARAMETERS if advanced else ())
        + (SHOULD_PROCESS_PARAMETERS if should_process else ()),
        sets=tuple(sets) or (ALL_SETS,),
        default_set=None,
        error_source=name,
        simple_function=not advanced,
    )


# --------------------------------------------------------------------------- argument lists (§2)


def command_args(ev: "Evaluator", cmd: ast.CommandAst) -> list[BindArg]:
    args: list[BindArg] = []
    for el in cmd.elements:
        if isinstance(el, ast.CommandParameter):
            if el.argument is not None:
                value = ev.eval_expr(el.argument)
                token = el.argument.text if isinstance(el.argument, ast.ConstantExpr) else None
                args.append(BindArg("named", el.name, value, True, token, el.span))
            else:
                args.append(BindArg("named", el.name, span=el.span))
            continue
        expr = el.value
        if isinstance(expr, ast.VariableExpr) and expr.splat:
            value = ev.get_variable(expr.name, None, expr.scope)
            if isinstance(value, (PSHashtable, dict)):
                for k, v in value.items():
                    args.append(BindArg("named", str(k), v, True, None, el.span, splatted=True))
            else:
                items = enumerate_value(value)
                for v in (items if items is not None else ([] if value is None else [value])):
                    if isinstance(v, ParameterToken):
                        args.append(BindArg("named", v.param_name, span=el.span))
                    else:
                        args.append(BindArg("positional", value=v, span=el.span))
            continue
        value = ev.eval_expr(expr)
        token = expr.text if isinstance(expr, ast.ConstantExpr) else None
        args.append(BindArg("positional", value=value, token_text=token, span=el.span))
    return args


# --------------------------------------------------------------------------- building processors


def _command_name(ev: "Evaluator", cmd: ast.CommandAst) -> Any:
    name = cmd.name
    if isinstance(name, ast.StringConstantExpr):
        return name.value
    return ev.eval_expr(name)


def build_command(ev: "Evaluator", cmd: ast.CommandAst, position: int, count: int) -> Processor:
    target = _command_name(ev, cmd)
    expecting_input = position > 1
    if isinstance(target, ScriptBlockValue):
        meta = function_meta("", target.block.params, target.block)
        return _function_processor(ev, cmd, meta, target.block, "", position, count, expecting_input,
                                   dot_source=cmd.invocation == ".")
    name = to_string(target)
    resolved = resolve_command(ev, name)
    if resolved is None:
        raise command_not_found(name, cmd.name.span)
    kind, obj = resolved
    if kind == "cmdlet":
        meta = CommandMeta.of_cmdlet(obj)
        binder = _binder(ev, meta, name, cmd, position)
        state = binder.bind_command_line(command_args(ev, cmd), expecting_input)
        runtime = CommandRuntime(
            ev,
            obj.name,
            meta.error_source,
            InvocationInfo(name, cmd.span, position, ev.statement_text, count),
            confirm_impact=obj.confirm_impact,
            supports_should_process=obj.supports_should_process,
        )
        return CmdletProcessor(ev, obj, binder, state, runtime)
    if kind == "function":
        meta = function_meta(obj.name, obj.params, obj.body)
        return _function_processor(ev, cmd, meta, obj.body, name, position, count, expecting_input,
                                   dot_source=cmd.invocation == ".")
    block = load_script(obj, cmd.name.span)
    meta = function_meta(obj, block.params, block)
    return _function_processor(ev, cmd, meta, block, name, position, count, expecting_input,
                               dot_source=cmd.invocation == ".")


def load_script(path: str, span: Any) -> ast.ScriptBlock:
    """Read and parse a script file run with `&`, `.` or by path. A syntax error is the script's parse
    error with its file, line and column, statement-terminating in the caller (PowerShell's ParseException);
    an unreadable file is an error naming it."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise PSRuntimeError(ErrorRecord(
            f"Cannot read the script file '{path}': {reason}.", "ScriptFileUnreadable", Category.ReadError,
            target_name=path, exception_type="IOException", span=span)) from None
    try:
        return parse(text, path)
    except ParseError as e:
        record = e.to_record()
        record.exception_type = "ParseException"
        raise PSRuntimeError(record) from None


def _binder(ev: "Evaluator", meta: CommandMeta, name: str, cmd: ast.CommandAst, position: int) -> Binder:
    return Binder(
        meta,
        name,
        cmd.span,
        ev.host,
        position,
        invoke_delay=lambda sb, obj: collapse(ev.invoke_scriptblock(sb, obj)),
    )


def _function_processor(ev: "Evaluator", cmd: ast.CommandAst, meta: CommandMeta, block: ast.ScriptBlock,
                        name: str, position: int, count: int, expecting_input: bool,
                        dot_source: bool) -> Processor:
    binder = _binder(ev, meta, name, cmd, position)
    state = binder.bind_command_line(command_args(ev, cmd), expecting_input)
    runtime = CommandRuntime(ev, meta.name or name, meta.error_source or name,
                             InvocationInfo(name, cmd.span, position, ev.statement_text, count),
                             confirm_impact=cmdlet_binding(block)[2])
    return FunctionProcessor(ev, name, block, binder, state, runtime, dot_source=dot_source)


def build_pipeline(ev: "Evaluator", node: ast.Pipeline, out: Emit) -> None:
    """Resolve and bind every command (binding.md §1.4: nothing runs if any of this fails), then run."""
    n = len(node.elements)
    processors: list[Processor] = []
    for i, el in enumerate(node.elements):
        if isinstance(el, ast.CommandExpression):
            processors.append(ExpressionProcessor(ev, el))
        else:
            processors.append(build_command(ev, el, i + 1, n))
    pipe = Pipeline(processors, out)
    files: list[tuple[str, bool, list[Any], bool]] = []
    for proc, el in zip(processors, node.elements):
        if el.redirections:
            _apply_redirections(ev, proc, el.redirections, files)
    try:
        pipe.run()
    finally:
        for path, append, items, is_error in files:
            _write_file(ev, path, append, items, is_error)


def _apply_redirections(ev: "Evaluator", proc: Processor, redirs: tuple[ast.Redirection, ...],
                        files: list[tuple[str, bool, list[Any], bool]]) -> None:
    runtime: CommandRuntime | None = getattr(proc, "runtime", None)
    for r in redirs:
        if r.merge_to is not None:
            if r.from_stream in ("2", "*") and runtime is not None:
                target = proc.downstream
                runtime.error_redirect = lambda rec, _t=target: _t(rec)
            continue
        path_value = ev.eval_expr(r.target) if r.target is not None else None
        if path_value is None:
            sink: Emit = lambda obj: None
            items: list[Any] | None = None
        else:
            items = []
            sink = items.append
            files.append((to_string(path_value), r.append, items, r.from_stream == "2"))
        if r.from_stream in ("1", "*"):
            proc.downstream = sink
            if isinstance(proc, CmdletProcessor):
                proc.runtime.downstream = sink
            if isinstance(proc, FunctionProcessor):
                proc.runtime.downstream = sink
        if r.from_stream in ("2", "*") and runtime is not None:
            runtime.error_redirect = (lambda rec, _s=sink: _s(rec))


def _write_file(ev: "Evaluator", path: str, append: bool, items: list[Any], is_error: bool) -> None:
    """`> file` writes what the console would show (Out-File), UTF-8 without BOM (PS7)."""
    import io

    buf = io.StringIO()
    host = TextHost(buf, buf, width=getattr(ev.host, "width", 120))
    render_objects(items, host, ev.get_variable("FormatEnumerationLimit"), getattr(ev.services, "out_default", None))
    full = os.path.abspath(os.path.expanduser(path))
    try:
        with open(full, "a" if append else "w", encoding="utf-8", newline="") as f:
            f.write(buf.getvalue())
    except OSError as e:
        raise PSRuntimeError(
            ErrorRecord(
                f"Could not find a part of the path '{full}'." if isinstance(e, FileNotFoundError) else str(e),
                "FileOpenFailure",
                Category.WriteError,
                target_name=full,
                target_type="String",
                exception_type="DirectoryNotFoundException",
            )
        ) from None


def render_objects(
    objects: list[Any], host: Any, enumeration_limit: Any = None,
    out_default: Callable[[list[Any], Any, Any], None] | None = None,
) -> None:
    """Send objects to Out-Default: error records are rendered by the error view, everything else by
    `out_default` (the application's output layer, exshell.app.Services.out_default), or as plain ToString
    lines when the runtime runs without one."""
    batch: list[Any] = []

    def flush() -> None:
        if not batch:
            return
        if out_default is not None:
            out_default(list(batch), host, enumeration_limit)
        else:
            for obj in batch:
                if obj is not None:
                    host.write_line(to_string(obj))
        batch.clear()

    for obj in objects:
        if isinstance(obj, ErrorRecord):
            flush()
            host.write_line(format_error(obj))
        else:
            batch.append(obj)
    flush()
