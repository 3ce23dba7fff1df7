"""AST nodes. The parser builds them; the evaluator (exshell.runtime) walks them with visit_<ClassName>.

Every node carries the Span of the text it came from, so runtime errors can point at it with a caret.
Nodes are immutable value objects with slots, declared like dataclasses: annotated fields, base fields first
(`span`), then the class's own, which is the constructor order; `replace(node, **changes)` copies one.

Why not @dataclass(frozen=True, slots=True): generating five methods per class with exec and rebuilding the
class for its slots cost ~40 ms for these ~45 classes on every start of `exshell -c` (bench/startup.py), a
sixth of the whole start-up. _NodeMeta generates only __init__; equality, hashing, repr and the frozen guard
are shared methods of Node.
"""

from __future__ import annotations

from typing import Any, ClassVar, dataclass_transform

from exshell.lang.position import Span


@dataclass_transform(frozen_default=True)  # type checkers see the nodes' constructors as a dataclass's
class _NodeMeta(type):
    """Turns the annotations of a node class into __slots__, __node_fields__ and a generated __init__."""

    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> "_NodeMeta":
        inherited: list[str] = []
        defaults: dict[str, Any] = {}
        for base in bases:
            for f in getattr(base, "__node_fields__", ()):
                if f not in inherited:
                    inherited.append(f)
            defaults.update(getattr(base, "__node_defaults__", {}))
        own = [k for k in ns.get("__annotations__", {}) if k not in inherited and not k.startswith("__")]
        for k in own:
            if k in ns:
                defaults[k] = ns.pop(k)
        fields = tuple(inherited + own)
        ns["__slots__"] = tuple(own)
        ns["__node_fields__"] = fields
        ns["__node_defaults__"] = defaults
        cls = super().__new__(mcls, name, bases, ns)

        # The real __init__ is generated on the first construction: a run builds a handful of the ~45 node
        # kinds, so compiling all of them up front would be start-up spent for nothing.
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            real = _make_init(fields, defaults)
            type.__setattr__(cls, "__init__", real)
            real(self, *args, **kwargs)

        type.__setattr__(cls, "__init__", __init__)
        return cls


def _make_init(fields: tuple[str, ...], defaults: dict[str, Any]) -> Any:
    params = ", ".join(f"{f}=_d_{f}" if f in defaults else f for f in fields)
    body = "".join(f"\n    _set(self, {f!r}, {f})" for f in fields) or "\n    pass"
    env: dict[str, Any] = {"_set": object.__setattr__}
    env.update({f"_d_{k}": v for k, v in defaults.items()})
    exec(f"def __init__(self, {params}):{body}", env)  # noqa: S102 - generated from annotations only
    return env["__init__"]


