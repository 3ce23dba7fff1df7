"""The mode-aware tokenizer (PowerShell tokenizer.cs, grammar.md §2).

The parser asks for one token at a character offset in a mode (`scan(pos, mode)`); there is no up-front
token list because PowerShell re-tokenizes the same characters differently in expression and argument
mode. `$( ... )` inside strings and barewords is parsed by calling back into the parser (`subexpr`), as
PowerShell's tokenizer does, so the nested statements get real positions.
"""

from __future__ import annotations

import re
from decimal import Decimal

from exshell.errors import ParseError
from exshell.lang import ast
from exshell.lang.lexer_strings import StringScanner, SubExprParser
from exshell.lang.position import Source, Span
from exshell.lang.tokens import (
    DASHES,
    DOUBLE_QUOTES,
    MODE_ARG,
    NAMED_OPS,
    NEWLINE_CHARS,
    SINGLE_QUOTES,
    Kind,
    Token,
    ends_generic,
    is_blank,
    is_digit,
    is_ident_char,
)

# Characters that can never start trivia (blank, comment, continuation, newline): scanning skips the loop.
_PLAIN_START = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$@-+*/%=!?.,;:()[]{}|&'\"_>\\"
)
# expression-mode words: identifier characters, with single dashes inside (`Get-Foo`)
_WORD = re.compile(r"[^\W]+(?:-[^\W]+)*")
_MULTIPLIERS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}
_INT64_MAX = 2**63 - 1
_BAD = object()  # a numeric literal whose value does not fit its type suffix
_SIZED_SUFFIXES = ("uy", "us", "ul", "y", "s", "u", "n")
_SUFFIX_BITS = {"y": 8, "uy": 8, "s": 16, "us": 16, "u": 32, "ul": 64}


