"""The second half of tab completion: map a CompletionContext to candidates, and the prompt_toolkit adapter.

Every candidate comes from one declaration: command names from the registry's manifest, parameter names
from the cmdlet's Parameter tuple (plus the common parameters), enum/flag values from ParamType.values, and
object names from a NameSource keyed by Parameter.completer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from exshell.shell.completion import CompletionContext, Kind, Token, detect
from exshell.shell.sources import CommandCatalog, NameSource

if TYPE_CHECKING:  # pragma: no cover
    from exshell.cmdlets.base import Parameter

# Automatic variables always worth offering after `$` (about_Automatic_Variables).
AUTOMATIC_VARIABLES = (
    "$_",
    "$args",
    "$Error",
    "$false",
    "$null",
    "$PSItem",
    "$true",
    "$input",
    "$LASTEXITCODE",
)


@dataclass(frozen=True, slots=True)
class Candidate:
    text: str  # what replaces the word
    display: str  # what the menu shows
    meta: str = ""  # the right-hand column (type, alias target)


def _matches(word: str, name: str) -> bool:
    """PowerShell's tab completion: a prefix match, or a wildcard pattern when the word has `*`/`?`."""
    if "*" in word or "?" in word:
        from fnmatch import fnmatchcase

        return fnmatchcase(name.lower(), word.lower() + ("" if word.endswith("*") else "*"))
    return name.lower().startswith(word.lower())


def quote_if_needed(name: str, quote: str = "") -> str:
    """Names with spaces or argument-mode metacharacters are single-quoted (a quote inside doubled)."""
    if quote == '"':
        return '"' + name.replace("`", "``").replace('"', '`"').replace("$", "`$") + '"'
    if quote or any(ch in name for ch in " \t'\"`$,;(){}|&<>@#"):
        return "'" + name.replace("'", "''") + "'"
    return name


def find_parameter(params: Iterable[Parameter], typed: str) -> Parameter | None:
    """The parameter a typed name means: exact name or alias first, then a unique prefix (binding.md §4)."""
    low = typed.lower()
    params = [p for p in params]
    for p in params:
        if p.name.lower() == low or low in (a.lower() for a in p.aliases):
            return p
    hits = [p for p in params if p.name.lower().startswith(low)]
    return hits[0] if len(hits) == 1 else None


def positional_parameter(params: tuple[Parameter, ...], args: tuple[Token, ...]) -> Parameter | None:
    """Which parameter the next positional argument binds to, given the finished argument tokens."""
    index = 0
    i = 0
    while i < len(args):
        tok = args[i]
        if tok.kind == "param":
            p = find_parameter(params, tok.text[1:].split(":", 1)[0])
            i += 1
            if ":" in tok.text or p is None or p.is_switch:
                continue
            i = _skip_argument(args, i)  # the named parameter's value (a comma list is one argument)
            continue
        if tok.kind == "comma":
            i += 1
            continue
        index += 1
        i = _skip_argument(args, i)
    found = [p for p in params if _positions(p) and index in _positions(p)]
    return found[0] if found else None


def _positions(p: Parameter) -> set[int]:
    out = {p.position} if p.position is not None else set()
    for attrs in p.per_set.values():
        if attrs.position is not None:
            out.add(attrs.position)
    return out


def _skip_argument(args: tuple[Token, ...], i: int) -> int:
    if i < len(args) and args[i].kind != "param":
        i += 1
        while i + 1 < len(args) and args[i].kind == "comma":
            i += 2
    return i


def path_names(word: str, limit: int = 200) -> list[str]:
    """Files and folders whose path starts with `word` (folders end with `/`); at most `limit` entries."""
    import os

    folder, _, _ = word.rpartition("/")
    base = os.path.expanduser(folder) if folder else "."
    out: list[str] = []
    try:
        with os.scandir(base or "/") as it:
            for entry in it:
                if len(out) >= limit:
                    break
                full = f"{folder}/{entry.name}" if folder else entry.name
                out.append(full + ("/" if entry.is_dir() else ""))
    except OSError:
        return []
    return sorted(out, key=str.lower)


