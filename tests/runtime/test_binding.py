"""Parameter binding: tests.md Part B5 and binding.md §2–§8, through Session.run with test cmdlets."""

from __future__ import annotations

import pytest

from exshell.cmdlets.base import ListModifier

MISSING_ARG_BANNER = (
    "Missing an argument for parameter 'Banner'. Specify a parameter of type 'System.String' and try again."
)


def last_error(shell):
    errs = shell.errors()
    assert errs, "expected an error record"
    return errs[0]


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Set-Thing X -Force:$false", {"Identity": "X", "Force": False}),
        ("Set-Thing X -Force", {"Identity": "X", "Force": True}),
        ("Set-Thing X -Remot 10.0.0.1", {"Identity": "X", "RemoteIPRanges": ["10.0.0.1"]}),
        ("Set-Thing X -Banner -zzz", {"Identity": "X", "Banner": "-zzz"}),
        ("Set-Thing X -Enabled $false", {"Identity": "X", "Enabled": False}),
        ("Set-Thing X -Enabled:0", {"Identity": "X", "Enabled": False}),
        ("Set-Thing X -Enabled 1", {"Identity": "X", "Enabled": True}),
        ("Set-Thing X -RemoteIPRanges 10.0.0.5,10.0.0.6", {"Identity": "X", "RemoteIPRanges": ["10.0.0.5", "10.0.0.6"]}),
        ("Set-Thing X -RemoteIPRanges 10.0.0.5", {"Identity": "X", "RemoteIPRanges": ["10.0.0.5"]}),
        ("Set-Thing X -Name 007", {"Identity": "X", "Name": "007"}),
        ("Set-Thing X -Name 10MB", {"Identity": "X", "Name": "10MB"}),
        ("Set-Thing X -Port 25", {"Identity": "X", "Port": 25}),
        ("Set-Thing X -Port '0x19'", {"Identity": "X", "Port": 25}),
        ("Set-Thing -Identity X -name n", {"Identity": "X", "Name": "n"}),
        ("set-thing x", {"Identity": "x"}),
        ("$p = @{Name='a'}; Set-Thing X @p -Name b", {"Identity": "X", "Name": "b"}),
        ("$p = @{Name='a'; Port=5}; Set-Thing X @p", {"Identity": "X", "Name": "a", "Port": 5}),
        ("$p = 'X'; Set-Thing @p", {"Identity": "X"}),
        ("$p = @{WhatIf=$false; Identity='Y'}; Set-Thing @p", {"Identity": "Y", "WhatIf": False}),
        ("Set-Thing -Banner 'b' X", {"Identity": "X", "Banner": "b"}),
        ("Set-Thing X -E $true", {"Identity": "X", "Enabled": True}),
    ],
)
def test_command_line_binding_binds_expected_values(shell, line, expected):
    result = shell.run(line)
    assert result.success, shell.host.error_text
    assert shell.rec.last("Set-Thing") == expected


def test_error_action_accepts_unique_enum_prefix(shell):
    assert shell.run("Set-Thing X -ErrorAction silent").success
    assert str(shell.rec.last("Set-Thing")["ErrorAction"]).endswith("SilentlyContinue")


