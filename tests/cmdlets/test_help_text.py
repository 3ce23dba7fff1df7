"""Get-Help text and Get-Command listing built from declarations (no session needed)."""

from __future__ import annotations

import sys

from exshell.cmdlets.base import Cmdlet, Example, Parameter, SetAttrs, T
from exshell.cmdlets.help import (
    ALIAS_INFO,
    CMDLET_INFO,
    GetCommand,
    GetHelp,
    help_text,
    list_commands,
    parameter_help,
    syntax_line,
    syntax_lines,
)
from exshell.cmdlets.registry import CommandEntry, CommandRegistry


class SetThing(Cmdlet):
    name = "Set-Thing"
    synopsis = "Modifies a thing."
    description = "The Set-Thing cmdlet modifies a thing."
    supports_should_process = True
    parameters = (
        Parameter(
            "Identity", T.STRING, position=0, mandatory=True, pipeline=True, help="The thing to modify."
        ),
        Parameter("Name", T.STRING, help="The new name."),
        Parameter("Force", T.SWITCH, aliases=("f",)),
    )
    examples = (Example("Set-Thing Relay -Name Relay2", "Renames Relay."),)
    related = ("Get-Thing",)


class GetThing(Cmdlet):
    name = "Get-Thing"
    synopsis = "Gets things."
    default_set = "Identity"
    parameters = (
        Parameter(
            "Identity",
            T.STRING,
            position=0,
            sets=("Identity",),
            by_property_name=True,
            help="Name of the thing. Wildcard characters are permitted.",
        ),
        Parameter("Server", T.STRINGS, per_set={"Server": SetAttrs(mandatory=True, position=0)}),
        Parameter("Mode", T.enum("X.Mode", ("Fast", "Slow"), display="Mode"), aliases=("m",)),
    )


def test_syntax_line_in_the_docs_style():
    assert syntax_line(SetThing, "__AllParameterSets") == (
        "Set-Thing [-Identity] <String> [-Name <String>] [-Force] [-WhatIf] [-Confirm] [<CommonParameters>]"
    )


def test_syntax_has_one_line_per_parameter_set_default_first():
    assert syntax_lines(GetThing) == [
        "Get-Thing [[-Identity] <String>] [-Mode <Mode>] [<CommonParameters>]",
        "Get-Thing [-Server] <String[]> [-Mode <Mode>] [<CommonParameters>]",
    ]


def test_default_help_has_the_sections_in_order():
    text = help_text(SetThing)
    heads = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert heads == ["NAME", "SYNOPSIS", "SYNTAX", "DESCRIPTION", "RELATED LINKS", "REMARKS"]
    assert "    Set-Thing\n" in text
    assert "    Modifies a thing." in text
    assert "    The Set-Thing cmdlet modifies a thing." in text
    assert '    To see the examples, type: "Get-Help Set-Thing -Examples".' in text


def test_examples_view_shows_code_and_remarks():
    text = help_text(SetThing, "examples")
    assert "Example 1" in text
    assert "    Set-Thing Relay -Name Relay2" in text and "    Renames Relay." in text
    assert "SYNTAX" not in text


def test_full_view_has_parameter_attributes_and_common_parameters_note():
    text = help_text(SetThing, "full")
    assert "PARAMETERS\n    -Identity <String>\n        The thing to modify." in text
    assert "        Required?                    true" in text
    assert "<CommonParameters>" in text and "INPUTS" in text and "OUTPUTS" in text


def test_detailed_view_has_parameter_text_but_no_attribute_table():
    text = help_text(SetThing, "detailed")
    assert "-Name <String>" in text and "The new name." in text
    assert "Required?" not in text


def test_parameter_block_lists_required_position_default_pipeline_aliases_wildcards():
    assert parameter_help(SetThing, "Identity") == "\n".join(
        [
            "",
            "-Identity <String>",
            "    The thing to modify.",
            "",
            "    Required?                    true",
            "    Position?                    0",
            "    Default value                None",
            "    Accept pipeline input?       True (ByValue)",
            "    Accept wildcard characters?  false",
        ]
    )
    text = parameter_help(GetThing, "Mode")
    assert "Position?                    named" in text
    assert "Aliases                      m" in text
    assert "Possible values: Fast, Slow" in text
    assert "True (ByPropertyName)" in parameter_help(GetThing, "Identity")
    assert "Accept wildcard characters?  true" in parameter_help(GetThing, "Identity")


def test_parameter_help_with_wildcard_and_no_match():
    assert parameter_help(SetThing, "*").count("Required?") == 5  # 3 declared + WhatIf + Confirm
    assert parameter_help(SetThing, "Nope") is None


def test_help_cmdlets_declare_their_own_help():
    assert "Get-Help [[-Name] <String>] -Examples [<CommonParameters>]" in help_text(GetHelp)
    assert syntax_lines(GetCommand)[0].startswith("Get-Command [[-Name] <String[]>] [-Verb <String[]>]")


def registry() -> CommandRegistry:
    return CommandRegistry(
        [
            CommandEntry(
                "Where-Object", "nowhere.core", "WhereObject", ("where", "?"), "Microsoft.PowerShell.Core"
            ),
            CommandEntry("Get-ReceiveConnector", "nowhere.rc", "GetReceiveConnector", (), "exshell"),
            CommandEntry("Set-ReceiveConnector", "nowhere.rc", "SetReceiveConnector", (), "exshell"),
            CommandEntry("Get-Command", "exshell.cmdlets.help", "GetCommand", ("gcm",), "exshell"),
        ]
    )


def names(objs) -> list[str]:
    return [o.get("Name") for o in objs]


def test_get_command_lists_aliases_first_then_cmdlets_by_name_without_importing_them():
    objs, missing = list_commands(registry())
    assert names(objs) == [
        "?",
        "gcm",
        "where",
        "Get-Command",
        "Get-ReceiveConnector",
        "Set-ReceiveConnector",
        "Where-Object",
    ]
    assert missing == []
    assert "nowhere.rc" not in sys.modules


def test_get_command_objects_have_the_command_info_shape():
    objs, _ = list_commands(registry(), names=["where"])
    (alias,) = objs
    assert alias.type_names[0] == ALIAS_INFO
    assert alias.get("CommandType") == "Alias"
    assert alias.get("DisplayName") == "where -> Where-Object"
    assert alias.get("Source") == "Microsoft.PowerShell.Core"
    objs, _ = list_commands(registry(), names=["Where-Object"])
    assert objs[0].type_names[0] == CMDLET_INFO and str(objs[0]) == "Where-Object"


def test_get_command_name_wildcards_verb_noun_and_type():
    assert names(list_commands(registry(), names=["*-ReceiveConnector"])[0]) == [
        "Get-ReceiveConnector",
        "Set-ReceiveConnector",
    ]
    assert names(list_commands(registry(), verbs=["get"])[0]) == ["Get-Command", "Get-ReceiveConnector"]
    assert names(list_commands(registry(), nouns=["Receive*"])[0]) == [
        "Get-ReceiveConnector",
        "Set-ReceiveConnector",
    ]
    assert names(list_commands(registry(), types=["Alias"])[0]) == ["?", "gcm", "where"]
    assert names(list_commands(registry(), types=["Cmdlet"], names=["g*"])[0]) == [
        "Get-Command",
        "Get-ReceiveConnector",
    ]


def test_get_command_reports_literal_names_that_match_nothing():
    objs, missing = list_commands(registry(), names=["Get-Nothing", "Nope*"])
    assert objs == [] and missing == ["Get-Nothing"]
