"""Value rules: truth (grammar.md §4.4), string conversion (output.md §4), enumeration, type names."""

from __future__ import annotations

import datetime as dt
import decimal
import enum

import pytest

from exshell.lang.ast import ScriptBlock, StatementBlock
from exshell.lang.position import Source, Span
from exshell.runtime.values import (
    PSHashtable,
    PSObject,
    ScriptBlockValue,
    composite_format,
    enumerate_value,
    format_double,
    format_enumerable,
    format_number,
    is_true,
    to_string,
    type_name,
)


class Color(enum.Enum):
    Red = 0
    Green = 1


class Perm(enum.Flag):
    A = 1
    B = 2
    C = 4


def _block(text: str) -> ScriptBlock:
    span = Span(Source.of(text), 0, len(text))
    return ScriptBlock(span, StatementBlock(span, ()), text=text)


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, False),
        (0, False),
        (0.0, False),
        (decimal.Decimal(0), False),
        ("", False),
        (False, False),
        ([], False),
        ([0], False),
        ([""], False),
        ([0, 0], True),
        ("False", True),
        ("0", True),
        (" ", True),
        (PSHashtable(), True),
        (PSObject(), True),
        (1, True),
        (-1.5, True),
        ([[]], False),
        (iter([1]), True),
    ],
)
def test_is_true_follows_the_boolean_conversion_table(value, expected):
    assert is_true(value) is expected


