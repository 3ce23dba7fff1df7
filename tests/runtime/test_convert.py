"""Casts (grammar.md §4.7) and parameter coercion (binding.md §5, tests.md items 12, 35, 37, 38)."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from exshell.cmdlets.base import ACTION_PREFERENCE, ListModifier, ParamType, T
from exshell.errors import PSRuntimeError
from exshell.runtime.convert import (
    ConversionError,
    convert_for_parameter,
    convert_to,
    match_enum_name,
    parse_number,
    register_type,
)
from exshell.runtime.values import PSHashtable, PSObject


@pytest.mark.parametrize(
    "value, type_name, expected",
    [
        ("5", "int", 5),
        ("0x19", "[int]", 25),
        (" 10 ", "System.Int32", 10),
        ("1.0", "int", 1),
        (2.5, "int", 2),
        (3.5, "int", 4),
        ("", "int", 0),
        (None, "int", 0),
        (True, "int", 1),
        ("10MB", "long", 10485760),
        ("1.5", "double", 1.5),
        (7, "double", 7.0),
        ("1.50", "decimal", decimal.Decimal("1.50")),
        ("False", "bool", True),
        ("", "bool", False),
        ([0], "bool", False),
        ([0, 0], "bool", True),
        (PSHashtable(), "bool", True),
        ([1, 2, 3], "string", "1 2 3"),
        (None, "string", ""),
        (1.5, "string", "1.5"),
        ("a", "char", "a"),
        (65, "char", "A"),
        (5, "array", [5]),
        ((1, 2), "object[]", [1, 2]),
        ([1, "2"], "string[]", ["1", "2"]),
        (["1", "2"], "int[]", [1, 2]),
        ("7", "int[]", [7]),
        ("2024-01-31", "datetime", dt.datetime(2024, 1, 31)),
        ("01/31/2024 10:00", "datetime", dt.datetime(2024, 1, 31, 10, 0)),
        ("1.02:03:04", "timespan", dt.timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("10.0.0.1", "ipaddress", "10.0.0.1"),
        ("::1", "ipaddress", "::1"),
        (1, "void", None),
        (0, "switch", False),
    ],
)
def test_casts(value, type_name, expected):
    result = convert_to(value, type_name)
    assert result == expected
    assert type(result) is type(expected)


def test_pscustomobject_cast_keeps_hashtable_order():
    obj = convert_to(PSHashtable([("b", 1), ("a", 2)], ordered=True), "pscustomobject")
    assert isinstance(obj, PSObject) and obj.names() == ["b", "a"]


def test_hashtable_and_ordered_casts():
    h = PSHashtable({"a": 1})
    assert convert_to(h, "hashtable") is h
    o = convert_to(h, "ordered")
    assert o.ordered and list(o.items()) == [("a", 1)]


@pytest.mark.parametrize(
    "value, type_name, message",
    [
        ("file", "int",
         'Cannot convert value "file" to type "System.Int32". Error: "The input string \'file\' was not in a correct '
         'format."'),
        ("99999999999", "int",
         'Cannot convert value "99999999999" to type "System.Int32". Error: "Value was either too large or too small '
         'for an Int32."'),
        ("ab", "char",
         'Cannot convert value "ab" to type "System.Char". Error: "String must be exactly one character long."'),
        ("nope", "datetime",
         'Cannot convert value "nope" to type "System.DateTime". Error: "String \'nope\' was not recognized as a '
         'valid DateTime."'),
        ("10.0.0.300", "ipaddress",
         'Cannot convert value "10.0.0.300" to type "System.Net.IPAddress". Error: "An invalid IP address was '
         'specified."'),
        (PSHashtable(), "int",
         'Cannot convert the "System.Collections.Hashtable" value of type "System.Collections.Hashtable" to type '
         '"System.Int32".'),
        ([1, 2], "int",
         'Cannot convert the "System.Object[]" value of type "System.Object[]" to type "System.Int32".'),
    ],
)
def test_cast_failures_have_powershell_messages(value, type_name, message):
    with pytest.raises(ConversionError) as info:
        convert_to(value, type_name)
    assert info.value.message == message
    assert isinstance(info.value, PSRuntimeError) and info.value.record.message == message


def test_unknown_type_is_type_not_found():
    with pytest.raises(PSRuntimeError) as info:
        convert_to(1, "[foo]")
    assert info.value.record.message == "Unable to find type [foo]."
    assert info.value.record.error_id == "TypeNotFound"


def test_registered_model_type_casts_and_reports_reason():
    def parse_size(v):
        text = str(v)
        if not text.endswith("MB"):
            raise ValueError("The value is not a valid size.")
        return int(text[:-2]) * 1024 * 1024

    register_type("Test.Exshell.Size", parse_size)
    assert convert_to("2MB", "[Test.Exshell.Size]") == 2 * 1024 * 1024
    assert convert_to("2MB", "Size") == 2 * 1024 * 1024
    with pytest.raises(ConversionError) as info:
        convert_to("x", "Test.Exshell.Size")
    assert info.value.message == 'Cannot convert value "x" to type "Test.Exshell.Size". Error: "The value is not a valid size."'


@pytest.mark.parametrize(
    "text, expected",
    [("42", 42), ("-7", -7), ("0x1F", 31), ("1e3", 1000.0), (".5", 0.5), ("1.5KB", 1536.0), ("5gb", 5368709120),
     ("abc", None), ("1 2", None), ("", 0)],
)
def test_parse_number_reads_powershell_numerals(text, expected):
    assert parse_number(text) == expected


# --------------------------------------------------------------------------- binding

PORT = T.INT
COLOR = T.enum("System.ConsoleColor", ("Black", "DarkBlue", "DarkGreen", "Red"))
AUTH = T.flags("Microsoft.Exchange.Data.AuthMechanisms",
               ("None", "Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer",
                "ExternalAuthoritative"))


@pytest.mark.parametrize(
    "value, ptype, token_text, expected",
    [
        ("abc", T.STRING, None, "abc"),
        (7, T.STRING, "007", "007"),
        (10485760, T.STRING, "10MB", "10MB"),
        (25, T.STRING, None, "25"),
        (True, T.STRING, None, "True"),
        (None, T.STRING, None, None),
        (PSObject({"a": 1}, to_string="Relay"), T.STRING, None, "Relay"),
        (["only"], T.STRING, None, "only"),
        ("25", PORT, None, 25),
        ("0x19", PORT, None, 25),
        (25, PORT, "25", 25),
        ("5000000000", T.LONG, None, 5000000000),
        ("1.5", T.DOUBLE, None, 1.5),
        (True, T.BOOL, None, True),
        (0, T.BOOL, None, False),
        (2, T.BOOL, None, True),
        (False, T.SWITCH, None, False),
        (0, T.SWITCH, None, False),
        ("10.0.0.5", T.STRINGS, None, ["10.0.0.5"]),
        (["10.0.0.5", "10.0.0.6"], T.STRINGS, None, ["10.0.0.5", "10.0.0.6"]),
        ([1, "2"], PORT.of_array(), None, [1, 2]),
        ([1, "a"], T.OBJECT, None, [1, "a"]),
        ("red", COLOR, None, "Red"),
        ("Red", COLOR, None, "Red"),
        ("1", COLOR, None, "DarkBlue"),
        ("darkb", COLOR, None, "DarkBlue"),
        ("silent", ACTION_PREFERENCE, None, "SilentlyContinue"),
        ("st", ACTION_PREFERENCE, None, "Stop"),
        ("Tls, ExternalAuthoritative", AUTH, None, ("Tls", "ExternalAuthoritative")),
        (["ExternalAuthoritative", "tls"], AUTH, None, ("Tls", "ExternalAuthoritative")),
        ("tls", AUTH, None, ("Tls",)),
        ("2024-01-31", T.DATETIME, None, dt.datetime(2024, 1, 31)),
        (PSHashtable({"a": 1}), T.HASHTABLE, None, None),
    ],
)
def test_convert_for_parameter_values(value, ptype, token_text, expected):
    result = convert_for_parameter(value, ptype, "X", token_text)
    if ptype is T.HASHTABLE:
        assert result is value
    else:
        assert result == expected


@pytest.mark.parametrize(
    "value, ptype, name, message, error_id",
    [
        ("abc", PORT, "Port",
         "Cannot bind parameter 'Port'. Cannot convert value \"abc\" to type \"System.Int32\". Error: \"The input "
         "string 'abc' was not in a correct format.\"", "CannotConvertArgumentNoMessage"),
        (["a", "b"], T.STRING, "Name",
         "Cannot convert 'System.Object[]' to the type 'System.String' required by parameter 'Name'. Specified "
         "method is not supported.", "CannotConvertArgument"),
        ("true", T.BOOL, "Enabled",
         "Cannot convert 'System.String' to the type 'System.Boolean' required by parameter 'Enabled'. ",
         "CannotConvertArgument"),
        ("s", ACTION_PREFERENCE, "ErrorAction",
         "Cannot bind parameter 'ErrorAction'. Cannot convert value \"s\" to type "
         "\"System.Management.Automation.ActionPreference\". Error: \"The identifier name s cannot be processed "
         "because it is either too similar or identical to the following enumerator names: SilentlyContinue, Stop, "
         "Suspend. Use a more specific identifier name.\"", "CannotConvertArgumentNoMessage"),
        ("Purple", COLOR, "ForegroundColor",
         "Cannot bind parameter 'ForegroundColor'. Cannot convert value \"Purple\" to type \"System.ConsoleColor\". "
         "Error: \"Unable to match the identifier name Purple to a valid enumerator name. Specify one of the "
         "following enumerator names and try again:\nBlack, DarkBlue, DarkGreen, Red\"",
         "CannotConvertArgumentNoMessage"),
        ("Red,Black", COLOR, "ForegroundColor",
         "Cannot bind parameter 'ForegroundColor'. Cannot convert value \"Red,Black\" to type \"System.ConsoleColor\" "
         "because no commas are allowed for this enumeration.", "CannotConvertArgumentNoMessage"),
        (["Red", "Black"], COLOR, "ForegroundColor",
         "Cannot bind parameter 'ForegroundColor'. Cannot convert value \"Red,Black\" to type \"System.ConsoleColor\" "
         "because no commas are allowed for this enumeration.", "CannotConvertArgumentNoMessage"),
        ("Tls, Bogus", AUTH, "AuthMechanism",
         "Cannot bind parameter 'AuthMechanism'. Cannot convert value \"Tls, Bogus\" to type "
         "\"Microsoft.Exchange.Data.AuthMechanisms\". Error: \"Unable to match the identifier name Bogus to a valid "
         "enumerator name. Specify one of the following enumerator names and try again:\nNone, Tls, Integrated, "
         "BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative\"", "CannotConvertArgumentNoMessage"),
        (["1", "x"], PORT.of_array(), "Ports",
         "Cannot bind parameter 'Ports'. Cannot convert value \"x\" to type \"System.Int32\". Error: \"The input "
         "string 'x' was not in a correct format.\"", "CannotConvertArgumentNoMessage"),
        ("x", T.SCRIPTBLOCK, "FilterScript",
         "Cannot bind parameter 'FilterScript'. Cannot convert the \"x\" value of type \"System.String\" to type "
         "\"System.Management.Automation.ScriptBlock\".", "CannotConvertArgumentNoMessage"),
        (PSHashtable(), PORT, "Port",
         "Cannot bind parameter 'Port'. Cannot convert the \"System.Collections.Hashtable\" value of type "
         "\"System.Collections.Hashtable\" to type \"System.Int32\".", "CannotConvertArgumentNoMessage"),
    ],
)
def test_binding_conversion_messages(value, ptype, name, message, error_id):
    with pytest.raises(ConversionError) as info:
        convert_for_parameter(value, ptype, name)
    assert info.value.message == message
    assert info.value.error_id == error_id


def _size(v):
    text = str(v)
    if not text.isdigit():
        raise ValueError("The value isn't a number.")
    return int(text)


SIZE = T.custom("Microsoft.Exchange.Data.ByteQuantifiedSize", _size)


def test_custom_type_converts_each_element_and_wraps_reason():
    assert convert_for_parameter("12", SIZE, "MaxMessageSize") == 12
    with pytest.raises(ConversionError) as info:
        convert_for_parameter("big", SIZE, "MaxMessageSize")
    assert info.value.message == (
        "Cannot bind parameter 'MaxMessageSize'. Cannot convert value \"big\" to type "
        "\"Microsoft.Exchange.Data.ByteQuantifiedSize\". Error: \"The value isn't a number.\""
    )
    arr = ParamType("custom", "Microsoft.Exchange.Data.ByteQuantifiedSize[]", array=True, convert=_size)
    assert convert_for_parameter(["1", "2"], arr, "Sizes") == [1, 2]


def test_multivalued_parameter_takes_a_list_modifier_hashtable():
    ptype = T.STRING.of_array(multivalued=True)
    mod = convert_for_parameter(PSHashtable({"Add": ["10.0.0.5", "10.0.0.6"], "remove": "10.0.0.1"}), ptype, "R")
    assert mod == ListModifier(add=("10.0.0.5", "10.0.0.6"), remove=("10.0.0.1",), replace=None)
    with pytest.raises(ConversionError) as info:
        convert_for_parameter(PSHashtable({"Bogus": 1}), ptype, "RemoteIPRanges")
    assert info.value.message == (
        "Cannot bind parameter 'RemoteIPRanges'. The following unknown list modifier was detected: 'Bogus'. "
        "Valid list modifiers are Add, Remove, and Replace."
    )


def test_enum_match_prefers_exact_then_case_insensitive_then_prefix():
    names = ("Stop", "stop2", "Continue")
    assert match_enum_name("Stop", names) == "Stop"
    assert match_enum_name("STOP", names) == "Stop"
    assert match_enum_name("cont", names) == "Continue"
    assert match_enum_name("2", names) == "Continue"


@pytest.mark.parametrize("type_name", ["hashtable", "ordered", "ipaddress", "string[]", "array", "scriptblock"])
def test_null_casts_to_reference_types_stay_null(type_name):
    assert convert_to(None, type_name) is None


def test_null_cast_to_datetime_is_an_error():
    with pytest.raises(ConversionError) as info:
        convert_to(None, "datetime")
    assert info.value.message == 'Cannot convert null to type "System.DateTime".'


EXCH_AUTH = T.flags("Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms",
                    ("None", "Tls", "Integrated", "BasicAuth"))


@pytest.mark.parametrize(
    "value, ptype, expected",
    [
        (0, EXCH_AUTH, ("None",)),
        (3, EXCH_AUTH, ("Tls", "Integrated")),
        (5, T.flags("X.F", ("A", "B", "C")), ("A", "C")),  # no None member: bit 0 is the first name
        ("None", EXCH_AUTH, ("None",)),
        ("None", T.flags("X.F", ("A", "B")), ()),
        ("basic", EXCH_AUTH, ("BasicAuth",)),
    ],
)
def test_flags_numbers_are_bit_masks_and_none_is_zero(value, ptype, expected):
    assert convert_for_parameter(value, ptype, "AuthMechanism") == expected
