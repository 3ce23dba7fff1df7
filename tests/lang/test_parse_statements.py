"""Statements, pipelines, continuation and script blocks (grammar.md §2.1, §3; tests.md B9)."""

from __future__ import annotations

import time

from lang_helpers import command, parse_error, show, statements, stmt

from exshell.lang import ast
from exshell.lang.parser import parse


def test_five_exchange_one_liners_parse_to_expected_shapes() -> None:
    first = stmt(
        'Get-ReceiveConnector "Relay" | Add-ADPermission -User "NT AUTHORITY\\ANONYMOUS LOGON" '
        "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient"
    )
    assert show(first) == (
        "<Get-ReceiveConnector> 'Relay' | <Add-ADPermission> -User 'NT AUTHORITY\\\\ANONYMOUS LOGON' "
        "-ExtendedRights <ms-Exch-SMTP-Accept-Any-Recipient>"
    )
    second = stmt('Set-ReceiveConnector Relay -RemoteIPRanges @{Add="10.0.0.5","10.0.0.6"}')
    assert show(second) == "<Set-ReceiveConnector> <Relay> -RemoteIPRanges @{<Add>=['10.0.0.5', '10.0.0.6']}"
    third = stmt(
        'Get-ADPermission Relay | where {$_.ExtendedRights -like "*Any-Recipient*"} | ft User,ExtendedRights -AutoSize'
    )
    assert show(third) == (
        "<Get-ADPermission> <Relay> | <where> {($_.ExtendedRights -like '*Any-Recipient*')} "
        "| <ft> [<User>, <ExtendedRights>] -AutoSize"
    )
    fourth = stmt(
        "Import-Csv hosts.csv | ForEach-Object { Set-ReceiveConnector Relay -RemoteIPRanges @{Add=$_.IP} }"
    )
    assert show(fourth) == (
        "<Import-Csv> <hosts.csv> | <ForEach-Object> {<Set-ReceiveConnector> <Relay> -RemoteIPRanges @{<Add>=$_.IP}}"
    )
    fifth = statements(
        '$rc = Get-ReceiveConnector Relay; $rc.RemoteIPRanges += "10.1.1.1"; '
        "Set-ReceiveConnector Relay -RemoteIPRanges $rc.RemoteIPRanges"
    )
    assert [show(s) for s in fifth] == [
        "$rc = <Get-ReceiveConnector> <Relay>",
        "$rc.RemoteIPRanges += '10.1.1.1'",
        "<Set-ReceiveConnector> <Relay> -RemoteIPRanges $rc.RemoteIPRanges",
    ]
    assert all(isinstance(s, ast.Assignment) for s in fifth[:2])


def test_statement_separators_and_empty_statements() -> None:
    assert [show(s) for s in statements("a; b\nc;;\n\n d ;")] == ["<a>", "<b>", "<c>", "<d>"]


def test_trailing_pipe_continues_over_blank_and_comment_lines() -> None:
    s = stmt("'Hello' |\n# comment\n\n  ForEach-Object {\"$_ world\"}")
    assert isinstance(s, ast.Pipeline) and len(s.elements) == 2


def test_leading_pipe_on_next_line_continues_pipeline() -> None:
    s = stmt("Get-A\n| Get-B\n  | Get-C")
    assert show(s) == "<Get-A> | <Get-B> | <Get-C>"


def test_backtick_newline_continues_but_backtick_space_newline_does_not() -> None:
    assert show(stmt("Get-A `\n -Name x")) == "<Get-A> -Name <x>"
    two = statements("Get-A ` \n -Name x")
    assert len(two) == 2


def test_if_elseif_else_with_else_on_following_lines() -> None:
    s = stmt("if ($x -eq 1) { 'one' }\nelseif ($x -eq 2) { 'two' }\n\nelse { 'other' }")
    assert isinstance(s, ast.IfStatement)
    assert len(s.clauses) == 2 and s.else_body is not None
    assert show(s.clauses[1].condition) == "($x -eq 2)"
    assert show(s.else_body) == "'other'"


def test_if_condition_may_be_a_command_pipeline() -> None:
    s = stmt("if (Get-Foo | where Name) { 1 }")
    assert isinstance(s, ast.IfStatement) and isinstance(s.clauses[0].condition, ast.Pipeline)
    assert len(s.clauses[0].condition.elements) == 2


def test_if_without_else_leaves_following_statement_alone() -> None:
    found = statements("if ($a) { 1 }\nGet-B")
    assert isinstance(found[0], ast.IfStatement) and found[0].else_body is None
    assert show(found[1]) == "<Get-B>"


def test_foreach_statement_and_foreach_command() -> None:
    s = stmt("foreach ($i in Get-Foo | select -First 2) { $i }")
    assert isinstance(s, ast.ForeachStatement)
    assert s.variable.name == "i" and isinstance(s.iterable, ast.Pipeline) and len(s.iterable.elements) == 2
    cmd = command("Get-Foo | foreach { $_ }", 1)
    assert show(cmd.name) == "<foreach>"


