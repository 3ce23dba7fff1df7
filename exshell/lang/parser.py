"""Recursive-descent parser: PowerShell-subset text → exshell.lang.ast (grammar.md §3).

Entry point: `parse(text, name=None) -> ast.ScriptBlock`, raising `ParseError` (with `incomplete=True` when more
input could complete the text, which the REPL uses to continue a line).

Statements and script blocks live here; commands (argument mode) in parser_commands.py; expressions in
parser_expressions.py; the token stream in parser_base.py.
"""

from __future__ import annotations

import re
from typing import Any

from exshell.errors import ParseError
from exshell.lang import ast
from exshell.lang.ast import replace
from exshell.lang.parser_commands import CommandParser
from exshell.lang.position import Source, Span
from exshell.lang.tokens import ASSIGN_OPS, MODE_ARG, MODE_EXPR, Kind, Token

_BLOCK_NAMES = ("begin", "process", "end")
_TOP = frozenset[str]()


def parse(text: str, name: str | None = None) -> ast.ScriptBlock:
    """Parse a whole script or command line. Nothing runs if this raises (grammar.md §5)."""
    source = Source.of(text, name)
    parser = Parser(source)
    try:
        return parser.parse_script()
    except RecursionError:
        raise ParseError(
            "The script is nested too deeply to be parsed.", "ScriptTooComplicated", Span(source, 0, 0)
        ) from None


