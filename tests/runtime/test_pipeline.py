"""Pipeline lifecycle (binding.md §9), error kinds and common parameters (§11, §12), ShouldProcess,
redirections and the no-traceback guarantee."""

from __future__ import annotations

import pytest

from exshell.cmdlets.base import Cmdlet, Parameter, T
from exshell.errors import PipelineStopped


def test_begin_all_then_streaming_depth_first_then_end_in_order(shell):
    assert shell.run("Get-Thing | Set-Thing -Confirm:$false").success
    assert shell.rec.events == [
        "Get-Thing begin",
        "Set-Thing begin",
        "Get-Thing process",
        "Get-Thing writes T1",
        "Set-Thing process @{Identity=T1; Name=one}",
        "Get-Thing writes T2",
        "Set-Thing process @{Identity=T2; Name=two}",
        "Get-Thing end",
        "Set-Thing end",
    ]


def test_expression_input_is_unrolled_but_unary_comma_sends_one_array(shell):
    assert shell.out("(1,2,3) | Measure-Object | ForEach-Object Count") == ["3"]
    assert shell.out(",(1,2,3) | Measure-Object | ForEach-Object Count") == ["1"]


def test_strings_and_hashtables_are_not_unrolled(shell):
    assert shell.out("'abc' | ForEach-Object { $_.Length }") == ["3"]
    assert shell.out("@{a=1; b=2} | ForEach-Object { $_.Count }") == ["2"]


def test_select_first_stops_upstream_and_skips_its_end(make_shell):
    shell = make_shell()
    events = shell.rec.events

    class Counter(Cmdlet):
        name = "Get-Counter"

        def process(self) -> None:
            for i in range(1, 1000):
                events.append(f"emit {i}")
                self.write_object(i)

        def end(self) -> None:
            events.append("counter end")

    class TakeTwo(Cmdlet):
        name = "Take-Two"
        parameters = (Parameter("InputObject", T.OBJECT, pipeline=True),)

        def begin(self) -> None:
            self.n = 0

        def process(self) -> None:
            self.n += 1
            self.write_object(self.input_object)
            if self.n >= 2:
                raise PipelineStopped()

        def end(self) -> None:
            events.append("take end")

    shell.session.registry.add_class(Counter)
    shell.session.registry.add_class(TakeTwo)
    assert shell.out("Get-Counter | Take-Two | ForEach-Object { \"got $_\" } -End { 'fe end' }") == [
        "got 1", "got 2", "fe end"]
    assert events == ["emit 1", "emit 2", "take end"]


def test_select_object_first(shell):
    assert shell.out("1..5 | Select-Object -First 2") == ["1", "2"]


def test_non_terminating_error_lets_command_continue(shell):
    result = shell.run("Fail-Thing soft; 'next'")
    assert not result.success
    assert shell.host.lines == ["after-soft", "next"]
    rec = shell.errors()[0]
    assert rec.error_id == "SoftFailure,Fail-Thing"
    assert shell.host.errors[-1].split("\n")[0] == "Fail-Thing : soft failure"


def test_terminating_error_stops_statement_only(shell):
    assert shell.out("Fail-Thing hard; 'next'") == ["next"]
    assert shell.errors()[0].error_id == "HardFailure,Fail-Thing"


@pytest.mark.parametrize(
    "action, shown, recorded, continues",
    [
        ("Continue", True, True, True),
        ("SilentlyContinue", False, True, True),
        ("Ignore", False, False, True),
        ("Stop", True, True, False),
    ],
)
def test_error_action_controls_non_terminating_errors(shell, action, shown, recorded, continues):
    shell.run(f"Fail-Thing soft -ErrorAction {action}; 'next'")
    assert (len(shell.host.errors) > 0) == shown
    assert (len(shell.errors()) > 0) == recorded
    assert ("next" in shell.host.lines) == continues


def test_error_action_preference_stop_is_caught_by_try(shell):
    lines = shell.out("$ErrorActionPreference = 'Stop'; try { Fail-Thing soft; 'no' } catch { \"c: $_\" }")
    assert lines == ["c: soft failure"]