def test_loops() -> None:
    f = stmt("for ($i = 0; $i -lt 3; $i++) { $i }")
    assert isinstance(f, ast.ForStatement)
    assert show(f.init) == "$i = 0" and show(f.condition) == "($i -lt 3)" and show(f.step) == "($i++)"
    empty = stmt("for (;;) { break }")
    assert isinstance(empty, ast.ForStatement) and empty.init is None and empty.condition is None
    w = stmt("while ($x) { $x = $false }")
    assert isinstance(w, ast.WhileStatement) and not w.do_loop
    dw = stmt("do { 1 }\nwhile ($x)")
    assert isinstance(dw, ast.WhileStatement) and dw.do_loop and not dw.until
    du = stmt("do { 1 } until ($x)")
    assert isinstance(du, ast.WhileStatement) and du.do_loop and du.until


def test_try_catch_finally() -> None:
    s = stmt(
        "try { Get-A }\ncatch [System.IO.IOException], [Foo] { 'io' }\ncatch { 'any' }\nfinally { 'done' }"
    )
    assert isinstance(s, ast.TryStatement)
    assert [c.type_names for c in s.catches] == [("System.IO.IOException", "Foo"), ()]
    assert s.finally_body is not None


def test_flow_control_statements() -> None:
    found = statements("return\nreturn 5\nthrow 'bad'\nexit 3\nbreak\ncontinue outer")
    kinds = [(s.kind, show(s.value) if s.value else None) for s in found]  # type: ignore[attr-defined]
    assert kinds == [
        ("return", None),
        ("return", "5"),
        ("throw", "'bad'"),
        ("exit", "3"),
        ("break", None),
        ("continue", "<outer>"),
    ]


def test_function_definitions_with_param_block_and_paren_params() -> None:
    f = stmt(
        "function Set-It {\n param(\n  [Parameter(Mandatory, Position=0)][string]$Name,\n"
        "  [int]$Port = 25,\n  [ValidateSet('a','b')]$Kind\n )\n \"${Name}:$Port\" \n}"
    )
    assert isinstance(f, ast.FunctionDefinition) and f.name == "Set-It"
    names = [(p.name, p.type_name, show(p.default) if p.default else None) for p in f.params]
    assert names == [("Name", "string", None), ("Port", "int", "25"), ("Kind", None, None)]
    assert f.params[0].attributes == (("mandatory", True), ("position", 0))
    assert f.params[2].attributes == (("validateset", ("a", "b")),)
    assert f.body.params == f.params
    g = stmt("function Add($a, $b = 2) { $a + $b }")
    assert isinstance(g, ast.FunctionDefinition) and [p.name for p in g.params] == ["a", "b"]
    assert g.body.text == " $a + $b "


def test_script_param_block_and_named_blocks() -> None:
    block = parse("param([string]$Path)\nbegin { $n = 0 }\nprocess { $n++ }\nend { $n }")
    assert [p.name for p in block.params] == ["Path"]
    assert block.begin is not None and block.process is not None and block.end is not None
    assert block.body.statements == ()
    inner = parse("& { process { $_ } }").body.statements[0]
    sb = inner.elements[0].name  # type: ignore[attr-defined]
    assert isinstance(sb, ast.ScriptBlockExpr) and sb.block.process is not None


def test_pipeline_chain_operators() -> None:
    s = stmt("Get-A && Get-B || Get-C")
    assert isinstance(s, ast.PipelineChain) and s.ops == ("&&", "||")


def test_top_level_script_block_text_is_whole_input() -> None:
    text = "Get-A\n$x = 1\n"
    block = parse(text, "script.ps1")
    assert block.text == text and block.span.start == 0 and block.span.end == len(text)
    assert block.span.source.name == "script.ps1"


def test_crlf_line_endings_and_positions() -> None:
    found = statements("Get-A\r\nGet-B\r\n")
    assert [s.span.line for s in found] == [1, 2]


def test_spans_cover_statement_text() -> None:
    text = "  Set-Thing -Name:x  abc | Get-Foo  "
    s = stmt(text)
    assert s.span.text == "Set-Thing -Name:x  abc | Get-Foo"
    cmd = command(text)
    assert cmd.name.span.text == "Set-Thing"
    assert cmd.elements[0].span.text == "-Name:x"