@pytest.mark.parametrize(
    "line, error_id, message",
    [
        ("Set-Thing X -Force $false", "PositionalParameterNotFound",
         "A positional parameter cannot be found that accepts argument 'False'."),
        ("Set-Thing X -Rem 1", "AmbiguousParameter",
         "Parameter cannot be processed because the parameter name 'Rem' is ambiguous. "
         "Possible matches include: -RemoteIPRanges -RemoveX."),
        ("Set-Thing X -Foo 1", "NamedParameterNotFound",
         "A parameter cannot be found that matches parameter name 'Foo'."),
        ("Set-Thing X -Banner", "MissingArgument", MISSING_ARG_BANNER),
        ("Set-Thing X -Banner -Port 25", "MissingArgument", MISSING_ARG_BANNER),
        ("Set-Thing X -Banner:$null -Banner b", "ParameterAlreadyBound",
         "Cannot bind parameter because parameter 'Banner' is specified more than once. To provide multiple "
         "values to parameters that can accept multiple values, use the array syntax. For example, "
         '"-parameter value1,value2,value3".'),
        ("Set-Thing X -Enabled", "MissingArgument",
         "Missing an argument for parameter 'Enabled'. Specify a parameter of type 'System.Boolean' and try again."),
        ("Set-Thing X -Port abc", "CannotConvertArgumentNoMessage",
         "Cannot bind parameter 'Port'. Cannot convert value \"abc\" to type \"System.Int32\". "
         "Error: \"The input string 'abc' was not in a correct format.\""),
        ("Set-Thing X Y", "PositionalParameterNotFound",
         "A positional parameter cannot be found that accepts argument 'Y'."),
        ("Set-Thing X 1,2", "PositionalParameterNotFound",
         "A positional parameter cannot be found that accepts argument 'System.Object[]'."),
        ("Set-Thing X -Name a,b", "CannotConvertArgument",
         "Cannot convert 'System.Object[]' to the type 'System.String' required by parameter 'Name'. "
         "Specified method is not supported."),
        ("Set-Thing X -ErrorAction s", "CannotConvertArgumentNoMessage",
         "Cannot bind parameter 'ErrorAction'. Cannot convert value \"s\" to type "
         "\"System.Management.Automation.ActionPreference\". Error: \"The identifier name s cannot be processed "
         "because it is either too similar or identical to the following enumerator names: SilentlyContinue, "
         "Stop, Suspend. Use a more specific identifier name.\""),
        ("Set-Thing -Name a", "MissingMandatoryParameter",
         "Cannot process command because of one or more missing mandatory parameters: Identity."),
        ("Set-Thing X -RemoteIPRanges @{Append='1.1.1.1'}", "CannotConvertArgumentNoMessage",
         "Cannot bind parameter 'RemoteIPRanges'. The following unknown list modifier was detected: 'Append'. "
         "Valid list modifiers are Add, Remove, and Replace."),
        ("Set-Thing $null", "ParameterArgumentValidationErrorNullNotAllowed",
         "Cannot bind argument to parameter 'Identity' because it is null."),
        ("Set-Thing ''", "ParameterArgumentValidationErrorEmptyStringNotAllowed",
         "Cannot bind argument to parameter 'Identity' because it is an empty string."),
        ("Set-Thing { 1 }", "ScriptBlockArgumentNoInput",
         "Cannot evaluate parameter 'Identity' because its argument is specified as a script block and there "
         "is no input. A script block cannot be evaluated without input."),
        ("Set-Thing X -O x", "AmbiguousParameter",
         "Parameter cannot be processed because the parameter name 'O' is ambiguous. "
         "Possible matches include: -OutVariable -OutBuffer."),
        ("Set-Thing X -W", "AmbiguousParameter",
         "Parameter cannot be processed because the parameter name 'W' is ambiguous. "
         "Possible matches include: -WarningAction -WarningVariable -WhatIf."),
        ("Set-Multi -Id 5 -Note x", "AmbiguousParameterSet",
         "Parameter set cannot be resolved using the specified named parameters. One or more parameters issued "
         "cannot be used together or an insufficient number of parameters were provided."),
    ],
)
def test_binding_errors_have_powershell_text_and_id(shell, line, error_id, message):
    result = shell.run(line)
    assert not result.success
    rec = last_error(shell)
    assert rec.message == message
    cmd = line.split()[0] if not line.startswith("$") else "Set-Thing"
    assert rec.error_id == f"{error_id},{'Set-Multi' if 'Multi' in cmd else 'Set-Thing'}"
    assert shell.rec.calls == [], "nothing may run after a command-line binding error"


def test_binding_error_is_rendered_in_normal_view(shell):
    shell.run("Set-Thing X -Foo 1")
    assert shell.host.errors[-1].split("\n") == [
        "Set-Thing : A parameter cannot be found that matches parameter name 'Foo'.",
        "At line:1 char:13",
        "+ Set-Thing X -Foo 1",
        "+             ~~~~",
        "    + CategoryInfo          : InvalidArgument: (:) [Set-Thing], ParameterBindingException",
        "    + FullyQualifiedErrorId : NamedParameterNotFound,Set-Thing",
        " ",
    ]


