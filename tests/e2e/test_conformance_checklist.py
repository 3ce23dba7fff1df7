"""The PowerShell conformance checklist (shared/spec/powershell/tests.md, Part B items 1-60), one parameter per
case, each run through the real shell: parser, evaluator, binder, cmdlets and Out-Default over a BufferHost.

Case ids are `B<section>-<item><letter>` (`B1-01a`). Expected text is PowerShell 7's where 5.1 differs; the error
LAYOUT is PS5 NormalView (our choice), so error cases assert the record's message and FullyQualifiedErrorId, not
the rendered view. Formatting cases compare the whole text, blank lines included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable

import pytest

from exshell.cmdlets.base import Cmdlet, Parameter, T
from exshell.cmdlets.registry import default_registry
from exshell.runtime.host import BufferHost
from exshell.app import Services
from exshell.runtime.session import Session

# tests.md Part B: "Setup assumed where needed".
SETUP = "$x = 1; $s = 'abc'; $a = 1,2,3"


# --------------------------------------------------------------------------- the test cmdlets of Part B


@dataclass
class Journal:
    """What the test cmdlets saw: (command, bound parameters) per call, and begin/process events."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    def bound(self, command: str) -> dict[str, Any]:
        for name, params in reversed(self.calls):
            if name == command:
                return params
        raise AssertionError(f"{command} never ran; calls: {self.calls}")

    def ran(self, command: str) -> bool:
        return any(name == command for name, _ in self.calls)


def thing_cmdlets(journal: Journal) -> list[type[Cmdlet]]:
    """Get-Thing / Set-Thing exactly as tests.md's setup paragraph declares them."""

    class GetThing(Cmdlet):
        name = "Get-Thing"
        parameters = (Parameter("Identity", T.STRING, position=0),)

        def begin(self) -> None:
            journal.events.append("Get-Thing begin")

        def process(self) -> None:
            from exshell.runtime.values import PSObject

            journal.calls.append((self.name, dict(self.params.items())))
            for ident, name in (("T1", "one"), ("T2", "two")):
                self.write_object(PSObject([("Identity", ident), ("Name", name)],
                                           type_names=("Test.Thing", "System.Object")))

    class SetThing(Cmdlet):
        name = "Set-Thing"
        supports_should_process = True
        parameters = (
            Parameter("Identity", T.STRING, position=0, mandatory=True, pipeline=True),
            Parameter("Name", T.STRING),
            Parameter("Banner", T.STRING),
            Parameter("Port", T.INT),
            Parameter("Enabled", T.BOOL),
            Parameter("RemoteIPRanges", T.STRINGS),
            Parameter("RemoveX", T.STRING),
            Parameter("Force", T.SWITCH),
        )

        def process(self) -> None:
            if self.should_process(self.params["Identity"]):
                journal.calls.append((self.name, dict(self.params.items())))

    return [GetThing, SetThing]


@dataclass
class Harness:
    session: Session
    host: BufferHost
    journal: Journal
    tmp: Path

    def error_records(self) -> list[Any]:
        return list(self.session.get_variable("Error") or [])

    def value(self, expr: str) -> Any:
        """The value `expr` produces when assigned to a variable (its output, not its rendering)."""
        self.session.run(f"$__value = {expr}")
        return self.session.get_variable("__value")


def make_harness(tmp_path: Path, interactive: bool = False, answers: list[str] | None = None) -> Harness:
    journal = Journal()
    registry = default_registry().copy()
    for cls in thing_cmdlets(journal):
        registry.add_class(cls)
    host = BufferHost(answers=answers, interactive=interactive)
    session = Session(registry, Services(tmp_path / "state", "EX01"), host)
    assert session.run(SETUP).success
    assert host.output == "" and host.errors == []
    return Harness(session, host, journal, tmp_path)


# --------------------------------------------------------------------------- cases

