"""Get-Help and Get-Command: both read only the cmdlet declarations (exshell.cmdlets.base) and the registry.

Get-Command lists from the registry's manifest entries and imports no cmdlet module (output.md §5.12: the
CommandInfo table view CommandType 15 / Name 50 / Version 10 / Source is registered by exshell.output.views;
aliases carry a DisplayName `where -> Where-Object`). Get-Help renders the text layout of PowerShell's help
viewer (NAME, SYNOPSIS, SYNTAX, DESCRIPTION, RELATED LINKS, REMARKS) from the declaration.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from exshell.cmdlets.base import (
    COMMON_NAMES,
    Cmdlet,
    Example,
    Parameter,
    SetAttrs,
    T,
)
from exshell.runtime.values import PSObject
from exshell.runtime.wildcard import WildcardPattern

if TYPE_CHECKING:  # pragma: no cover
    from exshell.cmdlets.registry import CommandEntry, CommandRegistry

CMDLET_INFO = "System.Management.Automation.CmdletInfo"
ALIAS_INFO = "System.Management.Automation.AliasInfo"
COMMAND_INFO = "System.Management.Automation.CommandInfo"
COMMAND_TYPES = T.enum(
    "System.Management.Automation.CommandTypes",
    (
        "Alias",
        "Function",
        "Filter",
        "Cmdlet",
        "ExternalScript",
        "Application",
        "Script",
        "Configuration",
        "All",
    ),
    display="CommandTypes",
)
# CommandTypes enum values: Get-Command sorts by type (Alias 1 < Function 2 < Cmdlet 8), then by name.
_TYPE_ORDER = {"Alias": 1, "Cmdlet": 8}
INDENT = "    "
HELP_WIDTH = 80


def _version() -> str:
    from exshell.version import version  # lazy: reads the package metadata, only when shown

    return version()


def _wildcard(pattern: str) -> Any:
    return WildcardPattern(pattern)


def _has_wildcard(text: str) -> bool:
    return any(c in text for c in "*?[")


def _registry(cmdlet: Cmdlet) -> CommandRegistry:
    return cmdlet.runtime.services.registry  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- Get-Command


def command_info(entry: CommandEntry, alias: str | None = None) -> Any:
    """The CmdletInfo / AliasInfo object Get-Command emits for a manifest entry."""
    verb, _, noun = entry.name.partition("-")
    if alias is None:
        props: list[tuple[str, Any]] = [
            ("CommandType", "Cmdlet"),
            ("Name", entry.name),
            ("Version", _version()),
            ("Source", entry.source),
            ("Verb", verb),
            ("Noun", noun),
            ("ModuleName", entry.source),
            ("Definition", entry.name),
        ]
        types = [CMDLET_INFO, COMMAND_INFO, "System.Object"]
        name = entry.name
    else:
        props = [
            ("CommandType", "Alias"),
            ("Name", alias),
            ("DisplayName", f"{alias} -> {entry.name}"),
            ("Version", _version()),
            ("Source", entry.source),
            ("Definition", entry.name),
            ("ResolvedCommandName", entry.name),
            ("ReferencedCommand", entry.name),
        ]
        types = [ALIAS_INFO, COMMAND_INFO, "System.Object"]
        name = alias
    return PSObject(props, types, to_string=name)


def list_commands(
    registry: CommandRegistry,
    names: Iterable[str] = (),
    verbs: Iterable[str] = (),
    nouns: Iterable[str] = (),
    types: Iterable[str] = (),
) -> tuple[list[Any], list[str]]:
    """The matching command objects (sorted as PowerShell does) and the literal names that matched nothing."""
    names, verbs, nouns = list(names), list(verbs), list(nouns)
    wanted_types = {t.lower() for t in types} or {"alias", "cmdlet", "all"}
    if "all" in wanted_types:
        wanted_types |= {"alias", "cmdlet"}
    name_pats = [_wildcard(n) for n in names]
    verb_pats = [_wildcard(v) for v in verbs]
    noun_pats = [_wildcard(n) for n in nouns]
    found: list[tuple[int, str, Any]] = []
    matched = [False] * len(names)

    def name_ok(text: str) -> bool:
        if not name_pats:
            return True
        ok = False
        for i, p in enumerate(name_pats):
            if p.match(text):
                matched[i] = True
                ok = True
        return ok

    for entry in registry.entries():
        verb, _, noun = entry.name.partition("-")
        vn_ok = (not verb_pats or any(p.match(verb) for p in verb_pats)) and (
            not noun_pats or any(p.match(noun) for p in noun_pats)
        )
        if "cmdlet" in wanted_types and vn_ok and name_ok(entry.name):
            found.append((_TYPE_ORDER["Cmdlet"], entry.name.lower(), command_info(entry)))
        # -Verb/-Noun select cmdlets only (PowerShell's CmdletSet).
        if "alias" in wanted_types and not verb_pats and not noun_pats:
            for a in entry.aliases:
                if name_ok(a):
                    found.append((_TYPE_ORDER["Alias"], a.lower(), command_info(entry, alias=a)))
    found.sort(key=lambda t: (t[0], t[1]))
    missing = [n for n, hit in zip(names, matched) if not hit and not _has_wildcard(n)]
    return [obj for _, _, obj in found], missing


class GetCommand(Cmdlet):
    name = "Get-Command"
    aliases = ("gcm",)
    synopsis = "Gets all commands."
    description = (
        "The Get-Command cmdlet gets the cmdlets and aliases of this shell. Without parameters it lists every "
        "command; -Name, -Verb and -Noun take wildcards. The list comes from the command manifest, so no "
        "cmdlet is loaded to list it."
    )
    output_type = CMDLET_INFO
    error_source = "Microsoft.PowerShell.Commands.GetCommandCommand"
    parameters = (
        Parameter(
            "Name",
            T.STRINGS,
            position=0,
            pipeline=True,
            by_property_name=True,
            completer="command",
            help="Specifies an array of names. Wildcard characters are permitted.",
        ),
        Parameter("Verb", T.STRINGS, by_property_name=True, help="Gets commands whose names have this verb."),
        Parameter("Noun", T.STRINGS, by_property_name=True, help="Gets commands whose names have this noun."),
        Parameter(
            "CommandType",
            COMMAND_TYPES.of_array(),
            aliases=("Type",),
            by_property_name=True,
            help="Specifies the types of commands that this cmdlet gets (Alias, Cmdlet, All).",
        ),
    )
    examples = (
        Example("Get-Command", "Lists every command of the shell."),
        Example("Get-Command -Noun ReceiveConnector", "Lists the commands that manage receive connectors."),
        Example("Get-Command *-ADPermission", "Lists the commands whose names end in -ADPermission."),
    )
    related = ("Get-Help",)

    def process(self) -> None:
        p = self.params
        objs, missing = list_commands(
            _registry(self),
            _strings(p.get("Name")),
            _strings(p.get("Verb")),
            _strings(p.get("Noun")),
            _strings(p.get("CommandType")),
        )
        for obj in objs:
            self.write_object(obj)
        for name in missing:
            self.write_error(
                f"The term '{name}' is not recognized as a name of a cmdlet, function, script file, or executable "
                "program.\nCheck the spelling of the name, or if a path was included, verify that the path is "
                "correct and try again.",
                "CommandNotFoundException,Microsoft.PowerShell.Commands.GetCommandCommand",
                "ObjectNotFound",
                target=name,
                exception_type="CommandNotFoundException",
            )


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None]
    return [str(value)]


# --------------------------------------------------------------------------- help text


def _type_text(p: Parameter) -> str:
    return f"<{p.type.short_name}>"


def syntax_line(cls: type[Cmdlet], set_name: str) -> str:
    """One SYNTAX line: positional parameters by position, then the named ones in declaration order
    (`Set-Thing [-Identity] <String> [-Name <String>] [-Force] [-WhatIf] [-Confirm] [<CommonParameters>]`)."""
    params = [p for p in cls.parameters if p.in_set(set_name) and not p.dont_show]
    attrs = {p.name: p.attrs_for(set_name) for p in params}
    positional = sorted(
        (p for p in params if attrs[p.name].position is not None), key=lambda p: attrs[p.name].position or 0
    )
    named = [p for p in params if attrs[p.name].position is None]
    parts = [cls.name]
    for p in positional:
        a = attrs[p.name]
        text = f"[-{p.name}] {_type_text(p)}"
        parts.append(text if a.mandatory else f"[{text}]")
    for p in named:
        a = attrs[p.name]
        text = f"-{p.name}" if p.is_switch else f"-{p.name} {_type_text(p)}"
        parts.append(text if a.mandatory else f"[{text}]")
    if cls.supports_should_process:
        parts += ["[-WhatIf]", "[-Confirm]"]
    parts.append("[<CommonParameters>]")
    return " ".join(parts)


def syntax_lines(cls: type[Cmdlet]) -> list[str]:
    sets = list(cls.parameter_sets())
    # The default set first, as Get-Help lists it.
    if cls.default_set in sets:
        sets.remove(cls.default_set)
        sets.insert(0, cls.default_set)
    return [syntax_line(cls, s) for s in sets]


def _pipeline_text(a: SetAttrs) -> str:
    kinds = [k for k, on in (("ByValue", a.pipeline), ("ByPropertyName", a.by_property_name)) if on]
    return f"True ({', '.join(kinds)})" if kinds else "False"


def _any_set_attrs(cls: type[Cmdlet], p: Parameter) -> SetAttrs:
    """The attributes Get-Help shows: mandatory if mandatory in any set, the first position declared."""
    sets = p.set_names() or (cls.default_set or "",)
    all_attrs = [p.attrs_for(s) for s in sets]
    position = next((a.position for a in all_attrs if a.position is not None), None)
    return SetAttrs(
        mandatory=any(a.mandatory for a in all_attrs),
        position=position,
        pipeline=any(a.pipeline for a in all_attrs),
        by_property_name=any(a.by_property_name for a in all_attrs),
    )


def _accepts_wildcards(cls: type[Cmdlet], p: Parameter) -> bool:
    return "wildcard" in p.help.lower()


def parameter_block(cls: type[Cmdlet], p: Parameter, attributes: bool = True) -> list[str]:
    """The `-Name <Type>` block of Get-Help -Parameter / -Full (attributes) or -Detailed (text only)."""
    a = _any_set_attrs(cls, p)
    head = f"-{p.name}" if p.is_switch else f"-{p.name} {_type_text(p)}"
    lines = [f"{INDENT}{head}"]
    text = p.help
    from exshell.config.settings_table import NO_EFFECT, is_informational  # lazy: only Get-Help reads it

    if is_informational(cls.name, p.name) and NO_EFFECT not in text:
        text = f"{text} {NO_EFFECT}".strip()  # the settings table's verdict (exshell/config/settings_table.py)
    if text:
        lines += [f"{INDENT * 2}{line}" for line in _wrap(text, 2 * len(INDENT))]
    if p.type.kind in ("enum", "flags") and p.type.values:
        lines += [f"{INDENT * 2}{line}" for line in _wrap(f"Possible values: {', '.join(p.type.values)}", 8)]
    if attributes:
        default = "None" if p.default is None else str(p.default)
        rows = [
            ("Required?", "true" if a.mandatory else "false"),
            ("Position?", "named" if a.position is None else str(a.position)),
            ("Default value", default),
            ("Accept pipeline input?", _pipeline_text(a)),
        ]
        if p.aliases:
            rows.append(("Aliases", ", ".join(p.aliases)))
        rows.append(("Accept wildcard characters?", "true" if _accepts_wildcards(cls, p) else "false"))
        lines.append("")
        lines += [f"{INDENT * 2}{label:<29}{value}" for label, value in rows]
    lines.append("")
    return lines


def _section(title: str, body: Iterable[str]) -> list[str]:
    return [title] + [f"{INDENT}{line}" if line else "" for line in body] + [""]


def _examples(cls: type[Cmdlet]) -> list[str]:
    lines: list[str] = []
    for i, ex in enumerate(cls.examples, 1):
        lines.append(f"{INDENT}{'-' * 25} Example {i} {'-' * 25}")
        lines.append("")
        lines += [f"{INDENT}{code}" for code in ex.code.splitlines()]
        lines.append("")
        if ex.remarks:
            lines += [f"{INDENT}{r}" for r in ex.remarks.splitlines()]
            lines.append("")
    return lines


def _remarks(cls: type[Cmdlet]) -> list[str]:
    return _section(
        "REMARKS",
        [
            f'To see the examples, type: "Get-Help {cls.name} -Examples".',
            f'For more information, type: "Get-Help {cls.name} -Detailed".',
            f'For technical information, type: "Get-Help {cls.name} -Full".',
        ],
    )


def _head(cls: type[Cmdlet]) -> list[str]:
    return [
        "",
        *_section("NAME", [cls.name]),
        *_section("SYNOPSIS", _wrap(cls.synopsis or cls.name, len(INDENT))),
        "",
    ]


def _syntax(cls: type[Cmdlet]) -> list[str]:
    import textwrap

    body: list[str] = []
    for line in syntax_lines(cls):
        # The help viewer wraps long syntax at the console width, continuing lines further indented.
        body += textwrap.wrap(
            line,
            HELP_WIDTH - len(INDENT),
            subsequent_indent=INDENT,
            break_on_hyphens=False,
            break_long_words=False,
        )
        body.append("")
    return _section("SYNTAX", body)


def _wrap(text: str, indent: int) -> list[str]:
    """Paragraphs wrapped to an 80-column console, as the help viewer does."""
    import textwrap

    out: list[str] = []
    for para in text.splitlines():
        out += textwrap.wrap(para, width=HELP_WIDTH - indent) or [""]
    return out


def _description(cls: type[Cmdlet]) -> list[str]:
    return _section("DESCRIPTION", _wrap(cls.description or cls.synopsis or "", len(INDENT))) + [""]


def _related(cls: type[Cmdlet]) -> list[str]:
    return _section("RELATED LINKS", list(cls.related)) if cls.related else []


def _visible(cls: type[Cmdlet]) -> list[Parameter]:
    out = [p for p in cls.parameters if not p.dont_show]
    if cls.supports_should_process:
        out += [p for p in cls.all_parameters() if p.name in ("WhatIf", "Confirm")]
    return out


_COMMON_TEXT = [
    "<CommonParameters>",
    "    This cmdlet supports the common parameters: Verbose, Debug,",
    "    ErrorAction, ErrorVariable, WarningAction, WarningVariable,",
    "    OutBuffer, PipelineVariable, and OutVariable.",
    "",
]


def help_text(cls: type[Cmdlet], view: str = "default") -> str:
    """The Get-Help text of a cmdlet. view: default, detailed, full, examples."""
    if view == "examples":
        lines = ["", *_section("NAME", [cls.name]), *_section("SYNOPSIS", [cls.synopsis or cls.name])]
        lines += _examples(cls) or [f"{INDENT}(no examples)", ""]
        return "\n".join(lines)
    lines = _head(cls) + _syntax(cls) + _description(cls)
    if view in ("detailed", "full"):
        params: list[str] = []
        for p in _visible(cls):
            params += [line[len(INDENT) :] for line in parameter_block(cls, p, attributes=view == "full")]
        params += _COMMON_TEXT
        lines += _section("PARAMETERS", params)
        if view == "full":
            lines += _section("INPUTS", _inputs(cls))
            lines += _section("OUTPUTS", [cls.output_type or "System.Object", ""])
        lines += (
            _section("EXAMPLES", [line[len(INDENT) :] for line in _examples(cls)]) if cls.examples else []
        )
        lines += _related(cls)
        if view == "detailed":
            lines += _remarks(cls)
    else:
        lines += _related(cls) + _remarks(cls)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines)


def _inputs(cls: type[Cmdlet]) -> list[str]:
    out = [
        p.type.net_name
        for p in cls.parameters
        if any(p.attrs_for(s).pipeline for s in p.set_names() or ("",))
    ]
    return (out or ["None"]) + [""]


def parameter_help(cls: type[Cmdlet], pattern: str) -> str | None:
    """Get-Help -Parameter: the blocks of the parameters whose names match (wildcards allowed)."""
    pat = _wildcard(pattern)
    hits = [p for p in cls.all_parameters() if pat.match(p.name) and p.name.lower() not in _hidden_common()]
    if not hits:
        return None
    lines = [""]
    for p in hits:
        lines += [line[len(INDENT) :] for line in parameter_block(cls, p)]
    return "\n".join(lines).rstrip("\n")


def _hidden_common() -> frozenset[str]:
    # Get-Help documents the common parameters in one <CommonParameters> note, not one block each.
    return COMMON_NAMES - {"whatif", "confirm"}


ABOUT_EXSHELL = """
TOPIC
    about_exshell