def test_conversion_error_points_at_the_argument(shell):
    shell.run("Set-Thing X -Port abc")
    lines = shell.host.errors[-1].split("\n")
    assert lines[1:4] == ["At line:1 char:19", "+ Set-Thing X -Port abc", "+                   ~~~"]


def test_single_declared_candidate_wins_over_common_parameters(shell):
    # `-E` matches -Enabled, -ErrorAction, -ErrorVariable: the one declared parameter wins.
    assert shell.run("Set-Thing X -E 0").success
    assert shell.rec.last("Set-Thing")["Enabled"] is False


def test_exact_alias_match_wins(shell):
    assert shell.run("Set-Thing X -ea SilentlyContinue -ev errs").success
    bound = shell.rec.last("Set-Thing")
    assert bound["ErrorVariable"] == "errs"


def test_list_modifier_hashtable_becomes_list_modifier(shell):
    assert shell.run("Set-Thing X -RemoteIPRanges @{Add='10.0.0.5','10.0.0.6'; Remove='1.1.1.1'}").success
    mod = shell.rec.last("Set-Thing")["RemoteIPRanges"]
    assert isinstance(mod, ListModifier)
    assert mod.add == ("10.0.0.5", "10.0.0.6")
    assert mod.remove == ("1.1.1.1",)
    assert mod.replace is None


def test_get_thing_pipeline_never_runs_when_downstream_binding_fails(shell):
    result = shell.run("Get-Thing | Set-Thing -Foo 1")
    assert not result.success
    assert shell.rec.events == []
    assert last_error(shell).error_id == "NamedParameterNotFound,Set-Thing"


def test_statement_terminating_binding_error_lets_next_statement_run(shell):
    assert shell.out("Get-Nope; 'next'") == ["next"]
    rec = last_error(shell)
    assert rec.error_id == "CommandNotFoundException"


def test_command_not_found_renders_normal_view_with_ps7_text(shell):
    shell.run("Get-Nope")
    assert shell.host.errors[-1].split("\n") == [
        "Get-Nope : The term 'Get-Nope' is not recognized as a name of a cmdlet, function, script file, or "
        "executable program.",
        "Check the spelling of the name, or if a path was included, verify that the path is correct and try again.",
        "At line:1 char:1",
        "+ Get-Nope",
        "+ ~~~~~~~~",
        "    + CategoryInfo          : ObjectNotFound: (Get-Nope:String) [], CommandNotFoundException",
        "    + FullyQualifiedErrorId : CommandNotFoundException",
        " ",
    ]


def test_get_prefix_is_retried_for_plain_nouns(shell):
    assert shell.run("Thing T1").success
    assert shell.rec.last("Get-Thing") == {"Identity": "T1"}


def test_alias_resolves_before_cmdlet_and_keeps_invocation_name(shell):
    shell.run("echo a b")
    assert shell.host.lines == ["a", "b"]


def test_function_shadows_cmdlet_but_alias_wins(shell):
    assert shell.out("function Get-Thing { 'fn' }; Get-Thing") == ["fn"]
    assert shell.out("function echo { 'fn' }; echo x") == ["x"]


def test_splatted_array_binds_positionally(shell):
    assert shell.run("$a = 'X', 'Y'; function f($p, $q) { \"$q-$p\" }; f @a").success
    assert shell.host.lines[-1] == "Y-X"


# ---------------------------------------------------------------------------- parameter sets


def test_parameter_set_chosen_by_named_parameter(shell):
    assert shell.run("Set-Multi -Id 5 -Tag t").success
    assert shell.rec.last("Set-Multi") == {"Id": 5, "Tag": "t"}


def test_default_set_used_for_positional_binding(shell):
    assert shell.run("Set-Multi n -Shared s").success
    assert shell.rec.last("Set-Multi") == {"Name": "n", "Shared": "s"}


