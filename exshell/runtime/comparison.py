"""Equality and ordering (grammar.md §4.4): `-eq`/`-ne`/`-gt`/`-ge`/`-lt`/`-le` on scalars, `equals` and
`compare_values` (LanguagePrimitives.Equals/Compare: the RHS converted to the LHS's type, invariant-culture
string ordering), plus the small helpers the other operator modules share (`_error`, `_is_num`, the
Int32/Int64 ranges).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
from typing import Any

from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.runtime.convert import (
    ConversionError,
    TypeInfo,
    resolve_type,
    to_datetime,
    to_decimal,
    to_double,
    to_integer,
)
from exshell.runtime.properties import exchange_members
from exshell.runtime.values import PSHashtable, PSObject, ScriptBlockValue, is_true, to_string, type_name


def exchange_coerce(a: Any, b: Any) -> Any:
    from exshell.runtime.exchange_members import coerce  # loaded with the model's value types, on first use

    return coerce(a, b)


_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def _error(message: str, error_id: str, category: str = Category.InvalidOperation,
           exception_type: str = "RuntimeException") -> PSRuntimeError:
    return PSRuntimeError(ErrorRecord(message, error_id, category, exception_type=exception_type))


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)


# --------------------------------------------------------------------------- string ordering


def _compare_strings(a: str, b: str, case_sensitive: bool) -> int:
    """Invariant-culture ordering: letters compare ignoring case first; with case sensitivity a tie is broken
    by the first differing character, lower case first (`'macOS' -clt 'MacOS'`)."""
    la, lb = a.lower(), b.lower()
    if la != lb:
        return -1 if la < lb else 1
    if not case_sensitive or a == b:
        return 0
    for x, y in zip(a, b):
        if x != y:
            if x.islower() and not y.islower():
                return -1
            if y.islower() and not x.islower():
                return 1
            return -1 if x < y else 1
    return (len(a) > len(b)) - (len(a) < len(b))


def _str_eq(a: str, b: str, case_sensitive: bool) -> bool:
    return a == b if case_sensitive else a.lower() == b.lower()


# --------------------------------------------------------------------------- equality and ordering


class _NoConvert(Exception):
    def __init__(self, inner: str) -> None:
        super().__init__(inner)
        self.inner = inner


def _rhs_as_lhs_type(a: Any, b: Any) -> Any:
    """Convert b to a's type (LanguagePrimitives.ConvertTo(b, a.GetType())); _NoConvert on failure."""
    try:
        if isinstance(a, bool):
            return is_true(b)
        if isinstance(a, int):
            if _is_num(b):
                return b
            return to_integer(b, type_name(a) if _INT64[0] <= a <= _INT64[1] else "System.Int64")
        if isinstance(a, float):
            return b if _is_num(b) else to_double(b)
        if isinstance(a, decimal.Decimal):
            if _is_num(b):
                return b

            return to_decimal(b)
        if isinstance(a, _dt.datetime):
            return to_datetime(b)
    except ConversionError as e:
        raise _NoConvert(e.message) from None
    return _coerce_foreign(a, b)


def _coerce_foreign(a: Any, b: Any) -> Any:
    """A model value (size, time span, IP range) compared with text: PowerShell converts the RHS through the
    LHS type's Parse(string) (LanguagePrimitives' Parse fallback); our model types spell it `parse`."""
    if type(a) is type(b) or not isinstance(b, (str, int, float)) or isinstance(a, (str, PSObject, PSHashtable)):
        return b
    parse = getattr(type(a), "parse", None)
    if not callable(parse):
        return b
    try:
        return parse(b)
    except (ValueError, TypeError, LookupError, PSRuntimeError) as e:
        raise _NoConvert(f'Cannot convert value "{to_string(b)}" to type "{type_name(a)}". Error: "{e}"') from None