class Node(metaclass=_NodeMeta):
    span: Span

    __node_fields__: ClassVar[tuple[str, ...]]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field '{name}': {type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field '{name}': {type(self).__name__} is immutable")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in self.__node_fields__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.__class__.__name__,) + self._values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__node_fields__)
        return f"{self.__class__.__name__}({inner})"


def replace(node: Any, **changes: Any) -> Any:
    """A copy of node with some fields changed (dataclasses.replace for nodes)."""
    values = {f: getattr(node, f) for f in node.__node_fields__}
    values.update(changes)
    return node.__class__(**values)


# --------------------------------------------------------------------------- expressions


class Expr(Node):
    pass


class ConstantExpr(Expr):
    """A number literal. `text` is the spelling as typed (`10MB`, `0x10`, `007`): a command argument bound
    to a [string] parameter keeps this spelling (binding.md §5)."""

    value: Any
    text: str


class StringConstantExpr(Expr):
    """A string with nothing to expand. kind: 'bare' (argument-mode word), 'single', 'double', 'here_single',
    'here_double'. A bare string is never a parameter and never a number."""

    value: str
    kind: str = "single"


class ExpandableStringExpr(Expr):
    """A string with `$var` / `$(...)` inside. `parts` alternate literal text (str) and expressions
    (VariableExpr or SubExpr) in source order. kind as in StringConstantExpr ('bare' for `a$x`)."""

    parts: tuple[str | "Expr", ...]
    kind: str = "double"


class VariableExpr(Expr):
    """`$name`, `${any name}`, `$env:NAME`, `$script:x`. `name` has no `$`; `scope` is the part before the
    colon ('env', 'global', 'script', 'local', 'private', 'using') or None. `splat` is True for `@name`
    (only valid as a command argument)."""

    name: str
    scope: str | None = None
    splat: bool = False


class TypeExpr(Expr):
    """A type literal `[int]` used as a value (`-is [string]`, `[int]::MaxValue`). `name` as written."""

    name: str


class ConvertExpr(Expr):
    """A cast `[type] operand`."""

    type_name: str
    operand: Expr


class ArrayLiteralExpr(Expr):
    """`a, b, c` (binary comma) or `,a` (unary comma, one element)."""

    elements: tuple[Expr, ...]


class ArrayExpr(Expr):
    """`@( statements )`: always an array."""

    body: "StatementBlock"


class SubExpr(Expr):
    """`$( statements )`."""

    body: "StatementBlock"


class ParenExpr(Expr):
    """`( pipeline )`. The inner statement is a pipeline or an assignment (which then outputs its value)."""

    pipeline: "Statement"


class HashEntry(Node):
    key: Expr  # bare keys are StringConstantExpr(kind='bare')
    value: "Statement"


class HashtableExpr(Expr):
    """`@{ k = v; ... }`. `ordered` is set by the parser for `[ordered]@{...}`."""

    entries: tuple[HashEntry, ...]
    ordered: bool = False


class ScriptBlockExpr(Expr):
    """`{ ... }` as a value."""

    block: "ScriptBlock"


class UnaryExpr(Expr):
    """op: '-not' (also for '!'), '-' , '+', '-bnot', '-split', '-join', '++' / '--' (prefix)."""

    op: str
    operand: Expr


class PostfixExpr(Expr):
    """`$x++` / `$x--`."""

    op: str
    operand: Expr


class BinaryExpr(Expr):
    """op is the operator lower-cased as written: '+', '-', '*', '/', '%', '..', '-f', '-eq', '-ieq', '-ceq',
    '-like', '-cnotlike', '-contains', '-in', '-replace', '-split', '-join', '-is', '-isnot', '-as', '-and', '-or',
    '-xor', '-band', '-bor', '-bxor', '-shl', '-shr', '??'. `op_span` points at the operator token."""

    op: str
    left: Expr
    right: Expr
    op_span: Span


class TernaryExpr(Expr):
    condition: Expr
    if_true: Expr
    if_false: Expr


class MemberExpr(Expr):
    """`obj.Name`, `obj.'quoted'`, `obj.$var`, `[type]::Name`. `member` is a StringConstantExpr for plain
    names, otherwise the expression giving the name. `static` for `::`, `null_conditional` for `?.`."""

    obj: Expr
    member: Expr
    static: bool = False
    null_conditional: bool = False


class InvokeMemberExpr(Expr):
    """`obj.Method(a, b)` / `[type]::Method(a)`."""

    obj: Expr
    member: Expr
    arguments: tuple[Expr, ...]
    static: bool = False
    null_conditional: bool = False


class IndexExpr(Expr):
    """`obj[index]`; a comma list inside the brackets is an ArrayLiteralExpr index."""

    obj: Expr
    index: Expr
    null_conditional: bool = False


# --------------------------------------------------------------------------- commands


class CommandParameter(Node):
    """`-Name`, `-Name:value` or `-Name: value`. `name` without the dash, as typed (case kept).
    `argument` is set only for the colon form; a following separate argument is a separate element and the
    binder decides whether to take it (binding.md §3 step 1)."""

    name: str
    argument: Expr | None = None
    colon: bool = False


class CommandArgument(Node):
    """A positional-looking argument: any expression (a comma list is one ArrayLiteralExpr; `@name` is a
    VariableExpr with splat=True). `after_double_dash`: it followed `--`, so it is never a parameter."""

    value: Expr


CommandElement = CommandParameter | CommandArgument


class CommandAst(Node):
    """`name elements...`. `name` is usually StringConstantExpr(kind='bare') (`Get-ReceiveConnector`, `%`,
    `where`); after `&` or `.` it may be any expression (a string, a variable holding a script block).
    `invocation` is '&', '.' or None. `name_span` points at the command name."""

    name: Expr
    elements: tuple[CommandElement, ...]
    invocation: str | None = None
    redirections: tuple["Redirection", ...] = ()


class Redirection(Node):
    """`> file`, `>> file`, `2>&1`, `2> file`, `*> file`: from_stream '1','2','*'; to is a file path expression,
    or None with merge_to='1' for `2>&1`."""

    from_stream: str
    append: bool
    target: Expr | None
    merge_to: str | None = None


class CommandExpression(Node):
    """An expression used as the first element of a pipeline (`$list | ...`, `2+2`)."""

    expr: Expr
    redirections: tuple[Redirection, ...] = ()


PipelineElement = CommandAst | CommandExpression


# --------------------------------------------------------------------------- statements


class Statement(Node):
    pass


class Pipeline(Statement):
    """`A | B | C`. Only the first element may be a CommandExpression."""

    elements: tuple[PipelineElement, ...]


class PipelineChain(Statement):
    """`a && b || c` (PS7): ops are '&&' / '||', len(ops) == len(pipelines) - 1."""

    pipelines: tuple[Statement, ...]
    ops: tuple[str, ...]


class Assignment(Statement):
    """`target op value`; op in '=', '+=', '-=', '*=', '/=', '%=', '??='. target is a VariableExpr,
    MemberExpr, IndexExpr, a ConvertExpr around one of those (`[int]$x = 5`), or an ArrayLiteralExpr of them
    (`$a, $b = 1, 2`). value is a full statement (a pipeline, an if, another assignment)."""

    target: Expr
    op: str
    value: Statement


class IfClause(Node):
    condition: Statement
    body: "StatementBlock"


class IfStatement(Statement):
    clauses: tuple[IfClause, ...]  # the if, then each elseif
    else_body: "StatementBlock | None" = None


class ForeachStatement(Statement):
    variable: VariableExpr
    iterable: Statement
    body: "StatementBlock"
    label: str | None = None


class ForStatement(Statement):
    init: Statement | None
    condition: Statement | None
    step: Statement | None
    body: "StatementBlock"
    label: str | None = None


class WhileStatement(Statement):
    """`while (c) {}` and, with do_loop set, `do {} while (c)` / `do {} until (c)` (until=True)."""

    condition: Statement
    body: "StatementBlock"
    do_loop: bool = False
    until: bool = False
    label: str | None = None


class SwitchClause(Node):
    """`condition { body }` in a switch: condition is an argument-mode value (a bare word is a string), or a
    script block evaluated with `$_` set to the value being tested."""

    condition: Expr
    body: "StatementBlock"


class SwitchStatement(Statement):
    """`switch [-Regex|-Wildcard|-Exact] [-CaseSensitive] [-File path | (pipeline)] { clauses }` (about_Switch).
    mode: 'exact' (the default: -eq), 'wildcard' (-like) or 'regex' (-match, sets $Matches). `value` is the
    tested pipeline, or None with `file` (the path expression) for -File."""

    value: Statement | None
    clauses: tuple[SwitchClause, ...]
    default: "StatementBlock | None" = None
    mode: str = "exact"
    case_sensitive: bool = False
    file: Expr | None = None
    label: str | None = None


class FlowControl(Statement):
    """kind: 'return', 'break', 'continue', 'throw', 'exit'. value: the pipeline after the keyword, if any
    (for break/continue: a label)."""

    kind: str
    value: Statement | None = None


class CatchClause(Node):
    type_names: tuple[str, ...]
    body: "StatementBlock"


class TryStatement(Statement):
    body: "StatementBlock"
    catches: tuple[CatchClause, ...]
    finally_body: "StatementBlock | None" = None


class FunctionDefinition(Statement):
    """`function Name { param(...) ... }` / `function Name($a, $b) { ... }`."""

    name: str
    params: tuple["ParamDecl", ...]
    body: "ScriptBlock"


class ParamDecl(Node):
    """One parameter of a `param(...)` block: `[type]$Name = default` with optional
    `[Parameter(Mandatory, Position=0, ValueFromPipeline)]`-style attributes (names lower-cased)."""

    name: str
    type_name: str | None = None
    default: Expr | None = None
    attributes: tuple[tuple[str, Any], ...] = ()


class StatementBlock(Node):
    statements: tuple[Statement, ...]


class ScriptBlock(Node):
    """A whole script or a `{ ... }` literal. `params` from a leading `param(...)`. The named blocks
    begin/process/end are set when the block uses them; otherwise `body` holds the statements (an unnamed
    block runs as `end`). `text` is the source between the braces (how a script block displays)."""

    body: StatementBlock
    params: tuple[ParamDecl, ...] = ()
    begin: StatementBlock | None = None
    process: StatementBlock | None = None
    end: StatementBlock | None = None
    text: str = ""