def test_error_action_preference_silently_continue_hides_terminating_errors(shell):
    shell.run("$ErrorActionPreference = 'SilentlyContinue'; Get-Nope; 'x'")
    assert shell.host.errors == []
    assert shell.errors()[0].error_id == "CommandNotFoundException"


def test_error_action_does_not_suppress_binding_errors(shell):
    shell.run("Set-Thing X -Foo 1 -ErrorAction SilentlyContinue")
    assert shell.host.errors


def test_error_variable_collects_and_appends(shell):
    assert shell.out("Fail-Thing soft -ev e1 2>$null; $e1.Count; $e1[0].Message") == ["after-soft", "1", "soft failure"]
    assert shell.out("Fail-Thing soft -ev +e1 -ea SilentlyContinue; $e1.Count") == ["after-soft", "2"]


def test_out_variable_stores_output_and_passes_it_on(shell):
    assert shell.out("Write-Output a b -OutVariable ov | ForEach-Object { $_.ToUpper() }; $ov.Count") == [
        "A", "B", "2"]


def test_write_host_goes_to_host_not_pipeline(shell):
    assert shell.out("$x = Write-Host 1,2,3; $x -eq $null") == ["1 2 3", "True"]
    assert shell.out("Write-Host a b -Separator ',' -NoNewline; Write-Host '!'") == ["a,b!"]


def test_warning_and_verbose_lines(shell):
    assert shell.out("Fail-Thing warn") == ["WARNING: careful", "done"]
    assert shell.out("Fail-Thing warn -Verbose -WarningAction SilentlyContinue") == ["VERBOSE: details", "done"]
    assert shell.out("Write-Verbose hidden; $VerbosePreference = 'Continue'; Write-Verbose shown") == [
        "VERBOSE: shown"]


def test_warning_variable(shell):
    assert shell.out("Fail-Thing warn -wv w -wa SilentlyContinue; $w") == ["done", "careful"]


# ---------------------------------------------------------------------------- ShouldProcess


def test_whatif_prints_to_host_and_skips(shell):
    assert shell.out("$o = Set-Thing X -WhatIf; $o -eq $null") == [
        'What if: Performing the operation "Set-Thing" on target "X".', "True"]
    assert shell.rec.calls == []


def test_whatif_preference_and_explicit_override(shell):
    shell.run("$WhatIfPreference = $true; Set-Thing A; Set-Thing B -WhatIf:$false")
    assert shell.host.lines == ['What if: Performing the operation "Set-Thing" on target "A".']
    assert shell.rec.last("Set-Thing")["Identity"] == "B"


def test_high_impact_refused_in_non_interactive_host(shell):
    result = shell.run("Remove-Thing X; 'after'")
    assert not result.success
    assert shell.host.lines == ["after"]
    rec = shell.errors()[0]
    assert rec.error_id == "ConfirmationRequired,Remove-Thing"
    assert "-Confirm:$false" in rec.message
    assert shell.rec.calls == []


def test_confirm_false_skips_prompt(shell):
    assert shell.run("Remove-Thing X -Confirm:$false").success
    assert shell.rec.last("Remove-Thing")["Identity"] == "X"


@pytest.mark.parametrize("answer, runs", [("y", True), ("", True), ("n", False), ("A", True), ("L", False)])
def test_confirm_prompt_in_interactive_host(make_shell, answer, runs):
    shell = make_shell(interactive=True, answers=[answer])
    shell.run("Remove-Thing X")
    assert shell.host.lines[:3] == [
        "Confirm",
        "Are you sure you want to perform this action?",
        'Performing the operation "Remove" on target "X".',
    ]
    assert shell.host.prompts == [
        '[Y] Yes  [A] Yes to All  [N] No  [L] No to All  [S] Suspend  [?] Help (default is "Y"): ']
    assert (len(shell.rec.calls) == 1) == runs


def test_yes_to_all_answers_once_for_the_pipeline(make_shell):
    shell = make_shell(interactive=True, answers=["a"])
    shell.run("Get-Thing | Remove-Thing")
    assert [p["Identity"] for n, p in shell.rec.calls if n == "Remove-Thing"] == ["T1", "T2"]
    assert len(shell.host.prompts) == 1