class Parser(CommandParser):
    # ------------------------------------------------------------------ script blocks

    def parse_script(self) -> ast.ScriptBlock:
        block = self.parse_script_block_body(0, _TOP)
        tok = self.peek(MODE_EXPR)
        if tok.kind != Kind.EOF:
            self.unexpected(tok)

        return replace(block, span=self.span(0, len(self.text)), text=self.text)

    def parse_script_block_body(self, start: int, closers: frozenset[str]) -> ast.ScriptBlock:
        """[param(...)] then either named begin/process/end blocks or a statement list."""
        self.skip_separators()
        params: tuple[ast.ParamDecl, ...] = ()
        self._skip_block_attributes()
        tok = self.peek(MODE_ARG)
        if self._is_keyword(tok, "param"):
            self.advance(tok)
            self.skip_newlines()
            open_tok = self.peek(MODE_EXPR)
            if not open_tok.is_op("("):
                self.fail(
                    "MissingOpenParenthesisAfterKeyword", "Missing '(' after 'param' keyword.", open_tok
                )
            self.advance(open_tok)
            params = self.parse_param_list(open_tok)
            self.skip_separators()
        named = self._parse_named_blocks(closers)
        end = self.pos
        if named is not None:
            empty = ast.StatementBlock(self.span(end, end), ())
            return ast.ScriptBlock(
                self.span(start, end),
                empty,
                params,
                named.get("begin"),
                named.get("process"),
                named.get("end"),
            )
        body = self.parse_statement_list(closers)
        return ast.ScriptBlock(self.span(start, self.pos), body, params)

    def _skip_block_attributes(self) -> None:
        """`[CmdletBinding()]` / `[OutputType(...)]` before `param(...)`: accepted and ignored (the subset has
        no advanced-function semantics). Left alone unless a `param` keyword follows."""
        save = self.pos
        seen = False
        while True:
            tok = self.peek(MODE_EXPR)
            if not (tok.is_op("[") and re.match(r"\[\s*[A-Za-z_][\w.]*\s*\(", self.text[tok.start :])):
                break
            self._parse_attribute(tok)
            self.skip_separators()
            seen = True
        if seen and not self._is_keyword(self.peek(MODE_ARG), "param"):
            self.pos = save

    def _parse_named_blocks(self, closers: frozenset[str]) -> dict[str, ast.StatementBlock] | None:
        tok = self.peek(MODE_ARG)
        if not any(self._is_keyword(tok, b) for b in _BLOCK_NAMES):
            return None
        save = self.pos
        self.advance(tok)
        self.skip_newlines()
        if not self.peek(MODE_EXPR).is_op("{"):
            self.pos = save
            return None
        self.pos = save
        blocks: dict[str, ast.StatementBlock] = {}
        while True:
            self.skip_separators()
            tok = self.peek(MODE_ARG)
            if tok.kind == Kind.EOF or (tok.kind == Kind.OP and tok.value in closers):
                return blocks
            name = tok.text.lower() if tok.kind == Kind.GENERIC and tok.extra else ""
            if name not in _BLOCK_NAMES:
                self.unexpected(tok)
            self.advance(tok)
            self.skip_newlines()
            blocks[name] = self.parse_statement_block(
                "MissingNamedStatementBlock", f"Missing statement block after '{tok.text}'."
            )

    def parse_param_list(self, open_tok: Token) -> tuple[ast.ParamDecl, ...]:
        """After `param(` or `function f(`: `[attr][type]$Name = default, ...` up to `)`."""

        def inner() -> tuple[ast.ParamDecl, ...]:
            decls: list[ast.ParamDecl] = []
            self.skip_newlines()
            if self.next_if(")"):
                return ()
            while True:
                decls.append(self.parse_param_decl())
                self.skip_newlines()
                tok = self.peek(MODE_EXPR)
                if tok.is_op(","):
                    self.advance(tok)
                    self.skip_newlines()
                    continue
                if tok.is_op(")"):
                    self.advance(tok)
                    return tuple(decls)
                self.fail(
                    "MissingEndParenthesisInFunctionParameterList",
                    "Missing ')' in function parameter list.",
                    tok,
                )

        return self._nested(inner, no_comma=True)

    def parse_param_decl(self) -> ast.ParamDecl:
        attributes: list[tuple[str, object]] = []
        type_name: str | None = None
        start = self.peek(MODE_EXPR).start
        while True:
            self.skip_newlines()
            tok = self.peek(MODE_EXPR)
            if tok.kind == Kind.TYPE:
                self.advance(tok)
                type_name = tok.value
            elif tok.is_op("["):
                attributes.extend(self._parse_attribute(tok))
            else:
                break
        var = self.peek(MODE_EXPR)
        if var.kind != Kind.VARIABLE or var.extra:
            self.fail("InvalidFunctionParameter", "Missing variable name in parameter declaration.", var)
        self.advance(var)
        default: ast.Expr | None = None
        eq = self.peek(MODE_EXPR)
        if eq.is_op("="):
            self.advance(eq)
            self.skip_newlines()
            self._require_operand(eq)
            default = self.parse_expression()
        end = default.span.end if default is not None else var.end
        return ast.ParamDecl(self.span(start, end), var.value.name, type_name, default, tuple(attributes))

    def _parse_attribute(self, open_tok: Token) -> list[tuple[str, object]]:
        """`[Parameter(Mandatory, Position=0)]` → ('mandatory', True), ('position', 0); any other attribute
        `[ValidateSet('a','b')]` → ('validateset', ('a', 'b')). Names lower-cased."""
        self.advance(open_tok)
        tok = self.peek(MODE_EXPR)
        if tok.kind != Kind.GENERIC:
            self.unexpected(tok)
        self.advance(tok)
        attr = tok.text.lower()
        named: list[tuple[str, object]] = []
        positional: list[object] = []
        if self.next_if("("):
            while True:
                self.skip_newlines()
                t = self.peek(MODE_EXPR)
                if t.is_op(")"):
                    self.advance(t)
                    break
                if t.kind == Kind.GENERIC:
                    self.advance(t)
                    if self.next_if("="):
                        self.skip_newlines()
                        named.append((t.text.lower(), self._attr_value(self.parse_expression())))
                    else:
                        named.append((t.text.lower(), True))
                elif self.can_start_operand(t):
                    positional.append(self._attr_value(self.parse_expression()))
                else:
                    self.fail("MissingEndParenthesisInExpression", "Missing closing ')' in expression.", t)
                self.skip_newlines()
                sep = self.peek(MODE_EXPR)
                if sep.is_op(","):
                    self.advance(sep)
                elif not sep.is_op(")"):
                    self.fail("MissingEndParenthesisInExpression", "Missing closing ')' in expression.", sep)
        close = self.peek(MODE_EXPR)
        if not close.is_op("]"):
            self.fail("EndSquareBracketExpectedAtEndOfAttribute", "Missing ']' at end of attribute.", close)
        self.advance(close)
        if attr in ("parameter", "system.management.automation.parameter"):
            return named
        return [(attr, tuple(positional) + tuple(v for _, v in named))]

    @staticmethod
    def _attr_value(expr: ast.Expr) -> object:
        if isinstance(expr, (ast.ConstantExpr, ast.StringConstantExpr)):
            return expr.value
        if isinstance(expr, ast.VariableExpr) and expr.name.lower() in ("true", "false"):
            return expr.name.lower() == "true"
        return expr

    # ------------------------------------------------------------------ statement lists

    def parse_statement_list(self, closers: frozenset[str]) -> ast.StatementBlock:
        start = self.pos
        statements: list[ast.Statement] = []
        while True:
            self.skip_separators()
            tok = self.peek(MODE_EXPR)
            if tok.kind == Kind.EOF or (tok.kind == Kind.OP and tok.value in closers):
                break
            stmt = self.parse_statement()
            statements.append(stmt)
            after = self.peek(MODE_EXPR)
            if after.kind in (Kind.NEWLINE, Kind.EOF) or after.is_op(";"):
                continue
            if after.kind == Kind.OP and after.value in closers:
                continue
            self.unexpected(after)
        end = statements[-1].span.end if statements else start
        first = statements[0].span.start if statements else start
        return ast.StatementBlock(self.span(first, end), tuple(statements))

    def parse_statement_block(self, error_id: str, message: str) -> ast.StatementBlock:
        """`{ statement-list }` after if/else/foreach/... (the braces are the block's span)."""
        open_tok = self.peek(MODE_EXPR)
        if not open_tok.is_op("{"):
            self.fail(error_id, message, open_tok)
        self.advance(open_tok)
        body = self._nested(lambda: self.parse_statement_list(frozenset(["}"])))
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
        return ast.StatementBlock(self.span(open_tok.start, close.end), body.statements)

    @staticmethod
    def _is_keyword(tok: Token, word: str) -> bool:
        return tok.kind == Kind.GENERIC and bool(tok.extra) and tok.text.lower() == word

    def parse_statement(self) -> ast.Statement:
        tok = self.peek(MODE_ARG)
        if tok.kind == Kind.GENERIC and tok.extra:
            handler = _KEYWORD_RULES.get(tok.text.lower())
            if handler is not None:
                return handler(self, tok)
            if tok.text.startswith(":") and len(tok.text) > 1:
                labelled = self._parse_labelled_loop(tok)
                if labelled is not None:
                    return labelled
        return self.parse_pipeline_chain()

    def _parse_labelled_loop(self, label: Token) -> ast.Statement | None:
        """`:outer foreach (...) {...}`: a label names the loop for `break outer` (about_Break)."""
        save = self.pos
        self.advance(label)
        self.skip_newlines()
        kw = self.peek(MODE_ARG)
        if kw.kind == Kind.GENERIC and kw.extra and kw.text.lower() in ("foreach", "for", "while", "do", "switch"):
            loop: Any = _KEYWORD_RULES[kw.text.lower()](self, kw)

            return replace(loop, span=self.tok_span(label).to(loop.span), label=label.text[1:])
        self.pos = save
        return None

    # ------------------------------------------------------------------ pipelines

    def parse_pipeline_chain(self) -> ast.Statement:
        """pipeline { ('&&' | '||') {NL} pipeline }  (PS7)."""
        first = self.parse_pipeline()
        pipelines = [first]
        ops: list[str] = []
        while True:
            tok = self.peek(MODE_ARG)
            if not tok.is_op("&&", "||"):
                break
            self.advance(tok)
            self.skip_newlines()
            nxt = self.peek(MODE_ARG)
            if self.ends_element(nxt):
                self.fail(
                    "MissingExpression", f"Missing expression after '{tok.text}' in pipeline element.", nxt
                )
            pipelines.append(self.parse_pipeline())
            ops.append(tok.value)
        if not ops:
            return first
        return ast.PipelineChain(first.span.to(pipelines[-1].span), tuple(pipelines), tuple(ops))

    def parse_pipeline(self) -> ast.Statement:
        tok = self.peek(MODE_EXPR)
        first: ast.CommandAst | ast.CommandExpression
        if self.starts_expression(tok):
            expr = self.parse_expression()
            op = self.peek(MODE_EXPR)
            if op.kind == Kind.OP and op.value in ASSIGN_OPS:
                return self.parse_assignment(expr, op)
            redirections = self.parse_redirections()
            span = expr.span.to(redirections[-1].span) if redirections else expr.span
            first = ast.CommandExpression(span, expr, redirections)
        else:
            first = self.parse_command()
        elements: list[ast.CommandAst | ast.CommandExpression] = [first]
        while True:
            pipe = self.peek(MODE_ARG)
            if pipe.kind == Kind.NEWLINE:
                pipe = self._leading_pipe()
            if not pipe.is_op("|"):
                break
            self.advance(pipe)
            self.skip_newlines()
            nxt = self.peek(MODE_EXPR)
            if nxt.kind == Kind.EOF:
                self.fail("EmptyPipeElement", "An empty pipe element is not allowed.", pipe, True)
            if self.ends_element(nxt):
                self.fail("EmptyPipeElement", "An empty pipe element is not allowed.", pipe, False)
            if self.starts_expression(nxt):
                self.fail(
                    "ExpressionsMustBeFirstInPipeline",
                    "Expressions are only allowed as the first element of a pipeline.",
                    nxt,
                )
            elements.append(self.parse_command())
        return ast.Pipeline(elements[0].span.to(elements[-1].span), tuple(elements))

    def _leading_pipe(self) -> Token:
        """PS7: a line starting with `|` continues the previous line's pipeline."""
        save = self.pos
        while True:
            tok = self.peek(MODE_ARG)
            if tok.kind != Kind.NEWLINE:
                break
            self.advance(tok)
        if tok.is_op("|"):
            return tok
        self.pos = save
        return self.peek(MODE_ARG)

    def parse_assignment(self, target: ast.Expr, op: Token) -> ast.Assignment:
        if not self._assignable(target):
            self.fail_at(
                "InvalidLeftHandSide",
                "The assignment expression is not valid. The input to an assignment operator must be an "
                "object that is able to accept assignments, such as a variable or a property.",
                target.span,
            )
        self.advance(op)
        self.skip_newlines()
        nxt = self.peek(MODE_ARG)
        if self.ends_element(nxt):
            self.fail(
                "ExpectedValueExpression",
                f"You must provide a value expression following the '{op.text}' operator.",
                nxt,
            )
        value = self.parse_statement()
        return ast.Assignment(target.span.to(value.span), target, op.value, value)

    def _assignable(self, target: ast.Expr) -> bool:
        if isinstance(target, ast.VariableExpr):
            return not target.splat
        if isinstance(target, (ast.MemberExpr, ast.IndexExpr)):
            return True
        if isinstance(target, ast.ConvertExpr):
            return self._assignable(target.operand)
        if isinstance(target, ast.ArrayLiteralExpr):
            return all(self._assignable(e) for e in target.elements)
        return False


# Keyword statement rules live in parser_statements.py; imported last to avoid a cycle.
from exshell.lang.parser_statements import KEYWORD_RULES as _KEYWORD_RULES  # noqa: E402 - see above
