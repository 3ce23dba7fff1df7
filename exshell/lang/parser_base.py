"""The token stream under the parser: position-based, mode-aware look-ahead (Jinja-style current/next_if/expect).

Tokens are scanned lazily at the current offset in the mode the grammar rule asks for and memoised by
(offset, mode), so re-scanning a statement's first token in the other mode (grammar.md §1.1) is cheap.
"""

from __future__ import annotations

from typing import NoReturn

from exshell.errors import ParseError
from exshell.lang import ast
from exshell.lang.lexer import Lexer
from exshell.lang.position import Source, Span
from exshell.lang.tokens import MODE_ARG, MODE_EXPR, Kind, Token

# Tokens that end a pipeline element in argument mode (grammar.md §1 "until | ; newline ) } && || &").
END_OF_ELEMENT_OPS = frozenset([";", ")", "}", "|", "||", "&&", "&"])

# First tokens that make a pipeline element an expression (grammar.md §1.1).
EXPR_START_OPS = frozenset(
    ["(", "$(", "@(", "@{", "{", "!", ",", "++", "--", "-", "+", "[",
     "-not", "-bnot", "-split", "-isplit", "-csplit", "-join"]
)  # fmt: skip


class TokenStream:
    def __init__(self, source: Source, pos: int = 0, shared: TokenStream | None = None) -> None:
        self.source = source
        self.text = source.text
        self.pos = pos
        if shared is None:
            self.cache: dict[tuple[int, str], Token] = {}
            self.lexer = Lexer(source, self._parse_string_subexpr)
        else:
            self.cache = shared.cache
            self.lexer = shared.lexer
        self.no_comma = False  # inside method-call arguments / param defaults a comma separates
        self.depth = 0

    def _parse_string_subexpr(self, dollar: int) -> tuple[ast.SubExpr, int]:  # pragma: no cover - overridden
        raise NotImplementedError

    # ------------------------------------------------------------------ stream

    def peek(self, mode: str = MODE_EXPR) -> Token:
        key = (self.pos, mode)
        tok = self.cache.get(key)
        if tok is None:
            tok = self.lexer.scan(self.pos, mode)
            self.cache[key] = tok
        return tok

    def current(self, mode: str = MODE_EXPR) -> Token:
        """The token at the current position, scanned in `mode`."""
        return self.peek(mode)

    def look(self, mode: str = MODE_EXPR) -> Token:
        """The token after the current one (both scanned in `mode`), without moving."""
        tok = self.peek(mode)
        key = (tok.end, mode)
        after = self.cache.get(key)
        if after is None:
            after = self.lexer.scan(tok.end, mode)
            self.cache[key] = after
        return after

    def advance(self, tok: Token) -> Token:
        self.pos = tok.end
        return tok

    def next_if(self, *ops: str, mode: str = MODE_EXPR) -> Token | None:
        tok = self.peek(mode)
        if tok.kind == Kind.OP and tok.value in ops:
            return self.advance(tok)
        return None

    def skip_newlines(self) -> None:
        # Looks for newlines without scanning the next token: an argument-mode token after an operator can run
        # to the end of the input (`+1+1+…` is one bareword), which made long expressions quadratic.
        lexer = self.lexer
        while True:
            start = lexer.skip_trivia(self.pos)
            nl = lexer.newline_len(start) if start < lexer.n else 0
            if not nl:
                return
            self.pos = start + nl

    def skip_separators(self) -> None:
        while True:
            tok = self.peek(MODE_ARG)
            if tok.kind != Kind.NEWLINE and not tok.is_op(";"):
                return
            self.pos = tok.end

    def raw(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.text[i] if i < len(self.text) else ""

    def span(self, start: int, end: int) -> Span:
        return Span(self.source, start, end)

    def tok_span(self, tok: Token) -> Span:
        return Span(self.source, tok.start, tok.end)

    # ------------------------------------------------------------------ errors

    def fail(self, error_id: str, message: str, tok: Token, incomplete: bool | None = None) -> NoReturn:
        """Raise a ParseError at `tok`. Unless told, the input is incomplete when the offender is end of input."""
        if incomplete is None:
            incomplete = tok.kind == Kind.EOF
        raise ParseError(message, error_id, self.tok_span(tok), incomplete)

    def fail_at(self, error_id: str, message: str, span: Span, incomplete: bool = False) -> NoReturn:
        raise ParseError(message, error_id, span, incomplete)

    def unexpected(self, tok: Token) -> NoReturn:
        if tok.kind == Kind.EOF:
            self.fail("IncompleteParseError", "Unexpected end of input.", tok, True)
        self.fail("UnexpectedToken", f"Unexpected token '{tok.text}' in expression or statement.", tok)

    def expect(self, op: str, error_id: str, message: str, mode: str = MODE_EXPR) -> Token:
        tok = self.peek(mode)
        if tok.kind == Kind.OP and tok.value == op:
            return self.advance(tok)
        self.fail(error_id, message, tok)

    # ------------------------------------------------------------------ classification

    @staticmethod
    def starts_expression(tok: Token) -> bool:
        if tok.kind in (Kind.NUMBER, Kind.STRING, Kind.VARIABLE, Kind.TYPE):
            return True
        return tok.kind == Kind.OP and tok.value in EXPR_START_OPS

    @staticmethod
    def ends_element(tok: Token) -> bool:
        """End of a pipeline element / statement (as seen in argument mode)."""
        return tok.kind in (Kind.EOF, Kind.NEWLINE) or (
            tok.kind == Kind.OP and tok.value in END_OF_ELEMENT_OPS
        )