NOTHING = object()


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    script: str
    # The whole output text as lines (each ends with a newline); None = output not compared.
    lines: list[str] | None = None
    # The one error the case raises: its exact message (or a prefix, where tests.md elides the rest with "…").
    error: str | None = None
    error_prefix: str | None = None
    error_id: str | None = None
    # The value the script yields when assigned to a variable, compared with its exact Python type (so `25` is
    # an Int32 and `'25'` a String), element by element for arrays; NOTHING = not compared.
    value: Any = NOTHING
    check: Callable[[Harness], None] | None = None
    as_script: bool = False  # run as a script file (tests.md B9 "in a script")
    interactive: bool = False
    answers: tuple[str, ...] = ()


def _bound(**expected: Any) -> Callable[[Harness], None]:
    """Check what Set-Thing was bound with (and that it ran)."""

    def check(h: Harness) -> None:
        got = h.journal.bound("Set-Thing")
        for key, value in expected.items():
            assert key in got, f"{key} not bound; bound: {got}"
            assert got[key] == value and type(got[key]) is type(value), f"{key}={got[key]!r}, expected {value!r}"

    return check


def _var(name: str, expected: Any) -> Callable[[Harness], None]:
    """Check a variable the case's script assigned (value and exact type)."""

    def check(h: Harness) -> None:
        got = h.session.get_variable(name)
        assert got == expected and type(got) is type(expected), f"${name} = {got!r}"

    return check


def _did_not_run(command: str) -> Callable[[Harness], None]:
    def check(h: Harness) -> None:
        assert not h.journal.ran(command), h.journal.calls

    return check


def _tab(*rows: str) -> list[str]:
    """A formatting run: empty line, the rows, empty line."""
    return ["", *rows, ""]


NOT_RECOGNIZED = (
    "The term 'Get-Nope' is not recognized as a name of a cmdlet, function, script file, or executable program.\n"
    "Check the spelling of the name, or if a path was included, verify that the path is correct and try again."
)


def _check_parse_of_user_arguments(h: Harness) -> None:
    """B2-09: the parser, not the binder, splits `NT AUTHORITY\\ANONYMOUS LOGON` at the spaces."""
    from exshell.lang import ast
    from exshell.lang.parser import parse

    def elements(text: str) -> list[tuple[str, str]]:
        pipeline = parse(text).body.statements[0]
        assert isinstance(pipeline, ast.Pipeline)
        command = pipeline.elements[0]
        assert isinstance(command, ast.CommandAst)
        out = []
        for el in command.elements:
            if isinstance(el, ast.CommandParameter):
                out.append(("param", el.name))
            else:
                assert isinstance(el, ast.CommandArgument)
                assert isinstance(el.value, ast.StringConstantExpr)
                out.append(("arg", el.value.value))
        return out

    assert elements("Set-Thing -User NT AUTHORITY\\ANONYMOUS LOGON") == [
        ("param", "User"), ("arg", "NT"), ("arg", "AUTHORITY\\ANONYMOUS"), ("arg", "LOGON")]
    assert elements('Set-Thing -User "NT AUTHORITY\\ANONYMOUS LOGON"') == [
        ("param", "User"), ("arg", "NT AUTHORITY\\ANONYMOUS LOGON")]


def _check_home(h: Harness) -> None:
    home = h.session.get_variable("HOME")
    assert isinstance(home, str) and home
    assert h.host.output == f"{home}: x\n"


def _check_selected(h: Harness) -> None:
    from exshell.runtime.members import get_member, property_names, type_names

    obj = h.value("[pscustomobject]@{a=1} | Select-Object a,zz")
    assert list(property_names(obj)) == ["a", "zz"]
    assert get_member(obj, "a") == 1 and get_member(obj, "zz") is None
    assert type_names(obj)[0] == "Selected.System.Management.Automation.PSCustomObject"


def _csv_rows(h: Harness) -> list[Any]:
    path = h.tmp / "rows.csv"
    path.write_text("a,b,c\n1,,3\n4\n", encoding="utf-8")
    rows = h.value(f"Import-Csv '{path}'")
    assert isinstance(rows, list) and len(rows) == 2
    return rows


