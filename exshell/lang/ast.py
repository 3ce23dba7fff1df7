"""AST nodes. The parser builds them; the evaluator (exshell.runtime) walks them with visit_<ClassName>.

Every node carries the Span of the text it came from, so runtime errors can point at it with a caret.
Node classes are frozen dataclasses; the field order after `span` is the constructor order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from exshell.lang.position import Span


@dataclass(frozen=True, slots=True)
class Node:
    span: Span


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Expr(Node):
    pass


@dataclass(frozen=True, slots=True)
class ConstantExpr(Expr):
    """A number literal. `text` is the spelling as typed (`10MB`, `0x10`, `007`): a command argument bound
    to a [string] parameter keeps this spelling (binding.md §5)."""

    value: Any
    text: str


@dataclass(frozen=True, slots=True)
class StringConstantExpr(Expr):
    """A string with nothing to expand. kind: 'bare' (argument-mode word), 'single', 'double', 'here_single',
    'here_double'. A bare string is never a parameter and never a number."""

    value: str
    kind: str = "single"


@dataclass(frozen=True, slots=True)
class ExpandableStringExpr(Expr):
    """A string with `$var` / `$(...)` inside. `parts` alternate literal text (str) and expressions
    (VariableExpr or SubExpr) in source order. kind as in StringConstantExpr ('bare' for `a$x`)."""

    parts: tuple[Union[str, "Expr"], ...]
    kind: str = "double"


@dataclass(frozen=True, slots=True)
class VariableExpr(Expr):
    """`$name`, `${any name}`, `$env:NAME`, `$script:x`. `name` has no `$`; `scope` is the part before the
    colon ('env', 'global', 'script', 'local', 'private', 'using') or None. `splat` is True for `@name`
    (only valid as a command argument)."""

    name: str
    scope: str | None = None
    splat: bool = False


@dataclass(frozen=True, slots=True)
class TypeExpr(Expr):
    """A type literal `[int]` used as a value (`-is [string]`, `[int]::MaxValue`). `name` as written."""

    name: str


@dataclass(frozen=True, slots=True)
class ConvertExpr(Expr):
    """A cast `[type] operand`."""

    type_name: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class ArrayLiteralExpr(Expr):
    """`a, b, c` (binary comma) or `,a` (unary comma, one element)."""

    elements: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class ArrayExpr(Expr):
    """`@( statements )`: always an array."""

    body: "StatementBlock"


@dataclass(frozen=True, slots=True)
class SubExpr(Expr):
    """`$( statements )`."""

    body: "StatementBlock"


@dataclass(frozen=True, slots=True)
class ParenExpr(Expr):
    """`( pipeline )`. The inner statement is a pipeline or an assignment (which then outputs its value)."""

    pipeline: "Statement"


@dataclass(frozen=True, slots=True)
class HashEntry(Node):
    key: Expr  # bare keys are StringConstantExpr(kind='bare')
    value: "Statement"


@dataclass(frozen=True, slots=True)
class HashtableExpr(Expr):
    """`@{ k = v; ... }`. `ordered` is set by the parser for `[ordered]@{...}`."""

    entries: tuple[HashEntry, ...]
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class ScriptBlockExpr(Expr):
    """`{ ... }` as a value."""

    block: "ScriptBlock"


@dataclass(frozen=True, slots=True)
class UnaryExpr(Expr):
    """op: '-not' (also for '!'), '-' , '+', '-bnot', '-split', '-join', '++' / '--' (prefix)."""

    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class PostfixExpr(Expr):
    """`$x++` / `$x--`."""

    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class BinaryExpr(Expr):
    """op is the operator lower-cased as written: '+', '-', '*', '/', '%', '..', '-f', '-eq', '-ieq', '-ceq',
    '-like', '-cnotlike', '-contains', '-in', '-replace', '-split', '-join', '-is', '-isnot', '-as', '-and', '-or',
    '-xor', '-band', '-bor', '-bxor', '-shl', '-shr', '??'. `op_span` points at the operator token."""

    op: str
    left: Expr
    right: Expr
    op_span: Span


@dataclass(frozen=True, slots=True)
class TernaryExpr(Expr):
    condition: Expr
    if_true: Expr
    if_false: Expr


@dataclass(frozen=True, slots=True)
class MemberExpr(Expr):
    """`obj.Name`, `obj.'quoted'`, `obj.$var`, `[type]::Name`. `member` is a StringConstantExpr for plain
    names, otherwise the expression giving the name. `static` for `::`, `null_conditional` for `?.`."""

    obj: Expr
    member: Expr
    static: bool = False
    null_conditional: bool = False


@dataclass(frozen=True, slots=True)
class InvokeMemberExpr(Expr):
    """`obj.Method(a, b)` / `[type]::Method(a)`."""

    obj: Expr
    member: Expr
    arguments: tuple[Expr, ...]
    static: bool = False
    null_conditional: bool = False


@dataclass(frozen=True, slots=True)
class IndexExpr(Expr):
    """`obj[index]`; a comma list inside the brackets is an ArrayLiteralExpr index."""

    obj: Expr
    index: Expr
    null_conditional: bool = False


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True)
class CommandParameter(Node):
    """`-Name`, `-Name:value` or `-Name: value`. `name` without the dash, as typed (case kept).
    `argument` is set only for the colon form; a following separate argument is a separate element and the
    binder decides whether to take it (binding.md §3 step 1)."""

    name: str
    argument: Expr | None = None
    colon: bool = False


@dataclass(frozen=True, slots=True)
class CommandArgument(Node):
    """A positional-looking argument: any expression (a comma list is one ArrayLiteralExpr; `@name` is a
    VariableExpr with splat=True). `after_double_dash`: it followed `--`, so it is never a parameter."""

    value: Expr


CommandElement = Union[CommandParameter, CommandArgument]


@dataclass(frozen=True, slots=True)
class CommandAst(Node):
    """`name elements...`. `name` is usually StringConstantExpr(kind='bare') (`Get-ReceiveConnector`, `%`,
    `where`); after `&` or `.` it may be any expression (a string, a variable holding a script block).
    `invocation` is '&', '.' or None. `name_span` points at the command name."""

    name: Expr
    elements: tuple[CommandElement, ...]
    invocation: str | None = None
    redirections: tuple["Redirection", ...] = ()


@dataclass(frozen=True, slots=True)
class Redirection(Node):
    """`> file`, `>> file`, `2>&1`, `2> file`, `*> file`: from_stream '1','2','*'; to is a file path expression,
    or None with merge_to='1' for `2>&1`."""

    from_stream: str
    append: bool
    target: Expr | None
    merge_to: str | None = None


@dataclass(frozen=True, slots=True)
class CommandExpression(Node):
    """An expression used as the first element of a pipeline (`$list | ...`, `2+2`)."""

    expr: Expr
    redirections: tuple[Redirection, ...] = ()


PipelineElement = Union[CommandAst, CommandExpression]


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Statement(Node):
    pass


@dataclass(frozen=True, slots=True)
class Pipeline(Statement):
    """`A | B | C`. Only the first element may be a CommandExpression."""

    elements: tuple[PipelineElement, ...]


@dataclass(frozen=True, slots=True)
class PipelineChain(Statement):
    """`a && b || c` (PS7): ops are '&&' / '||', len(ops) == len(pipelines) - 1."""

    pipelines: tuple[Statement, ...]
    ops: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Assignment(Statement):
    """`target op value`; op in '=', '+=', '-=', '*=', '/=', '%=', '??='. target is a VariableExpr,
    MemberExpr, IndexExpr, a ConvertExpr around one of those (`[int]$x = 5`), or an ArrayLiteralExpr of them
    (`$a, $b = 1, 2`). value is a full statement (a pipeline, an if, another assignment)."""

    target: Expr
    op: str
    value: Statement


@dataclass(frozen=True, slots=True)
class IfClause(Node):
    condition: Statement
    body: "StatementBlock"


@dataclass(frozen=True, slots=True)
class IfStatement(Statement):
    clauses: tuple[IfClause, ...]  # the if, then each elseif
    else_body: "StatementBlock | None" = None


@dataclass(frozen=True, slots=True)
class ForeachStatement(Statement):
    variable: VariableExpr
    iterable: Statement
    body: "StatementBlock"
    label: str | None = None


@dataclass(frozen=True, slots=True)
class ForStatement(Statement):
    init: Statement | None
    condition: Statement | None
    step: Statement | None
    body: "StatementBlock"
    label: str | None = None


@dataclass(frozen=True, slots=True)
class WhileStatement(Statement):
    """`while (c) {}` and, with do_loop set, `do {} while (c)` / `do {} until (c)` (until=True)."""

    condition: Statement
    body: "StatementBlock"
    do_loop: bool = False
    until: bool = False
    label: str | None = None


@dataclass(frozen=True, slots=True)
class FlowControl(Statement):
    """kind: 'return', 'break', 'continue', 'throw', 'exit'. value: the pipeline after the keyword, if any
    (for break/continue: a label)."""

    kind: str
    value: Statement | None = None


@dataclass(frozen=True, slots=True)
class CatchClause(Node):
    type_names: tuple[str, ...]
    body: "StatementBlock"


@dataclass(frozen=True, slots=True)
class TryStatement(Statement):
    body: "StatementBlock"
    catches: tuple[CatchClause, ...]
    finally_body: "StatementBlock | None" = None


@dataclass(frozen=True, slots=True)
class FunctionDefinition(Statement):
    """`function Name { param(...) ... }` / `function Name($a, $b) { ... }`."""

    name: str
    params: tuple["ParamDecl", ...]
    body: "ScriptBlock"


@dataclass(frozen=True, slots=True)
class ParamDecl(Node):
    """One parameter of a `param(...)` block: `[type]$Name = default` with optional
    `[Parameter(Mandatory, Position=0, ValueFromPipeline)]`-style attributes (names lower-cased)."""

    name: str
    type_name: str | None = None
    default: Expr | None = None
    attributes: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class StatementBlock(Node):
    statements: tuple[Statement, ...]


@dataclass(frozen=True, slots=True)
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
