"""Arithmetic, ranges and bitwise operators (grammar.md §4.2, §4.5): `+ - * / %` with PowerShell's numeric
widening (Int32 → Int64 → Decimal/Double), string/array/hashtable addition and multiplication,
`op_Addition`-style methods on model values, `a..b` ranges, and `-band -bor -bxor -shl -shr` with .NET's
wrap-around.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import math
from typing import Any

from exshell.errors import Category, PSRuntimeError
from exshell.runtime.comparison import _INT32, _INT64, _error, _is_num
from exshell.runtime.convert import ConversionError, parse_number, to_integer
from exshell.runtime.limits import check_collection_length, check_string_length
from exshell.runtime.values import (
    PSHashtable,
    PSObject,
    ScriptBlockValue,
    enumerate_value,
    to_string,
    type_name,
)


# --------------------------------------------------------------------------- arithmetic


_OP_METHOD = {"+": "op_Addition", "-": "op_Subtraction", "*": "op_Multiply", "/": "op_Division", "%": "op_Modulus"}


def _no_method(v: Any, op: str) -> PSRuntimeError:
    return _error(
        f"Method invocation failed because [{type_name(v)}] does not contain a method named '{_OP_METHOD[op]}'.",
        "MethodNotFound",
    )


def _not_defined(a: Any, op: str, b: Any) -> PSRuntimeError:
    return _error(
        f"The operation '[{type_name(a)}] {op} [{type_name(b)}]' is not defined.", "OperatorNotDefined"
    )


def _to_number(v: Any, target: str) -> int | float | decimal.Decimal:
    """An arithmetic operand: strings parse as numbers (`'10' - '2'` → 8); others by type."""
    if v is None:
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, enum.Enum) and isinstance(v.value, int):
        return v.value
    if _is_num(v):
        return v
    if isinstance(v, str):
        n = parse_number(v)
        if n is None:
            raise ConversionError(
                f'Cannot convert value "{v}" to type "{target}". Error: "The input string \'{v}\' was not in a '
                f'correct format."',
                "InvalidCastFromStringToInteger",
            )
        return n
    items = enumerate_value(v)
    if items is not None and len(items) == 1:
        return _to_number(items[0], target)
    raise ConversionError(
        f'Cannot convert the "{_value_text(v)}" value of type "{type_name(v)}" to type "{target}".',
        "ConvertToFinalInvalidCastException",
    )


def _value_text(v: Any) -> str:
    return type_name(v) if enumerate_value(v) is not None else to_string(v)


def _num_target(v: Any) -> str:
    if isinstance(v, float):
        return "System.Double"
    if isinstance(v, decimal.Decimal):
        return "System.Decimal"
    if isinstance(v, int) and not isinstance(v, bool) and not _INT32[0] <= v <= _INT32[1]:
        return "System.Int64"
    return "System.Int32"


def _widen(result: Any, a: Any, b: Any) -> Any:
    """Integer results that overflow the operands' type become Double (grammar.md §4.5)."""
    if isinstance(result, int) and not isinstance(result, bool):
        limit = _INT32
        for x in (a, b):
            if isinstance(x, int) and not _INT32[0] <= x <= _INT32[1]:
                limit = _INT64
        if not limit[0] <= result <= limit[1]:
            if limit is _INT32 and _INT64[0] <= result <= _INT64[1]:
                return float(result)
            return float(result)
    return result


def _mix(a: Any, b: Any) -> tuple[Any, Any]:
    # Decimal with Double → Double, as .NET does
    if isinstance(a, decimal.Decimal) and isinstance(b, float):
        return float(a), b
    if isinstance(b, decimal.Decimal) and isinstance(a, float):
        return a, float(b)
    return a, b


def _numeric(op: str, a: Any, b: Any) -> Any:
    a, b = _mix(a, b)
    if op == "+":
        return _widen(a + b, a, b)
    if op == "-":
        return _widen(a - b, a, b)
    if op == "*":
        return _widen(a * b, a, b)
    if op == "/":
        if b == 0 and not isinstance(a, float) and not isinstance(b, float):
            raise _error("Attempted to divide by zero.", "RuntimeException", Category.NotSpecified)
        if b == 0:
            if a == 0 or (isinstance(a, float) and math.isnan(a)):
                return float("nan")
            return math.copysign(float("inf"), a) * math.copysign(1.0, b)
        if isinstance(a, int) and isinstance(b, int):
            q, r = divmod(a, b)
            if r == 0:
                return _widen(q, a, b)
            return a / b
        return a / b
    if op == "%":
        if b == 0 and not isinstance(a, float) and not isinstance(b, float):
            raise _error("Attempted to divide by zero.", "RuntimeException", Category.NotSpecified)
        if isinstance(a, int) and isinstance(b, int):
            # .NET remainder takes the dividend's sign
            r = abs(a) % abs(b)
            return -r if a < 0 else r
        if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
            return decimal.Decimal(a) % decimal.Decimal(b)
        return math.fmod(a, b)
    raise _error(f"Unknown operator '{op}'.", "OperatorNotDefined")