def _check_csv_missing_trailing(h: Harness) -> None:
    from exshell.runtime.members import get_member

    second = _csv_rows(h)[1]
    assert get_member(second, "a") == "4"
    assert get_member(second, "b") is None and get_member(second, "c") is None


def _check_csv_empty_field(h: Harness) -> None:
    from exshell.runtime.members import get_member

    assert get_member(_csv_rows(h)[0], "b") == ""


def _check_csv_all_strings(h: Harness) -> None:
    from exshell.runtime.members import get_member

    first = _csv_rows(h)[0]
    assert [get_member(first, p) for p in ("a", "b", "c")] == ["1", "", "3"]
    assert all(type(get_member(first, p)) is str for p in ("a", "b", "c"))


def _check_mandatory_prompt(h: Harness) -> None:
    assert h.host.prompts[-1] == "Identity: "
    # binding.md §7: ConsoleHost writes a blank line, the caption, the message, then one prompt per field.
    assert h.host.lines[:4] == [
        "",
        "cmdlet Set-Thing at command pipeline position 1",
        "Supply values for the following parameters:",
        "Identity: X",
    ]
    assert h.journal.bound("Set-Thing")["Identity"] == "X"


def _check_whatif_captured(h: Harness) -> None:
    assert h.session.get_variable("o") is None
    assert not h.journal.ran("Set-Thing")


def _check_error_action_silent(h: Harness) -> None:
    assert h.journal.ran("Set-Thing")
    # SilentlyContinue: a non-terminating error is recorded in $Error but not shown.
    before = len(h.error_records())
    h.session.run("Write-Error boom -ErrorAction silent; 'after'")
    assert h.host.errors == []
    assert h.host.lines == ["after"]
    assert len(h.error_records()) == before + 1


def _check_get_nope_category(h: Harness) -> None:
    from exshell.runtime.errorview import category_info

    rec = h.error_records()[0]
    assert category_info(rec) == "ObjectNotFound: (Get-Nope:String) [], CommandNotFoundException"


def _check_new_array(h: Harness) -> None:
    assert h.session.get_variable("c") == [1, 2, 3]  # the old array is untouched
    assert h.session.get_variable("a") == [1, 2, 3, 4]


def _check_json_depth(h: Harness) -> None:
    warning = "WARNING: Resulting JSON is truncated as serialization has exceeded the set depth of 2."
    assert h.host.warnings == [warning]
    assert h.host.lines == [
        warning,
        "{",
        '  "a": {',
        '    "b": {',
        '      "c": "System.Collections.Hashtable"',
        "    }",
        "  }",
        "}",
    ]


