"""What kind of thing fits at the cursor: the pure first half of tab completion (pgcli's sqlcompletion idea).

`detect(text_before_cursor)` scans the partial input with a tolerant mini-scanner (the real lexer rejects
unfinished text, and completion must work on exactly that) and returns a CompletionContext saying whether a
command name, a parameter name, a parameter's value, a positional argument or a variable is being typed.
The second half (exshell.shell.completer) maps each kind to candidates using the cmdlet declarations.

Scanner rules follow grammar.md §2: argument-mode barewords end at whitespace and `; , ( ) { } | &`;
`#` starts a comment only at the start of a token; a parameter token is `-` followed by a letter, `_` or `?`
and may carry a glued value after `:`; a backtick escapes the next character (backtick-newline continues
the line).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class Kind:
    COMMAND = "command"  # the first word of a pipeline element
    PARAMETER = "parameter"  # a `-Name` token being typed
    VALUE = "value"  # the argument of a named parameter (`-AuthMechanism Tl`)
    ARGUMENT = "argument"  # a positional argument (`Get-ReceiveConnector Rel`)
    VARIABLE = "variable"  # `$na`
    NONE = "none"  # expression mode, inside a comment, a hashtable ... nothing sensible to offer


@dataclass(frozen=True, slots=True)
class Token:
    """A finished token of the current command element. kind: word, param, string, variable, group, comma."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class CompletionContext:
    kind: str
    word: str  # the text the candidate replaces (the partial word before the cursor, '' when none)
    command: str | None = None  # the command name as typed (COMMAND excluded)
    parameter: str | None = None  # for VALUE: the parameter name as typed, without '-'
    args: tuple[Token, ...] = ()  # the finished tokens after the command name (for positional counting)
    quote: str = ""  # the open quote the word starts with, if any (`'` or `"`)
    list_prefix: str = ""  # inside a quoted flags list (`'TLS, Ex`): the text before the item being typed


@dataclass(slots=True)
class _Frame:
    """One nesting level: the top level, or the inside of ( ) { } $( ) @( ) @{ }."""

    opener: str
    tokens: list[Token] = field(default_factory=list)


_SPACE = " \t\f\v\u00a0\u0085"
_PARAM_START_DASHES = "-\u2013\u2014\u2015"


def _is_param_token(text: str) -> bool:
    return len(text) >= 2 and text[0] in _PARAM_START_DASHES and (text[1].isalpha() or text[1] in "_?")


def _classify(word: str) -> Token:
    if _is_param_token(word):
        return Token("param", word)
    if word.startswith("$"):
        return Token("variable", word)
    return Token("word", word)


