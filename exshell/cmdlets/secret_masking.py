"""Passwords typed inline are masked in the command text a version records (Get-ConfigVersion's Command, kept
in the store's history on either backend) and in the REPL's history file.

`New-Mailbox … -Password (ConvertTo-SecureString 'P@ss' -AsPlainText -Force)` is recorded as
`New-Mailbox … -Password (ConvertTo-SecureString '********' -AsPlainText -Force)`: the statement stays whole and
still parses; only the literal that is the secret is replaced. Masked, read from the statement's syntax tree:
- the String argument of ConvertTo-SecureString (named, positional, or a literal piped into it);
- any literal bound to a parameter typed SecureString or PSCredential (by name, alias, prefix or position);
- a literal assigned, in the same statement, to a variable that reaches one of those (`$p = 'x'; … $p`).
Literals inside another command (the user name of `New-Object PSCredential 'u', (…)`) are that command's own
arguments and judged by it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from exshell.errors import ParseError
from exshell.lang import ast
from exshell.lang.parser import parse
from exshell.runtime.command_lookup import CommandLookup
from exshell.runtime.parameters import COMMON_PARAMETERS, Parameter

MASK = "'********'"
SECRET_TYPES = frozenset({"system.security.securestring", "system.management.automation.pscredential"})
_PLAIN_TEXT_INPUT = "convertto-securestring"
# When the text cannot be parsed (it always can: it ran), every quoted literal is masked rather than risk one.
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"`]|`.|\"\")*\"", re.DOTALL)


def mask_secrets(text: str, commands: CommandLookup) -> str:
    """text with each secret literal replaced by '********' (see the module's docstring)."""
    try:
        block = parse(text)
    except ParseError:
        return _QUOTED.sub(MASK, text)
    spans = _secret_spans(block, commands)
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for start, end in _outermost(spans):
        out.append(text[last:start])
        out.append(MASK)
        last = end
    out.append(text[last:])
    return "".join(out)


def _secret_spans(block: ast.Node, commands: CommandLookup) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    secret_vars: set[str] = set()

    def take(expr: ast.Node) -> None:
        if isinstance(expr, ast.VariableExpr):
            secret_vars.add(expr.name.lower())
        spans.extend((n.span.start, n.span.end) for n in _literals(expr))

    nodes = list(_walk(block))
    for node in nodes:
        if isinstance(node, ast.CommandAst):
            for expr in _secret_arguments(node, commands):
                take(expr)
        elif isinstance(node, ast.Pipeline):
            # `'P@ss' | ConvertTo-SecureString -AsPlainText -Force`: the piped expression is the secret.
            for before, element in zip(node.elements, node.elements[1:]):
                if (isinstance(before, ast.CommandExpression) and isinstance(element, ast.CommandAst)
                        and _is_plain_text_input(element, commands) and _binds_string_itself(element, commands)
                        is False):
                    take(before.expr)
    # `$p = 'x'; $q = $p; … ConvertTo-SecureString $q`: follow assignments back to the literal.
    assignments = [n for n in nodes if isinstance(n, ast.Assignment) and isinstance(n.target, ast.VariableExpr)]
    seen: set[int] = set()
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(assignments):
            if i not in seen and a.target.name.lower() in secret_vars:  # type: ignore[attr-defined]
                seen.add(i)
                changed = True
                value = a.value.elements[0] if isinstance(a.value, ast.Pipeline) and a.value.elements else a.value
                take(value.expr if isinstance(value, ast.CommandExpression) else value)
    return spans


def _children(n: ast.Node) -> Iterator[ast.Node]:
    for f in n.__node_fields__:
        v = getattr(n, f)
        if isinstance(v, ast.Node):
            yield v
        elif isinstance(v, tuple):
            yield from (x for x in v if isinstance(x, ast.Node))


def _walk(node: Any) -> Iterator[ast.Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(_children(n))


def _literals(node: ast.Node) -> Iterator[ast.Node]:
    """The literals of an argument, not descending into commands (their arguments are theirs to judge)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.StringConstantExpr, ast.ExpandableStringExpr, ast.ConstantExpr)):
            yield n
            continue
        if isinstance(n, ast.CommandAst):
            continue
        stack.extend(_children(n))


def _command_class(cmd: ast.CommandAst, commands: CommandLookup) -> Any:
    if not isinstance(cmd.name, ast.StringConstantExpr):
        return None
    entry = commands.resolve(cmd.name.value)
    if entry is None:
        return None
    try:
        return commands.load(entry)
    except (ImportError, AttributeError, LookupError):
        return None


def _is_plain_text_input(cmd: ast.CommandAst, commands: CommandLookup) -> bool:
    cls = _command_class(cmd, commands)
    return cls is not None and str(cls.name).lower() == _PLAIN_TEXT_INPUT


def _is_secret(cls: Any, p: Parameter) -> bool:
    if p.type.net_name.lower() in SECRET_TYPES:
        return True
    return str(cls.name).lower() == _PLAIN_TEXT_INPUT and p.name == "String"


def _match(params: tuple[Parameter, ...], typed: str) -> Parameter | None:
    """The parameter `-typed` names: its name or an alias exactly, else a unique prefix (binding.md §4)."""
    low = typed.lower()
    for p in params:
        if p.name.lower() == low or low in (a.lower() for a in p.aliases):
            return p
    found = [p for p in params if p.name.lower().startswith(low) or any(a.lower().startswith(low) for a in p.aliases)]
    return found[0] if len(found) == 1 else None


def _bind(cmd: ast.CommandAst, cls: Any) -> list[tuple[Parameter, ast.Node]]:
    """Which argument expression each parameter gets, by name then by position (parameter sets ignored)."""
    params: tuple[Parameter, ...] = tuple(cls.parameters) + COMMON_PARAMETERS
    bound: list[tuple[Parameter, ast.Node]] = []
    positional: list[ast.Node] = []
    elements = list(cmd.elements)
    i = 0
    while i < len(elements):
        el = elements[i]
        i += 1
        if isinstance(el, ast.CommandArgument):
            positional.append(el.value)
            continue
        p = _match(params, el.name)
        if el.argument is not None:
            if p is not None:
                bound.append((p, el.argument))
        elif p is not None and not p.is_switch and i < len(elements) and isinstance(elements[i], ast.CommandArgument):
            bound.append((p, elements[i].value))  # type: ignore[union-attr]
            i += 1
    named = {p.name for p, _ in bound}
    slots = sorted((p for p in params if p.position is not None and p.name not in named),
                   key=lambda p: p.position or 0)
    bound.extend(zip(slots, positional))
    return bound


def _secret_arguments(cmd: ast.CommandAst, commands: CommandLookup) -> list[ast.Node]:
    cls = _command_class(cmd, commands)
    if cls is None:
        return []
    return [expr for p, expr in _bind(cmd, cls) if _is_secret(cls, p)]


def _binds_string_itself(cmd: ast.CommandAst, commands: CommandLookup) -> bool | None:
    cls = _command_class(cmd, commands)
    if cls is None:
        return None
    return any(p.name == "String" for p, _ in _bind(cmd, cls))


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda s: (s[0], -s[1])):
        if kept and start < kept[-1][1]:
            continue  # inside a span already masked
        kept.append((start, end))
    return kept
