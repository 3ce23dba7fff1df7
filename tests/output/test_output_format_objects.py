"""Out-Default's layout rules (output.md §1–§4, tests.md B7) on runtime values, without a session."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from exshell.output import format_objects
from exshell.output.views import Column, ListView, TableView, register_view
from exshell.runtime.values import PSHashtable, PSObject


def obj(**props):
    return PSObject(list(props.items()))


def text(objects, width=120):
    return "\n".join(format_objects(objects, width))


CASES = [
    # tests.md 50: implicit autosize, two rows
    (
        [obj(abc="1234", bcd="123"), obj(abc="1", bcd="1234")],
        ["", "abc  bcd", "---  ---", "1234 123", "1    1234", ""],
    ),
    # tests.md 51: string left, number right; header and dashes follow the alignment
    ([obj(a="abc", b=123)], ["", "a     b", "-     -", "abc 123", ""]),
    ([obj(a=123, b="abc")], ["", "  a b", "  - -", "123 abc", ""]),
    ([obj(a=123, b=123)], ["", "  a   b", "  -   -", "123 123", ""]),
    # tests.md 52: $FormatEnumerationLimit 4 with the PS7 ellipsis
    ([obj(x=[1, 2, 3, 4, 5])], ["", "x", "-", "{1, 2, 3, 4…}", ""]),
    ([obj(x=[1, 2, 3, 4])], ["", "x", "-", "{1, 2, 3, 4}", ""]),
    ([obj(x=["a"])], ["", "x", "-", "{a}", ""]),
    ([obj(x=[])], ["", "x", "-", "{}", ""]),
    ([obj(x=["a", None])], ["", "x", "-", "{a, $null}", ""]),
    # tests.md 53: five properties → list, PS 7.4 ends with one blank line
    ([obj(a=1, b=2, c=3, d=4, e=5)], ["", "a : 1", "b : 2", "c : 3", "d : 4", "e : 5", ""]),
    # tests.md 54: the first object's column set wins; the second row is empty
    ([obj(a=1), obj(b=2)], ["", "a", "-", "1", "", ""]),
    # tests.md 56: a hashtable is a Name/Value table, Name 30 wide
    (
        [PSHashtable([("Name", "x")])],
        ["", "Name                           Value", "----                           -----", "Name                           x", ""],
    ),
    # output.md §4: a hashtable value holding an array
    (
        [PSHashtable([("Add", ["10.0.0.5", "10.0.0.6"])])],
        ["", "Name                           Value", "----                           -----",
         "Add                            {10.0.0.5, 10.0.0.6}", ""],
    ),
    # output.md §7 scalars
    (["a"], ["a"]),
    ([1, 2], ["1", "2"]),
    ([True], ["True"]),
    ([""], [""]),
]


@pytest.mark.parametrize("objects, expected", CASES)
def test_out_default_layout_matches_powershell(objects, expected):
    assert format_objects(objects) == expected


@pytest.mark.parametrize("objects", [[None], [[]], [], [None, None], [[None]]])
def test_null_and_empty_collections_print_nothing(objects):
    assert format_objects(objects) == []


def test_list_labels_padded_to_longest_label():
    o = PSObject([("double", 1234.56789), ("float", 9876.543), ("decimal", "4567.123456789"), ("x", 1), ("y", 2)])
    assert format_objects([o]) == [
        "", "double  : 1234.56789", "float   : 9876.543", "decimal : 4567.123456789", "x       : 1", "y       : 2", "",
    ]


def test_list_null_value_keeps_trailing_space_after_colon():
    o = obj(a=None, b="", c=3, d=4, e=5)
    lines = format_objects([o])
    assert lines[1] == "a : "
    assert lines[2] == "b : "


def test_list_objects_are_separated_by_exactly_one_blank_line():
    a = obj(a=1, b=2, c=3, d=4, e=5)
    assert format_objects([a, a]) == ["", "a : 1", "b : 2", "c : 3", "d : 4", "e : 5", "",
                                      "a : 1", "b : 2", "c : 3", "d : 4", "e : 5", ""]


def test_list_long_value_wraps_with_indented_continuation():
    o = obj(Name="x", Banner="word " * 10, c=1, d=2, e=3)
    lines = format_objects([o], width=30)
    # label width 6, value width 30 - 6 - 3 = 21
    assert lines[2] == "Banner : word word word word"
    assert lines[3] == "         word word word word"
    assert all(len(line) <= 30 for line in lines)


def test_list_embedded_newlines_start_indented_lines():
    o = obj(a="one\ntwo", b=1, c=2, d=3, e=4)
    assert format_objects([o])[1:3] == ["a : one", "    two"]


def test_table_lines_never_end_with_spaces():
    lines = format_objects([obj(a="x", b=None), obj(a="longer", b=None)])
    assert all(line == line.rstrip() for line in lines)
    assert lines[1] == "a      b"


def test_table_long_left_aligned_value_truncated_with_ellipsis_to_width():
    lines = format_objects([obj(a="x" * 50, b="y" * 100)], width=80)
    assert lines[3] == "x" * 50 + " " + "y" * 28 + "…"
    assert len(lines[3]) == 80


def test_table_right_aligned_last_column_truncated_at_the_start():
    lines = format_objects([obj(a="x" * 10, b=1234567890)], width=15)
    assert lines[3] == "xxxxxxxxxx …890"


def test_table_drops_rightmost_columns_that_cannot_fit():
    lines = format_objects([obj(a="x" * 10, b="y" * 10, c="zz")], width=12)
    # a (10) + separator leaves one character for b; c is dropped entirely
    assert lines[1] == "a          b"
    assert lines[2] == "-          -"
    assert lines[3] == "xxxxxxxxxx …"


def test_table_cell_with_newline_shows_first_line_and_ellipsis():
    lines = format_objects([obj(a="one\ntwo", b=1)])
    assert lines[1] == "a    b"
    assert lines[3] == "one… 1"


def test_table_doubles_use_two_decimals_ps73():
    lines = format_objects([obj(n=1234.56789)])
    assert lines[3] == "1234.57"


def test_mixed_scalar_after_table_is_written_between_rows():
    lines = format_objects([obj(a=1), "s", obj(a=2)])
    assert lines == ["", "a", "-", "1", "s", "2", ""]


def test_registered_view_picks_columns_and_widths():
    register_view("Test.Output.Widget", TableView((Column("Name", width=8), Column("Size", align="right", width=6))))
    w = PSObject([("Name", "w1"), ("Size", 10), ("Hidden", 1)], ["Test.Output.Widget"])
    assert format_objects([w]) == ["", "Name       Size", "----       ----", "w1           10", ""]


def test_registered_view_header_longer_than_width_wraps():
    register_view("Test.Output.Narrow", TableView((Column("LongLabel", width=4), Column("B"))))
    w = PSObject([("LongLabel", "ab"), ("B", "c")], ["Test.Output.Narrow"])
    assert format_objects([w]) == ["", "Long B", "Labe", "l", "---- -", "ab   c", ""]


def test_object_of_another_type_after_a_view_run_is_out_of_band_list():
    register_view("Test.Output.Gadget", TableView((Column("Name"),)))
    g = PSObject([("Name", "g")], ["Test.Output.Gadget"])
    other = obj(x=1)
    assert format_objects([g, other]) == ["", "Name", "----", "g", "", "x : 1", "", ""]


def test_registered_list_view():
    register_view("Test.Output.Listed", ListView(("B", Column("Upper A", lambda o: o.get("A").upper()))))
    o = PSObject([("A", "abc"), ("B", 1)], ["Test.Output.Listed"])
    assert format_objects([o]) == ["", "B       : 1", "Upper A : ABC", ""]


def test_nested_object_in_cell_uses_pscustomobject_tostring():
    lines = format_objects([obj(inner=obj(a=1, b=2))])
    assert lines[3] == "@{a=1; b=2}"


def test_width_of_host_limits_every_table_line():
    rows = [obj(a="a" * 30, b="b" * 30, c="c" * 30) for _ in range(3)]
    for width in (20, 40, 64, 91, 120):
        assert all(len(line) <= width for line in format_objects(rows, width))


def test_exchange_style_view_registered_by_type_name():
    register_view(
        "Test.Exchange.ReceiveConnector",
        TableView((Column("Identity"), Column("Bindings"), Column("Enabled"))),
    )
    rc = [
        PSObject([("Identity", "EX01\\Default EX01"), ("Bindings", ["[::]:2525", "0.0.0.0:2525"]), ("Enabled", True),
                  ("MaxMessageSize", "36 MB")], ["Test.Exchange.ReceiveConnector"]),
        PSObject([("Identity", "EX01\\Relay"), ("Bindings", ["0.0.0.0:25"]), ("Enabled", False)],
                 ["Test.Exchange.ReceiveConnector"]),
    ]
    assert format_objects(rc) == [
        "",
        "Identity          Bindings                  Enabled",
        "--------          --------                  -------",
        "EX01\\Default EX01 {[::]:2525, 0.0.0.0:2525} True",
        "EX01\\Relay        {0.0.0.0:25}              False",
        "",
    ]


def test_get_command_view_columns():
    cmd = PSObject(
        [("CommandType", "Cmdlet"), ("Name", "Get-Date"), ("Version", "0.1.0"), ("Source", "exshell")],
        ["System.Management.Automation.CmdletInfo"],
    )
    assert format_objects([cmd])[1] == "CommandType     Name" + " " * 47 + "Version    Source"
    assert format_objects([cmd])[3] == "Cmdlet          Get-Date" + " " * 43 + "0.1.0      exshell"


_cell = st.one_of(st.none(), st.integers(-10**6, 10**6), st.text(alphabet="ab \n", max_size=40), st.booleans(),
                  st.lists(st.integers(0, 9), max_size=6))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_cell, min_size=4, max_size=4), min_size=1, max_size=4), st.integers(min_value=8, max_value=120))
def test_any_table_fits_the_width_without_trailing_spaces(rows, width):
    objs = [PSObject(list(zip("abcd", r))) for r in rows]
    lines = format_objects(objs, width)
    assert lines[0] == "" and lines[-1] == ""
    assert all(len(line) <= width and line == line.rstrip() for line in lines)