def test_missing_mandatory_in_default_set_reported(shell):
    assert not shell.run("Set-Multi -Shared s").success
    assert last_error(shell).message.endswith("missing mandatory parameters: Name.")


# ---------------------------------------------------------------------------- pipeline binding (§8)


def test_pipeline_value_coerced_to_string_parameter(shell):
    assert shell.run("1,2 | Set-Thing").success
    assert [p["Identity"] for n, p in shell.rec.calls if n == "Set-Thing"] == ["1", "2"]


def test_by_property_name_binding_takes_identity_property(shell):
    assert shell.run("Get-Thing | Remove-Thing -Confirm:$false").success
    assert [p["Identity"] for n, p in shell.rec.calls if n == "Remove-Thing"] == ["T1", "T2"]


def test_pipeline_bound_values_reset_per_object(shell):
    shell.run("[pscustomobject]@{Identity='A'}, [pscustomobject]@{Identity='B'} | Remove-Thing -Confirm:$false")
    assert [p["Identity"] for n, p in shell.rec.calls if n == "Remove-Thing"] == ["A", "B"]


def test_delay_bind_script_block_evaluated_per_object(shell):
    assert shell.run("Get-Thing | Set-Thing { $_.Name.ToUpper() }").success
    assert [p["Identity"] for n, p in shell.rec.calls if n == "Set-Thing"] == ["ONE", "TWO"]


def test_input_object_not_bound_is_non_terminating(shell):
    result = shell.run("'a', 'b' | Set-Multi -Id 1; 'after'")
    assert not result.success
    errs = [e for e in shell.errors() if e.error_id == "InputObjectNotBound,Set-Multi"]
    assert len(errs) == 2
    assert errs[0].message.startswith("The input object cannot be bound to any parameters for the command")
    assert shell.host.lines[-1] == "after"


def test_input_object_missing_mandatory_is_non_terminating_per_object(make_shell):
    shell = make_shell()
    result = shell.run(
        "function f { param([Parameter(Mandatory, ValueFromPipelineByPropertyName)]$Identity,"
        " [Parameter(ValueFromPipeline)]$InputObject) process { \"ok $Identity\" } }; "
        "[pscustomobject]@{Identity='A'}, 5 | f"
    )
    assert not result.success
    assert shell.host.lines == ["ok A"]
    rec = last_error(shell)
    assert rec.error_id == "InputObjectMissingMandatory,f"
    assert rec.message == (
        "The input object cannot be bound because it did not contain the information required to bind all "
        "mandatory parameters:  Identity"
    )


def test_null_pipeline_input_fails_validation_for_that_object_only(shell):
    shell.run("$null, 'B' | Remove-Thing -Confirm:$false")
    assert [p["Identity"] for n, p in shell.rec.calls if n == "Remove-Thing"] == ["B"]
    assert shell.errors()[0].error_id == "ParameterArgumentValidationErrorNullNotAllowed,Remove-Thing"


# ---------------------------------------------------------------------------- mandatory prompting (§7)


def test_interactive_host_prompts_for_missing_mandatory(make_shell):
    shell = make_shell(interactive=True, answers=["Relay"])
    assert shell.run("Set-Thing -Name a").success
    assert shell.rec.last("Set-Thing") == {"Name": "a", "Identity": "Relay"}
    assert shell.host.lines[:4] == [
        "",
        "cmdlet Set-Thing at command pipeline position 1",
        "Supply values for the following parameters:",
        "Identity: Relay",
    ]


def test_interactive_prompt_for_array_parameter_until_empty_line(make_shell):
    shell = make_shell(interactive=True, answers=["a", "b", ""])
    shell.run("function f { param([Parameter(Mandatory)][string[]]$Names) $Names.Count }; f")
    assert shell.host.prompts == ["Names[0]: ", "Names[1]: ", "Names[2]: "]
    assert shell.host.lines[-1] == "2"


def test_interactive_prompt_empty_answer_fails_empty_string_validation(make_shell):
    shell = make_shell(interactive=True, answers=[""])
    assert not shell.run("Set-Thing").success
    assert last_error(shell).message == "Cannot bind argument to parameter 'Identity' because it is an empty string."