def detect(text: str) -> CompletionContext:
    """The completion context for `text`, the buffer content before the cursor."""
    frames: list[_Frame] = [_Frame("")]
    word: list[str] = []  # the bareword being built
    open_quote = ""  # set when the text ends inside an unterminated string
    string_start = -1
    i = 0
    n = len(text)

    def end_word() -> None:
        if word:
            frames[-1].tokens.append(_classify("".join(word)))
            word.clear()

    def new_statement() -> None:
        frames[-1].tokens.clear()

    while i < n:
        c = text[i]
        if c in _SPACE:
            end_word()
            i += 1
        elif c in "\r\n":
            end_word()
            toks = frames[-1].tokens
            # A comma list or an operator may continue on the next line (grammar.md §2.1); a pipe already reset.
            if not (toks and toks[-1].kind == "comma"):
                new_statement()
            i += 1
        elif c == "`":
            if i + 1 < n and text[i + 1] in "\r\n":  # line continuation: the newline is dropped
                end_word()
                i += 2
                if i < n and text[i - 1] == "\r" and text[i] == "\n":
                    i += 1
            else:
                word.append(text[i : i + 2])
                i += 2
        elif c == "#" and not word:
            j = text.find("\n", i)
            if j < 0:
                return CompletionContext(Kind.NONE, "")
            i = j
        elif c == "<" and not word and text.startswith("<#", i):
            j = text.find("#>", i + 2)
            if j < 0:
                return CompletionContext(Kind.NONE, "")
            i = j + 2
        elif c in "'\"":
            start = i
            j = i + 1
            closed = False
            while j < n:
                d = text[j]
                if d == "`" and c == '"':
                    j += 2
                    continue
                if d == c:
                    if j + 1 < n and text[j + 1] == c:  # a doubled quote is a literal quote
                        j += 2
                        continue
                    closed = True
                    break
                j += 1
            if not closed:
                open_quote = c
                string_start = start
                if word:  # a quote glued to a bareword (a'b): the partial word goes on from the bareword
                    string_start = start - len("".join(word))
                break
            word.append(text[start : j + 1])
            i = j + 1
        elif c in ";|&":
            end_word()
            new_statement()
            i += 1
        elif c == ",":
            end_word()
            frames[-1].tokens.append(Token("comma", ","))
            i += 1
        elif c in "({" or (c in "$@" and i + 1 < n and text[i + 1] in "({"):
            # `(` and `{` end a bareword (grammar.md §2.2); `$(`, `@(` and `@{` open a group as well.
            end_word()
            opener = text[i : i + 2] if c in "$@" else c
            frames.append(_Frame(opener))
            i += len(opener)
        elif c in ")}":
            end_word()
            if len(frames) > 1:
                inner = frames.pop()
                frames[-1].tokens.append(Token("group", inner.opener))
            i += 1
        else:
            word.append(c)
            i += 1

    frame = frames[-1]
    if frame.opener == "@{":
        # Inside a hashtable literal only values after `=` could be completed; offer variables at most.
        partial = text[string_start:] if open_quote else "".join(word)
        if partial.startswith("$"):
            return CompletionContext(Kind.VARIABLE, partial)
        return CompletionContext(Kind.NONE, partial)
    if open_quote:
        return _analyse(frame.tokens, text[string_start:], open_quote)
    return _analyse(frame.tokens, "".join(word), "")


def _analyse(tokens: list[Token], partial: str, quote: str) -> CompletionContext:
    if quote:
        if not partial.startswith(quote):  # a quote glued to a bareword (a'b): leave it alone
            return CompletionContext(Kind.NONE, partial)
        partial = partial[1:]
    if partial.startswith("$") and not quote:
        return CompletionContext(Kind.VARIABLE, partial)
    if not tokens:
        if quote or (partial and not (partial[0].isalpha() or partial[0] in "_*?\\./")):
            return CompletionContext(Kind.NONE, partial)
        return CompletionContext(Kind.COMMAND, partial)
    first = tokens[0]
    if first.kind != "word" or not (first.text[:1].isalpha() or first.text[:1] in "_\\./"):
        return CompletionContext(Kind.NONE, partial)  # expression mode: `-x` is an operator there
    command = first.text
    args = tuple(tokens[1:])
    if not quote and _is_param_token(partial):
        if ":" in partial:
            name, _, value = partial[1:].partition(":")
            return CompletionContext(Kind.VALUE, value, command, name, args)
        return CompletionContext(Kind.PARAMETER, partial, command, None, args)
    if not quote and partial[:1] in _PARAM_START_DASHES and len(partial) == 1:
        return CompletionContext(Kind.PARAMETER, partial, command, None, args)

    # Which parameter, if any, does this value belong to? Walk back over a comma list `a,b,`.
    j = len(args) - 1
    while j >= 1 and args[j].kind == "comma" and args[j - 1].kind in ("word", "string", "variable"):
        j -= 2
    list_prefix = ""
    word = partial
    if quote and ("," in partial):
        # A flags list in one quoted string: `-AuthMechanism 'TLS, Ext` completes the last item.
        cut = partial.rfind(",") + 1
        while cut < len(partial) and partial[cut] == " ":
            cut += 1
        list_prefix, word = partial[:cut], partial[cut:]
    if j >= 0 and args[j].kind == "param" and ":" not in args[j].text:
        return CompletionContext(Kind.VALUE, word, command, args[j].text[1:], args, quote, list_prefix)
    return CompletionContext(Kind.ARGUMENT, word, command, None, args, quote, list_prefix)
