"""Value → text (output.md §2.4, §2.7, §4), CSV parsing/writing (§5.8, §5.9) and JSON layout (§5.10)."""

from __future__ import annotations

import datetime as dt
import enum

import pytest
from hypothesis import given, settings, strategies as st

from exshell.output.cells import cell_text, collection_text, pad, scalar_text, truncate, wrap_text
from exshell.output.csvtext import CsvError, csv_lines, parse_records, records_to_objects
from exshell.output.jsontext import JsonWriter, parse_json
from exshell.runtime.values import PSHashtable, PSObject


class Color(enum.Enum):
    Red = 1
    Blue = 2


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, ""),
        (True, "True"),
        (42, "42"),
        ("text", "text"),
        (Color.Blue, "Blue"),
        ([1, 2, 3, 4, 5], "{1, 2, 3, 4…}"),
        ((), "{}"),
        (dt.datetime(2017, 6, 12, 15, 5, 46), "6/12/2017 3:05:46 PM"),
    ],
)
def test_cell_text_follows_formatting_tostring(value, expected):
    assert cell_text(value) == expected


def test_datetime_alone_uses_the_long_datetime_view():
    assert scalar_text(dt.datetime(2017, 6, 12, 15, 5, 46)) == "Monday, June 12, 2017 3:05:46 PM"


def test_unlimited_enumeration_limit_shows_every_element():
    assert collection_text(list(range(6)), limit=-1) == "{0, 1, 2, 3, 4, 5}"


@pytest.mark.parametrize(
    "text, width, align, expected",
    [("123456", 4, "left", "123…"), ("123456", 4, "right", "…456"), ("abc", 4, "left", "abc"), ("abc", 1, "left", "…")],
)
def test_truncate_puts_ellipsis_on_the_cut_side(text, width, align, expected):
    assert truncate(text, width, align) == expected


def test_pad_centre_splits_extra_space():
    assert pad("ab", 6, "center") == "  ab  "


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab \n", max_size=60), st.integers(min_value=1, max_value=12))
def test_wrap_never_exceeds_width_and_keeps_non_space_characters(text, width):
    lines = wrap_text(text, width)
    assert all(len(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "").replace("\n", "")


# --------------------------------------------------------------------------- CSV


def test_csv_quoted_values_hold_delimiters_newlines_and_doubled_quotes():
    text = 'a,b\n"x, y","line1\nline2"\n"say ""hi""",z\n'
    assert parse_records(text) == [["a", "b"], ["x, y", "line1\nline2"], ['say "hi"', "z"]]


def test_csv_blanks_around_values_trimmed_and_inner_quote_literal():
    assert parse_records('  a  ,\t"b"  ,c"d\n') == [["a", "b", 'c"d']]


def test_csv_blank_lines_skipped_and_empty_fields_kept():
    assert parse_records("a,b\n\n,\n") == [["a", "b"], ["", ""]]


def test_csv_missing_trailing_values_are_null_and_all_values_strings():
    objs, warned = records_to_objects("a,b,c\n1,,\n2\n")
    assert not warned
    assert objs[0].items() == [("a", "1"), ("b", ""), ("c", "")]
    assert objs[1].items() == [("a", "2"), ("b", None), ("c", None)]


def test_csv_type_line_sets_type_names_and_comments_skipped():
    objs, _ = records_to_objects("#TYPE My.Type\n# comment\nName\nx\n")
    assert objs[0].type_names[:2] == ["CSV:My.Type", "My.Type"]
    assert objs[0].get("Name") == "x"


def test_csv_empty_header_names_become_h_numbers_with_warning():
    objs, warned = records_to_objects("a,,\n1,2,3\n")
    assert warned
    assert objs[0].names() == ["a", "H1", "H2"]


def test_csv_duplicate_header_is_an_error():
    with pytest.raises(CsvError, match='The member "name" is already present.'):
        records_to_objects("Name,name\n1,2\n")


def test_csv_writing_quotes_always_by_default_and_nulls_stay_empty():
    o = PSObject([("first", 'Double quote " in the middle.'), ("n", None), ("arr", [1, 2])])
    assert csv_lines([o]) == ['"first","n","arr"', '"Double quote "" in the middle.",,"System.Object[]"']


def test_csv_as_needed_quotes_only_special_values():
    o = PSObject([("a", "x,y"), ("b", "plain")])
    assert csv_lines([o], quotes="AsNeeded") == ["a,b", '"x,y",plain']


def test_csv_later_objects_use_first_objects_columns():
    rows = [PSObject([("a", 1)]), PSObject([("b", 2), ("a", 3)])]
    assert csv_lines(rows) == ['"a"', '"1"', '"3"']


def test_csv_hashtable_input_uses_keys_as_columns():
    assert csv_lines([PSHashtable([("k", "v")])]) == ['"k"', '"v"']


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet='ab ,"\n', max_size=8), min_size=1, max_size=4))
def test_csv_write_then_parse_round_trips_values(values):
    names = [f"c{i}" for i in range(len(values))]
    o = PSObject(list(zip(names, values)))
    objs, _ = records_to_objects("\n".join(csv_lines([o])) + "\n")
    # PowerShell trims blanks after a closing quote but never inside quotes; leading blanks inside quotes stay.
    assert [v for _, v in objs[0].items()] == values


# --------------------------------------------------------------------------- JSON


def test_json_layout_two_space_indent_arrays_one_per_line():
    o = PSObject([("Name", "Relay"), ("Ports", [25, 587])])
    assert JsonWriter().dumps(o) == '{\n  "Name": "Relay",\n  "Ports": [\n    25,\n    587\n  ]\n}'


def test_json_depth_replaces_deeper_levels_with_tostring():
    h = PSHashtable([("a", PSHashtable([("b", PSHashtable([("c", PSHashtable([("d", 1)]))]))]))])
    w = JsonWriter(depth=2, compress=True)
    assert w.dumps(h) == '{"a":{"b":{"c":"System.Collections.Hashtable"}}}'
    assert w.truncated


def test_json_scalars_enums_and_empty_containers():
    w = JsonWriter(compress=True)
    assert w.dumps([None, True, 1.5, Color.Red, "é", [], PSHashtable()]) == '[null,true,1.5,1,"é",[],{}]'
    assert JsonWriter(compress=True, enums_as_strings=True).dumps(Color.Red) == '"Red"'


def test_parse_json_keeps_property_order():
    o = parse_json('{"b": 1, "a": [1, {"c": null}]}')
    assert o.names() == ["b", "a"]
    assert o.get("a")[1].get("c") is None
