"""Where/ForEach/Select/Sort/Group/Measure/Get-Member/Get-Date end to end through Session.run
(output.md §5, tests.md B6 44–48, B7 55–56)."""

from __future__ import annotations

import pytest

from _output_harness import make_session, run


def out(tmp_path, text, width=120):
    output, errors = run(tmp_path, text, width)
    assert errors == [], errors
    return output


def lines(tmp_path, text):
    return out(tmp_path, text).split("\n")[:-1]


@pytest.mark.parametrize(
    "text, expected",
    [
        # tests.md 44
        ("'a','b' | ForEach-Object { $_.ToUpper() }", ["A", "B"]),
        ("'a','b' | % ToUpper", ["A", "B"]),
        # tests.md 45
        ("'hi','','there' | Where-Object Length", ["hi", "there"]),
        ("'hi','','there' | where Length -gt 2", ["there"]),
        # tests.md 46
        ("1..5 | Select-Object -First 2", ["1", "2"]),
        ("1..5 | Select-Object -Last 2", ["4", "5"]),
        ("1..5 | Select-Object -Skip 1 -First 2", ["2", "3"]),
        ("1..5 | Select-Object -Skip 1 -Last 2", ["3", "4"]),
        ("1..5 | Select-Object -First 0", []),
        ("1..3 | % { 1..5 | select -First 1 }", ["1", "1", "1"]),
        ("function f { 1; 2; 3 }; f | select -First 2", ["1", "2"]),
        ("1..5 | Select-Object -Index 0,3", ["1", "4"]),
        ("1..5 | Select-Object -SkipLast 3", ["1", "2"]),
        ("'a','A','b' | Select-Object -Unique", ["a", "A", "b"]),
        ("'a','A','b' | Select-Object -Unique -CaseInsensitive", ["a", "b"]),
        # Where-Object operators and -Not
        ("'ab','cd' | ? { $_ -like 'a*' }", ["ab"]),
        ("'ab','cd' | where Length -eq 2 | where { $_ -ne 'ab' }", ["cd"]),
        ("'hi','','x' | where -Not Length", [""]),
        ("'Abc','abc' | where { $_ } | where Length -CEQ 3 | where { $_ -ceq 'abc' }", ["abc"]),
        ("'ab','cd' | where Length -In 1,2", ["ab", "cd"]),
        ("'ab','cd' | where { $_ } | where Length -NotIn 1,2", []),
        ("'ab','xcd' | where Length -GE 3", ["xcd"]),
        ("'apple','box' | where { $_ } | where Length -LT 4", ["box"]),
        ("'apple','box' | where { $_ } | where Chars -NE $null", []),
        ("'10.0.0.5','x' | where { $_ -match '^\\d' }", ["10.0.0.5"]),
        # ForEach-Object begin/process/end and positional blocks
        ("1..3 | % -Begin { 'b' } -Process { $_ * 2 } -End { 'e' }", ["b", "2", "4", "6", "e"]),
        ("1..2 | % { 'b' } { $_ }", ["b", "1", "2"]),
        ("1..2 | % { 'b' } { $_ } { 'e' }", ["b", "1", "2", "e"]),
        ("% { 1 }", ["1"]),
        ("1..3 | % { $t += $_ }; $t", ["6"]),
        ("'abc' | % Length", ["3"]),
        ("'a,b' | % Split ','", ["a", "b"]),
        ("1,(2,3) | % { $_ }", ["1", "2", "3"]),
        # Sort-Object
        ("3,1,2 | Sort-Object", ["1", "2", "3"]),
        ("3,1,2 | sort -Descending", ["3", "2", "1"]),
        ("'b','A','a' | sort -Unique", ["A", "b"]),
        ("1..10 | sort -Top 2 -Descending", ["10", "9"]),
        ("1..10 | sort -Bottom 2", ["9", "10"]),
        ("'10','9','100' | sort { [int]$_ }", ["9", "10", "100"]),
        (
            "[pscustomobject]@{n='b';v=1},[pscustomobject]@{n='a';v=2},[pscustomobject]@{n='a';v=1} | "
            "sort n, @{e='v';Descending=$true} | % { \"$($_.n)$($_.v)\" }",
            ["a2", "a1", "b1"],
        ),
        # Group-Object
        ("('a','b','a' | Group-Object).Count", ["2"]),
        ("('b','a','B' | group)[0].Name", ["a"]),
        ("('b','a','B' | group)[1].Count", ["2"]),
        ("('b','a','B' | group -CaseSensitive).Count", ["3"]),
        ("$h = 'x','y','x' | group -AsHashTable; $h['x'].Count", ["2"]),
        ("('apple','avocado','box' | group { $_[0] } | % Name) -join ','", ["a,b"]),
        # Measure-Object
        ("(1,2,3 | Measure-Object -Sum).Sum", ["6"]),
        ("(1,2,3,4 | measure -Average).Average", ["2.5"]),
        ("(1,5,3 | measure -Maximum -Minimum) | % { \"$($_.Maximum) $($_.Minimum)\" }", ["5 1"]),
        ("([pscustomobject]@{p=2},[pscustomobject]@{p=4} | measure p -Sum).Sum", ["6"]),
        ("(2,4,4,4,5,5,7,9 | measure -StandardDeviation).StandardDeviation -gt 2.13", ["True"]),
        ("$null | measure | % Count", ["0"]),
        # Get-Date
        ("Get-Date -Date '2017-06-12 15:05:46' -Format 'yyyy-MM-dd HH:mm:ss'", ["2017-06-12 15:05:46"]),
        ("Get-Date -Date '2017-06-12 15:05:46' -Format 'dddd, MMMM d h tt'", ["Monday, June 12 3 PM"]),
        ("Get-Date -Date '2017-06-12 15:05:46' -UFormat '%Y/%m/%d'", ["2017/06/12"]),
        ("(Get-Date).GetType().FullName -eq 'System.DateTime'", ["True"]),
    ],
)
def test_core_cmdlet_output(tmp_path, text, expected):
    assert lines(tmp_path, text) == expected


