"""Argument-mode rules: commands, parameters, arguments, redirections (Parser.cs CommandRule,
GetCommandArgument; grammar.md §1, §2.3, §2.4)."""

from __future__ import annotations

from exshell.lang import ast
from exshell.lang.parser_expressions import ExpressionParser
from exshell.lang.tokens import MODE_ARG, Kind, Token, is_blank

_ARG_PRIMARY_OPS = frozenset(["(", "$(", "@(", "@{", "{"])


class CommandParser(ExpressionParser):
    def parse_command(self) -> ast.CommandAst:
        """[ '&' | '.' ] command-name { command-element }."""
        tok = self.peek(MODE_ARG)
        start = tok.start
        invocation: str | None = None
        if tok.is_op("&"):
            invocation = "&"
            self.advance(tok)
        elif tok.kind == Kind.GENERIC and tok.text == "." and (is_blank(self.text[tok.end : tok.end + 1])):
            invocation = "."
            self.advance(tok)
        name = self._parse_command_name(tok if invocation else None)
        elements: list[ast.CommandParameter | ast.CommandArgument] = []
        redirections: list[ast.Redirection] = []
        after_double_dash = False
        end = name.span.end
        while True:
            tok = self.peek(MODE_ARG)
            if self.ends_element(tok):
                break
            kind = tok.kind
            element: ast.CommandParameter | ast.CommandArgument
            if kind == Kind.REDIRECT:
                redirection = self.parse_redirection(tok)
                redirections.append(redirection)
                end = redirection.span.end
                continue
            if kind == Kind.END_PARAMS:
                self.advance(tok)
                end = tok.end
                if not after_double_dash:
                    # the first `--` is dropped; every later `-x` is a plain string (about_Parsing)
                    after_double_dash = True
                    continue
                element = ast.CommandArgument(
                    self.tok_span(tok), ast.StringConstantExpr(self.tok_span(tok), tok.text, "bare")
                )
            elif kind == Kind.PARAMETER and after_double_dash:
                self.advance(tok)
                value = ast.StringConstantExpr(self.tok_span(tok), tok.text, "bare")
                element = ast.CommandArgument(self.tok_span(tok), value)
            elif kind == Kind.PARAMETER:
                element = self.parse_parameter(tok)
            elif tok.is_op(","):
                self.fail("MissingArgument", "Missing argument in parameter list.", tok)
            else:
                argument = self.parse_argument_list()
                element = ast.CommandArgument(argument.span, argument)
            elements.append(element)
            end = element.span.end
        return ast.CommandAst(self.span(start, end), name, tuple(elements), invocation, tuple(redirections))

    def _parse_command_name(self, invocation_tok: Token | None) -> ast.Expr:
        tok = self.peek(MODE_ARG)
        if tok.kind == Kind.GENERIC:
            self.advance(tok)
            return tok.value
        if tok.kind == Kind.STRING:
            self.advance(tok)
            return tok.value
        if tok.kind in (Kind.PARAMETER, Kind.NUMBER, Kind.END_PARAMS):
            self.advance(tok)
            return ast.StringConstantExpr(self.tok_span(tok), tok.text, "bare")
        if invocation_tok is not None and (
            tok.kind == Kind.VARIABLE or (tok.kind == Kind.OP and tok.value in _ARG_PRIMARY_OPS)
        ):
            return self.parse_argument()
        if invocation_tok is not None:
            self.fail(
                "MissingExpression",
                f"Missing expression after '{invocation_tok.text}' in pipeline element.",
                tok,
            )
        self.unexpected(tok)

    def parse_parameter(self, tok: Token) -> ast.CommandParameter:
        """`-Name`, or `-Name:value` / `-Name: value` (the colon binds the next argument even after spaces)."""
        self.advance(tok)
        span = self.tok_span(tok)
        if not tok.extra:
            return ast.CommandParameter(span, tok.value)
        nxt = self.peek(MODE_ARG)
        if nxt.is_op(","):
            self.fail("MissingArgument", "Missing argument in parameter list.", nxt)
        if self.ends_element(nxt) or nxt.kind in (Kind.PARAMETER, Kind.REDIRECT, Kind.END_PARAMS):
            self.fail("ParameterRequiresArgument", f"Parameter {tok.text} requires an argument.", tok, False)
        value = self.parse_argument_list()
        return ast.CommandParameter(span.to(value.span), tok.value, value, True)

    def parse_argument_list(self) -> ast.Expr:
        """argument { ',' {NL} argument }: a comma list is ONE argument (an ArrayLiteralExpr)."""
        first = self.parse_argument()
        tok = self.peek(MODE_ARG)
        if not tok.is_op(","):
            return first
        elements = [first]
        while tok.is_op(","):
            self.advance(tok)
            self.skip_newlines()
            nxt = self.peek(MODE_ARG)
            if self.ends_element(nxt) or nxt.is_op(",") or nxt.kind in (Kind.PARAMETER, Kind.REDIRECT):
                self.fail("MissingExpression", "Missing expression after ',' in pipeline element.", nxt)
            elements.append(self.parse_argument())
            tok = self.peek(MODE_ARG)
        return ast.ArrayLiteralExpr(first.span.to(elements[-1].span), tuple(elements))

    def parse_argument(self) -> ast.Expr:
        """One argument-mode value: bareword, number, string, variable (with member access), splat, or a
        parenthesised / subexpression / array / hashtable / script block value (grammar.md §3 `argument`)."""
        tok = self.peek(MODE_ARG)
        kind = tok.kind
        if kind == Kind.GENERIC:
            self.advance(tok)
            return tok.value
        if kind == Kind.NUMBER:
            self.advance(tok)
            return ast.ConstantExpr(self.tok_span(tok), tok.value, tok.text)
        if kind == Kind.STRING:
            self.advance(tok)
            return tok.value
        if kind == Kind.VARIABLE:
            self.advance(tok)
            if tok.extra:
                return tok.value  # @splat
            return self.parse_postfix(tok.value, arg_mode=True)
        if kind == Kind.OP and tok.value in _ARG_PRIMARY_OPS:
            return self._nested(lambda: self.parse_postfix(self.parse_primary(), arg_mode=True))
        if kind == Kind.END_PARAMS:
            self.advance(tok)
            return ast.StringConstantExpr(self.tok_span(tok), tok.text, "bare")
        self.unexpected(tok)

    # ------------------------------------------------------------------ redirections

    def parse_redirections(self) -> tuple[ast.Redirection, ...]:
        found: list[ast.Redirection] = []
        while True:
            tok = self.peek(MODE_ARG)
            if tok.kind != Kind.REDIRECT:
                return tuple(found)
            found.append(self.parse_redirection(tok))

    def parse_redirection(self, tok: Token) -> ast.Redirection:
        """`> f`, `>> f`, `2> f`, `2>&1`, `*> f` (about_Redirection)."""
        self.advance(tok)
        stream, append, merge_to = tok.value
        if merge_to is not None:
            return ast.Redirection(self.tok_span(tok), stream, False, None, merge_to)
        nxt = self.peek(MODE_ARG)
        if self.ends_element(nxt) or nxt.kind in (Kind.REDIRECT, Kind.PARAMETER) or nxt.is_op(","):
            self.fail(
                "MissingFileSpecification",
                "Missing file specification after redirection operator.",
                nxt,
                False,
            )
        target = self.parse_argument()
        return ast.Redirection(self.tok_span(tok).to(target.span), stream, append, target)