@pytest.mark.parametrize(
    "value, text",
    [
        (None, ""),
        (True, "True"),
        (False, "False"),
        (42, "42"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (1e20, "1E+20"),
        (1e15, "1E+15"),
        (123456789012345.0, "123456789012345"),
        (0.0001, "0.0001"),
        (1e-5, "1E-05"),
        (2.0, "2"),
        (-3.25, "-3.25"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (decimal.Decimal("1.50"), "1.50"),
        ([1, 2, 3], "1 2 3"),
        ([1, [2, 3]], "1 2 3"),
        (dt.datetime(2024, 1, 31, 10, 5, 7), "01/31/2024 10:05:07"),
        (Color.Green, "Green"),
        (Perm.A | Perm.C, "A, C"),
        (dt.timedelta(days=1, hours=2, minutes=3, seconds=4), "1.02:03:04"),
        (dt.timedelta(minutes=5), "00:05:00"),
    ],
)
def test_to_string_uses_powershell_invariant_forms(value, text):
    assert to_string(value) == text


def test_to_string_joins_arrays_with_ofs():
    assert to_string(["a", "b"], ofs=",") == "a,b"


def test_hashtable_string_is_its_type_name():
    assert to_string(PSHashtable({"a": 1})) == "System.Collections.Hashtable"
    assert str(PSHashtable(ordered=True)) == "System.Collections.Specialized.OrderedDictionary"


def test_pscustomobject_string_form_shows_properties_and_array_type():
    obj = PSObject({"a": 1, "b": "x", "c": [1, 2], "d": None})
    assert str(obj) == "@{a=1; b=x; c=System.Object[]; d=}"


def test_psobject_to_string_override_wins():
    assert str(PSObject({"a": 1}, to_string="Relay")) == "Relay"
    assert str(PSObject({"a": 1}, to_string=lambda o: f"<{o.get('a')}>")) == "<1>"


def test_psobject_properties_are_case_insensitive_and_keep_first_spelling():
    obj = PSObject([("Name", "a")])
    obj.set("NAME", "b")
    obj.set("Port", 25)
    assert obj.names() == ["Name", "Port"]
    assert obj.get("name") == "b"
    assert obj.has("PORT") and not obj.has("Other")
    assert obj.get("missing", 7) == 7
    assert obj.items() == [("Name", "b"), ("Port", 25)]


def test_psobject_copy_is_independent_and_equality_is_identity():
    obj = PSObject({"a": 1}, type_names=("T.Thing", "System.Object"))
    dup = obj.copy()
    dup.set("a", 2)
    assert obj.get("a") == 1
    assert dup.type_names == ["T.Thing", "System.Object"]
    assert obj != dup and obj == obj
    dup.type_names.insert(0, "Selected.T.Thing")
    assert obj.type_names[0] == "T.Thing"


def test_hashtable_keys_are_case_insensitive_and_ordered():
    h = PSHashtable()
    h["Add"] = 1
    h["b"] = 2
    h["ADD"] = 3
    assert list(h) == ["Add", "b"]
    assert h["add"] == 3
    assert "B" in h
    del h["ADD"]
    assert list(h.items()) == [("b", 2)]


def test_hashtable_distinguishes_int_and_string_keys():
    h = PSHashtable()
    h[1] = "int"
    h["1"] = "str"
    assert len(h) == 2 and h[1] == "int" and h["1"] == "str"


def test_scriptblock_value_shows_its_text():
    sb = ScriptBlockValue(_block(" $_.Name "))
    assert str(sb) == " $_.Name " and sb.text == " $_.Name "
    assert type_name(sb) == "System.Management.Automation.ScriptBlock"


@pytest.mark.parametrize(
    "value, expected",
    [
        ([1, 2], [1, 2]),
        ((1, 2), [1, 2]),
        (range(3), [0, 1, 2]),
        ("abc", None),
        (PSHashtable({"a": 1}), None),
        ({"a": 1}, None),
        (PSObject(), None),
        (5, None),
        (None, None),
        ({"a": 1}.values(), [1]),
    ],
)
def test_enumerate_value_unrolls_collections_only(value, expected):
    assert enumerate_value(value) == expected


def test_enumerate_value_consumes_generators():
    assert enumerate_value(x for x in (1, 2)) == [1, 2]


@pytest.mark.parametrize(
    "value, name",
    [
        ("s", "System.String"),
        (5, "System.Int32"),
        (2**31, "System.Int64"),
        (1.5, "System.Double"),
        (True, "System.Boolean"),
        ([1], "System.Object[]"),
        (PSHashtable(), "System.Collections.Hashtable"),
        (PSObject(), "System.Management.Automation.PSCustomObject"),
        (PSObject(type_names=("Microsoft.Exchange.X", "System.Object")), "Microsoft.Exchange.X"),
        (dt.datetime(2024, 1, 1), "System.DateTime"),
        (decimal.Decimal(1), "System.Decimal"),
    ],
)
def test_type_name_reports_dotnet_full_names(value, name):
    assert type_name(value) == name


@pytest.mark.parametrize(
    "value",
    [0.1, 1.5, 1e20, 1e-7, 123456.789, 2.0**60, 5e-324, 1.7976931348623157e308, 0.30000000000000004],
)
def test_format_double_round_trips(value):
    assert float(format_double(value)) == value
    assert float(format_double(-value)) == -value


@pytest.mark.parametrize(
    "fmt, args, text",
    [
        ("{0}", [1], "1"),
        ("{0,-10}|", ["ab"], "ab        |"),
        ("{0,5}", ["ab"], "   ab"),
        ("{0:N2}", [1234.5678], "1,234.57"),
        ("{0:N0}", [1234567], "1,234,567"),
        ("{0:D3}", [7], "007"),
        ("{0:X}", [255], "FF"),
        ("{0:x4}", [255], "00ff"),
        ("{{0}} {0}", [1], "{0} 1"),
        ("{0:F1}", [2.25], "2.3"),
        ("{0:P0}", [0.5], "50 %"),
        ("{0:0.00}", [3.14159], "3.14"),
        ("{0:#,##0}", [1234567], "1,234,567"),
        ("{0:000}", [5], "005"),
        ("{0:yyyy-MM-dd HH:mm:ss}", [dt.datetime(2024, 1, 31, 10, 5, 7)], "2024-01-31 10:05:07"),
        ("{1}{0}", ["a", "b"], "ba"),
        ("{0}", [None], ""),
    ],
)
def test_composite_format_matches_dotnet(fmt, args, text):
    assert composite_format(fmt, args) == text


def test_format_number_half_rounds_away_from_zero_on_exact_values():
    assert format_number(0.125, "N2") == "0.13"
    assert format_number(2.5, "N0") == "3"
    assert format_number(-0.001, "N2") == "0.00"


@pytest.mark.parametrize(
    "value, limit, text",
    [
        ([1, 2, 3, 4, 5], 4, "{1, 2, 3, 4…}"),
        ([1, 2, 3, 4], 4, "{1, 2, 3, 4}"),
        (["ms-Exch-SMTP-Accept-Any-Recipient"], 4, "{ms-Exch-SMTP-Accept-Any-Recipient}"),
        ([], 4, "{}"),
        ([None, "a"], 4, "{$null, a}"),
        ([1, 2, 3, 4, 5], -1, "{1, 2, 3, 4, 5}"),
    ],
)
def test_format_enumerable_shows_braces_and_enumeration_limit(value, limit, text):
    assert format_enumerable(value, limit) == text


def test_model_values_defining_bool_decide_their_truth():
    class Flags:
        def __init__(self, bits: int) -> None:
            self.bits = bits

        def __bool__(self) -> bool:
            return self.bits != 0

        def __iter__(self):
            return iter(())

    assert is_true(Flags(0)) is False
    assert is_true(Flags(2)) is True
    assert enumerate_value(Flags(2)) is None  # an iterable value type is still one value