def test_thousand_line_script_parses_quickly() -> None:
    lines = [
        '$rc = Get-ReceiveConnector "Relay"',
        "Set-ReceiveConnector Relay -RemoteIPRanges @{Add='10.0.0.5','10.0.0.6'}",
        "Get-ADPermission Relay | where { $_.ExtendedRights -like '*Any*' } | ft User -AutoSize",
        'if ($rc.Enabled -and $n -gt 5) { Write-Host "on $($rc.Name)" } else { $n++ }',
        "foreach ($ip in $rc.RemoteIPRanges) { $list += $ip.ToString() }",
    ]
    text = "\n".join(lines[i % len(lines)] for i in range(1000)) + "\n"
    started = time.process_time()
    block = parse(text)
    elapsed = time.process_time() - started
    assert len(block.body.statements) == 1000
    assert elapsed < 1.0, elapsed


def test_labels_of_break_are_values_not_commands() -> None:
    s = stmt("break outer")
    assert isinstance(s, ast.FlowControl) and s.kind == "break"


def test_expression_must_be_first_in_pipeline_but_may_start_one() -> None:
    assert show(stmt("'abc' | Get-Foo")) == "'abc' | <Get-Foo>"
    assert show(stmt("@(1,2) | Get-Foo")) == "@([1, 2]) | <Get-Foo>"
    assert parse_error("1|1").error_id == "ExpressionsMustBeFirstInPipeline"


def test_loop_label_is_recorded_for_break() -> None:
    s = stmt(":outer foreach ($i in 1..3) { break outer }")
    assert isinstance(s, ast.ForeachStatement) and s.label == "outer"
    w = stmt(":retry while ($true) { continue retry }")
    assert isinstance(w, ast.WhileStatement) and w.label == "retry"


def test_where_and_foreach_aliases_as_symbols() -> None:
    s = stmt("1..5 | ? { $_ -gt 2 } | %{ $_ } | % Name")
    assert show(s) == "(1 .. 5) | <?> {($_ -gt 2)} | <%> {$_} | <%> <Name>"


def test_trailing_backtick_inside_bareword_is_literal() -> None:
    assert show(stmt("Write-Output a`")) == "<Write-Output> <a`>"


def test_checklist_b3_shapes() -> None:
    # tests.md B3 items 15, 17, 18: the parse shapes the evaluator relies on
    assert (
        show(stmt('@{Add="10.0.0.5","10.0.0.6"}.Add.Count')) == "@{<Add>=['10.0.0.5', '10.0.0.6']}.Add.Count"
    )
    found = statements("$h = @{'Display Name' = 'x'}; $h.'Display Name'; $h['display name']")
    assert [show(s) for s in found] == [
        "$h = @{'Display Name'='x'}",
        "$h.'Display Name'",
        "$h['display name']",
    ]
    found = statements("$b = @(); $b += 'a'; $b.Count")
    assert [show(s) for s in found] == ["$b = @()", "$b += 'a'", "$b.Count"]


def test_assignment_value_may_be_a_control_statement() -> None:
    s = stmt("$x = if ($y) { 1 } else { 2 }")
    assert isinstance(s, ast.Assignment) and isinstance(s.value, ast.IfStatement)
    f = stmt("$all = foreach ($i in $list) { $i * 2 }")
    assert isinstance(f, ast.Assignment) and isinstance(f.value, ast.ForeachStatement)


def test_cmdletbinding_attribute_before_param_block_is_accepted() -> None:
    f = stmt(
        "function Get-X {\n  [CmdletBinding()]\n  param([Parameter(Mandatory=$true, ValueFromPipeline)]"
        "[string[]]$Name)\n  process { $Name }\n}"
    )
    assert isinstance(f, ast.FunctionDefinition)
    (param,) = f.params
    assert param.type_name == "string[]"
    assert param.attributes == (("mandatory", True), ("valuefrompipeline", True))
    assert f.body.process is not None and f.body.body.statements == ()


def test_filter_body_is_a_process_block() -> None:
    f = stmt("filter Double { $_ * 2 }")
    assert isinstance(f, ast.FunctionDefinition) and f.name == "Double"
    assert f.body.process is not None and show(f.body.process) == "($_ * 2)"
    assert f.body.body.statements == ()


def test_token_stream_current_look_next_if_expect() -> None:
    from exshell.lang.parser import Parser
    from exshell.lang.position import Source
    from exshell.lang.tokens import MODE_ARG, Kind

    p = Parser(Source.of("Get-A -B 1"))
    assert p.current(MODE_ARG).text == "Get-A"
    assert p.look(MODE_ARG).kind == Kind.PARAMETER
    assert p.pos == 0
    assert p.next_if("(") is None
    p.advance(p.current(MODE_ARG))
    assert p.current(MODE_ARG).text == "-B"
    q = Parser(Source.of("(1)"))
    assert q.expect("(", "X", "x").text == "(" and q.pos == 1
    assert parse_error_of(lambda: q.expect(")", "MissingThing", "missing")) == "MissingThing"


def parse_error_of(fn) -> str:  # type: ignore[no-untyped-def]
    from exshell.errors import ParseError

    try:
        fn()
    except ParseError as e:
        return e.error_id
    raise AssertionError("no error")
