"""Expression evaluation (grammar.md §3–§4): literals, strings with expansion, variables, casts, arrays,
hashtables, operators (delegated to exshell.runtime.operators), member access, method calls and indexing
(delegated to exshell.runtime.members). Mixed into the Evaluator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.lang import ast
from exshell.runtime import members
from exshell.runtime.context import MISSING
from exshell.runtime.convert import convert_to
from exshell.runtime.members import get_index
from exshell.runtime.operators import binary_op, unary_op
from exshell.runtime.values import PSHashtable, ScriptBlockValue, is_true, to_string

if TYPE_CHECKING:  # pragma: no cover
    from exshell.runtime.scopes import SessionState


class TypeLiteral:
    """A type literal used as a value (`[int]`); prints its name like System.RuntimeType does."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"[{self.name}]"


class ExpressionVisitor:
    """The `visit_<Expr>` methods of the Evaluator."""

    if TYPE_CHECKING:  # pragma: no cover
        state: SessionState

        def eval_expr(self, node: ast.Expr) -> Any: ...
        def exec_block(self, block: ast.StatementBlock | None, out: Any) -> None: ...
        def emit_unrolled(self, value: Any, out: Any) -> None: ...
        def statement_value(self, stmt: ast.Statement) -> Any: ...
        def get_variable(self, name: str, default: Any = None, scope: str | None = None) -> Any: ...
        def assign(self, target: ast.Expr, value: Any) -> None: ...
        def _with_span(self, e: PSRuntimeError, node: ast.Node) -> PSRuntimeError: ...
        def invoke_scriptblock(self, sb: Any, dollar_under: Any = MISSING, args: list[Any] | None = None,
                               new_scope: bool = False) -> list[Any]: ...

    def visit_ConstantExpr(self, node: ast.ConstantExpr) -> Any:
        return node.value

    def visit_StringConstantExpr(self, node: ast.StringConstantExpr) -> Any:
        return node.value

    def ofs(self) -> str:
        v = self.state.get("OFS")
        return " " if v is None else to_string(v)

    def visit_ExpandableStringExpr(self, node: ast.ExpandableStringExpr) -> Any:
        parts: list[str] = []
        ofs = self.ofs()
        for p in node.parts:
            if isinstance(p, str):
                parts.append(p)
            else:
                parts.append(to_string(self.eval_expr(p), ofs))
        return "".join(parts)

    def visit_VariableExpr(self, node: ast.VariableExpr) -> Any:
        return self.get_variable(node.name, None, node.scope)

    def visit_TypeExpr(self, node: ast.TypeExpr) -> Any:
        return TypeLiteral(node.name)

    def visit_ConvertExpr(self, node: ast.ConvertExpr) -> Any:
        tn = node.type_name.lower()
        if tn == "ordered" and isinstance(node.operand, ast.HashtableExpr):
            return self.build_hashtable(node.operand, ordered=True)
        value = self.eval_expr(node.operand)
        if tn in ("void", "system.void"):
            return None
        return convert_to(value, node.type_name)

    def visit_ArrayLiteralExpr(self, node: ast.ArrayLiteralExpr) -> Any:
        return [self.eval_expr(e) for e in node.elements]

    def visit_ArrayExpr(self, node: ast.ArrayExpr) -> Any:
        items: list[Any] = []
        self.exec_block(node.body, lambda v: self.emit_unrolled(v, items.append))
        return items

    def visit_SubExpr(self, node: ast.SubExpr) -> Any:
        items: list[Any] = []
        self.exec_block(node.body, items.append)
        return collapse(items)

    def visit_ParenExpr(self, node: ast.ParenExpr) -> Any:
        return self.statement_value(node.pipeline)

    def build_hashtable(self, node: ast.HashtableExpr, ordered: bool = False) -> Any:
        table = PSHashtable(ordered=ordered or node.ordered)
        for entry in node.entries:
            key = self.eval_expr(entry.key)
            if key in table:
                raise PSRuntimeError(
                    ErrorRecord(f"Duplicate keys '{key}' are not allowed in hash literals.", "DuplicateKeyInHashLiteral",
                                Category.InvalidOperation, span=entry.span)
                )
            table[key] = self.statement_value(entry.value)
        return table

    def visit_HashtableExpr(self, node: ast.HashtableExpr) -> Any:
        return self.build_hashtable(node)

    def visit_ScriptBlockExpr(self, node: ast.ScriptBlockExpr) -> Any:
        return ScriptBlockValue(node.block)

    def visit_UnaryExpr(self, node: ast.UnaryExpr) -> Any:
        if node.op in ("++", "--"):
            old = self.eval_expr(node.operand)
            new = binary_op("+" if node.op == "++" else "-", 0 if old is None else old, 1)
            self.assign(node.operand, new)
            return new
        # A chain of prefix operators (`!!!…1`) is applied in a loop, innermost first: no frame per operator.
        chain = [node]
        inner = node.operand
        while isinstance(inner, ast.UnaryExpr) and inner.op not in ("++", "--"):
            chain.append(inner)
            inner = inner.operand
        value = self.eval_expr(inner)
        for n in reversed(chain):
            try:
                value = unary_op(n.op, value)
            except PSRuntimeError as e:
                raise self._with_span(e, n) from None
        return value

    def visit_PostfixExpr(self, node: ast.PostfixExpr) -> Any:
        old = self.eval_expr(node.operand)
        new = binary_op("+" if node.op == "++" else "-", 0 if old is None else old, 1)
        self.assign(node.operand, new)
        return old

    def visit_BinaryExpr(self, node: ast.BinaryExpr) -> Any:
        # Binary operators are left-associative, so a long expression (`1+1+…`, 40,000 terms) is a deep left
        # spine: it is evaluated in a loop from the innermost operand up, not with one frame per operator.
        spine = [node]
        inner = node.left
        while isinstance(inner, ast.BinaryExpr):
            spine.append(inner)
            inner = inner.left
        value = self.eval_expr(inner)
        for n in reversed(spine):
            try:
                value = self._binary_step(n, value)
            except PSRuntimeError as e:
                raise self._with_span(e, n) from None
        return value

    def _binary_step(self, node: ast.BinaryExpr, left: Any) -> Any:
        op = node.op
        if op == "-and":
            return is_true(left) and is_true(self.eval_expr(node.right))
        if op == "-or":
            return is_true(left) or is_true(self.eval_expr(node.right))
        if op == "??" and left is not None:
            return left
        right = self.eval_expr(node.right)
        if isinstance(right, TypeLiteral):
            right = right.name
        return binary_op(op, left, right, on_matches=self._set_matches)

    def _set_matches(self, table: Any) -> None:
        self.state.set("Matches", table)

    def visit_TernaryExpr(self, node: ast.TernaryExpr) -> Any:
        return self.eval_expr(node.if_true if is_true(self.eval_expr(node.condition)) else node.if_false)

    def member_name(self, member: ast.Expr) -> str:
        if isinstance(member, ast.StringConstantExpr):
            return member.value
        return to_string(self.eval_expr(member))

    def visit_MemberExpr(self, node: ast.MemberExpr) -> Any:
        if node.static and isinstance(node.obj, ast.TypeExpr):
            return members.get_static_member(node.obj.name, self.member_name(node.member))
        obj = self.eval_expr(node.obj)
        if obj is None and node.null_conditional:
            return None
        if isinstance(obj, TypeLiteral):
            return members.get_static_member(obj.name, self.member_name(node.member))
        return members.get_member(obj, self.member_name(node.member))

    def visit_InvokeMemberExpr(self, node: ast.InvokeMemberExpr) -> Any:
        name = self.member_name(node.member)
        if node.static and isinstance(node.obj, ast.TypeExpr):
            args = [self.eval_expr(a) for a in node.arguments]
            return members.invoke_static_method(node.obj.name, name, args)
        obj = self.eval_expr(node.obj)
        if obj is None and node.null_conditional:
            return None
        args = [self.eval_expr(a) for a in node.arguments]
        if isinstance(obj, TypeLiteral):
            return members.invoke_static_method(obj.name, name, args)
        if isinstance(obj, ScriptBlockValue) and name.lower() in ("invoke", "invokereturnasis"):
            return collapse(self.invoke_scriptblock(obj, MISSING, args, True)) if name.lower() != "invoke" \
                else self.invoke_scriptblock(obj, MISSING, args, True)
        return members.invoke_method(obj, name, args)

    def visit_IndexExpr(self, node: ast.IndexExpr) -> Any:
        obj = self.eval_expr(node.obj)
        if obj is None and node.null_conditional:
            return None
        return get_index(obj, self.eval_expr(node.index))



def collapse(items: list[Any]) -> Any:
    """Pipeline output as one value: nothing → $null, one object → it, several → Object[]."""
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return items
