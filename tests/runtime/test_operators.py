"""Operator semantics (grammar.md §4.2–§4.5, tests.md B3/B4 items 18–29)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exshell.errors import PSRuntimeError
from exshell.runtime.operators import binary_op, compare_values, equals, unary_op
from exshell.runtime.values import PSHashtable, PSObject, is_true


@pytest.mark.parametrize(
    "op, left, right, expected",
    [
        # comparison: RHS converted to the LHS type (§4.2)
        ("-eq", 1, "1.0", True),
        ("-eq", "1.0", 1, False),
        ("-eq", 10, " 10", True),
        ("-eq", 10, "0xa", True),
        ("-eq", True, "false", True),
        ("-eq", "abc", "ABC", True),
        ("-ceq", "abc", "ABC", False),
        ("-ieq", "abc", "ABC", True),
        ("-ne", "abc", "abd", True),
        ("-lt", "aaa", "AAA", False),
        ("-gt", "aaa", "AAA", False),
        ("-clt", "aaa", "AAA", True),
        ("-clt", "macOS", "MacOS", True),
        ("-lt", "a", "B", True),
        ("-gt", 10, 9.5, True),
        ("-ge", 2, "2", True),
        ("-le", 3, 2, False),
        ("-eq", 1, "abc", False),
        # $null rules
        ("-eq", None, None, True),
        ("-eq", "", None, False),
        ("-eq", False, "", True),
        ("-lt", None, 1, True),
        ("-lt", None, 0, True),
        ("-lt", None, -1, False),
        ("-gt", 5, None, True),
        ("-eq", None, [1, None], False),
        # wildcards and regex
        ("-like", "ABC", "a*", True),
        ("-clike", "ABC", "a*", False),
        ("-like", "PowerShell", "shell", False),
        ("-like", "PowerShell", "Power[p-w]hell", True),
        ("-like", "f??", "f`?`?", True),
        ("-like", "for", "f`?`?", False),
        ("-notlike", "abc", "b*", True),
        ("-match", "PowerShell", "shell", True),
        ("-cmatch", "PowerShell", "shell", False),
        ("-notmatch", "abc", "^b", True),
        # containment
        ("-contains", [1, 2], 2, True),
        ("-in", 2, [1, 2], True),
        ("-contains", "Hello", "Hello", True),
        ("-ccontains", ["Hello", "world"], "hello", False),
        ("-contains", ["abc", "def", "ghi"], ["abc", "def"], False),
        ("-notcontains", [1, 2], 3, True),
        ("-notin", "x", ["a", "b"], True),
        ("-cin", "A", ["a"], False),
        # type tests
        ("-is", "a", "string", True),
        ("-is", 5, "[int]", True),
        ("-is", 5, "long", False),
        ("-is", 5.0, "double", True),
        ("-is", [1], "array", True),
        ("-is", PSHashtable(), "hashtable", True),
        ("-is", PSObject(), "pscustomobject", True),
        ("-isnot", None, "object", True),
        ("-is", PSObject(type_names=("Microsoft.Exchange.Thing", "System.Object")), "Microsoft.Exchange.Thing", True),
        ("-as", "5", "int", 5),
        ("-as", "x", "int", None),
        # logic and bits
        ("-and", 1, "", False),
        ("-or", 0, "x", True),
        ("-xor", True, False, True),
        ("-band", 6, 3, 2),
        ("-bor", 4, 1, 5),
        ("-bxor", 5, 1, 4),
        ("-shl", 1, 4, 16),
        ("-shl", 1, 31, -(2**31)),
        ("-shr", -16, 2, -4),
        ("??", None, 3, 3),
        ("??", 0, 3, 0),
        # arithmetic (§4.5)
        ("+", "file", 16, "file16"),
        ("+", "10", "2", "102"),
        ("-", "10", "2", 8),
        ("*", "10", 2, "1010"),
        ("-", False, True, -1),
        ("/", 5, 2, 2.5),
        ("/", 6, 3, 2),
        ("%", 7, 3, 1),
        ("%", -7, 3, -1),
        ("+", 3, 6 / 3 * 4, 11.0),
        ("+", 2147483647, 1, 2147483648.0),
        ("+", None, 5, 5),
        ("+", 1, "1.5", 2.5),
        ("+", 1, True, 2),
        ("*", [1, 2], 2, [1, 2, 1, 2]),
        ("+", [1, 2, 3], [4, 5, 6], [1, 2, 3, 4, 5, 6]),
        ("+", [], "a", ["a"]),
        ("+", [1], None, [1, None]),
        # ranges
        ("..", 1, 3, [1, 2, 3]),
        ("..", 5, 1, [5, 4, 3, 2, 1]),
        ("..", -1, 1, [-1, 0, 1]),
        ("..", "a", "e", ["a", "b", "c", "d", "e"]),
        ("..", "1", "3", [1, 2, 3]),
        # string operators
        ("-replace", "Hello World", ["(\\w+) (\\w+)", "$2 $1"], "World Hello"),
        ("-replace", "abc", "B", "ac"),
        ("-creplace", "abc", "B", "abc"),
        ("-replace", "john smith", ["(?<first>\\w+) (?<last>\\w+)", "${last}, ${first}"], "smith, john"),
        ("-replace", "a.b", ["\\.", "$$"], "a$b"),
        ("-replace", "abc", ["b", "[$0]"], "a[b]c"),
        ("-replace", "path", ["a", "\\"], "p\\th"),
        ("-split", "a,b,,c", ",", ["a", "b", "", "c"]),
        ("-split", "a,b,c", [",", 2], ["a", "b,c"]),
        ("-split", "aXbxc", "x", ["a", "b", "c"]),
        ("-csplit", "aXbxc", "x", ["aXb", "c"]),
        ("-split", "a.b", [".", 0, "SimpleMatch"], ["a", "b"]),
        ("-join", [1, 2, 3], ",", "1,2,3"),
        ("-join", "a", "-", "a"),
        ("-f", "{0}-{1}", ["a", 2], "a-2"),
        ("-f", "{0,-5}|", "ab", "ab   |"),
    ],
)
def test_binary_operator_results(op, left, right, expected):
    result = binary_op(op, left, right)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    "op, left, right, expected",
    [
        ("-eq", [1, 2, 3], 2, [2]),
        ("-eq", [1, 2, 3], 5, []),
        ("-ne", [1, None, 3], None, [1, 3]),
        ("-gt", [1, 5, 10], 4, [5, 10]),
        ("-like", ["ab", "cd", 12], "[ac1]*", ["ab", "cd", "12"]),
        ("-match", ["ab", "cd"], "b", ["ab"]),
        ("-notmatch", ["ab", "cd"], "b", ["cd"]),
        ("-replace", ["aa", "ba"], "a", ["", "b"]),
        ("-split", ["a b", "c"], " ", ["a", "b", "c"]),
    ],
)
def test_collection_lhs_filters(op, left, right, expected):
    assert binary_op(op, left, right) == expected


def test_filter_result_truth_follows_element_truth():
    # `if (@(0,1) -eq 0) {'y'} else {'n'}` → n (one falsy element)
    assert is_true(binary_op("-eq", [0, 1], 0)) is False
    assert is_true(binary_op("-eq", [1, 2, 3], 5)) is False


def test_match_sets_matches_with_whole_match_numbered_then_named_groups():
    seen: list[PSHashtable] = []
    assert binary_op("-match", "abc123", "(?<letters>[a-z]+)(\\d)", seen.append) is True
    m = seen[0]
    assert list(m.items()) == [(0, "abc1"), (1, "1"), ("letters", "abc")]


def test_match_on_a_collection_leaves_matches_alone():
    seen: list[PSHashtable] = []
    binary_op("-match", ["a", "b"], "a", seen.append)
    assert seen == []


def test_notmatch_records_matches_when_the_pattern_matches():
    seen: list[PSHashtable] = []
    assert binary_op("-notmatch", "abc", "b", seen.append) is False
    assert seen[0][0] == "b"


def test_failed_match_does_not_call_back():
    seen: list[PSHashtable] = []
    assert binary_op("-match", "abc", "z", seen.append) is False
    assert seen == []


def test_hashtable_addition_merges_into_a_new_table():
    a = PSHashtable({"a": 1})
    merged = binary_op("+", a, PSHashtable({"b": 2}))
    assert list(merged.items()) == [("a", 1), ("b", 2)]
    assert list(a.items()) == [("a", 1)]


def test_array_addition_builds_a_new_list():
    a = [1, 2, 3]
    b = binary_op("+", a, 4)
    assert b == [1, 2, 3, 4] and a == [1, 2, 3]


def test_datetime_arithmetic():
    d = dt.datetime(2024, 1, 31)
    assert binary_op("+", d, dt.timedelta(days=1)) == dt.datetime(2024, 2, 1)
    assert binary_op("-", dt.datetime(2024, 2, 1), d) == dt.timedelta(days=1)


@pytest.mark.parametrize(
    "op, left, right, message, error_id",
    [
        ("+", PSHashtable({"a": 1}), PSHashtable({"a": 2}),
         "Item has already been added. Key in dictionary: 'a'  Key being added: 'a'", "System.ArgumentException"),
        ("+", PSHashtable(), 1, "A hash table can only be added to another hash table.", "AddHashTableToNonHashTable"),
        ("+", 16, "file",
         'Cannot convert value "file" to type "System.Int32". Error: "The input string \'file\' was not in a '
         'correct format."', "InvalidCastFromStringToInteger"),
        ("-like", "a", "[abc", "The specified wildcard character pattern is not valid: [abc", "WildcardPatternException"),
        ("*", True, True, "The operation '[System.Boolean] * [System.Boolean]' is not defined.", "OperatorNotDefined"),
        ("/", 1, 0, "Attempted to divide by zero.", "RuntimeException"),
        ("%", 1, 0, "Attempted to divide by zero.", "RuntimeException"),
        ("-lt", 1, "abc",
         'Could not compare "1" to "abc". Error: "Cannot convert value "abc" to type "System.Int32". Error: "The '
         'input string \'abc\' was not in a correct format.""', "ComparisonFailure"),
        ("-", [1], 1, "Method invocation failed because [System.Object[]] does not contain a method named "
         "'op_Subtraction'.", "MethodNotFound"),
        ("-is", 1, "nosuchtype", "Unable to find type [nosuchtype].", "TypeNotFound"),
        ("-f", "{1}", ["a"], "Error formatting a string: Index (zero based) must be greater than or equal to zero and "
         "less than the size of the argument list..", "FormatError"),
        ("-match", "a", "(", "The regular expression pattern ( is not valid.", "InvalidRegularExpression"),
    ],
)
def test_operator_errors_carry_powershell_messages(op, left, right, message, error_id):
    with pytest.raises(PSRuntimeError) as info:
        binary_op(op, left, right)
    assert info.value.record.message == message
    assert info.value.record.error_id == error_id


def test_hashtable_merge_error_names_both_spellings():
    with pytest.raises(PSRuntimeError) as info:
        binary_op("+", PSHashtable({"c": 1}), PSHashtable({"C": 2}))
    assert info.value.record.message == "Item has already been added. Key in dictionary: 'c'  Key being added: 'C'"


@pytest.mark.parametrize(
    "op, value, expected",
    [
        ("-not", 10, False),
        ("!", [], True),
        ("-not", [0], True),
        ("-", 5, -5),
        ("-", "5", -5),
        ("-", "1.5", -1.5),
        ("+", "0x10", 16),
        ("-bnot", 0, -1),
        ("-split", "  a  b ", ["a", "b"]),
        ("-join", [1, 2], "12"),
    ],
)
def test_unary_operators(op, value, expected):
    assert unary_op(op, value) == expected


def test_not_binds_before_comparison_example():
    # `!$n -eq 10` with $n = 10 → ($false) -eq 10 → False
    assert binary_op("-eq", unary_op("-not", 10), 10) is False


def test_and_or_have_equal_precedence_example():
    # `$true -or $false -and $false` → ($true -or $false) -and $false
    assert binary_op("-and", binary_op("-or", True, False), False) is False
    assert binary_op("-and", binary_op("-gt", 2, 4), 1) is False


@pytest.mark.parametrize(
    "a, b, cs, expected",
    [
        ("a", "B", False, -1),
        ("B", "a", False, 1),
        ("abc", "ABC", False, 0),
        ("abc", "ABC", True, -1),
        (1, 2, False, -1),
        (2, "10", False, -1),
        (None, "a", False, -1),
        (None, -5, False, 1),
        ("10", 9, False, -1),  # string LHS: compares as text
        (dt.datetime(2024, 1, 1), "2024-02-01", False, -1),
        (PSObject({"a": 1}), 5, False, 1),  # incomparable → by text ('@{a=1}' vs '5')
    ],
)
def test_compare_values(a, b, cs, expected):
    assert compare_values(a, b, cs) == expected


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet="abcABC019 .-", max_size=5),
)


@settings(max_examples=200, deadline=None)
@given(_scalars, _scalars)
def test_equals_agrees_with_compare_for_same_type(a, b):
    if type(a) is type(b):
        assert equals(a, b) == (compare_values(a, b) == 0)


@settings(max_examples=200, deadline=None)
@given(_scalars, _scalars)
def test_compare_is_antisymmetric_for_same_type(a, b):
    if type(a) is type(b):
        assert compare_values(a, b) == -compare_values(b, a)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abAB", max_size=4), st.text(alphabet="abAB", max_size=4), st.text(alphabet="abAB", max_size=4))
def test_case_sensitive_string_order_is_transitive(a, b, c):
    if compare_values(a, b, True) <= 0 and compare_values(b, c, True) <= 0:
        assert compare_values(a, c, True) <= 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-5, 5), max_size=6), st.integers(-5, 5))
def test_filter_keeps_exactly_the_equal_elements(items, x):
    assert binary_op("-eq", items, x) == [i for i in items if i == x]
    assert binary_op("-contains", items, x) == (x in items)


@pytest.mark.parametrize(
    "text, pattern, expected",
    [
        ("abc\n", "abc\\z", False),
        ("abc\n", "abc\\Z", True),
        ("abc", "abc\\z", True),
        ("abba", "(?<x>b)\\k<x>", True),
        ("ab", "(?'x'a)b", True),
        ("a]", "[]a]+", True),
    ],
)
def test_dotnet_regex_syntax_is_translated(text, pattern, expected):
    assert binary_op("-match", text, pattern) is expected


class _Size:
    """A model-like value type: ordered, with a parse classmethod (as ByteQuantifiedSize)."""

    def __init__(self, n: int) -> None:
        self.n = n

    @classmethod
    def parse(cls, v):
        text = str(v)
        if not text.endswith("MB"):
            raise ValueError(f'"{text}" is not a valid size.')
        return cls(int(text[:-2]))

    def __eq__(self, other):
        return isinstance(other, _Size) and other.n == self.n

    def __lt__(self, other):
        return self.n < other.n

    def __gt__(self, other):
        return self.n > other.n

    def __str__(self):
        return f"{self.n} MB"


def test_model_values_compare_with_text_through_their_parse():
    ten = _Size(10)
    assert binary_op("-eq", ten, "10MB") is True
    assert binary_op("-gt", ten, "5MB") is True
    assert binary_op("-lt", ten, "5MB") is False
    assert binary_op("-eq", ten, "junk") is False
    assert binary_op("-eq", ten, "10 mb") is True  # the display text still matches
    with pytest.raises(PSRuntimeError) as info:
        binary_op("-gt", ten, "junk")
    assert info.value.record.error_id == "ComparisonFailure"
    assert compare_values(ten, _Size(3)) == 1
