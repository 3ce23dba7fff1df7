"""Expression-mode rules: one method per precedence level of grammar.md §4.1 (Parser.cs ExpressionRule …
UnaryExpressionRule), plus primaries, member access, indexing, hashtables and script block literals."""

from __future__ import annotations

from collections.abc import Callable
from exshell.lang.ast import replace
from typing import TypeVar

from exshell.lang import ast
from exshell.lang.parser_base import TokenStream
from exshell.lang.tokens import (
    ADDITIVE_OPS,
    BITWISE_OPS,
    COMPARISON_OPS,
    DOUBLE_QUOTES,
    LOGICAL_OPS,
    MODE_ARG,
    MODE_EXPR,
    MULTIPLICATIVE_OPS,
    SINGLE_QUOTES,
    Kind,
    Token,
    is_digit,
    is_ident_char,
)

_T = TypeVar("_T")

# Binary precedence levels, loosest first (grammar.md §4.1 levels 12 … 5).
_BINARY_LEVELS: dict[str, int] = {}
for _level, _ops in enumerate(
    [LOGICAL_OPS, BITWISE_OPS, COMPARISON_OPS, {"??"}, ADDITIVE_OPS, MULTIPLICATIVE_OPS, {"-f"}, {".."}],
    start=1,
):
    _BINARY_LEVELS.update(dict.fromkeys(_ops, _level))

_UNARY_OPS = frozenset(
    ["!", "-not", "-bnot", "-split", "-isplit", "-csplit", "-join", "+", "-", "++", "--", ","]
)


