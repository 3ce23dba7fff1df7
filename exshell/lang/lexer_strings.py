"""String, variable and bareword scanning (tokenizer.cs ScanStringLiteral, ScanStringExpandable,
ScanHereString*, ScanVariable, ScanGenericToken; grammar.md §2.2, §2.5, §2.6).

A mixin of `Lexer`: it uses the lexer's `text`, `n`, `ch`, `span`, `error`, `newline_len` and `subexpr`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from exshell.errors import ParseError
from exshell.lang import ast
from exshell.lang.position import Span
from exshell.lang.tokens import (
    DOUBLE_QUOTES,
    MODE_ARG,
    SINGLE_QUOTES,
    Kind,
    Token,
    ends_generic,
    is_blank,
    is_var_char,
)

SubExprParser = Callable[[int], "tuple[ast.SubExpr, int]"]
Part = str | ast.Expr

# a run of bareword characters with no special meaning (no quote, $, backtick, terminator, whitespace)
_GENERIC_RUN = re.compile("[^\\s;,(){}|&`$'\u2018\u2019\u201a\u201b\"\u201c\u201d\u201e\\x85]+")
_ESCAPES = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_MSG_INVALID_VAR = (
    "Variable reference is not valid. '$' was not followed by a valid variable name character. "
    "Consider using ${} to delimit the name."
)
_MSG_INVALID_DRIVE = (
    "Variable reference is not valid. ':' was not followed by a valid variable name character. "
    "Consider using ${} to delimit the name."
)


class StringScanner:
    text: str
    n: int
    subexpr: SubExprParser

    def ch(self, i: int) -> str:  # pragma: no cover - provided by Lexer
        raise NotImplementedError

    def span(self, start: int, end: int) -> Span:  # pragma: no cover - provided by Lexer
        raise NotImplementedError

    def error(
        self, error_id: str, message: str, start: int, end: int, incomplete: bool = False
    ) -> ParseError:
        raise NotImplementedError  # pragma: no cover - provided by Lexer

    def newline_len(self, i: int) -> int:  # pragma: no cover - provided by Lexer
        raise NotImplementedError

    def _op(self, start: int, length: int, space: bool, value: str | None = None) -> Token:
        raise NotImplementedError  # pragma: no cover - provided by Lexer

    # ------------------------------------------------------------------ variables

    def _scan_dollar(self, start: int, space: bool, mode: str) -> Token:
        c2 = self.ch(start + 1)
        if c2 == "(":
            return self._op(start, 2, space)
        var = self.scan_variable(start, in_string=False)
        if var is None:
            if mode == MODE_ARG:
                return self.scan_generic(start, space)
            raise self.error("InvalidVariableReference", _MSG_INVALID_VAR, start, start + 1)
        node, end = var
        if mode == MODE_ARG and not (ends_generic(self.ch(end)) or self.ch(end) in (".", "[")):
            # `$x-1`, `${x}abc`: the whole word is an expandable bareword (grammar.md §2.6)
            return self.scan_generic(start, space)
        return Token(Kind.VARIABLE, node, start, end, self.text[start:end], space)

    def scan_variable(self, start: int, in_string: bool) -> tuple[ast.VariableExpr, int] | None:
        """`$name`, `$scope:name`, `${any}`, `$$ $? $^` at start (the `$`). None when `$` starts no variable."""
        text = self.text
        i = start + 1
        c = self.ch(i)
        if c == "{":
            j = i + 1
            buf: list[str] = []
            while True:
                cj = self.ch(j)
                if cj == "":
                    raise self.error(
                        "IncompleteDollarVariableReference",
                        "Missing '}' in variable reference.",
                        start,
                        j,
                        incomplete=True,
                    )
                if cj == "}":
                    break
                if cj == "`" and self.ch(j + 1) != "":
                    buf.append(self.ch(j + 1))
                    j += 2
                    continue
                buf.append(cj)
                j += 1
            raw = "".join(buf)
            if not raw:
                raise self.error(
                    "EmptyVariableReference",
                    "Empty ${} variable reference, there should be a name after '${'.",
                    start,
                    j + 1,
                )
            scope = None
            head, sep, tail = raw.partition(":")
            if sep and tail and head.isalpha():
                scope, raw = head.lower(), tail
            return ast.VariableExpr(self.span(start, j + 1), raw, scope), j + 1
        if c in ("$", "^"):
            return ast.VariableExpr(self.span(start, i + 1), c), i + 1
        if not is_var_char(c):
            return None
        j = i
        while is_var_char(self.ch(j)):
            j += 1
        name = text[i:j]
        scope = None
        if self.ch(j) == ":" and self.ch(j + 1) != ":":
            if is_var_char(self.ch(j + 1)):
                scope = name.lower()
                k = j + 1
                while is_var_char(self.ch(k)):
                    k += 1
                name = text[j + 1 : k]
                j = k
            else:
                raise self.error("InvalidVariableReferenceWithDrive", _MSG_INVALID_DRIVE, start, j + 1)
        return ast.VariableExpr(self.span(start, j), name, scope), j

    def _scan_at(self, start: int, space: bool) -> Token | None:
        c2 = self.ch(start + 1)
        if c2 in ("(", "{"):
            return self._op(start, 2, space)
        if c2 and (c2 in SINGLE_QUOTES or c2 in DOUBLE_QUOTES):
            return self.scan_here_string(start, space)
        if is_var_char(c2):
            var = self.scan_variable(start, in_string=False)
            if var is not None:
                node, end = var
                node = ast.VariableExpr(self.span(start, end), node.name, node.scope, splat=True)
                return Token(Kind.VARIABLE, node, start, end, self.text[start:end], space, True)
        return None

    # ------------------------------------------------------------------ strings

    def _escape(self, i: int) -> tuple[str, int]:
        """Backtick escape at i (the backtick); returns (chars, next index). about_Special_Characters."""
        c = self.ch(i + 1)
        if c == "u" and self.ch(i + 2) == "{":
            close = self.text.find("}", i + 3, i + 10)
            hexdigits = self.text[i + 3 : close] if close >= 0 else ""
            if (
                not hexdigits
                or len(hexdigits) > 6
                or any(h not in "0123456789abcdefABCDEF" for h in hexdigits)
            ):
                raise self.error(
                    "InvalidUnicodeEscapeSequence",
                    "The Unicode escape sequence is not valid. A valid sequence is `u{ followed by one to six "
                    "hex digits and a closing '}'.",
                    i,
                    i + 3,
                )
            cp = int(hexdigits, 16)
            if cp > 0x10FFFF:
                raise self.error(
                    "InvalidUnicodeEscapeSequenceValue",
                    "The Unicode escape sequence value is out of range. The maximum value is `u{10FFFF}.",
                    i,
                    close + 1,
                )
            return chr(cp), close + 1
        if c in _ESCAPES:
            return _ESCAPES[c], i + 2
        if c == "\r" and self.ch(i + 2) == "\n":
            return "\r\n", i + 3
        return c, i + 2

    def _expand_dollar(self, i: int, parts: list[Part], buf: list[str]) -> int:
        """`$...` inside an expandable string / bareword at i: append a part, return the next index."""
        if self.ch(i + 1) == "(":
            node, end = self.subexpr(i)
            self._flush(parts, buf)
            parts.append(node)
            return end
        var = self.scan_variable(i, in_string=True)
        if var is None:
            buf.append("$")  # "50$", "cost: $ 5": a lone $ is literal
            return i + 1
        variable, after = var
        self._flush(parts, buf)
        parts.append(variable)
        return after

    @staticmethod
    def _flush(parts: list[Part], buf: list[str]) -> None:
        if buf:
            parts.append("".join(buf))
            buf.clear()

    def _string_node(self, start: int, end: int, parts: list[Part], kind: str) -> ast.Expr:
        span = self.span(start, end)
        if any(not isinstance(p, str) for p in parts):
            return ast.ExpandableStringExpr(span, tuple(parts), kind)
        return ast.StringConstantExpr(span, "".join(p for p in parts if isinstance(p, str)), kind)

    def _scan_single_body(self, start: int, buf: list[str]) -> int:
        """Body of a '...' string starting at the quote; returns the index after the closing quote."""
        i = start + 1
        text = self.text
        while True:
            if i >= self.n:
                raise self.error(
                    "TerminatorExpectedAtEndOfString",
                    "The string is missing the terminator: '.",
                    start,
                    start + 1,
                    incomplete=True,
                )
            c = text[i]
            if c in SINGLE_QUOTES:
                if self.ch(i + 1) in SINGLE_QUOTES and self.ch(i + 1) != "":
                    buf.append(c)
                    i += 2
                    continue
                return i + 1
            buf.append(c)
            i += 1

    def _scan_double_body(self, start: int, parts: list[Part], buf: list[str]) -> int:
        i = start + 1
        text = self.text
        while True:
            if i >= self.n:
                raise self.error(
                    "TerminatorExpectedAtEndOfString",
                    'The string is missing the terminator: ".',
                    start,
                    start + 1,
                    incomplete=True,
                )
            c = text[i]
            if c in DOUBLE_QUOTES:
                if self.ch(i + 1) in DOUBLE_QUOTES and self.ch(i + 1) != "":
                    buf.append(c)
                    i += 2
                    continue
                return i + 1
            if c == "`":
                if i + 1 >= self.n:
                    i += 1
                    continue
                s, i = self._escape(i)
                buf.append(s)
            elif c == "$":
                i = self._expand_dollar(i, parts, buf)
            else:
                buf.append(c)
                i += 1

    def scan_string(self, start: int, space: bool) -> Token:
        c = self.text[start]
        parts: list[Part] = []
        buf: list[str] = []
        if c in SINGLE_QUOTES:
            end = self._scan_single_body(start, buf)
            node: ast.Expr = ast.StringConstantExpr(self.span(start, end), "".join(buf), "single")
        else:
            end = self._scan_double_body(start, parts, buf)
            self._flush(parts, buf)
            node = self._string_node(start, end, parts, "double")
        return Token(Kind.STRING, node, start, end, self.text[start:end], space)

    def scan_here_string(self, start: int, space: bool) -> Token:
        """@' ... '@ and @" ... "@: header alone on its line, footer at the start of a line (about_Quoting_Rules)."""
        text = self.text
        quote = text[start + 1]
        single = quote in SINGLE_QUOTES
        quotes = SINGLE_QUOTES if single else DOUBLE_QUOTES
        i = start + 2
        while i < self.n and is_blank(text[i]):
            i += 1
        if i < self.n and not self.newline_len(i):
            raise self.error(
                "UnexpectedCharactersAfterHereStringHeader",
                "No characters are allowed after a here-string header but before the end of the line.",
                i,
                i + 1,
            )
        if i >= self.n:
            raise self.error(
                "TerminatorExpectedAtEndOfString",
                f"The string is missing the terminator: {quote}@.",
                start,
                start + 2,
                incomplete=True,
            )
        content_start = i + self.newline_len(i)
        # find a line starting with the footer
        line = content_start
        footer = -1
        indented = -1
        while line <= self.n:
            if self.ch(line) in quotes and self.ch(line) != "" and self.ch(line + 1) == "@":
                footer = line
                break
            k = line
            while k < self.n and is_blank(text[k]):
                k += 1
            if (
                k > line
                and indented < 0
                and self.ch(k) in quotes
                and self.ch(k) != ""
                and self.ch(k + 1) == "@"
            ):
                indented = k
            nxt = line
            while nxt < self.n and not self.newline_len(nxt):
                nxt += 1
            if nxt >= self.n:
                break
            line = nxt + self.newline_len(nxt)
        if footer < 0:
            if indented >= 0:
                raise self.error(
                    "WhitespaceBeforeHereStringFooter",
                    "White space is not allowed before the string terminator.",
                    indented,
                    indented + 2,
                )
            raise self.error(
                "TerminatorExpectedAtEndOfString",
                f"The string is missing the terminator: {quote}@.",
                start,
                start + 2,
                incomplete=True,
            )
        # the newline before the footer is not part of the value
        content_end = footer
        if content_end > content_start:
            if text[content_end - 1] == "\n":
                content_end -= 1
                if content_end > content_start and text[content_end - 1] == "\r":
                    content_end -= 1
            elif text[content_end - 1] == "\r":
                content_end -= 1
        else:
            content_end = content_start
        end = footer + 2
        if single:
            node: ast.Expr = ast.StringConstantExpr(
                self.span(start, end), text[content_start:content_end], "here_single"
            )
        else:
            parts: list[Part] = []
            buf: list[str] = []
            j = content_start
            while j < content_end:
                c = text[j]
                if c == "`" and j + 1 < content_end:
                    s, j = self._escape(j)
                    buf.append(s)
                elif c == "$":
                    j = self._expand_dollar(j, parts, buf)
                else:
                    buf.append(c)
                    j += 1
            self._flush(parts, buf)
            node = self._string_node(start, end, parts, "here_double")
        return Token(Kind.STRING, node, start, end, text[start:end], space)

    # ------------------------------------------------------------------ barewords

    def scan_generic(self, start: int, space: bool) -> Token:
        """An argument-mode bareword (tokenizer.cs ScanGenericToken): runs to a terminator; quoted segments,
        backtick escapes and `$` expansions inside are folded into one (expandable) string."""
        text = self.text
        parts: list[Part] = []
        buf: list[str] = []
        plain = True
        i = start
        while i < self.n:
            c = text[i]
            if ends_generic(c):
                break
            if c == "`":
                if self.newline_len(i + 1):
                    break  # line continuation ends the word
                if i + 1 >= self.n:
                    buf.append("`")  # a trailing backtick is literal inside a bareword
                    i += 1
                    continue
                s, i = self._escape(i)
                buf.append(s)
                plain = False
            elif c in SINGLE_QUOTES:
                i = self._scan_single_body(i, buf)
                plain = False
            elif c in DOUBLE_QUOTES:
                i = self._scan_double_body(i, parts, buf)
                plain = False
            elif c == "$":
                i = self._expand_dollar(i, parts, buf)
                plain = False
            else:
                m = _GENERIC_RUN.match(text, i)
                if m is None:
                    buf.append(c)
                    i += 1
                else:
                    buf.append(m.group())
                    i = m.end()
        self._flush(parts, buf)
        node = self._string_node(start, i, parts, "bare")
        return Token(Kind.GENERIC, node, start, i, text[start:i], space, plain)