def _value_candidates(
    p: Parameter, ctx: CompletionContext, names: NameSource, catalog: CommandCatalog
) -> list[Candidate]:
    kind = p.type.kind
    values: list[str]
    if kind in ("enum", "flags"):
        values = list(p.type.values)
    elif kind == "bool":
        values = ["$true", "$false"]
    elif p.completer == "command":
        values = [c.name for c in catalog.commands()]
    elif p.completer == "path":
        values = path_names(ctx.word)
    elif p.completer:
        values = names.names(p.completer)
    else:
        return []
    out: list[Candidate] = []
    for v in values:
        if not _matches(ctx.word, v):
            continue
        if ctx.list_prefix:  # inside a quoted list: keep the items already typed
            text = ctx.list_prefix + v
            out.append(Candidate(ctx.quote + text + ctx.quote, v, p.type.short_name))
        elif v.startswith("$"):
            out.append(Candidate(v, v, p.type.short_name))
        else:
            out.append(Candidate(quote_if_needed(v, ctx.quote), v, p.type.short_name))
    return out


def candidates(
    ctx: CompletionContext, catalog: CommandCatalog, names: NameSource, variables: Iterable[str] = ()
) -> list[Candidate]:
    """The candidates for a context, in menu order. `variables`: the session's variable names (no `$`)."""
    if ctx.kind == Kind.COMMAND:
        out = []
        for c in catalog.commands():
            if _matches(ctx.word, c.name):
                meta = f"-> {c.alias_of}" if c.alias_of else ""
                out.append(Candidate(c.name, c.name, meta))
        return sorted(out, key=lambda c: (c.meta != "", c.text.lower()))
    if ctx.kind == Kind.VARIABLE:
        found: dict[str, str] = {}  # lower-case name -> spelling; variable names are case-insensitive
        for v in (*("$" + n for n in variables), *AUTOMATIC_VARIABLES):
            if _matches(ctx.word, v):
                found.setdefault(v.lower(), v)
        return [Candidate(v, v) for v in found.values()]
    if ctx.kind == Kind.NONE or ctx.command is None:
        return []
    params = catalog.parameters(ctx.command)
    if params is None:
        return []
    if ctx.kind == Kind.PARAMETER:
        typed = {t.text[1:].split(":", 1)[0].lower() for t in ctx.args if t.kind == "param"}
        prefix = ctx.word[1:]
        out = []
        for p in params:
            if p.dont_show or p.name.lower() in typed:
                continue
            if _matches(prefix, p.name):
                out.append(Candidate("-" + p.name, "-" + p.name, p.type.short_name))
        return out
    target: Parameter | None = None
    if ctx.kind == Kind.VALUE and ctx.parameter is not None:
        target = find_parameter(params, ctx.parameter)
        if target is not None and target.is_switch:
            target = positional_parameter(params, ctx.args)  # `-Force Rel`: Rel is positional
    elif ctx.kind == Kind.ARGUMENT:
        target = positional_parameter(params, ctx.args)
    if target is None:
        return []
    return _value_candidates(target, ctx, names, catalog)


def make_completer(
    catalog: CommandCatalog, names: NameSource, variables: Callable[[], Iterable[str]] | None = None
) -> Any:
    """The prompt_toolkit Completer over `detect` + `candidates` (prompt_toolkit is imported here, when the
    REPL starts, never on the `-c` path)."""
    from prompt_toolkit.completion import Completer, Completion

    class ExshellCompleter(Completer):
        def get_completions(self, document: Any, complete_event: Any) -> Iterator[Any]:
            try:
                ctx = detect(document.text_before_cursor)
                found = candidates(ctx, catalog, names, variables() if variables else ())
            except Exception:  # noqa: BLE001 - a completion bug must never kill the prompt
                return
            replace = len(ctx.word) + len(ctx.quote) + len(ctx.list_prefix)
            for c in found:
                yield Completion(c.text, start_position=-replace, display=c.display, display_meta=c.meta)

    return ExshellCompleter()
