"""Tokens and the character classes the tokenizer uses (PowerShell tokenizer.cs / CharTraits.cs).

A token is scanned at a position *in a mode*: the parser asks for expression-mode or argument-mode tokens
(grammar.md §1), so the same characters (`10.0.0.5`, `-5`, `1..5`) can be two different tokens.
"""

from __future__ import annotations

from typing import Any


class Kind:
    """Token kinds (plain strings, so a token prints readably)."""

    EOF = "eof"
    NEWLINE = "newline"
    NUMBER = "number"  # value: the number; text: the spelling
    BAD_NUMBER = "badnumber"  # looks numeric but is not (`5x`): a command name, or BadNumericConstant
    STRING = "string"  # value: StringConstantExpr / ExpandableStringExpr
    GENERIC = "generic"  # argument-mode bareword / expression-mode word; value: the string node
    VARIABLE = "variable"  # value: VariableExpr
    PARAMETER = "parameter"  # `-Name` / `-Name:`; value: name; extra: colon present
    OP = "op"  # punctuation and named operators; value: normalized spelling ('-eq', '(', '@{')
    TYPE = "type"  # `[name]`; value: the type name as written
    REDIRECT = "redirect"  # value: (from_stream, append, merge_to)
    END_PARAMS = "endparams"  # `--` in argument mode
    UNKNOWN = "unknown"  # a character that starts nothing


MODE_EXPR = "expr"
MODE_ARG = "arg"


class Token:
    """One scanned token. A plain slotted class with value equality, not a dataclass: the lexer and parser
    are on every start-up, and generating a dataclass costs about a millisecond of it."""

    __slots__ = ("kind", "value", "start", "end", "text", "space_before", "extra")

    def __init__(
        self, kind: str, value: Any, start: int, end: int, text: str, space_before: bool, extra: Any = None
    ) -> None:
        self.kind = kind
        self.value = value
        self.start = start
        self.end = end
        self.text = text
        self.space_before = space_before  # whitespace, a comment or a line continuation precedes it
        self.extra = extra

    def _key(self) -> tuple[Any, ...]:
        return (self.kind, self.value, self.start, self.end, self.text, self.space_before, self.extra)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Token) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.kind, self.start, self.end, self.text))

    def __repr__(self) -> str:
        return f"Token({self.kind!r}, {self.value!r}, {self.start}, {self.end}, {self.text!r})"

    def is_op(self, *ops: str) -> bool:
        return self.kind == Kind.OP and self.value in ops

    def describe(self) -> str:
        """The token as PowerShell quotes it in 'Unexpected token' messages."""
        return self.text


# ----------------------------------------------------------------------------- character classes

SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
DOUBLE_QUOTES = '"\u201c\u201d\u201e'
DASHES = "-\u2013\u2014\u2015"
NEWLINE_CHARS = "\r\n"

# CharTraits.ForceStartNewToken: these end an argument-mode bareword.
_GENERIC_TERMINATORS = frozenset(";,(){}|&\r\n")


def is_blank(c: str) -> bool:
    """Whitespace that separates tokens (not a newline)."""
    return c != "" and c in " \t\f\v\u00a0\u0085" or (c.isspace() and c not in NEWLINE_CHARS)


def ends_generic(c: str) -> bool:
    """True when `c` ends an argument-mode bareword (and an argument-mode number)."""
    return c == "" or c in _GENERIC_TERMINATORS or is_blank(c)


def is_var_char(c: str) -> bool:
    """Characters of an unbraced variable name (tokenizer.cs ScanVariable): letters, digits, `_`, `?`."""
    return c != "" and (c.isalnum() or c == "_" or c == "?")


def is_ident_start(c: str) -> bool:
    return c != "" and (c.isalpha() or c == "_")


def is_ident_char(c: str) -> bool:
    return c != "" and (c.isalnum() or c == "_")


# Named operators in expression mode (grammar.md §2.8); i/c forms added below.
_CASE_FAMILY = [
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "like",
    "notlike",
    "match",
    "notmatch",
    "replace",
    "contains",
    "notcontains",
    "in",
    "notin",
    "split",
]
BINARY_NAMED_OPS: frozenset[str] = frozenset(
    ["-" + o for o in _CASE_FAMILY]
    + ["-i" + o for o in _CASE_FAMILY]
    + ["-c" + o for o in _CASE_FAMILY]
    + ["-join", "-is", "-isnot", "-as", "-and", "-or", "-xor", "-band", "-bor", "-bxor", "-shl", "-shr", "-f"]
)
UNARY_NAMED_OPS: frozenset[str] = frozenset(["-not", "-bnot", "-split", "-isplit", "-csplit", "-join"])
NAMED_OPS: frozenset[str] = BINARY_NAMED_OPS | UNARY_NAMED_OPS

ASSIGN_OPS: frozenset[str] = frozenset(["=", "+=", "-=", "*=", "/=", "%=", "??="])

# Precedence levels for binary operators (token.cs): higher binds tighter.
LOGICAL_OPS = frozenset(["-and", "-or", "-xor"])
BITWISE_OPS = frozenset(["-band", "-bor", "-bxor"])
COMPARISON_OPS = BINARY_NAMED_OPS - LOGICAL_OPS - BITWISE_OPS - {"-f"}
ADDITIVE_OPS = frozenset(["+", "-"])
MULTIPLICATIVE_OPS = frozenset(["*", "/", "%"])

KEYWORDS = frozenset(
    [
        "if",
        "elseif",
        "else",
        "foreach",
        "switch",
        "default",
        "for",
        "while",
        "do",
        "until",
        "try",
        "catch",
        "finally",
        "throw",
        "return",
        "break",
        "continue",
        "exit",
        "function",
        "filter",
        "param",
        "begin",
        "process",
        "end",
    ]
)


def is_digit(c: str) -> bool:
    """ASCII decimal digit (str.isdigit also accepts '¹' and other digits PowerShell does not scan)."""
    return c != "" and "0" <= c <= "9"