CASES: list[Case] = [
    # ---------------------------------------------------------------- B1. Strings and expansion
    Case("B1-01a", '"a$($x)b"', ["a1b"]),
    Case("B1-01b", "'a$($x)b'", ["a$($x)b"]),
    Case("B1-02a", '"He said ""hi"""', ['He said "hi"']),
    Case("B1-02b", "'don''t'", ["don't"]),
    Case("B1-02c", '"cost: `$x"', ["cost: $x"]),
    Case("B1-02d", "'a`tb'", ["a`tb"], value="a`tb"),
    Case("B1-02e", '"a`tb"', ["a\tb"], value="a\tb"),
    Case("B1-03a", '"$s.Length"', ["abc.Length"]),
    Case("B1-03b", '"$($s.Length)"', ["3"]),
    Case("B1-03c", '"${s}def"', ["abcdef"]),
    Case("B1-03d", '"$sdef"', [""], value=""),
    Case("B1-04a", '"$a"', ["1 2 3"]),
    Case("B1-05a", '"$HOME: x"',
         error="Variable reference is not valid. ':' was not followed by a valid variable name character. "
               "Consider using ${} to delimit the name.",
         error_id="InvalidVariableReferenceWithDrive"),
    Case("B1-05b", '"${HOME}: x"', check=_check_home),
    Case("B1-05c", '"50$"', ["50$"]),
    # ---------------------------------------------------------------- B2. Tokenizing arguments
    Case("B2-06a", "Write-Output 2+2", ["2+2"], value="2+2"),
    Case("B2-06b", "Write-Output (2+2)", ["4"], value=4),
    Case("B2-06c", "2+2", ["4"]),
    Case("B2-06d", "Write-Output $x+2", ["1+2"], value="1+2"),
    Case("B2-07a", "Write-Output 1..3", ["1..3"], value="1..3"),
    Case("B2-07b", "Write-Output (1..3)", ["1", "2", "3"], value=[1, 2, 3]),
    Case("B2-08a", "Write-Output 192.168.1.17:25", ["192.168.1.17:25"], value="192.168.1.17:25"),
    Case("B2-08b", "Write-Output 25", ["25"], value=25),
    Case("B2-08c", "Write-Output 10.0.0.5,10.0.0.6", ["10.0.0.5", "10.0.0.6"],
         value=["10.0.0.5", "10.0.0.6"]),
    Case("B2-09a", "function Show-Args { $args.Count; $args }; Show-Args -User NT AUTHORITY\\ANONYMOUS LOGON",
         ["4", "-User", "NT", "AUTHORITY\\ANONYMOUS", "LOGON"]),
    Case("B2-09b", 'function Show-Args { $args.Count; $args }; Show-Args -User "NT AUTHORITY\\ANONYMOUS LOGON"',
         ["2", "-User", "NT AUTHORITY\\ANONYMOUS LOGON"]),
    Case("B2-09c", "$null", [], check=_check_parse_of_user_arguments),
    Case("B2-10a", "Write-Output -- -InputObject", ["-InputObject"]),
    Case("B2-11a", "Write-Output a,,b", error="Missing expression after ',' in pipeline element.",
         error_id="MissingExpression"),
    Case("B2-11b", "Write-Output ,1", error="Missing argument in parameter list.", error_id="MissingArgument"),
    Case("B2-11c", "Set-Thing -Name:", error="Parameter -Name: requires an argument.",
         error_id="ParameterRequiresArgument"),
    # A parse error anywhere in the input means nothing of it runs (grammar.md §5).
    Case("B2-11d", "'before'; Write-Output a,,b", [], error="Missing expression after ',' in pipeline element.",
         error_id="MissingExpression"),
    Case("B2-12a", "Set-Thing X -Name 007", [], check=_bound(Name="007")),
    Case("B2-12b", "Set-Thing X -Name 10MB", [], check=_bound(Name="10MB")),
    Case("B2-13a", "10MB", ["10485760"], value=10485760),
    Case("B2-13b", "1.5KB", ["1536"], value=1536.0),
    Case("B2-13c", "0x10", ["16"], value=16),
    Case("B2-14a", "$v = 10.0.0.5", [], check=_var("v", None)),
    Case("B2-14b", "$v = '10.0.0.5'", [], check=_var("v", "10.0.0.5")),
    # ---------------------------------------------------------------- B3. Hashtables and arrays
    Case("B3-15a", '@{Add="10.0.0.5","10.0.0.6"}.Add.Count', ["2"]),
    Case("B3-15b", "@{a=1; b=2}.Count", ["2"]),
    Case("B3-15c", "@{\n  a=1\n  b=2\n}.Count", ["2"]),
    Case("B3-16a", "@{a=1; A=2}", error="Duplicate keys 'A' are not allowed in hash literals.",
         error_id="DuplicateKeyInHashLiteral"),
    Case("B3-17a", "$h = @{'Display Name' = 'x'}; $h.'Display Name'", ["x"]),
    Case("B3-17b", "$h = @{'Display Name' = 'x'}; $h['display name']", ["x"]),
    Case("B3-18a", "1,2,3 + 4,5,6", ["1", "2", "3", "4", "5", "6"], value=[1, 2, 3, 4, 5, 6]),
    Case("B3-18b", "$b = @(); $b += 'a'; $b.Count", ["1"]),
    Case("B3-18c", "$c = $a; $a += 4; $a.Count", ["4"], check=_check_new_array),
    Case("B3-19a", "@{a=1} + @{a=2}", error="Item has already been added. Key in dictionary: 'a'  Key being added: 'a'"),
    Case("B3-20a", "$a[-1]", ["3"]),
    Case("B3-20b", "$a[5]", [], value=None),
    Case("B3-20c", "$null[0]", error="Cannot index into a null array.", error_id="NullArray"),
    # ---------------------------------------------------------------- B4. Operators
    Case("B4-21a", "1,2 -contains 2", ["True"]),
    Case("B4-21b", "2 -in 1,2", ["True"]),
    Case("B4-21c", "'Hello' -contains 'Hello'", ["True"]),
    Case("B4-21d", "'Hello','world' -ccontains 'hello'", ["False"]),
    Case("B4-22a", '"ABC" -like "a*"', ["True"]),
    Case("B4-22b", '"ABC" -clike "a*"', ["False"]),
    Case("B4-22c", "'PowerShell' -like 'shell'", ["False"]),
    Case("B4-22d", "'PowerShell' -match 'shell'", ["True"]),
    Case("B4-23a", "'PowerShell' -like 'Power[p-w]hell'", ["True"]),
    Case("B4-23b", "'f??' -like 'f`?`?'", ["True"]),
    Case("B4-23c", "'for' -like 'f`?`?'", ["False"]),
    Case("B4-23d", "'a' -like '[abc'", error="The specified wildcard character pattern is not valid: [abc"),
    Case("B4-24a", "1,2,3 -eq 2", ["2"], value=[2]),
    Case("B4-24b", "(1,2,3 -eq 5).Count", ["0"]),
    Case("B4-24c", "if (@(0,1) -eq 0) {'y'} else {'n'}", ["n"]),
    Case("B4-25a", "$arr = 1,$null,3; ($arr -ne $null).Count", ["2"]),
    Case("B4-25b", "$arr = 1,$null,3; $null -eq $arr", ["False"]),
    Case("B4-26a", "1 -eq '1.0'", ["True"]),
    Case("B4-26b", "'1.0' -eq 1", ["False"]),
    Case("B4-26c", "$true -eq 'false'", ["True"]),
    Case("B4-26d", "'abc' -eq 'ABC'", ["True"]),
    Case("B4-26e", "'abc' -ceq 'ABC'", ["False"]),
    Case("B4-26f", "'aaa' -lt 'AAA'", ["False"]),
    Case("B4-26g", "'aaa' -clt 'AAA'", ["True"]),
    Case("B4-27a", "$true -or $false -and $false", ["False"]),
    Case("B4-27b", "2 -gt 4 -and 1", ["False"]),
    Case("B4-27c", "$n = 10; !$n -eq 10", ["False"]),
    Case("B4-28a", "[bool]'False'", ["True"]),
    Case("B4-28b", "[bool]@(0)", ["False"]),
    Case("B4-28c", "[bool]@(0,0)", ["True"]),
    Case("B4-28d", "[bool]@{}", ["True"]),
    Case("B4-29a", "'file' + 16", ["file16"]),
    Case("B4-29b", "16 + 'file'", error_prefix='Cannot convert value "file" to type "System.Int32".'),
    Case("B4-29c", "'10' - '2'", ["8"], value=8),
    # ---------------------------------------------------------------- B5. Parameter binding and errors
    Case("B5-30a", "Set-Thing X -Force:$false", [], check=_bound(Force=False)),
    Case("B5-30b", "Set-Thing X -Force $false",
         error="A positional parameter cannot be found that accepts argument 'False'.",
         error_id="PositionalParameterNotFound,Set-Thing", check=_did_not_run("Set-Thing")),
    Case("B5-31a", "Set-Thing X -Rem 1",
         error="Parameter cannot be processed because the parameter name 'Rem' is ambiguous. "
               "Possible matches include: -RemoteIPRanges -RemoveX.",
         error_id="AmbiguousParameter,Set-Thing"),
    Case("B5-31b", "Set-Thing X -Remot 10.0.0.1", [], check=_bound(RemoteIPRanges=["10.0.0.1"])),
    Case("B5-32a", "Set-Thing X -Foo 1", error="A parameter cannot be found that matches parameter name 'Foo'.",
         error_id="NamedParameterNotFound,Set-Thing"),
    Case("B5-33a", "Set-Thing X -Banner",
         error="Missing an argument for parameter 'Banner'. Specify a parameter of type 'System.String' and try again.",
         error_id="MissingArgument,Set-Thing"),
    Case("B5-33b", "Set-Thing X -Banner -Port 25",
         error="Missing an argument for parameter 'Banner'. Specify a parameter of type 'System.String' and try again.",
         error_id="MissingArgument,Set-Thing", check=_did_not_run("Set-Thing")),
    Case("B5-33c", "Set-Thing X -Banner -zzz", [], check=_bound(Banner="-zzz")),
    Case("B5-34a", "Set-Thing X -Enabled",
         error="Missing an argument for parameter 'Enabled'. Specify a parameter of type 'System.Boolean' and try "
               "again.",
         error_id="MissingArgument,Set-Thing"),
    Case("B5-34b", "Set-Thing X -Enabled $false", [], check=_bound(Enabled=False)),
    Case("B5-34c", "Set-Thing X -Enabled:0", [], check=_bound(Enabled=False)),
    Case("B5-35a", "Set-Thing X -Port abc",
         error="Cannot bind parameter 'Port'. Cannot convert value \"abc\" to type \"System.Int32\". "
               "Error: \"The input string 'abc' was not in a correct format.\"",
         error_id="CannotConvertArgumentNoMessage,Set-Thing"),
    Case("B5-36a", "Set-Thing X Y", error="A positional parameter cannot be found that accepts argument 'Y'.",
         error_id="PositionalParameterNotFound,Set-Thing"),
    Case("B5-37a", "Set-Thing X -RemoteIPRanges 10.0.0.5,10.0.0.6", [],
         check=_bound(RemoteIPRanges=["10.0.0.5", "10.0.0.6"])),
    Case("B5-37b", "Set-Thing X -RemoteIPRanges 10.0.0.5", [], check=_bound(RemoteIPRanges=["10.0.0.5"])),
    Case("B5-37c", "Set-Thing X -Name a,b",
         error="Cannot convert 'System.Object[]' to the type 'System.String' required by parameter 'Name'. "
               "Specified method is not supported.",
         error_id="CannotConvertArgument,Set-Thing"),
    Case("B5-38a", "Set-Thing X -ErrorAction silent", [], check=_check_error_action_silent),
    Case("B5-38b", "Set-Thing X -ErrorAction s",
         error="Cannot bind parameter 'ErrorAction'. Cannot convert value \"s\" to type "
               "\"System.Management.Automation.ActionPreference\". Error: \"The identifier name s cannot be "
               "processed because it is either too similar or identical to the following enumerator names: "
               "SilentlyContinue, Stop, Suspend. Use a more specific identifier name.\"",
         error_id="CannotConvertArgumentNoMessage,Set-Thing"),
    Case("B5-39a", "Set-Thing -Name a",
         error="Cannot process command because of one or more missing mandatory parameters: Identity.",
         error_id="MissingMandatoryParameter,Set-Thing", check=_did_not_run("Set-Thing")),
    Case("B5-39b", "Set-Thing -Name a", check=_check_mandatory_prompt, interactive=True, answers=("X",)),
    Case("B5-40a", "$p = @{Name='a'}; Set-Thing X @p -Name b", [], check=_bound(Name="b")),
    Case("B5-41a", "Get-Nope", error=NOT_RECOGNIZED, error_id="CommandNotFoundException",
         check=_check_get_nope_category),
    Case("B5-42a", "Get-Thing | Set-Thing -Foo 1",
         error="A parameter cannot be found that matches parameter name 'Foo'.",
         error_id="NamedParameterNotFound,Set-Thing",
         check=lambda h: (_did_not_run("Get-Thing")(h), _did_not_run("Set-Thing")(h),
                          _assert(h.journal.events == []))),
    Case("B5-42b", "Get-Nope; 'next'", ["next"], error=NOT_RECOGNIZED, error_id="CommandNotFoundException"),
    Case("B5-43a", "Set-Thing X -WhatIf", ['What if: Performing the operation "Set-Thing" on target "X".'],
         check=_did_not_run("Set-Thing")),
    Case("B5-43b", "$o = Set-Thing X -WhatIf", ['What if: Performing the operation "Set-Thing" on target "X".'],
         check=_check_whatif_captured),
    # ---------------------------------------------------------------- B6. Pipelines, Where/ForEach/Select
    Case("B6-44a", "'a','b' | ForEach-Object { $_.ToUpper() }", ["A", "B"]),
    Case("B6-44b", "'a','b' | % ToUpper", ["A", "B"]),
    Case("B6-45a", "'hi','','there' | Where-Object Length", ["hi", "there"]),
    Case("B6-45b", "'hi','','there' | where Length -gt 2", ["there"]),
    Case("B6-46a", "1..5 | Select-Object -First 2", ["1", "2"]),
    Case("B6-46b", "1..5 | Select-Object -Last 2", ["4", "5"]),
    Case("B6-46c", "1..5 | Select-Object -Skip 1 -First 2", ["2", "3"]),
    Case("B6-47a", "[pscustomobject]@{a=1} | Select-Object a,zz", _tab("a zz", "- --", "1"), check=_check_selected),
    Case("B6-48a", "Get-Thing | where Name -eq",
         error_prefix="The specified operator requires both the -Property and -Value parameters."),
    Case("B6-48b", "Get-Thing | where Name x",
         error_prefix="An operator is required to compare the two specified values."),
    Case("B6-49a", "$null", [], check=_check_csv_missing_trailing),
    Case("B6-49b", "$null", [], check=_check_csv_empty_field),
    Case("B6-49c", "$null", [], check=_check_csv_all_strings),
    # ---------------------------------------------------------------- B7. Formatting (exact text)
    Case("B7-50a", "[pscustomobject]@{abc='1234';bcd='123'},[pscustomobject]@{abc='1';bcd='1234'}",
         _tab("abc  bcd", "---  ---", "1234 123", "1    1234")),
    Case("B7-51a", "[pscustomobject]@{a='abc';b=123}", _tab("a     b", "-     -", "abc 123")),
    Case("B7-51b", "[pscustomobject]@{a=123;b='abc'}", _tab("  a b", "  - -", "123 abc")),
    Case("B7-51c", "[pscustomobject]@{a=1;b=2} | Format-Table -HideTableHeaders", _tab("1 2")),
    Case("B7-52a", "[pscustomobject]@{x=1,2,3,4,5}", _tab("x", "-", "{1, 2, 3, 4…}")),
    Case("B7-52b", "[pscustomobject]@{x=1,2,3,4}", _tab("x", "-", "{1, 2, 3, 4}")),
    Case("B7-52c", "[pscustomobject]@{x=@('a')}", _tab("x", "-", "{a}")),
    Case("B7-53a", "[pscustomobject]@{a=1;b=2;c=3;d=4;e=5}",
         _tab("a : 1", "b : 2", "c : 3", "d : 4", "e : 5")),
    Case("B7-53b", "[pscustomobject]@{double=1.5;float=2.5;decimal=3.5} | Format-List",
         _tab("double  : 1.5", "float   : 2.5", "decimal : 3.5")),
    Case("B7-54a", "[pscustomobject]@{a=1},[pscustomobject]@{b=2}", _tab("a", "-", "1", "")),
    Case("B7-55a", "'a','b','a' | Group-Object", _tab(
        "Count Name                      Group",
        "----- ----                      -----",
        "    2 a                         {a, a}",
        "    1 b                         {b}")),
    # PS7 GenericMeasureInfo list: labels padded to StandardDeviation; blank statistics keep the ": ".
    Case("B7-56a", "1,2,3 | Measure-Object", _tab(
        "Count             : 3", "Average           : ", "Sum               : ", "Maximum           : ",
        "Minimum           : ", "StandardDeviation : ", "Property          : ")),
    Case("B7-56b", "@{Name='x'}", _tab(
        "Name                           Value",
        "----                           -----",
        "Name                           x")),
    Case("B7-56c", "$null", []),
    Case("B7-56d", "@()", []),
    Case("B7-56e", "''", [""]),
    # ---------------------------------------------------------------- B8. CSV / JSON
    Case("B8-57a", "[pscustomobject]@{first='Double quote \" in the middle.'} | ConvertTo-Csv",
         ['"first"', '"Double quote "" in the middle."']),
    Case("B8-57b", "[pscustomobject]@{first='Double quote \" in the middle.'} | ConvertTo-Csv -NoTypeInformation",
         ['"first"', '"Double quote "" in the middle."']),
    Case("B8-57c", "[pscustomobject]@{a=1,2} | ConvertTo-Csv", ['"a"', '"System.Object[]"']),
    Case("B8-58a", "@{a=@{b=@{c=@{d=1}}}} | ConvertTo-Json", check=_check_json_depth),
    Case("B8-58b", ",@(1,2,3) | ConvertTo-Json -Compress", ["[1,2,3]"]),
    Case("B8-58c", "[pscustomobject]@{Name='Relay'} | ConvertTo-Json", ["{", '  "Name": "Relay"', "}"]),
    # ---------------------------------------------------------------- B9. Continuation and statements
    Case("B9-59a", "'Hello' |\nForEach-Object {\"$_ world\"}", ["Hello world"]),
    Case("B9-59b", "'Hello'\n| ForEach-Object {\"$_ world\"}", ["Hello world"]),
    # A backtick then a space escapes the space, not the newline: the second line is its own statement.
    Case("B9-59c", "Write-Output 'a' ` \nWrite-Output 'b'", ["a", "b"]),
    Case("B9-60a", "if ($x -eq 1) { 'one' }\nelse { 'other' }", ["one"], as_script=True),
    Case("B9-60b", "foreach ($i in $null) { 'x' }", [], as_script=True),
    Case("B9-60c", "foreach ($i in 5) { $i }", ["5"], as_script=True),
]