class ExpressionParser(TokenStream):
    # statement-level rules used inside expressions; defined in parser.py
    def parse_pipeline_chain(self) -> ast.Statement:  # pragma: no cover - overridden
        raise NotImplementedError

    def parse_statement(self) -> ast.Statement:  # pragma: no cover - overridden
        raise NotImplementedError

    def parse_statement_list(self, closers: frozenset[str]) -> ast.StatementBlock:  # pragma: no cover
        raise NotImplementedError

    def parse_script_block_body(
        self, start: int, closers: frozenset[str]
    ) -> ast.ScriptBlock:  # pragma: no cover
        raise NotImplementedError

    def _nested(self, fn: Callable[[], _T], no_comma: bool = False) -> _T:
        """Run a rule with the comma rule reset (inside ( ), $( ), @{ } a comma builds arrays again)."""
        old = self.no_comma
        self.no_comma = no_comma
        self.depth += 1
        if self.depth > 200:
            tok = self.peek(MODE_EXPR)
            self.fail("ScriptTooComplicated", "The script is nested too deeply to be parsed.", tok, False)
        try:
            return fn()
        finally:
            self.no_comma = old
            self.depth -= 1

    # ------------------------------------------------------------------ precedence levels

    def parse_expression(self) -> ast.Expr:
        """expression = logical-expr [ '?' expression ':' expression ]  (PS7 ternary)."""
        cond = self.parse_logical()
        q = self.peek(MODE_EXPR)
        if not q.is_op("?"):
            return cond
        self.advance(q)
        self.skip_newlines()
        self._require_operand(q)
        if_true = self.parse_expression()
        self.skip_newlines()
        colon = self.peek(MODE_EXPR)
        if not colon.is_op(":"):
            self.fail("MissingColonInTernaryExpression", "Missing ':' in ternary expression.", colon)
        self.advance(colon)
        self.skip_newlines()
        self._require_operand(colon)
        if_false = self.parse_expression()
        return ast.TernaryExpr(cond.span.to(if_false.span), cond, if_true, if_false)

    def parse_logical(self) -> ast.Expr:
        """logical-expr … range-expr by precedence climbing over the §4.1 table (one loop instead of eight
        nested calls per operand keeps a 1,000-line script well under a second)."""
        return self.parse_binary(1)

    def parse_binary(self, min_level: int) -> ast.Expr:
        left = self.parse_array_literal()
        while True:
            tok = self.peek(MODE_EXPR)
            if tok.kind != Kind.OP:
                return left
            level = _BINARY_LEVELS.get(tok.value)
            if level is None or level < min_level:
                return left
            self.advance(tok)
            self.skip_newlines()
            self._require_operand(tok)
            right = self.parse_binary(level + 1)  # left-associative
            left = ast.BinaryExpr(left.span.to(right.span), tok.value, left, right, self.tok_span(tok))

    def _require_operand(self, op: Token) -> None:
        nxt = self.peek(MODE_EXPR)
        if not self.can_start_operand(nxt):
            self.fail(
                "ExpectedValueExpression",
                f"You must provide a value expression following the '{op.text}' operator.",
                nxt,
            )

    def can_start_operand(self, tok: Token) -> bool:
        if tok.kind in (Kind.NUMBER, Kind.STRING, Kind.VARIABLE, Kind.TYPE, Kind.BAD_NUMBER):
            return True
        return tok.kind == Kind.OP and (
            tok.value in _UNARY_OPS or tok.value in ("(", "$(", "@(", "@{", "{", "[")
        )

    def parse_array_literal(self) -> ast.Expr:
        """Binary comma: binds tighter than every binary operator, looser than unary ones (grammar.md §4.1)."""
        first = self.parse_unary()
        if self.no_comma:
            return first
        tok = self.peek(MODE_EXPR)
        if not tok.is_op(","):
            return first
        elements = [first]
        while tok.is_op(","):
            self.advance(tok)
            self.skip_newlines()
            nxt = self.peek(MODE_EXPR)
            if not self.can_start_operand(nxt):
                self.fail("MissingExpressionAfterToken", "Missing expression after ','.", nxt)
            elements.append(self.parse_unary())
            tok = self.peek(MODE_EXPR)
        return ast.ArrayLiteralExpr(first.span.to(elements[-1].span), tuple(elements))

    def parse_unary(self) -> ast.Expr:
        """Prefix operators are collected in a loop and applied innermost first, so `!!!…1` with thousands
        of operators parses without one Python frame per operator."""
        prefixes: list[Token] = []
        while True:
            tok = self.peek(MODE_EXPR)
            if not (tok.kind == Kind.OP and tok.value in _UNARY_OPS):
                operand = self.parse_type_or_cast(tok) if tok.kind == Kind.TYPE else self.parse_postfix(
                    self.parse_primary())
                break
            self.advance(tok)
            num = self.peek(MODE_EXPR)
            if tok.value in ("-", "+") and num.kind == Kind.NUMBER and not num.space_before:
                # `-5` is one numeric token in expression mode (grammar.md §2.7)
                self.advance(num)
                value = -num.value if tok.value == "-" else num.value
                const = ast.ConstantExpr(self.span(tok.start, num.end), value, tok.text + num.text)
                operand = self.parse_postfix(const)
                break
            self.skip_newlines()
            operand_tok = self.peek(MODE_EXPR)
            if not self.can_start_operand(operand_tok):
                self.fail(
                    "MissingExpressionAfterOperator",
                    f"Missing expression after unary operator '{tok.text}'.",
                    operand_tok,
                )
            prefixes.append(tok)
        for tok in reversed(prefixes):
            span = self.tok_span(tok).to(operand.span)
            if tok.value == ",":
                operand = ast.ArrayLiteralExpr(span, (operand,))
            else:
                operand = ast.UnaryExpr(span, "-not" if tok.value == "!" else tok.value, operand)
        return operand

    def parse_type_or_cast(self, tok: Token) -> ast.Expr:
        """`[int]$x` is a cast; `[int]::MaxValue`, `-is [string]` a type literal (grammar.md §4.7)."""
        self.advance(tok)
        type_expr = ast.TypeExpr(self.tok_span(tok), tok.value)
        if self.raw() == "." or (self.raw() == ":" and self.raw(1) == ":"):
            return self.parse_postfix(type_expr)
        nxt = self.peek(MODE_EXPR)
        if not self.can_start_operand(nxt) or nxt.is_op(",") or nxt.kind == Kind.BAD_NUMBER:
            return type_expr
        if tok.value.lower() == "ordered" and nxt.is_op("@{"):
            table = self.parse_primary()
            assert isinstance(table, ast.HashtableExpr)
            return self.parse_postfix(replace(table, span=type_expr.span.to(table.span), ordered=True))
        operand = self.parse_unary()
        return ast.ConvertExpr(type_expr.span.to(operand.span), tok.value, operand)

    # ------------------------------------------------------------------ postfix: member, index, call

    def parse_postfix(self, node: ast.Expr, arg_mode: bool = False) -> ast.Expr:
        """member-or-index: no whitespace before `.`, `::`, `[` (grammar.md §3 notes)."""
        while True:
            c, c1 = self.raw(), self.raw(1)
            if c == "." and c1 != ".":
                if arg_mode and not self._member_name_follows(1):
                    return node
                self.pos += 1
                node = self._parse_member(node, static=False, null_cond=False, op_len=1)
            elif c == ":" and c1 == ":":
                self.pos += 2
                node = self._parse_member(node, static=True, null_cond=False, op_len=2)
            elif c == "?" and c1 == "." and not arg_mode:
                self.pos += 2
                node = self._parse_member(node, static=False, null_cond=True, op_len=2)
            elif c == "[" or (c == "?" and c1 == "[" and not arg_mode):
                null_cond = c == "?"
                open_pos = self.pos
                self.pos += 2 if null_cond else 1
                node = self._parse_index(node, open_pos, null_cond)
            elif (
                not arg_mode
                and c in ("+", "-")
                and c1 == c
                and isinstance(node, (ast.VariableExpr, ast.MemberExpr, ast.IndexExpr))
            ):
                self.pos += 2
                node = ast.PostfixExpr(self.span(node.span.start, self.pos), c + c1, node)
                return node
            else:
                return node

    def _member_name_follows(self, offset: int) -> bool:
        c = self.raw(offset)
        return is_ident_char(c) or (c != "" and (c in "$(" or c in SINGLE_QUOTES or c in DOUBLE_QUOTES))

    def _parse_member(self, obj: ast.Expr, static: bool, null_cond: bool, op_len: int) -> ast.Expr:
        start = self.pos
        c = self.raw()
        member: ast.Expr
        if is_digit(c):
            # `10.0.0.5` → 10.0 then member `0.5` (grammar.md §2.7 gotcha)
            i = start
            while is_digit(self.raw(i - start)):
                i += 1
            if self.raw(i - start) == "." and is_digit(self.raw(i - start + 1)):
                i += 1
                while is_digit(self.raw(i - start)):
                    i += 1
            self.pos = i
            member = ast.StringConstantExpr(self.span(start, i), self.text[start:i], "bare")
        elif is_ident_char(c):
            i = start
            while is_ident_char(self.raw(i - start)):
                i += 1
            self.pos = i
            member = ast.StringConstantExpr(self.span(start, i), self.text[start:i], "bare")
        else:
            tok = self.peek(MODE_EXPR)
            if (
                tok.space_before
                or not (tok.kind in (Kind.STRING, Kind.VARIABLE) or tok.is_op("(", "$("))
                or (tok.kind == Kind.VARIABLE and tok.extra)
            ):
                self.fail("MissingPropertyName", "Missing property name after reference operator.", tok)
            member = self.parse_primary()
        if self.raw() == "(":
            open_pos = self.pos
            self.pos += 1
            args = self._parse_call_arguments(open_pos)
            return ast.InvokeMemberExpr(
                self.span(obj.span.start, self.pos), obj, member, args, static, null_cond
            )
        return ast.MemberExpr(obj.span.to(member.span), obj, member, static, null_cond)

    def _parse_call_arguments(self, open_pos: int) -> tuple[ast.Expr, ...]:
        args: list[ast.Expr] = []
        self.skip_newlines()
        if self.next_if(")"):
            return ()
        while True:
            self.skip_newlines()
            tok = self.peek(MODE_EXPR)
            if not self.can_start_operand(tok):
                self.fail("MissingEndParenthesisInMethodCall", "Missing ')' in method call.", tok)
            args.append(self._nested(self.parse_expression, no_comma=True))
            self.skip_newlines()
            tok = self.peek(MODE_EXPR)
            if tok.is_op(","):
                self.advance(tok)
                continue
            if tok.is_op(")"):
                self.advance(tok)
                return tuple(args)
            self.fail("MissingEndParenthesisInMethodCall", "Missing ')' in method call.", tok)

    def _parse_index(self, obj: ast.Expr, open_pos: int, null_cond: bool) -> ast.Expr:
        self.skip_newlines()
        tok = self.peek(MODE_EXPR)
        if not self.can_start_operand(tok):
            self.fail("MissingArrayIndexExpression", "Array index expression is missing or not valid.", tok)
        index = self._nested(self.parse_expression)
        self.skip_newlines()
        close = self.peek(MODE_EXPR)
        if not close.is_op("]"):
            self.fail("MissingEndSquareBracket", "Missing ']' after array index expression.", close)
        self.advance(close)
        return ast.IndexExpr(self.span(obj.span.start, close.end), obj, index, null_cond)

    # ------------------------------------------------------------------ primaries

    def parse_primary(self) -> ast.Expr:
        tok = self.peek(MODE_EXPR)
        kind = tok.kind
        if kind == Kind.NUMBER:
            self.advance(tok)
            return ast.ConstantExpr(self.tok_span(tok), tok.value, tok.text)
        if kind == Kind.STRING:
            self.advance(tok)
            return tok.value
        if kind == Kind.VARIABLE:
            if tok.extra:
                name = tok.value.name
                self.fail(
                    "SplattingNotPermitted",
                    f"The splatting operator '@' cannot be used to reference variables in an expression. "
                    f"'@{name}' can be used only as an argument to a command. To reference variables in an "
                    f"expression use '${name}'.",
                    tok,
                )
            self.advance(tok)
            return tok.value
        if kind == Kind.BAD_NUMBER:
            self.fail("BadNumericConstant", f"The numeric constant {tok.text} is not valid.", tok)
        if kind == Kind.TYPE:
            self.advance(tok)
            return ast.TypeExpr(self.tok_span(tok), tok.value)
        if kind == Kind.OP:
            op = tok.value
            if op == "(":
                return self.parse_paren(tok)
            if op in ("$(", "@("):
                return self.parse_subexpression(tok)
            if op == "@{":
                return self.parse_hashtable(tok)
            if op == "{":
                return self.parse_script_block_literal(tok)
            if op == "[":
                self.fail(
                    "EndSquareBracketExpectedAtEndOfType",
                    "Missing ] at end of type token.",
                    tok,
                    "]" not in self.text[tok.start :],
                )
        self.unexpected(tok)

    def parse_paren(self, open_tok: Token) -> ast.Expr:
        self.advance(open_tok)

        def inner() -> ast.Statement:
            self.skip_newlines()
            tok = self.peek(MODE_EXPR)
            if tok.is_op(")"):
                self.fail("ExpectedExpression", "An expression was expected after '('.", tok)
            if self.ends_element(tok):
                self.fail("MissingEndParenthesisInExpression", "Missing closing ')' in expression.", tok)
            stmt = self.parse_pipeline_chain()
            self.skip_newlines()
            return stmt

        stmt = self._nested(inner)
        close = self.peek(MODE_EXPR)
        if not close.is_op(")"):
            self.fail("MissingEndParenthesisInExpression", "Missing closing ')' in expression.", close)
        self.advance(close)
        return ast.ParenExpr(self.span(open_tok.start, close.end), stmt)

    def parse_subexpression(self, open_tok: Token) -> ast.Expr:
        """`$( statements )` / `@( statements )`."""
        self.advance(open_tok)
        body = self._nested(lambda: self.parse_statement_list(frozenset([")"])))
        close = self.peek(MODE_EXPR)
        if not close.is_op(")"):
            self.fail("MissingEndParenthesisInSubexpression", "Missing closing ')' in subexpression.", close)
        self.advance(close)
        span = self.span(open_tok.start, close.end)
        if open_tok.value == "@(":
            return ast.ArrayExpr(span, body)
        return ast.SubExpr(span, body)

    def _parse_string_subexpr(self, dollar: int) -> tuple[ast.SubExpr, int]:
        """Lexer callback for `$(...)` inside a string or bareword: parse it with a child parser."""
        child = type(self)(self.source, dollar, shared=self)
        child.depth = self.depth + 1
        tok = child.peek(MODE_EXPR)
        node = child._nested(lambda: child.parse_subexpression(tok))
        assert isinstance(node, ast.SubExpr)
        return node, child.pos

    def parse_hashtable(self, open_tok: Token) -> ast.HashtableExpr:
        self.advance(open_tok)
        return self._nested(lambda: self._parse_hash_entries(open_tok))

    def _parse_hash_entries(self, open_tok: Token) -> ast.HashtableExpr:
        entries: list[ast.HashEntry] = []
        seen: set[str] = set()
        while True:
            self.skip_separators()
            tok = self.peek(MODE_EXPR)
            if tok.is_op("}"):
                self.advance(tok)
                return ast.HashtableExpr(self.span(open_tok.start, tok.end), tuple(entries))
            if tok.kind == Kind.EOF:
                self.fail_at(
                    "MissingEndCurlyBrace",
                    "Missing closing '}' in statement block or type definition.",
                    self.tok_span(open_tok),
                    True,
                )
            key = self._parse_hash_key(tok)
            eq = self.peek(MODE_EXPR)
            if not eq.is_op("="):
                self.fail("MissingEqualsInHashLiteral", "Missing '=' operator after key in hash literal.", eq)
            self.advance(eq)
            self.skip_newlines()
            vtok = self.peek(MODE_ARG)
            if self.ends_element(vtok):
                self.fail(
                    "MissingStatementInHashLiteral", "Missing statement after '=' in hash literal.", vtok
                )
            value = self.parse_statement()
            literal = self._literal_key(key)
            if literal is not None:
                if literal.lower() in seen:
                    self.fail_at(
                        "DuplicateKeyInHashLiteral",
                        f"Duplicate keys '{literal}' are not allowed in hash literals.",
                        key.span,
                    )
                seen.add(literal.lower())
            entries.append(ast.HashEntry(key.span.to(value.span), key, value))
            after = self.peek(MODE_EXPR)
            if not (after.kind in (Kind.NEWLINE, Kind.EOF) or after.is_op(";", "}")):
                self.unexpected(after)

    def _parse_hash_key(self, tok: Token) -> ast.Expr:
        if tok.kind == Kind.GENERIC and tok.extra and is_ident_char(tok.text[:1]):
            self.advance(tok)
            return tok.value
        if tok.is_op("="):
            self.fail("MissingHashKey", "Missing key before '=' in hash literal.", tok)
        if not self.can_start_operand(tok):
            self.unexpected(tok)
        return self._nested(self.parse_unary, no_comma=True)

    @staticmethod
    def _literal_key(key: ast.Expr) -> str | None:
        if isinstance(key, ast.StringConstantExpr):
            return key.value
        if isinstance(key, ast.ConstantExpr):
            return str(key.value)
        return None

    def parse_script_block_literal(self, open_tok: Token) -> ast.ScriptBlockExpr:
        self.advance(open_tok)
        block = self._nested(lambda: self.parse_script_block_body(open_tok.end, frozenset(["}"])))
        close = self.peek(MODE_EXPR)
        if not close.is_op("}"):
            if close.kind == Kind.EOF:
                self.fail_at(
                    "MissingEndCurlyBrace",
                    "Missing closing '}' in statement block or type definition.",
                    self.tok_span(open_tok),
                    True,
                )
            self.unexpected(close)
        self.advance(close)
        span = self.span(open_tok.start, close.end)
        block = replace(block, span=span, text=self.text[open_tok.end : close.start])
        return ast.ScriptBlockExpr(span, block)
