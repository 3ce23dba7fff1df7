"""Member access, methods, indexing (grammar.md §3.2, §4.6)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from exshell.errors import PSRuntimeError
from exshell.runtime.members import (
    get_index,
    get_member,
    get_static_member,
    invoke_method,
    invoke_static_method,
    property_names,
    set_index,
    set_member,
    type_names,
)
from exshell.runtime.values import PSHashtable, PSObject, to_string


@dataclasses.dataclass(frozen=True)
class Connector:
    name: str
    remote_ip_ranges: tuple[str, ...]

    def contains_ip(self, ip: str) -> bool:
        return ip in self.remote_ip_ranges


@dataclasses.dataclass
class Declared:
    __ps_properties__ = ("Identity", "RemoteIPRanges")
    identity: str
    remote_ip_ranges: list[str]


def _error(fn):
    with pytest.raises(PSRuntimeError) as info:
        fn()
    return info.value.record


def test_dataclass_fields_answer_pascal_case_names():
    rc = Connector("Relay", ("10.0.0.1",))
    assert get_member(rc, "RemoteIPRanges") == ("10.0.0.1",)
    assert get_member(rc, "NAME") == "Relay"
    assert get_member(rc, "Missing") is None
    assert property_names(rc) == ["Name", "RemoteIpRanges"]


def test_declared_ps_properties_give_display_names():
    d = Declared("x", ["1"])
    assert property_names(d) == ["Identity", "RemoteIPRanges"]
    assert get_member(d, "remoteipranges") == ["1"]
    set_member(d, "Identity", "y")
    assert d.identity == "y"


def test_frozen_dataclass_property_is_read_only():
    rc = Connector("Relay", ())
    assert "ReadOnly" in _error(lambda: set_member(rc, "Name", "x")).message


def test_member_access_enumeration_flattens_and_skips_missing():
    a = PSObject({"Name": "a", "Items": [1, 2]})
    b = PSObject({"Name": "b", "Items": [3]})
    assert get_member([a, b], "Name") == ["a", "b"]
    assert get_member([a, b], "Items") == [1, 2, 3]
    assert get_member([a, "text"], "Name") == "a"
    assert get_member([a, b], "Count") == 2
    assert get_member([], "Name") is None


def test_intrinsic_count_and_length():
    assert get_member(None, "Count") == 0
    assert get_member("abc", "Length") == 3
    assert get_member("abc", "Count") == 1
    assert get_member(5, "Count") == 1
    assert get_member(PSObject({"a": 1}), "Count") == 1
    assert get_member(None, "Name") is None


def test_hashtable_keys_win_over_properties():
    h = PSHashtable({"Add": ["10.0.0.5", "10.0.0.6"], "Count": 9})
    assert get_member(h, "add") == ["10.0.0.5", "10.0.0.6"]
    assert get_member(h, "Count") == 9
    h2 = PSHashtable({"a": 1, "B": 2})
    assert get_member(h2, "Count") == 2
    assert get_member(h2, "Keys") == ["a", "B"]
    assert get_member(h2, "Values") == [1, 2]


def test_set_member_on_psobject_and_hashtable():
    obj = PSObject({"Name": "a"})
    set_member(obj, "name", "b")
    assert obj.get("Name") == "b"
    h = PSHashtable()
    set_member(h, "New", 1)
    assert h["new"] == 1
    rec = _error(lambda: set_member(obj, "Missing", 1))
    assert rec.message == (
        "The property 'Missing' cannot be found on this object. Verify that the property exists and can be set."
    )
    assert rec.error_id == "PropertyNotFound"


@pytest.mark.parametrize(
    "obj, name, args, expected",
    [
        ("abc", "ToUpper", [], "ABC"),
        ("ABC", "tolower", [], "abc"),
        ("  a b ", "Trim", [], "a b"),
        ("xxaxx", "Trim", ["x"], "a"),
        ("xxa", "TrimStart", ["x"], "a"),
        ("axx", "TrimEnd", ["x"], "a"),
        ("a,b,c", "Split", [","], ["a", "b", "c"]),
        ("a,b;c", "Split", [[",", ";"]], ["a", "b", "c"]),
        ("a,,b", "Split", [",", "RemoveEmptyEntries"], ["a", "b"]),
        ("a b", "Split", [], ["a", "b"]),
        ("hello", "Replace", ["l", "L"], "heLLo"),
        ("hello", "Contains", ["ell"], True),
        ("hello", "Contains", ["ELL"], False),
        ("hello", "StartsWith", ["he"], True),
        ("hello", "EndsWith", ["LO", "OrdinalIgnoreCase"], True),
        ("hello", "IndexOf", ["l"], 2),
        ("hello", "LastIndexOf", ["l"], 3),
        ("hello", "IndexOf", ["z"], -1),
        ("hello", "Substring", [1], "ello"),
        ("hello", "Substring", [1, 2], "el"),
        ("7", "PadLeft", [3, "0"], "007"),
        ("a", "PadRight", [3], "a  "),
        ("ac", "Insert", [1, "b"], "abc"),
        ("abc", "Remove", [1, 1], "ac"),
        ("abc", "ToString", [], "abc"),
        ("abc", "Equals", ["abc"], True),
        ("a", "CompareTo", ["b"], -1),
        ([1, 2], "Contains", [2], True),
        (["a"], "Contains", ["A"], False),
        ([1, 2], "IndexOf", [2], 1),
        ([1, 2], "ToString", [], "System.Object[]"),
        (1234.5, "ToString", ["N0"], "1,235"),
        (5, "ToString", ["D3"], "005"),
        (5, "ToString", [], "5"),
        (5, "CompareTo", [7], -1),
        (5, "Equals", [5], True),
        (True, "ToString", [], "True"),
        (dt.datetime(2024, 1, 31), "AddDays", [1], dt.datetime(2024, 2, 1)),
        (dt.datetime(2024, 1, 31), "AddHours", [1.5], dt.datetime(2024, 1, 31, 1, 30)),
        (dt.datetime(2024, 1, 31), "AddMonths", [1], dt.datetime(2024, 2, 29)),
        (dt.datetime(2024, 1, 31, 9, 5), "ToString", ["yyyy-MM-dd HH:mm"], "2024-01-31 09:05"),
        (dt.datetime(2024, 1, 31, 9, 5), "ToString", [], "01/31/2024 09:05:00"),
        (Connector("R", ("1",)), "ContainsIp", ["1"], True),
    ],
)
def test_methods(obj, name, args, expected):
    assert invoke_method(obj, name, args) == expected


def test_hashtable_methods():
    h = PSHashtable({"a": 1})
    invoke_method(h, "Add", ["b", 2])
    assert invoke_method(h, "ContainsKey", ["B"]) is True
    assert invoke_method(h, "ContainsValue", [2]) is True
    invoke_method(h, "Remove", ["A"])
    assert list(h.keys()) == ["b"]
    entries = invoke_method(h, "GetEnumerator", [])
    assert [(e.get("Key"), e.get("Value")) for e in entries] == [("b", 2)]
    rec = _error(lambda: invoke_method(h, "Add", ["B", 3]))
    assert rec.message == (
        "Exception calling \"Add\" with \"2\" argument(s): \"Item has already been added. Key in dictionary: 'b'  "
        "Key being added: 'B'\""
    )
    invoke_method(h, "Clear", [])
    assert len(h) == 0


def test_psobject_attached_methods_and_gettype():
    obj = PSObject({"n": 2}, type_names=("Microsoft.Exchange.Thing", "System.Object"))
    obj.add_method("Double", lambda o, k=1: o.get("n") * 2 * k)
    assert invoke_method(obj, "double", []) == 4
    assert invoke_method(obj, "Double", [3]) == 12
    t = invoke_method(obj, "GetType", [])
    assert get_member(t, "FullName") == "Microsoft.Exchange.Thing"
    assert get_member(invoke_method("s", "GetType", []), "Name") == "String"
    assert to_string(invoke_method(5, "GetType", [])) == "System.Int32"


@pytest.mark.parametrize(
    "obj, name, message, error_id",
    [
        (None, "Foo", "You cannot call a method on a null-valued expression.", "InvokeMethodOnNull"),
        ("s", "NoSuchMethod",
         "Method invocation failed because [System.String] does not contain a method named 'NoSuchMethod'.",
         "MethodNotFound"),
        (PSObject(), "Foo",
         "Method invocation failed because [System.Management.Automation.PSCustomObject] does not contain a method "
         "named 'Foo'.", "MethodNotFound"),
        ([1], "Add", 'Exception calling "Add" with "0" argument(s): "Collection was of a fixed size."',
         "NotSupportedException"),
    ],
)
def test_method_errors(obj, name, message, error_id):
    rec = _error(lambda: invoke_method(obj, name, []))
    assert (rec.message, rec.error_id) == (message, error_id)


def test_substring_out_of_range_reports_the_dotnet_exception():
    rec = _error(lambda: invoke_method("abc", "Substring", [5]))
    assert rec.message == (
        'Exception calling "Substring" with "1" argument(s): "startIndex cannot be larger than length of string. '
        "(Parameter 'startIndex')\""
    )


def test_indexing():
    a = [1, 2, 3]
    assert get_index(a, -1) == 3
    assert get_index(a, 5) is None
    assert get_index(a, [0, 2]) == [1, 3]
    assert get_index(a, [0, 9]) == [1]
    assert get_index(a, "1") == 2
    assert get_index("abc", 1) == "b"
    assert get_index("abc", -1) == "c"
    assert get_index(5, 0) == 5
    assert get_index(5, 1) is None
    h = PSHashtable({"Display Name": "x"})
    assert get_index(h, "display name") == "x"
    assert get_index(h, "nope") is None
    rec = _error(lambda: get_index(None, 0))
    assert (rec.message, rec.error_id) == ("Cannot index into a null array.", "NullArray")


def test_index_assignment():
    a = [1, 2, 3]
    set_index(a, -1, 9)
    assert a == [1, 2, 9]
    h = PSHashtable()
    set_index(h, "k", 1)
    assert h["K"] == 1
    rec = _error(lambda: set_index(a, 5, 0))
    assert rec.message == "Array assignment failed because index '5' was out of range."
    assert _error(lambda: set_index(None, 0, 1)).error_id == "NullArray"


def test_static_members():
    assert get_static_member("int", "MaxValue") == 2147483647
    assert get_static_member("[System.Int64]", "MinValue") == -(2**63)
    assert get_static_member("string", "Empty") == ""
    assert isinstance(get_static_member("datetime", "Now"), dt.datetime)
    assert get_static_member("int", "NoSuch") is None
    assert isinstance(get_static_member("Environment", "MachineName"), str)
    rec = _error(lambda: get_static_member("nosuch", "X"))
    assert (rec.message, rec.error_id) == ("Unable to find type [nosuch].", "TypeNotFound")


@pytest.mark.parametrize(
    "type_name, name, args, expected",
    [
        ("string", "IsNullOrEmpty", [""], True),
        ("string", "IsNullOrEmpty", [None], True),
        ("string", "IsNullOrEmpty", ["a"], False),
        ("string", "IsNullOrWhiteSpace", [" "], True),
        ("string", "Join", [", ", ["a", "b"]], "a, b"),
        ("string", "Format", ["{0}-{1}", "a", "b"], "a-b"),
        ("math", "Round", [2.5], 2.0),
        ("math", "Round", [3.5], 4.0),
        ("math", "Round", [1.2345, 2], 1.23),
        ("math", "Max", [3, 7], 7),
        ("math", "Min", [3, 7], 3),
        ("math", "Floor", [2.7], 2.0),
        ("math", "Ceiling", [2.1], 3.0),
        ("datetime", "Parse", ["2024-01-31"], dt.datetime(2024, 1, 31)),
        ("int", "Parse", ["42"], 42),
        ("regex", "Escape", ["a.b*"], "a\\.b\\*"),
    ],
)
def test_static_methods(type_name, name, args, expected):
    assert invoke_static_method(type_name, name, args) == expected


def test_new_guid_is_a_guid_string():
    import uuid

    g = invoke_static_method("guid", "NewGuid", [])
    assert str(uuid.UUID(g)) == g


def test_unknown_static_method():
    rec = _error(lambda: invoke_static_method("string", "Nope", []))
    assert rec.message == "Method invocation failed because [System.String] does not contain a method named 'Nope'."


def test_type_names_most_specific_first():
    assert type_names(5) == ["System.Int32", "System.ValueType", "System.Object"]
    assert type_names([1]) == ["System.Object[]", "System.Array", "System.Object"]
    obj = PSObject(type_names=("A.B", "System.Object"))
    assert type_names(obj) == ["A.B", "System.Object"]


def test_property_names_for_display():
    assert property_names(PSObject({"b": 1, "a": 2})) == ["b", "a"]
    assert property_names(PSHashtable({"a": 1})) == []
    assert property_names(5) == []
    assert "Year" in property_names(dt.datetime(2024, 1, 1))


def test_datetime_and_timespan_properties():
    d = dt.datetime(2024, 1, 31, 10, 5, 7)
    assert get_member(d, "Year") == 2024
    assert get_member(d, "DayOfWeek") == "Wednesday"
    assert get_member(d, "Date") == dt.datetime(2024, 1, 31)
    td = dt.timedelta(hours=1, minutes=30)
    assert get_member(td, "TotalMinutes") == 90.0
    assert get_member(td, "Hours") == 1


def test_member_enumeration_keeps_null_values_of_existing_members():
    a = PSObject({"Name": "a"})
    b = PSObject({"Name": None})
    assert get_member([a, b, 5], "Name") == ["a", None]


def test_gettype_result_equals_the_type_literal():
    from exshell.runtime.operators import binary_op

    assert binary_op("-eq", invoke_method("s", "GetType", []), "string") is True
    assert binary_op("-eq", invoke_method(1, "GetType", []), "string") is False