SHORT DESCRIPTION
    exshell is an SMTP relay configured with Exchange Management Shell commands.

LONG DESCRIPTION
    Type a command and press Enter. Tab completes command names, parameter
    names, enumeration values and the names of connectors, accepted domains,
    mailboxes and servers. An open brace, quote or a trailing pipe continues
    on the next line (>> ). Ctrl+C cancels the line, Ctrl+D or exit leaves.
    Ctrl+R searches the history.

    Get-Command lists the commands. Get-Help <command> shows a command's help;
    add -Examples, -Detailed, -Full or -Parameter <name>.
""".rstrip("\n")


class GetHelp(Cmdlet):
    name = "Get-Help"
    aliases = ("help",)
    synopsis = "Displays information about commands and concepts."
    description = (
        "The Get-Help cmdlet displays the help of a command, built from the command's declaration: its "
        "synopsis, syntax, parameters, examples and related commands. -Parameter shows one parameter's "
        "attributes; -Examples, -Detailed and -Full choose how much is shown."
    )
    default_set = "AllUsersView"
    output_type = "System.String"
    error_source = "Microsoft.PowerShell.Commands.GetHelpCommand"
    parameters = (
        Parameter(
            "Name",
            T.STRING,
            position=0,
            by_property_name=True,
            completer="command",
            help="Gets help about the specified command or concept. Wildcard characters are permitted.",
        ),
        Parameter("Full", T.SWITCH, sets=("AllUsersView",), help="Displays the entire help article."),
        Parameter(
            "Detailed",
            T.SWITCH,
            per_set={"DetailedView": SetAttrs(mandatory=True)},
            help="Adds parameter text.",
        ),
        Parameter(
            "Examples", T.SWITCH, per_set={"Examples": SetAttrs(mandatory=True)}, help="Shows examples."
        ),
        Parameter(
            "Parameter",
            T.STRINGS,
            per_set={"Parameters": SetAttrs(mandatory=True)},
            help="Displays only the detailed descriptions of the specified parameters. Wildcards are permitted.",
        ),
    )
    examples = (
        Example("Get-Help Set-ReceiveConnector", "Shows the help of Set-ReceiveConnector."),
        Example(
            "Get-Help New-ReceiveConnector -Parameter RemoteIPRanges", "Shows one parameter's attributes."
        ),
        Example("Get-Help gcm -Examples", "Aliases are resolved: shows Get-Command's examples."),
    )
    related = ("Get-Command",)

    def process(self) -> None:
        p = self.params
        name = p.get("Name")
        if not name:
            self.write_object(ABOUT_EXSHELL)
            return
        name = str(name)
        registry = _registry(self)
        if name.lower() == "about_exshell":
            self.write_object(ABOUT_EXSHELL)
            return
        if _has_wildcard(name):
            self._list_matches(registry, name)
            return
        entry = registry.resolve(name)
        if entry is None:
            self._not_found(name)
            return
        cls = registry.load(entry)
        if p.is_bound("Parameter"):
            for pattern in _strings(p.get("Parameter")):
                text = parameter_help(cls, pattern)
                if text is None:
                    self.write_error(
                        f"No parameter matches criteria {pattern}.",
                        "NoParmsFound,Microsoft.PowerShell.Commands.GetHelpCommand",
                        "ObjectNotFound",
                        target=pattern,
                        exception_type="ArgumentException",
                    )
                else:
                    self.write_object(text)
            return
        view = "default"
        if p.get("Examples"):
            view = "examples"
        elif p.get("Full"):
            view = "full"
        elif p.get("Detailed"):
            view = "detailed"
        self.write_object(help_text(cls, view))

    def _list_matches(self, registry: CommandRegistry, pattern: str) -> None:
        pat = _wildcard(pattern)
        hits = [e for e in registry.entries() if pat.match(e.name)]
        if len(hits) == 1:
            self.write_object(help_text(registry.load(hits[0])))
            return
        if not hits:  # a wildcard that matches nothing returns nothing, as in PowerShell
            return
        for e in hits:
            cls = registry.load(e)
            self.write_object(
                PSObject(
                    [
                        ("Name", e.name),
                        ("Category", "Cmdlet"),
                        ("Module", e.source),
                        ("Synopsis", cls.synopsis),
                    ],
                    ["HelpInfoShort", "System.Object"],
                )
            )

    def _not_found(self, name: str) -> None:
        self.write_error(
            f"Get-Help could not find {name} in a help file in this session.",
            "HelpNotFound,Microsoft.PowerShell.Commands.GetHelpCommand",
            "ResourceUnavailable",
            target=name,
            exception_type="HelpNotFoundException",
        )
