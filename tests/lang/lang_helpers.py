"""Helpers for the lang tests: a compact, readable rendering of AST shapes and small accessors."""

from __future__ import annotations

from exshell.errors import ParseError
from exshell.lang import ast
from exshell.lang.parser import parse


def show(node: object) -> str:
    """Render a node as compact text: `(1 + 2)`, `<bare>`, `'single'`, `$x.Name`, `cmd <a> -P:<v>`."""
    n = node
    if n is None:
        return "None"
    if isinstance(n, ast.ConstantExpr):
        return repr(n.value)
    if isinstance(n, ast.StringConstantExpr):
        return f"<{n.value}>" if n.kind == "bare" else repr(n.value)
    if isinstance(n, ast.ExpandableStringExpr):
        inner = "".join(p if isinstance(p, str) else "{" + show(p) + "}" for p in n.parts)
        return f'{"bare" if n.kind == "bare" else ""}"{inner}"'
    if isinstance(n, ast.VariableExpr):
        prefix = "@" if n.splat else "$"
        return f"{prefix}{n.scope + ':' if n.scope else ''}{n.name}"
    if isinstance(n, ast.BinaryExpr):
        return f"({show(n.left)} {n.op} {show(n.right)})"
    if isinstance(n, ast.UnaryExpr):
        return f"({n.op} {show(n.operand)})"
    if isinstance(n, ast.PostfixExpr):
        return f"({show(n.operand)}{n.op})"
    if isinstance(n, ast.TernaryExpr):
        return f"({show(n.condition)} ? {show(n.if_true)} : {show(n.if_false)})"
    if isinstance(n, ast.ArrayLiteralExpr):
        return "[" + ", ".join(show(e) for e in n.elements) + "]"
    if isinstance(n, ast.MemberExpr):
        dot = "::" if n.static else ("?." if n.null_conditional else ".")
        return f"{show(n.obj)}{dot}{_member(n.member)}"
    if isinstance(n, ast.InvokeMemberExpr):
        dot = "::" if n.static else "."
        return f"{show(n.obj)}{dot}{_member(n.member)}(" + ", ".join(show(a) for a in n.arguments) + ")"
    if isinstance(n, ast.IndexExpr):
        return f"{show(n.obj)}[{show(n.index)}]"
    if isinstance(n, ast.ConvertExpr):
        return f"[{n.type_name}]{show(n.operand)}"
    if isinstance(n, ast.TypeExpr):
        return f"[{n.name}]"
    if isinstance(n, ast.ParenExpr):
        return f"({show(n.pipeline)})"
    if isinstance(n, ast.SubExpr):
        return f"$({show(n.body)})"
    if isinstance(n, ast.ArrayExpr):
        return f"@({show(n.body)})"
    if isinstance(n, ast.HashtableExpr):
        prefix = "[ordered]" if n.ordered else ""
        return prefix + "@{" + "; ".join(f"{show(e.key)}={show(e.value)}" for e in n.entries) + "}"
    if isinstance(n, ast.ScriptBlockExpr):
        return "{" + show(n.block.body) + "}"
    if isinstance(n, ast.StatementBlock):
        return "; ".join(show(s) for s in n.statements)
    if isinstance(n, ast.Pipeline):
        return " | ".join(show(e) for e in n.elements)
    if isinstance(n, ast.PipelineChain):
        out = show(n.pipelines[0])
        for op, p in zip(n.ops, n.pipelines[1:]):
            out += f" {op} {show(p)}"
        return out
    if isinstance(n, ast.CommandExpression):
        return show(n.expr) + "".join(" " + show(r) for r in n.redirections)
    if isinstance(n, ast.CommandAst):
        parts = ([n.invocation] if n.invocation else []) + [show(n.name)]
        parts += [show(e) for e in n.elements] + [show(r) for r in n.redirections]
        return " ".join(parts)
    if isinstance(n, ast.CommandParameter):
        return f"-{n.name}" + (f":{show(n.argument)}" if n.colon else "")
    if isinstance(n, ast.CommandArgument):
        return show(n.value)
    if isinstance(n, ast.Redirection):
        if n.merge_to:
            return f"{n.from_stream}>&{n.merge_to}"
        return f"{n.from_stream}{'>>' if n.append else '>'}{show(n.target)}"
    if isinstance(n, ast.Assignment):
        return f"{show(n.target)} {n.op} {show(n.value)}"
    return type(n).__name__


def _member(member: ast.Expr) -> str:
    if isinstance(member, ast.StringConstantExpr) and member.kind == "bare":
        return member.value
    return show(member)


def statements(text: str) -> tuple[ast.Statement, ...]:
    return parse(text).body.statements


def stmt(text: str) -> ast.Statement:
    found = statements(text)
    assert len(found) == 1, found
    return found[0]


def expr(text: str) -> ast.Expr:
    s = stmt(text)
    assert isinstance(s, ast.Pipeline) and len(s.elements) == 1, s
    element = s.elements[0]
    assert isinstance(element, ast.CommandExpression), element
    return element.expr


def command(text: str, index: int = 0) -> ast.CommandAst:
    s = stmt(text)
    assert isinstance(s, ast.Pipeline), s
    element = s.elements[index]
    assert isinstance(element, ast.CommandAst), element
    return element


def arguments(text: str) -> list[ast.Expr]:
    """The argument values of a single command (parameters are an error here)."""
    values = []
    for e in command(text).elements:
        assert isinstance(e, ast.CommandArgument), e
        values.append(e.value)
    return values


def parse_error(text: str) -> ParseError:
    try:
        parse(text)
    except ParseError as e:
        return e
    raise AssertionError(f"{text!r} parsed without error")


def walk(node: object):  # type: ignore[no-untyped-def]
    """Every Node reachable from node (depth first)."""
    if isinstance(node, ast.Node):
        yield node
        for name in node.__node_fields__:
            yield from walk(getattr(node, name))
    elif isinstance(node, tuple):
        for item in node:
            yield from walk(item)