def test_explicit_confirm_prompts_for_medium_impact(make_shell):
    shell = make_shell(interactive=True, answers=["n"])
    shell.run("Set-Thing X -Confirm")
    assert len(shell.host.prompts) == 1
    assert shell.rec.calls == []


def test_should_process_verbose_line(shell):
    shell.run("Set-Thing X -Verbose")
    assert shell.host.lines == ['VERBOSE: Performing the operation "Set-Thing" on target "X".']


# ---------------------------------------------------------------------------- redirection


def test_redirect_to_file_and_append(shell, tmp_path):
    f = tmp_path / "out.txt"
    assert shell.run(f"Write-Output a b > '{f}'; Write-Output c >> '{f}'").success
    assert f.read_text(encoding="utf-8") == "a\nb\nc\n"
    assert shell.host.lines == []


def test_redirect_to_null_discards(shell):
    assert shell.out("Write-Output a > $null; 'b'") == ["b"]


def test_merge_errors_into_output(shell):
    shell.run("$r = Fail-Thing soft 2>&1; $r.Count")
    assert shell.host.lines == ["2"]
    assert shell.host.errors == []


def test_error_redirect_to_file(shell, tmp_path):
    f = tmp_path / "err.txt"
    shell.run(f"Fail-Thing soft 2> '{f}'")
    assert f.read_text(encoding="utf-8").startswith("Fail-Thing : soft failure")
    assert shell.host.errors == []


# ---------------------------------------------------------------------------- no traceback


def test_python_exception_in_cmdlet_becomes_one_line_and_log(shell):
    result = shell.run("Fail-Thing python")
    assert not result.success
    assert len(shell.host.errors) == 1
    line = shell.host.errors[0]
    log = shell.state_dir / "logs" / "exshell.log"
    assert line == f"An internal error occurred (ZeroDivisionError: boom inside a cmdlet); details in {log}."
    assert "Traceback" not in shell.host.output + line
    assert "ZeroDivisionError: boom inside a cmdlet" in log.read_text(encoding="utf-8")


def test_session_survives_internal_error(shell):
    shell.run("Fail-Thing python")
    assert shell.out("'still here'") == ["still here"]


def test_statement_text_and_invocation_reach_the_cmdlet(make_shell):
    shell = make_shell()
    seen = {}

    class Probe(Cmdlet):
        name = "Get-Probe"
        aliases = ("probe",)
        parameters = (Parameter("InputObject", T.OBJECT, pipeline=True),)

        def process(self) -> None:
            inv = self.runtime.invocation
            seen.update(name=inv.command_name, pos=inv.pipeline_position, text=inv.statement_text,
                        expecting=self.runtime.expecting_input, input=self.runtime.current_input,
                        state=self.runtime.services.state_dir)

    shell.session.registry.add_class(Probe)
    shell.run("'x' | probe; 'other'")
    assert seen == {"name": "probe", "pos": 2, "text": "'x' | probe", "expecting": True, "input": "x",
                    "state": shell.state_dir}


def test_invoke_scriptblock_runs_in_caller_scope_with_dollar_under(make_shell):
    shell = make_shell()

    class Each(Cmdlet):
        name = "Invoke-Each"
        parameters = (Parameter("Block", T.SCRIPTBLOCK, position=0),
                      Parameter("InputObject", T.OBJECT, pipeline=True))

        def process(self) -> None:
            for out in self.runtime.invoke_scriptblock(self.params["Block"], dollar_under=self.input_object):
                self.write_object(out)

    shell.session.registry.add_class(Each)
    assert shell.out("$acc = 0; 1,2 | Invoke-Each { $acc += $_; $_ * 10 }; $acc") == ["10", "20", "3"]


def test_session_variable_access_from_cmdlet(make_shell):
    shell = make_shell()

    class SetV(Cmdlet):
        name = "Set-V"

        def process(self) -> None:
            self.runtime.session.set_variable("fromcmdlet", self.runtime.session.get_variable("seed") + 1)

    shell.session.registry.add_class(SetV)
    assert shell.out("$seed = 1; Set-V; $fromcmdlet") == ["2"]


