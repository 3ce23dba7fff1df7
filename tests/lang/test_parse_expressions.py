"""Expression mode: precedence (grammar.md §4.1), numbers (§2.7), member access, casts, hashtables (§3.1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lang_helpers import expr, show, stmt

from exshell.lang import ast


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # grammar.md §4.1 worked examples
        ("2 -gt 4 -and 1", "((2 -gt 4) -and 1)"),
        ("$true -or $false -and $false", "(($true -or $false) -and $false)"),
        ("-not $a -eq 10", "((-not $a) -eq 10)"),
        ("!$n -eq 10", "((-not $n) -eq 10)"),
        ("'abc','def','ghi' -contains 'abc','def'", "(['abc', 'def', 'ghi'] -contains ['abc', 'def'])"),
        ("1,2 -contains 2", "([1, 2] -contains 2)"),
        ("1,2 + 3", "([1, 2] + 3)"),
        ("3+6/3*4", "(3 + ((6 / 3) * 4))"),
        ("1,2,3 + 4,5,6", "([1, 2, 3] + [4, 5, 6])"),
        ("1..3 + 4", "((1 .. 3) + 4)"),
        ("-1..1", "(-1 .. 1)"),
        ("'{0}-{1}' -f 1,2", "('{0}-{1}' -f [1, 2])"),
        ("$a ?? 'x' -eq 'x'", "(($a ?? 'x') -eq 'x')"),
        ("1 -band 3 -eq 3", "(1 -band (3 -eq 3))"),
        ("$a -and $b -or $c -xor $d", "((($a -and $b) -or $c) -xor $d)"),
        ("'a' -iLike 'A' -CEQ 'x'", "(('a' -ilike 'A') -ceq 'x')"),
        ("-split 'a b'", "(-split 'a b')"),
        ("-join ('a','b')", "(-join (['a', 'b']))"),
        ("'a b' -split ' '", "('a b' -split ' ')"),
        ("$x -is [string]", "($x -is [string])"),
        ("$x -as [int]", "($x -as [int])"),
        ("-bnot 5", "(-bnot 5)"),
        ("++$i", "(++ $i)"),
        ("$i++", "($i++)"),
        (",1", "[1]"),
        ("$x ? 1 : 2", "($x ? 1 : 2)"),
        ("5 -replace 'a','b'", "(5 -replace ['a', 'b'])"),
        ("1 +\n 2", "(1 + 2)"),
        ("1,\n2", "[1, 2]"),
        ("$a -eq\n  $b", "($a -eq $b)"),
        ("2 – 1", "(2 - 1)"),
        ("$a –eq 1", "($a -eq 1)"),
    ],
)
def test_expression_precedence_matches_parser_source(text: str, expected: str) -> None:
    assert show(expr(text)) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("10MB", 10485760),
        ("1.5KB", 1536.0),
        ("5GB", 5368709120),
        ("1kb", 1024),
        ("1PB", 1024**5),
        ("0x10", 16),
        ("0XFF", 255),
        ("0xFFFFFFFF", -1),
        ("0x100000000", 4294967296),
        ("0b101", 5),
        ("4.5", 4.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("1.5e-2", 0.015),
        ("7l", 7),
        ("3d", Decimal(3)),
        ("-5", -5),
        ("9223372036854775808", Decimal(9223372036854775808)),
    ],
)
def test_number_literal_value_and_spelling(text: str, value: object) -> None:
    node = expr(text)
    assert isinstance(node, ast.ConstantExpr)
    assert node.value == value and type(node.value) is type(value)
    assert node.text == text


def test_dotted_quad_in_expression_mode_is_number_then_member() -> None:
    # grammar.md §2.7 gotcha: 10.0 then member `.0.5`
    s = stmt("$v = 10.0.0.5")
    assert isinstance(s, ast.Assignment)
    assert show(s.value) == "10.0.0.5"
    (element,) = s.value.elements  # type: ignore[attr-defined]
    member = element.expr
    assert isinstance(member, ast.MemberExpr) and member.obj.value == 10.0  # type: ignore[attr-defined]
    assert member.member.value == "0.5"  # type: ignore[attr-defined]


def test_member_index_and_method_chains() -> None:
    assert show(expr("$x.Name.Length")) == "$x.Name.Length"
    assert show(expr("$a[0].Name")) == "$a[0].Name"
    assert show(expr("$a[0,2+4..6]")) == "$a[([0, 2] + (4 .. 6))]"  # 0,2,4,5,6
    assert show(expr("$s.Substring(1, 2).ToUpper()")) == "$s.Substring(1, 2).ToUpper()"
    assert show(expr("$x.Method((1,2), 3)")) == "$x.Method(([1, 2]), 3)"
    assert show(expr("$h.'Display Name'")) == "$h.'Display Name'"
    assert show(expr("$h.$key")) == "$h.$key"
    assert show(expr("(Get-Foo).Name")) == "(<Get-Foo>).Name"
    assert show(expr("[int]::MaxValue")) == "[int]::MaxValue"
    assert show(expr("[string]::Join(',', $a)")) == "[string]::Join(',', $a)"
    assert show(expr("${x}?.Name")) == "$x?.Name"


def test_member_access_needs_no_whitespace() -> None:
    from lang_helpers import parse_error

    assert parse_error("$x .Name").error_id == "UnexpectedToken"


def test_casts_and_type_literals() -> None:
    assert show(expr("[int]'5'")) == "[int]'5'"
    assert show(expr("[int] $x + 1")) == "([int]$x + 1)"
    assert show(expr("[string[]]$a")) == "[string[]]$a"
    assert show(expr("[int][string]$x")) == "[int][string]$x"
    cast = expr("[pscustomobject]@{a=1}")
    assert isinstance(cast, ast.ConvertExpr) and cast.type_name == "pscustomobject"
    assert isinstance(cast.operand, ast.HashtableExpr)
    ordered = expr("[ordered]@{b=1; a=2}")
    assert isinstance(ordered, ast.HashtableExpr) and ordered.ordered
    assert [e.key.value for e in ordered.entries] == ["b", "a"]  # type: ignore[attr-defined]
    assert ordered.span.start == 0


def test_hashtable_entries_separated_by_semicolons_or_newlines() -> None:
    table = expr("@{\n  Name = 'x'\n  'Display Name' = 1; 2 = $y;\n  ($k) = Get-Foo | select -First 1\n}")
    assert isinstance(table, ast.HashtableExpr)
    assert show(table) == ("@{<Name>='x'; 'Display Name'=1; 2=$y; ($k)=<Get-Foo> | <select> -First 1}")


def test_hashtable_value_is_a_full_statement() -> None:
    table = expr('@{Add="10.0.0.5","10.0.0.6"}')
    assert isinstance(table, ast.HashtableExpr)
    value = table.entries[0].value
    assert isinstance(value, ast.Pipeline)
    assert show(value) == "['10.0.0.5', '10.0.0.6']"
    with_if = expr("@{a = if ($x) { 1 } else { 2 }}")
    assert isinstance(with_if.entries[0].value, ast.IfStatement)  # type: ignore[attr-defined]


def test_array_and_sub_expressions() -> None:
    assert show(expr("@()")) == "@()"
    assert show(expr("@(1,2)")) == "@([1, 2])"
    assert show(expr("$(1; 2)")) == "$(1; 2)"
    assert show(expr("@(\n Get-A\n Get-B\n)")) == "@(<Get-A>; <Get-B>)"


def test_paren_holds_assignment_and_pipeline() -> None:
    assert show(expr("($x = 5)")) == "($x = 5)"
    assert show(expr("(Get-A | Get-B)")) == "(<Get-A> | <Get-B>)"
    assert show(expr("(\n 1 + 2\n)")) == "((1 + 2))"


def test_script_block_literal_keeps_source_text() -> None:
    block = expr("{ $_.IP }")
    assert isinstance(block, ast.ScriptBlockExpr)
    assert block.block.text == " $_.IP "
    assert block.span.start == 0 and block.span.end == len("{ $_.IP }")
    nested = expr("{ { 1 } }")
    inner = nested.block.body.statements[0].elements[0].expr  # type: ignore[attr-defined]
    assert inner.block.text == " 1 "


def test_variables_special_scoped_and_braced() -> None:
    cases = {
        "$_": ("_", None),
        "$PSItem": ("PSItem", None),
        "$true": ("true", None),
        "$args": ("args", None),
        "$?": ("?", None),
        "$$": ("$", None),
        "$^": ("^", None),
        "$script:x": ("x", "script"),
        "$env:COMPUTERNAME": ("COMPUTERNAME", "env"),
        "$Global:Count": ("Count", "global"),
        "${a b}": ("a b", None),
        "${env:ProgramFiles(x86)}": ("ProgramFiles(x86)", "env"),
        "${a`}b}": ("a}b", None),
    }
    for text, (name, scope) in cases.items():
        node = expr(text)
        assert isinstance(node, ast.VariableExpr), text
        assert (node.name, node.scope) == (name, scope), text


def test_assignment_operators_and_targets() -> None:
    for op in ["=", "+=", "-=", "*=", "/=", "%=", "??="]:
        s = stmt(f"$x {op} 1")
        assert isinstance(s, ast.Assignment) and s.op == op
    multi = stmt("$a, $b = 1, 2")
    assert isinstance(multi, ast.Assignment) and show(multi.target) == "[$a, $b]"
    cast = stmt("[int]$x = '5'")
    assert isinstance(cast, ast.Assignment) and isinstance(cast.target, ast.ConvertExpr)
    indexed = stmt("$h['k'] = Get-Foo | Select-Object -First 1")
    assert isinstance(indexed, ast.Assignment) and isinstance(indexed.value, ast.Pipeline)
    assert len(indexed.value.elements) == 2
    chained = stmt("$a = $b = 3")
    assert isinstance(chained, ast.Assignment) and isinstance(chained.value, ast.Assignment)
    newline = stmt("$x =\n  5")
    assert show(newline) == "$x = 5"


def test_binary_operator_span_points_at_operator() -> None:
    node = expr("$a -eq 10")
    assert isinstance(node, ast.BinaryExpr)
    assert node.op_span.text == "-eq"


@pytest.mark.parametrize(
    ("text", "value"),
    [("34uy", 34), ("0xFFy", -1), ("5s", 5), ("1ul", 1), ("0x1n", 1), ("127y", 127)],
)
def test_ps7_integer_type_suffixes(text: str, value: int) -> None:
    node = expr(text)
    assert isinstance(node, ast.ConstantExpr) and node.value == value and node.text == text


def test_out_of_range_suffixed_literal_is_bad_numeric_constant_in_expression_only() -> None:
    from lang_helpers import arguments, parse_error

    assert parse_error("$x = 300uy").error_id == "BadNumericConstant"
    assert show(arguments("Write-Output 300uy")[0]) == "<300uy>"