def _assert(condition: bool) -> None:
    assert condition


def test_every_checklist_item_has_a_case() -> None:
    """Items 1-60 of Part B are all covered, and ids are unique."""
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert sorted({int(i.split("-")[1][:2]) for i in ids}) == list(range(1, 61))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_checklist_case(case: Case, tmp_path: Path) -> None:
    h = make_harness(tmp_path, interactive=case.interactive, answers=list(case.answers))
    name = str(tmp_path / "case.ps1") if case.as_script else None
    h.session.run(case.script, name)
    records = h.error_records()
    shown = h.host.error_text
    if case.error is not None or case.error_prefix is not None:
        assert len(records) == 1, f"expected one error, got: {shown}"
        rec = records[0]
        if case.error is not None:
            assert rec.message == case.error, shown
        else:
            assert case.error_prefix is not None
            assert rec.message.startswith(case.error_prefix), shown
        if case.error_id is not None:
            assert rec.error_id == case.error_id, shown
        assert len(h.host.errors) == 1, shown  # rendered once, and the message text shows in it
        assert rec.message.splitlines()[0] in h.host.errors[0]
    else:
        assert records == [] and h.host.errors == [], f"unexpected error: {shown}"
    if case.lines is not None:
        expected = "".join(line + "\n" for line in case.lines)
        assert h.host.output == expected, f"\nexpected:\n{expected!r}\nactual:\n{h.host.output!r}"
    if case.value is not NOTHING:
        fresh = make_harness(tmp_path / "value")
        got = fresh.value(case.script)
        assert got == case.value, f"{case.script!r} gave {got!r}"
        assert type(got) is type(case.value), f"{case.script!r} gave a {type(got).__name__}"
        if isinstance(got, list):
            assert [type(v) for v in got] == [type(v) for v in case.value]
    if case.check is not None:
        case.check(h)