def test_pipeline_variable_holds_current_output(shell):
    assert shell.out("Get-Thing -PipelineVariable t | ForEach-Object { \"$($t.Name)\" }") == ["one", "two"]


def test_stop_requested_downstream_of_a_streaming_function_stops_the_function(shell):
    assert shell.out("function f { 1..10; 'not reached' }; f | Select-Object -First 2; 'next'") == [
        "1", "2", "next"]
    assert shell.out(
        "function g { Write-Output a b c | ForEach-Object { $_ }; 'tail' }; g | Select-Object -First 1") == ["a"]


def test_format_enumeration_limit_reaches_default_output(shell):
    shell.run("[pscustomobject]@{x=1,2,3,4,5}")
    first = "\n".join(shell.host.lines)
    shell.host._out.clear()
    shell.run("$FormatEnumerationLimit = 2; [pscustomobject]@{x=1,2,3,4,5}")
    second = "\n".join(shell.host.lines)
    assert "{1, 2, 3, 4…}" in first
    assert "{1, 2…}" in second


def test_ctrl_c_propagates_and_session_stays_usable(make_shell):
    shell = make_shell()

    class Interrupt(Cmdlet):
        name = "Get-Interrupt"

        def process(self) -> None:
            raise KeyboardInterrupt

    shell.session.registry.add_class(Interrupt)
    with pytest.raises(KeyboardInterrupt):
        shell.run("function f { $inner = 1; try { Get-Interrupt } finally { 'cleanup' } }; f")
    assert shell.out("$inner -eq $null; try { 1/0 } catch { 'caught' }") == ["True", "caught"]


def test_write_error_at_prompt_shows_statement_as_prefix_without_position(shell):
    shell.run('Write-Error "hello"')
    assert shell.host.errors[-1].split("\n") == [
        'Write-Error "hello" : hello',
        "    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorException",
        "    + FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorException",
        " ",
    ]


def test_write_error_in_function_is_reported_as_the_function(shell):
    shell.run("function f { Write-Error hello }\nf")
    assert shell.host.errors[-1].split("\n") == [
        "f : hello",
        "At line:2 char:1",
        "+ f",
        "+ ~",
        "    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorException",
        "    + FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorException,f",
        " ",
    ]


def test_output_can_be_discarded_three_ways(shell):
    assert shell.out("Write-Output a | Out-Null; [void](Write-Output x); $null = 'y'; 'b'") == ["b"]


def test_clear_host_writes_nothing_to_a_plain_host(shell):
    assert shell.run("Clear-Host; cls").success
    assert shell.host.output == ""


def test_advanced_function_common_parameters_flow_into_its_commands(shell):
    shell.run("function f { param([Parameter(Position=0)]$n) Fail-Thing soft; Set-Thing $n }")
    assert shell.out("f A -ErrorAction SilentlyContinue -OutVariable o; $o.Count") == ["after-soft", "1"]
    assert shell.host.errors == []
    # Host lines (VERBOSE:) appear at once; the statement's output is formatted when the statement ends.
    assert shell.out("f B -Verbose") == ['VERBOSE: Performing the operation "Set-Thing" on target "B".', "after-soft"]
    assert [p["Identity"] for n, p in shell.rec.calls if n == "Set-Thing"] == ["A", "B"]


def test_advanced_function_supports_should_process(make_shell):
    shell = make_shell()
    shell.run(
        "function Remove-Box {\n"
        "  [CmdletBinding(SupportsShouldProcess, ConfirmImpact='High')]\n"
        "  param([Parameter(Position=0)]$Name)\n"
        "  if ($PSCmdlet.ShouldProcess($Name, 'Remove box')) { \"removed $Name\" }\n"
        "}"
    )
    assert shell.out("Remove-Box a -WhatIf") == ['What if: Performing the operation "Remove box" on target "a".']
    assert shell.out("Remove-Box b -Confirm:$false") == ["removed b"]
    assert shell.out("Remove-Box c") == []
    assert shell.errors()[0].error_id == "ConfirmationRequired,Remove-Box"