class Lexer(StringScanner):
    def __init__(self, source: Source, subexpr: SubExprParser) -> None:
        self.source = source
        self.text = source.text
        self.n = len(source.text)
        self.subexpr = subexpr

    # ------------------------------------------------------------------ helpers

    def span(self, start: int, end: int) -> Span:
        return Span(self.source, start, end)

    def error(
        self, error_id: str, message: str, start: int, end: int, incomplete: bool = False
    ) -> ParseError:
        return ParseError(message, error_id, self.span(start, max(end, start)), incomplete)

    def ch(self, i: int) -> str:
        return self.text[i] if 0 <= i < self.n else ""

    def newline_len(self, i: int) -> int:
        """Length of the newline at i (0 if none): \\r\\n counts as one newline."""
        c = self.ch(i)
        if c == "\r":
            return 2 if self.ch(i + 1) == "\n" else 1
        return 1 if c == "\n" else 0

    def skip_trivia(self, pos: int) -> int:
        """Skip blanks (a backtick-blank is one), comments and backtick-newline continuations (grammar.md §2.1);
        stop at a newline."""
        text, n = self.text, self.n
        if pos < n and text[pos] in _PLAIN_START:
            return pos  # fast path: most tokens follow no trivia
        while pos < n:
            c = text[pos]
            if is_blank(c):
                pos += 1
            elif c == "`" and self.newline_len(pos + 1):
                pos += 1 + self.newline_len(pos + 1)
            elif c == "`" and is_blank(self.ch(pos + 1)):
                # tokenizer.cs NextToken: a backtick before a blank is itself a blank, so "` " at the end of a
                # line does not continue it (the newline still ends the statement).
                pos += 2
            elif c == "#":
                while pos < n and text[pos] not in NEWLINE_CHARS:
                    pos += 1
            elif c == "<" and self.ch(pos + 1) == "#":
                close = text.find("#>", pos + 2)
                if close < 0:
                    raise self.error(
                        "MissingTerminatorMultiLineComment",
                        "The terminator '#>' is missing from the multiline comment.",
                        n,
                        n,
                        incomplete=True,
                    )
                pos = close + 2
            else:
                break
        return pos

    # ------------------------------------------------------------------ entry point

    def scan(self, pos: int, mode: str) -> Token:
        start = self.skip_trivia(pos)
        space = start > pos
        text = self.text
        if start >= self.n:
            return Token(Kind.EOF, None, self.n, self.n, "", space)
        c = text[start]
        nl = self.newline_len(start)
        if nl:
            return Token(Kind.NEWLINE, "\n", start, start + nl, text[start : start + nl], space)
        tok = self._scan_redirect(start, space)
        if tok is not None:
            return tok
        if c in SINGLE_QUOTES or c in DOUBLE_QUOTES:
            # A quote starting an argument makes the whole string one argument; anything glued after it is
            # the next argument (`'a'b'c'` → 'a', 'bc'; PowerShell issue #6467). Inside a bareword (a'$a') the
            # quoted part is folded in by scan_generic.
            return self.scan_string(start, space)
        if c == "$":
            return self._scan_dollar(start, space, mode)
        if c == "@":
            tok = self._scan_at(start, space)
            if tok is not None:
                return tok
        if is_digit(c) or (c == "." and is_digit(self.ch(start + 1))):
            tok = self._scan_number_token(start, space, mode)
            if tok is not None:
                return tok
        if c in DASHES:
            tok = self._scan_dash(start, space, mode)
            if tok is not None:
                return tok
        if c == "`" and start + 1 >= self.n:
            raise self.error(
                "IncompleteString", "Incomplete string token.", start, start + 1, incomplete=True
            )
        if mode == MODE_ARG:
            return self._scan_arg_punct(start, space)
        return self._scan_expr_punct(start, space)

    # ------------------------------------------------------------------ punctuation

    def _op(self, start: int, length: int, space: bool, value: str | None = None) -> Token:
        t = self.text[start : start + length]
        return Token(Kind.OP, value if value is not None else t, start, start + length, t, space)

    def _scan_redirect(self, start: int, space: bool) -> Token | None:
        text = self.text
        c = text[start]
        stream = None
        i = start
        if c in "123456*" and self.ch(start + 1) == ">":
            stream = c
            i = start + 1
        elif c == ">":
            stream = "1"
        if stream is None:
            if c == "<" and self.ch(start + 1) != "#":
                raise self.error(
                    "RedirectionNotSupported",
                    "The '<' operator is reserved for future use.",
                    start,
                    start + 1,
                )
            return None
        # i points at '>'
        if self.ch(i + 1) == "&" and self.ch(i + 2) in ("1", "2"):
            end = i + 3
            return Token(Kind.REDIRECT, (stream, False, text[i + 2]), start, end, text[start:end], space)
        if self.ch(i + 1) == ">":
            end = i + 2
            return Token(Kind.REDIRECT, (stream, True, None), start, end, text[start:end], space)
        end = i + 1
        return Token(Kind.REDIRECT, (stream, False, None), start, end, text[start:end], space)

    def _scan_common_punct(self, start: int, space: bool) -> Token | None:
        text = self.text
        c = text[start]
        c2 = self.ch(start + 1)
        if c in "(){};,":
            return self._op(start, 1, space)
        if c == "|":
            return self._op(start, 2, space) if c2 == "|" else self._op(start, 1, space)
        if c == "&":
            return self._op(start, 2, space) if c2 == "&" else self._op(start, 1, space)
        return None

    def _scan_arg_punct(self, start: int, space: bool) -> Token:
        tok = self._scan_common_punct(start, space)
        if tok is not None:
            return tok
        return self.scan_generic(start, space)

    def _scan_expr_punct(self, start: int, space: bool) -> Token:
        tok = self._scan_common_punct(start, space)
        if tok is not None:
            return tok
        text = self.text
        c = text[start]
        c2 = self.ch(start + 1)
        if c == "+":
            if c2 in ("+", "="):
                return self._op(start, 2, space)
            return self._op(start, 1, space)
        if c in "*/%":
            return self._op(start, 2, space) if c2 == "=" else self._op(start, 1, space)
        if c == "=":
            return self._op(start, 1, space)
        if c == "!":
            return self._op(start, 1, space)
        if c == "?":
            if c2 == "?":
                return self._op(start, 3, space) if self.ch(start + 2) == "=" else self._op(start, 2, space)
            if c2 in (".", "["):
                return self._op(start, 2, space)
            return self._op(start, 1, space)
        if c == ".":
            return self._op(start, 2, space) if c2 == "." else self._op(start, 1, space)
        if c == ":":
            return self._op(start, 2, space) if c2 == ":" else self._op(start, 1, space)
        if c == "[":
            tok = self._scan_type(start, space)
            return tok if tok is not None else self._op(start, 1, space)
        if c == "]":
            return self._op(start, 1, space)
        if is_ident_char(c):
            m = _WORD.match(text, start)
            i = m.end() if m else start + 1
            word = text[start:i]
            node = ast.StringConstantExpr(self.span(start, i), word, "bare")
            return Token(Kind.GENERIC, node, start, i, word, space, True)
        if c == "`":
            return self.scan_generic(start, space)
        return Token(Kind.UNKNOWN, c, start, start + 1, c, space)

    def _scan_type(self, start: int, space: bool) -> Token | None:
        """`[TypeName]`, `[string[]]`, `[System.Collections.Generic.List[string]]`: the name as written."""
        i = start + 1
        depth = 0
        text = self.text
        while i < self.n:
            c = text[i]
            if c == "[":
                depth += 1
            elif c == "]":
                if depth == 0:
                    break
                depth -= 1
            elif not (is_ident_char(c) or c in ".`+, " or (c == "]" and depth)):
                return None
            i += 1
        else:
            return None
        name = text[start + 1 : i].strip()
        if not name or not (name[0].isalpha() or name[0] == "_"):
            return None
        return Token(Kind.TYPE, name, start, i + 1, text[start : i + 1], space)

    # ------------------------------------------------------------------ dash: parameters and operators

    def _scan_dash(self, start: int, space: bool, mode: str) -> Token | None:
        text = self.text
        c2 = self.ch(start + 1)
        if mode == MODE_ARG:
            if c2 and c2 in DASHES and ends_generic(self.ch(start + 2)):
                return Token(Kind.END_PARAMS, "--", start, start + 2, text[start : start + 2], space)
            if c2.isalpha() or c2 in ("_", "?"):
                return self._scan_parameter(start, space)
            return None  # `-`, `-5`: a bareword
        if c2 and c2 in DASHES:
            return self._op(start, 2, space, "--")
        if c2 == "=":
            return self._op(start, 2, space, "-=")
        if c2.isalpha():
            i = start + 1
            while self.ch(i).isalpha():
                i += 1
            word = "-" + text[start + 1 : i].lower()
            if word in NAMED_OPS:
                return Token(Kind.OP, word, start, i, text[start:i], space)
            return Token(Kind.PARAMETER, text[start + 1 : i], start, i, text[start:i], space, False)
        return self._op(start, 1, space, "-")

    def _scan_parameter(self, start: int, space: bool) -> Token:
        """`-Name` / `-Name:` (tokenizer.cs ScanParameter). A quote inside makes it a bareword argument."""
        text = self.text
        i = start + 1
        while i < self.n:
            c = text[i]
            if ends_generic(c) or c in ".[:":
                break
            if c in SINGLE_QUOTES or c in DOUBLE_QUOTES:
                return self.scan_generic(start, space)
            i += 1
        name = text[start + 1 : i]
        if self.ch(i) == ":" and self.ch(i + 1) != ":":
            return Token(Kind.PARAMETER, name, start, i + 1, text[start : i + 1], space, True)
        return Token(Kind.PARAMETER, name, start, i, text[start:i], space, False)

    # ------------------------------------------------------------------ numbers

    def scan_number(self, start: int) -> tuple[object, int] | None:
        """Scan a numeric literal's characters; returns (value, end) or None when the shape is not numeric.

        Suffixes l/d and multipliers kb..pb (tokenizer.cs ScanNumberHelper); the caller decides whether what
        follows ends the number in its mode.
        """
        text = self.text
        i = start
        value: object
        if text[i] == "0" and self.ch(i + 1) in ("x", "X", "b", "B") and self.ch(i + 2) != "":
            base = 16 if self.ch(i + 1) in "xX" else 2
            j = i + 2
            digits = "0123456789abcdefABCDEF" if base == 16 else "01"
            while self.ch(j) != "" and self.ch(j) in digits:
                j += 1
            if j == i + 2:
                return None
            raw = int(text[i + 2 : j], base)
            hex_raw = raw
            ndig = j - i - 2
            width = 8 if base == 16 else 32
            if ndig <= width:
                value = raw - (1 << 32) if raw >= 1 << 31 else raw
            else:
                value = raw - (1 << 64) if raw >= 1 << 63 else raw
                if raw >= 1 << 64 and self.ch(j).lower() != "n":
                    return None
            i = j
            is_real = False
        else:
            hex_raw = None
            j = i
            while is_digit(self.ch(j)):
                j += 1
            is_real = False
            if self.ch(j) == "." and is_digit(self.ch(j + 1)):
                j += 1
                while is_digit(self.ch(j)):
                    j += 1
                is_real = True
            if self.ch(j) in ("e", "E"):
                k = j + 1
                if self.ch(k) in ("+", "-"):
                    k += 1
                if is_digit(self.ch(k)):
                    while is_digit(self.ch(k)):
                        k += 1
                    j = k
                    is_real = True
            if j == i:
                return None
            body = text[i:j]
            value = float(body) if is_real else int(body)
            i = j
        suffix = self.ch(i).lower()
        sized = next((t for t in _SIZED_SUFFIXES if text[i : i + len(t)].lower() == t), None)
        if suffix == "l" and not is_real:
            i += 1
        elif suffix == "d":
            value = Decimal(str(value))
            i += 1
        elif sized is not None:
            # PS7 type suffixes: y/uy (8 bit), s/us (16), u (32), ul (64), n (BigInteger)
            i += len(sized)
            value = self._sized(value, sized, hex_raw)
        mult = text[i : i + 2].lower()
        if mult in _MULTIPLIERS:
            m = _MULTIPLIERS[mult]
            if value is not _BAD:
                value = value * m  # type: ignore[operator]
            i += 2
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _INT64_MAX:
            value = Decimal(value)
        return value, i

    @staticmethod
    def _sized(value: object, suffix: str, hex_raw: int | None) -> object:
        """Apply a PS7 integer type suffix; _BAD when the value does not fit (`0xFFFFy`, `300uy`)."""
        if suffix == "n":
            return int(value) if hex_raw is None else hex_raw  # type: ignore[call-overload]
        bits = _SUFFIX_BITS[suffix]
        signed = suffix in ("y", "s")
        if hex_raw is not None:
            if hex_raw >= 1 << bits:
                return _BAD
            return hex_raw - (1 << bits) if signed and hex_raw >= 1 << (bits - 1) else hex_raw
        if isinstance(value, float) and not value.is_integer():
            return _BAD
        number = int(value)  # type: ignore[call-overload]
        limit = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
        return number if number <= limit else _BAD

    def _scan_number_token(self, start: int, space: bool, mode: str) -> Token | None:
        scanned = self.scan_number(start)
        if scanned is not None and scanned[0] is _BAD:
            end = scanned[1]
            if mode == MODE_ARG or is_ident_char(self.ch(end)):
                scanned = None  # `300uyz`: not numeric at all; in argument mode a bareword
            else:
                raise self.error(
                    "BadNumericConstant",
                    f"The numeric constant {self.text[start:end]} is not valid.",
                    start,
                    end,
                )
        if mode == MODE_ARG:
            if scanned is None or not ends_generic(self.ch(scanned[1])):
                return None  # `25x`, `10.0.0.1`, `1..5`: a bareword
            value, end = scanned
            return Token(Kind.NUMBER, value, start, end, self.text[start:end], space)
        if scanned is not None and not is_ident_char(self.ch(scanned[1])):
            value, end = scanned
            return Token(Kind.NUMBER, value, start, end, self.text[start:end], space)
        # Looks numeric but is not (`5x`, `0xFFFFy`): the whole word.
        i = start
        while is_ident_char(self.ch(i)) or self.ch(i) == ".":
            i += 1
        return Token(Kind.BAD_NUMBER, None, start, i, self.text[start:i], space)