def test_select_property_creates_selected_object_with_null_for_missing(tmp_path):
    # tests.md 47
    session, host = make_session(tmp_path)
    session.run("$o = [pscustomobject]@{a=1} | Select-Object a,zz")
    o = session.get_variable("o")
    assert o.type_names[0] == "Selected.System.Management.Automation.PSCustomObject"
    assert o.items() == [("a", 1), ("zz", None)]
    assert host.output == ""


def test_select_calculated_property_wildcards_and_exclude(tmp_path):
    session, _ = make_session(tmp_path)
    session.run(
        "$o = [pscustomobject]@{Name='r';Port=25;Path='p'} | "
        "select @{n='Double';e={$_.Port * 2}}, P* -ExcludeProperty Path"
    )
    assert session.get_variable("o").items() == [("Double", 50), ("Port", 25)]


def test_select_calculated_property_string_expression_and_label_prefix(tmp_path):
    session, _ = make_session(tmp_path)
    session.run("$o = [pscustomobject]@{Port=25} | select @{l='P';ex='Port'}")
    assert session.get_variable("o").items() == [("P", 25)]


def test_select_nameless_scriptblock_uses_its_text_as_name(tmp_path):
    session, _ = make_session(tmp_path)
    session.run("$o = 3 | select { $_ * 2 }")
    assert session.get_variable("o").items() == [(" $_ * 2 ", 6)]


def test_select_empty_scriptblock_without_name_is_terminating(tmp_path):
    output, errors = run(tmp_path, "1 | select {}; 'next'")
    assert "A property is an empty script block and does not provide a name." in errors[0]
    assert output == "next\n"


def test_select_duplicate_property_is_non_terminating_error(tmp_path):
    output, errors = run(tmp_path, "[pscustomobject]@{a=1} | select a,a | % a")
    assert output == "1\n"
    assert 'The property cannot be processed because the property "a" already exists.' in errors[0]


def test_select_expand_property_unrolls_and_reports_missing(tmp_path):
    output, errors = run(
        tmp_path, "[pscustomobject]@{l=1,$null,2},[pscustomobject]@{x=1} | Select-Object -ExpandProperty l"
    )
    assert output == "1\n2\n"
    assert 'Property "l" cannot be found.' in errors[0]


def test_select_first_stops_upstream_commands(tmp_path):
    # binding.md §9.6: the upstream end block is skipped once Select-Object has enough.
    output = out(tmp_path, "$n = 0; 1..100 | % { $n++; $_ } -End { 'upstream end' } | select -First 3; $n")
    assert output == "1\n2\n3\n3\n"


def test_where_operator_without_value_is_terminating(tmp_path):
    # tests.md 48
    output, errors = run(tmp_path, "'x' | where Name -eq; 'next'")
    assert output == "next\n"
    assert "The specified operator requires both the -Property and -Value parameters. Provide values for both " \
           "parameters, and then try the command again." in errors[0]
    assert "ValueNotSpecifiedForWhereObject,Microsoft.PowerShell.Commands.WhereObjectCommand" in errors[0]