def test_prompt_cancelled_gives_missing_mandatory(make_shell):
    shell = make_shell(interactive=True, answers=[])
    assert not shell.run("Set-Thing").success
    assert last_error(shell).error_id == "MissingMandatoryParameter,Set-Thing"


def test_validate_callable_failure_message(shell):
    from exshell.cmdlets.base import Cmdlet, Parameter, T

    def must_be_short(v):
        if len(v) > 3:
            raise ValueError("The argument is too long.")

    class SetShort(Cmdlet):
        name = "Set-Short"
        parameters = (Parameter("Name", T.STRING, position=0, validate=must_be_short),)

    shell.session.registry.add_class(SetShort)
    assert not shell.run("Set-Short abcdef").success
    rec = last_error(shell)
    assert rec.message == "Cannot validate argument on parameter 'Name'. The argument is too long."
    assert rec.error_id == "ParameterArgumentValidationError,Set-Short"


# ---------------------------------------------------------------------------- the seed's one-liners


def test_one_liner_add_adpermission_binds_identity_from_pipeline(shell):
    ok = shell.run(
        'Get-ReceiveConnector "Relay" | Add-ADPermission -User "NT AUTHORITY\\ANONYMOUS LOGON" '
        "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient"
    )
    assert ok.success, shell.host.error_text
    assert shell.rec.last("Add-ADPermission") == {
        "User": "NT AUTHORITY\\ANONYMOUS LOGON",
        "ExtendedRights": ["ms-Exch-SMTP-Accept-Any-Recipient"],
        "Identity": "Relay",
    }


def test_one_liner_add_list_modifier(shell):
    assert shell.run('Set-ReceiveConnector Relay -RemoteIPRanges @{Add="10.0.0.5","10.0.0.6"}').success
    bound = shell.rec.last("Set-ReceiveConnector")
    assert bound["RemoteIPRanges"] == ListModifier(add=("10.0.0.5", "10.0.0.6"))


def test_one_liner_get_adpermission_where_filter(shell):
    lines = shell.out(
        'Get-ADPermission Relay | where {$_.ExtendedRights -like "*Any-Recipient*"} | ForEach-Object { $_.User }'
    )
    assert lines == ["NT AUTHORITY\\ANONYMOUS LOGON"]


def test_one_liner_import_csv_foreach_add(shell, tmp_path):
    csv = tmp_path / "hosts.csv"
    csv.write_text("IP\n10.0.0.7\n10.0.0.8\n", encoding="utf-8")
    assert shell.run(
        f"Import-Csv '{csv}' | ForEach-Object {{ Set-ReceiveConnector Relay -RemoteIPRanges @{{Add=$_.IP}} }}"
    ).success, shell.host.error_text
    mods = [p["RemoteIPRanges"] for n, p in shell.rec.calls if n == "Set-ReceiveConnector"]
    assert mods == [ListModifier(add=("10.0.0.7",)), ListModifier(add=("10.0.0.8",))]


def test_one_liner_read_modify_write(shell):
    assert shell.run(
        '$rc = Get-ReceiveConnector Relay; $rc.RemoteIPRanges += "10.1.1.1"; '
        "Set-ReceiveConnector Relay -RemoteIPRanges $rc.RemoteIPRanges"
    ).success, shell.host.error_text
    assert shell.rec.last("Set-ReceiveConnector")["RemoteIPRanges"] == ["10.0.0.1", "10.1.1.1"]


def test_one_liner_get_adpermission_where_ft(shell):
    lines = shell.out(
        'Get-ADPermission Relay | where {$_.ExtendedRights -like "*Any-Recipient*"} | ft User,ExtendedRights -AutoSize'
    )
    assert shell.host.errors == []
    text = "\n".join(lines)
    assert "User" in text and "ExtendedRights" in text
    assert "NT AUTHORITY\\ANONYMOUS LOGON" in text
    assert "MS Exchange\\Partner" not in text