def _add(a: Any, b: Any) -> Any:
    if a is None:
        return list(b) if isinstance(b, list) else b
    if isinstance(a, str):
        text = to_string(b)
        check_string_length(len(a) + len(text))
        return a + text
    items = enumerate_value(a)
    if items is not None:
        more = enumerate_value(b)
        check_collection_length(len(items) + (len(more) if more is not None else 1))
        return list(items) + (list(more) if more is not None else [b])
    if isinstance(a, (PSHashtable, dict)):
        if not isinstance(b, (PSHashtable, dict)):
            raise _error("A hash table can only be added to another hash table.", "AddHashTableToNonHashTable")
        out = PSHashtable(a.items(), ordered=getattr(a, "ordered", False))
        for k, v in b.items():
            if k in out:
                first = out.original_key(k)
                raise _error(
                    f"Item has already been added. Key in dictionary: '{to_string(first)}'  Key being added: "
                    f"'{to_string(k)}'",
                    # a raw .NET exception: `OperationStopped: (:) [], ArgumentException`
                    "System.ArgumentException",
                    Category.OperationStopped,
                    "ArgumentException",
                )
            out[k] = v
        return out
    if isinstance(a, _dt.datetime):
        if isinstance(b, _dt.timedelta):
            return a + b
        if _is_num(b):
            return a + _dt.timedelta(microseconds=int(b) // 10)
        raise _no_method(a, "+")
    if isinstance(a, _dt.timedelta) and isinstance(b, (_dt.timedelta, _dt.datetime)):
        return a + b
    if isinstance(a, (bool, int, float, decimal.Decimal)) or (isinstance(a, enum.Enum) and isinstance(a.value, int)):
        return _numeric("+", _as_num(a), _to_number(b, _num_target(_as_num(a))))
    return _foreign(a, "+", b)


def _as_num(a: Any) -> Any:
    if isinstance(a, bool):
        return int(a)
    if isinstance(a, enum.Enum):
        return a.value
    return a


def _foreign(a: Any, op: str, b: Any) -> Any:
    """Model values (sizes, time spans) may define Python operators; otherwise .NET's op_X is missing."""
    import operator as pyop

    fn = {"+": pyop.add, "-": pyop.sub, "*": pyop.mul, "/": pyop.truediv, "%": pyop.mod}[op]
    try:
        result = fn(a, b)
    except Exception:  # noqa: BLE001 - a foreign operator failing means the operation is not defined
        result = NotImplemented
    if result is NotImplemented:
        raise _no_method(a, op)
    return result


def _arith(op: str, a: Any, b: Any) -> Any:
    if op == "+":
        return _add(a, b)
    if op == "*":
        if isinstance(a, str):
            n = _to_int_operand(b, "System.Int32")
            if n < 0:
                raise _error(
                    f'Cannot convert value "{to_string(b)}" to type "System.Int32".', "ArgumentOutOfRange"
                )
            check_string_length(len(a) * n)
            return a * n
        items = enumerate_value(a)
        if items is not None:
            times = max(0, _to_int_operand(b, "System.Int32"))
            check_collection_length(len(items) * times)
            return list(items) * times
        if isinstance(a, (PSHashtable, dict)):
            raise _no_method(a, op)
        if isinstance(a, bool) and isinstance(b, bool):
            raise _not_defined(a, op, b)
    if a is None:
        if op == "*":
            return None
        a = 0
    if isinstance(a, str):
        # `'10' - '2'`: a string LHS of a numeric-only operator is read as a number
        a = _to_number(a, "System.Int32")
    elif enumerate_value(a) is not None or isinstance(a, (PSHashtable, dict, PSObject, ScriptBlockValue)):
        raise _no_method(a, op)
    if isinstance(a, _dt.datetime) and op == "-":
        if isinstance(b, _dt.datetime):
            return a - b
        if isinstance(b, _dt.timedelta):
            return a - b
        raise _no_method(a, op)
    if isinstance(a, _dt.timedelta) and isinstance(b, _dt.timedelta) and op == "-":
        return a - b
    if isinstance(a, (bool, int, float, decimal.Decimal)) or (isinstance(a, enum.Enum) and isinstance(a.value, int)):
        na = _as_num(a)
        if isinstance(a, bool) and isinstance(b, bool) and op in ("/", "%"):
            raise _not_defined(a, op, b)
        if isinstance(b, (PSHashtable, PSObject, ScriptBlockValue, dict)) or enumerate_value(b) is not None:
            return _numeric(op, na, _to_number(b, _num_target(na)))
        return _numeric(op, na, _to_number(b, _num_target(na)))
    return _foreign(a, op, b)


def _to_int_operand(b: Any, target: str) -> int:
    return to_integer(b, target)


# --------------------------------------------------------------------------- range, bitwise


def make_range(a: Any, b: Any) -> list[Any]:
    """`a..b` inclusive, ascending or descending; single characters give a char range (PS 6+)."""
    if isinstance(a, str) and isinstance(b, str) and len(a) == 1 and len(b) == 1 and not (
        a.isdigit() and b.isdigit()
    ):
        x, y = ord(a), ord(b)
        step = 1 if y >= x else -1
        return [chr(c) for c in range(x, y + step, step)]
    x = to_integer(a, "System.Int32")
    y = to_integer(b, "System.Int32")
    check_collection_length(abs(y - x) + 1)
    step = 1 if y >= x else -1
    return list(range(x, y + step, step))


def _bit_operand(v: Any) -> int:
    if isinstance(v, enum.Enum) and isinstance(v.value, int):
        return v.value
    return to_integer(v, "System.Int64")


def _wrap(result: int, a: int, b: int | None = None) -> int:
    fits32 = _INT32[0] <= a <= _INT32[1] and (b is None or _INT32[0] <= b <= _INT32[1])
    bits = 32 if fits32 else 64
    result &= (1 << bits) - 1
    if result >= 1 << (bits - 1):
        result -= 1 << bits
    return result


def _bitwise(op: str, a: Any, b: Any) -> int:
    x, y = _bit_operand(a), _bit_operand(b)
    if op == "band":
        return x & y
    if op == "bor":
        return x | y
    if op == "bxor":
        return x ^ y
    fits32 = _INT32[0] <= x <= _INT32[1]
    shift = y & (31 if fits32 else 63)
    if op == "shl":
        return _wrap(x << shift, x)
    return x >> shift