def test_where_value_without_operator_is_terminating(tmp_path):
    _, errors = run(tmp_path, "'x' | where Name x")
    assert "An operator is required to compare the two specified values. Include a valid operator in the " \
           "command, and then try the command again. For example, Get-Process | Where-Object -Property Name " \
           "-eq Idle" in errors[0]


def test_where_scriptblock_runs_in_callers_scope(tmp_path):
    assert out(tmp_path, "1,2 | where { $seen = $_; $true } | Out-Null; $seen") == "2\n"


def test_where_collection_property_like_matches_any_element(tmp_path):
    text = (
        "[pscustomobject]@{n='a';R='ms-Exch-SMTP-Accept-Any-Recipient','x'},[pscustomobject]@{n='b';R='y'} | "
        "where { $_.R -like '*Any-Recipient*' } | % n"
    )
    assert out(tmp_path, text) == "a\n"


def test_where_hashtable_input_reads_keys(tmp_path):
    assert out(tmp_path, "@{Name='x'},@{Name='y'} | where Name -eq y | % { $_.Name }") == "y\n"


def test_foreach_missing_member_is_non_terminating(tmp_path):
    output, errors = run(tmp_path, "'abc' | % NoSuchThing; 'after'")
    assert output == "after\n"
    assert 'The input name "NoSuchThing" cannot be resolved to a member.' in errors[0]


def test_group_object_default_table(tmp_path):
    # tests.md 55
    assert lines(tmp_path, "'a','b','a' | Group-Object") == [
        "",
        "Count Name                      Group",
        "----- ----                      -----",
        "    2 a                         {a, a}",
        "    1 b                         {b}",
        "",
    ]


def test_group_object_no_element_drops_group_column(tmp_path):
    assert lines(tmp_path, "'a','b','a' | group -NoElement") == [
        "", "Count Name", "----- ----", "    2 a", "    1 b", "",
    ]


def test_group_mixed_key_types_keep_first_appearance_order(tmp_path):
    assert out(tmp_path, "'b',1,'a' | group | % Name") == "b\n1\na\n"


def test_measure_object_list_ps7_labels(tmp_path):
    # tests.md 56
    assert lines(tmp_path, "1,2,3 | Measure-Object") == [
        "",
        "Count             : 3",
        "Average           : ",
        "Sum               : ",
        "Maximum           : ",
        "Minimum           : ",
        "StandardDeviation : ",
        "Property          : ",
        "",
    ]


def test_measure_text_mode_table(tmp_path):
    assert lines(tmp_path, "'a b','c' | measure -Line -Word -Character") == [
        "", "Lines Words Characters Property", "----- ----- ---------- --------", "    2     3          4", "",
    ]


def test_measure_non_numeric_and_missing_property_errors(tmp_path):
    output, errors = run(tmp_path, "'abc' | measure -Sum | % Count")
    assert output == "1\n"
    assert 'Input object "abc" is not numeric.' in errors[0]
    _, errors = run(tmp_path, "1 | measure -Property zz")
    assert 'The property "zz" cannot be found in the input for any objects.' in errors[0]


def test_get_member_groups_by_type_and_sorts_by_member_type(tmp_path):
    assert lines(tmp_path, "[pscustomobject]@{IP='10.0.0.5';N=$null} | Get-Member") == [
        "",
        "   TypeName: System.Management.Automation.PSCustomObject",
        "",
        "Name        MemberType   Definition",
        "----        ----------   ----------",
        "Equals      Method       bool Equals(System.Object obj)",
        "GetHashCode Method       int GetHashCode()",
        "GetType     Method       type GetType()",
        "ToString    Method       string ToString()",
        "IP          NoteProperty string IP=10.0.0.5",
        "N           NoteProperty object N=null",
        "",
    ]


def test_get_member_two_types_two_groups_and_filters(tmp_path):
    text = "[pscustomobject]@{a=1}, ([pscustomobject]@{b=2} | select b) | gm -MemberType NoteProperty"
    assert lines(tmp_path, text) == [
        "",
        "   TypeName: System.Management.Automation.PSCustomObject",
        "",
        "Name MemberType   Definition",
        "---- ----------   ----------",
        "a    NoteProperty int a=1",
        "",
        "   TypeName: Selected.System.Management.Automation.PSCustomObject",
        "",
        "Name MemberType   Definition",
        "---- ----------   ----------",
        "b    NoteProperty int b=2",
        "",
    ]


def test_get_member_without_input_is_an_error(tmp_path):
    _, errors = run(tmp_path, "Get-Member")
    assert "You must specify an object for the Get-Member cmdlet." in errors[0]