def equals(a: Any, b: Any, case_sensitive: bool = False) -> bool:
    """Scalar `a -eq b` (LanguagePrimitives.Equals): the RHS is converted to the LHS's type; failed conversion
    means unequal."""
    if a is None:
        return b is None
    if b is None:
        return False
    if isinstance(a, str):
        if isinstance(b, str):
            return _str_eq(a, b, case_sensitive)
        if isinstance(b, (PSObject, PSHashtable)):
            return False
        return _str_eq(a, to_string(b), case_sensitive)
    if isinstance(a, enum.Enum):
        if isinstance(b, enum.Enum):
            return a == b
        if isinstance(b, str):
            return _str_eq(to_string(a), b, False)
        return _is_num(b) and a.value == b
    if isinstance(a, (bool, int, float, decimal.Decimal, _dt.datetime)):
        if isinstance(b, (PSObject, PSHashtable, ScriptBlockValue)):
            return False
        try:
            bb = _rhs_as_lhs_type(a, b)
        except _NoConvert:
            return False
        if isinstance(a, bool):
            return a == bb
        if isinstance(bb, bool):
            bb = int(bb)
        if isinstance(a, _dt.datetime) or _is_num(bb):
            try:
                return bool(a == bb)
            except TypeError:
                return False
        return False
    if isinstance(a, (PSObject, PSHashtable, ScriptBlockValue, list)):
        return a is b
    if isinstance(a, TypeInfo):
        # `$x.GetType() -eq [string]`: type objects are equal when they name the same type
        other, _ = _type_info(b)
        return other is not None and other.full_name.lower() == a.full_name.lower()
    table = exchange_members(a)
    if table is not None and table.equals is not None:
        # Exchange value types: the RHS goes through the type's Parse, then the type's Equals
        # (`$rc.RemoteIPRanges -contains "10.0.0.5"` finds the range 10.0.0.5/32).
        return table.equals(a, b)
    try:
        if a == b:
            return True
        if a == _coerce_foreign(a, b):
            return True
    except _NoConvert:
        pass
    except Exception:  # noqa: BLE001 - a foreign __eq__ must not leak a traceback
        return False
    if isinstance(b, str):
        # model values (IP ranges, sizes) compare to their display text, as .NET would convert the string
        return _str_eq(to_string(a), b, case_sensitive)
    return False


def _compare_strict(a: Any, b: Any, case_sensitive: bool) -> int:
    """LanguagePrimitives.Compare; raises _NoConvert when b cannot become a's type."""
    if a is None and b is None:
        return 0
    if a is None or b is None:
        # $null sorts before everything except negative numbers (LanguagePrimitives.Compare)
        other = b if a is None else a
        null_first = -1 if not (_is_num(other) and other < 0) else 1
        return null_first if a is None else -null_first
    if isinstance(a, str):
        return _compare_strings(a, to_string(b), case_sensitive)
    if isinstance(a, (bool, int, float, decimal.Decimal, _dt.datetime)):
        bb = _rhs_as_lhs_type(a, b)
        x: Any
        y: Any
        if isinstance(a, bool):
            x, y = int(a), int(bb)
        elif isinstance(a, _dt.datetime):
            x, y = a, bb
        else:
            x, y = a, bb
            if isinstance(y, bool):
                y = int(y)
            if not _is_num(y):
                raise _NoConvert(
                    f'Cannot convert the "{to_string(b)}" value of type "{type_name(b)}" to type "{type_name(a)}".'
                )
        try:
            return (x > y) - (x < y)
        except TypeError:
            raise _NoConvert(f'Cannot convert value "{to_string(b)}" to type "{type_name(a)}".') from None
    if isinstance(a, enum.Enum) and isinstance(b, enum.Enum) and isinstance(a.value, int):
        return (a.value > b.value) - (a.value < b.value)
    table = exchange_members(a)
    if table is not None and table.order is not None:
        try:
            other = exchange_coerce(a, b)
        except (ValueError, TypeError) as e:
            raise _NoConvert(f'Cannot convert value "{to_string(b)}" to type "{type_name(a)}". Error: "{e}"') from None
        if type(other) is type(a):
            ka, kb = table.order(a), table.order(other)
            return (ka > kb) - (ka < kb)
    if not isinstance(a, (PSObject, PSHashtable, ScriptBlockValue, list)):
        bb = _coerce_foreign(a, b)
        try:
            if type(a) is type(bb):
                return (a > bb) - (a < bb)
        except TypeError:
            pass
    return _compare_strings(to_string(a), to_string(b), case_sensitive)


def compare_values(a: Any, b: Any, case_sensitive: bool = False) -> int:
    """-1/0/1 ordering for Sort-Object; values that cannot be compared fall back to their text."""
    try:
        return _compare_strict(a, b, case_sensitive)
    except _NoConvert:
        return _compare_strings(to_string(a), to_string(b), case_sensitive)


def _ordered(op: str, a: Any, b: Any, cs: bool) -> bool:
    try:
        c = _compare_strict(a, b, cs)
    except _NoConvert as e:
        raise _error(
            f'Could not compare "{to_string(a)}" to "{to_string(b)}". Error: "{e.inner}"',
            "ComparisonFailure",
            Category.NotSpecified,
        ) from None
    return {"gt": c > 0, "ge": c >= 0, "lt": c < 0, "le": c <= 0}[op]


def _type_info(rhs: Any) -> tuple[TypeInfo | None, str]:
    if isinstance(rhs, TypeInfo):
        return rhs, rhs.full_name
    name = getattr(rhs, "full_name", None) or getattr(rhs, "FullName", None)
    text = name if isinstance(name, str) else to_string(rhs)
    return resolve_type(text), text
