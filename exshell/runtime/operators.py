"""PowerShell operator semantics (grammar.md §4.2–§4.5): comparison, matching, arithmetic, ranges, bitwise.

The LHS drives the operation: the RHS is converted to the LHS's type; a collection LHS makes comparison
operators filter. The evaluator short-circuits `-and`/`-or` and `??` itself; they are here for completeness.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import math
import re
from functools import lru_cache
from typing import Any, Callable

from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.runtime.convert import (
    ConversionError,
    TypeInfo,
    parse_number,
    registered_py_type,
    resolve_type,
    to_datetime,
    to_double,
    to_integer,
    type_not_found,
    convert_to,
)
from exshell.runtime.values import (
    FormatStringError,
    PSHashtable,
    PSObject,
    ScriptBlockValue,
    composite_format,
    enumerate_value,
    is_true,
    to_string,
    type_name,
)
from exshell.runtime.wildcard import WildcardPattern

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
            from exshell.runtime.convert import to_decimal

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
    if isinstance(a, (PSObject, PSHashtable, ScriptBlockValue)) or isinstance(a, list):
        return a is b
    if isinstance(a, TypeInfo):
        # `$x.GetType() -eq [string]`: type objects are equal when they name the same type
        other, _ = _type_info(b)
        return other is not None and other.full_name.lower() == a.full_name.lower()
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


# --------------------------------------------------------------------------- regex (.NET subset → re)


def translate_regex(pattern: str) -> str:
    """.NET syntax Python spells differently: `(?<name>…)`, `(?'name'…)`, `\\k<name>`."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            # .NET \z is the very end (Python's \Z); .NET \Z also allows one final newline
            if not in_class and pattern[i + 1] == "z":
                out.append("\\Z")
                i += 2
                continue
            if not in_class and pattern[i + 1] == "Z":
                out.append("(?=\\n?\\Z)")
                i += 2
                continue
            if not in_class and pattern.startswith("\\k<", i):
                j = pattern.find(">", i)
                if j > 0:
                    out.append(f"(?P={pattern[i + 3 : j]})")
                    i = j + 1
                    continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            # a ']' right after '[' or '[^' is a literal member
            if pattern.startswith("^", i + 1):
                out.append("^")
                i += 1
            if pattern.startswith("]", i + 1):
                out.append("\\]")
                i += 1
            i += 1
            continue
        if pattern.startswith("(?<", i) and i + 3 < n and pattern[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        if pattern.startswith("(?'", i):
            j = pattern.find("'", i + 3)
            if j > 0:
                out.append(f"(?P<{pattern[i + 3 : j]}>")
                i = j + 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


@lru_cache(maxsize=512)
def compile_regex(pattern: str, case_sensitive: bool = False) -> re.Pattern[str]:
    try:
        return re.compile(translate_regex(pattern), 0 if case_sensitive else re.IGNORECASE)
    except re.error:
        raise _error(
            f"The regular expression pattern {pattern} is not valid.", "InvalidRegularExpression",
            Category.InvalidOperation,
        ) from None


def matches_table(m: re.Match[str]) -> PSHashtable:
    """`$Matches`: key 0 is the whole match, then each group that took part (numbers, then names)."""
    h = PSHashtable()
    h[0] = m.group(0)
    names = {v: k for k, v in m.re.groupindex.items()}
    number = 0
    for i in range(1, (m.re.groups or 0) + 1):
        if i in names:
            continue
        # .NET numbers the unnamed groups first, then the named ones
        number += 1
        g = m.group(i)
        if g is not None:
            h[number] = g
    for name, i in m.re.groupindex.items():
        g = m.group(i)
        if g is not None:
            h[name] = g
    return h


def _dotnet_replacement(repl: str) -> Callable[[re.Match[str]], str]:
    """Regex.Replace substitutions: `$1`, `${name}`, `$0`/`$&`, `$$`; unknown groups stay literal."""
    parts: list[Any] = []
    i = 0
    n = len(repl)
    buf: list[str] = []
    while i < n:
        c = repl[i]
        if c == "$" and i + 1 < n:
            nxt = repl[i + 1]
            if nxt == "$":
                buf.append("$")
                i += 2
                continue
            if nxt == "&":
                parts.append("".join(buf)); buf = []  # noqa: E702
                parts.append(0)
                i += 2
                continue
            if nxt == "{":
                j = repl.find("}", i)
                if j > 0:
                    parts.append("".join(buf)); buf = []  # noqa: E702
                    name = repl[i + 2 : j]
                    parts.append(int(name) if name.isdigit() else ("name", name, repl[i : j + 1]))
                    i = j + 1
                    continue
            if nxt.isdigit():
                j = i + 1
                while j < n and repl[j].isdigit():
                    j += 1
                parts.append("".join(buf)); buf = []  # noqa: E702
                parts.append(("num", int(repl[i + 1 : j]), repl[i:j]))
                i = j
                continue
        buf.append(c)
        i += 1
    parts.append("".join(buf))

    def expand(m: re.Match[str]) -> str:
        out: list[str] = []
        for p in parts:
            if isinstance(p, str):
                out.append(p)
            elif isinstance(p, int):
                out.append(m.group(p) or "" if p <= (m.re.groups or 0) else f"${{{p}}}")
            else:
                kind, key, literal = p
                try:
                    out.append(m.group(key) or "")
                except IndexError:
                    out.append(literal)
        return "".join(out)

    return expand



def _regex_args(rhs: Any, op: str) -> list[Any]:
    items = enumerate_value(rhs)
    if items is None:
        return [rhs]
    if op == "replace" and len(items) > 2:
        raise _error(
            "The -replace operator allows only two elements to follow it, not " + str(len(items)) + ".",
            "BadReplaceArgument",
        )
    return list(items)


def _replace(value: Any, rhs: Any, cs: bool) -> str:
    args = _regex_args(rhs, "replace")
    pattern = to_string(args[0]) if args else ""
    repl = args[1] if len(args) > 1 else ""
    rx = compile_regex(pattern, cs)
    return rx.sub(_dotnet_replacement(to_string(repl)), to_string(value))


def _split_one(text: str, rhs: Any, cs: bool) -> list[str]:
    args = _regex_args(rhs, "split")
    pattern = to_string(args[0]) if args else " "
    maxc = to_integer(args[1]) if len(args) > 1 else 0
    options = to_string(args[2]).lower() if len(args) > 2 else ""
    if "simplematch" in options:
        rx = re.compile(re.escape(pattern), 0 if cs and "ignorecase" not in options else re.IGNORECASE)
    else:
        flags = 0
        if "multiline" in options:
            flags |= re.MULTILINE
        if "singleline" in options:
            flags |= re.DOTALL
        if "ignorecase" in options:
            cs = False
        rx = compile_regex(pattern, cs)
        if flags:
            rx = re.compile(rx.pattern, rx.flags | flags)
    if maxc < 0:
        # a negative count splits from the end (PS 7)
        pieces = rx.split(text)
        k = -maxc
        if len(pieces) <= k:
            return pieces
        head = text[: _nth_from_end_start(rx, text, k - 1)]
        return [head] + pieces[len(pieces) - (k - 1):]
    return rx.split(text, maxsplit=maxc - 1 if maxc > 0 else 0)


def _nth_from_end_start(rx: re.Pattern[str], text: str, k: int) -> int:
    ms = list(rx.finditer(text))
    return ms[-k].start() if k and len(ms) >= k else len(text)


# --------------------------------------------------------------------------- -is / -as


def _type_info(rhs: Any) -> tuple[TypeInfo | None, str]:
    if isinstance(rhs, TypeInfo):
        return rhs, rhs.full_name
    name = getattr(rhs, "full_name", None) or getattr(rhs, "FullName", None)
    text = name if isinstance(name, str) else to_string(rhs)
    return resolve_type(text), text


def is_instance(v: Any, rhs: Any) -> bool:
    """`v -is [type]`."""
    info, text = _type_info(rhs)
    if info is None:
        if isinstance(v, PSObject):
            low = text.strip().strip("[]").lower()
            if any(t.lower() == low or t.lower().rsplit(".", 1)[-1] == low for t in v.type_names):
                return False if v is None else True
            return False
        raise type_not_found(text)
    if v is None:
        return False
    k = info.key
    if k in ("object",):
        return True
    if k in ("psobject", "pscustomobject"):
        return isinstance(v, PSObject)
    if k == "int":
        return isinstance(v, int) and not isinstance(v, (bool, enum.Enum)) and _INT32[0] <= v <= _INT32[1]
    if k == "long":
        return isinstance(v, int) and not isinstance(v, (bool, enum.Enum)) and not _INT32[0] <= v <= _INT32[1]
    if k in ("double",):
        return isinstance(v, float)
    if k == "decimal":
        return isinstance(v, decimal.Decimal)
    if k == "string":
        return isinstance(v, str)
    if k == "bool":
        return isinstance(v, bool)
    if k == "char":
        return False  # a char is indistinguishable from a 1-length string; strings are the common case
    if k == "array":
        return isinstance(v, (list, tuple))
    if k == "typed_array":
        return isinstance(v, (list, tuple)) and info.element is not None and all(
            is_instance(e, info.element) for e in v
        )
    if k == "hashtable":
        return isinstance(v, PSHashtable) and not v.ordered
    if k == "ordered":
        return isinstance(v, PSHashtable) and v.ordered
    if k == "scriptblock":
        return isinstance(v, ScriptBlockValue)
    if k == "datetime":
        return isinstance(v, _dt.datetime)
    if k == "timespan":
        return isinstance(v, _dt.timedelta)
    if k == "registered":
        pt = registered_py_type(info.full_name)
        return pt is not None and isinstance(v, pt)
    if isinstance(v, PSObject):
        return any(t.lower() == info.full_name.lower() for t in v.type_names)
    return type_name(v).lower() == info.full_name.lower()


def as_type(v: Any, rhs: Any) -> Any:
    """`v -as [type]`: the conversion, or $null when it fails (an unknown type is still an error)."""
    info, text = _type_info(rhs)
    if info is None:
        if isinstance(v, PSObject) and is_instance(v, text):
            return v
        raise type_not_found(text)
    try:
        return convert_to(v, info.full_name if info.key != "typed_array" else info.full_name)
    except ConversionError:
        return None
    except PSRuntimeError:
        return None


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
        return a + to_string(b)
    items = enumerate_value(a)
    if items is not None:
        more = enumerate_value(b)
        return list(items) + (list(more) if more is not None else [b])
    if isinstance(a, PSHashtable) or isinstance(a, dict):
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
            return a * n
        items = enumerate_value(a)
        if items is not None:
            return list(items) * max(0, _to_int_operand(b, "System.Int32"))
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


_RANGE_LIMIT = 50_000_000


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
    if abs(y - x) + 1 > _RANGE_LIMIT:
        raise _error("The range is too large: the maximum number of elements is 50000000.", "RangeTooLarge")
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


# --------------------------------------------------------------------------- the dispatcher

_COMPARISON = frozenset(
    "eq ne gt ge lt le like notlike match notmatch contains notcontains in notin replace split".split()
)


def _parse_op(op: str) -> tuple[str, bool]:
    """'-ceq' → ('eq', True); '-ieq' / '-eq' → ('eq', False)."""
    name = op[1:] if op.startswith("-") and len(op) > 1 and op[1].isalpha() else op
    name = name.lower()
    if name in _COMPARISON:
        return name, False
    if name[:1] in ("c", "i") and name[1:] in _COMPARISON:
        return name[1:], name[0] == "c"
    return name, False


def _scalar_compare(name: str, a: Any, b: Any, cs: bool) -> bool:
    if name == "eq":
        return equals(a, b, cs)
    if name == "ne":
        return not equals(a, b, cs)
    return _ordered(name, a, b, cs)


def binary_op(
    op: str,
    left: Any,
    right: Any,
    on_matches: Callable[[PSHashtable], None] | None = None,
) -> Any:
    """Apply a binary operator as the parser spells it (`-eq`, `-cLike`, `+`, `..`, `-f`, ...)."""
    name, cs = _parse_op(op)
    try:
        return _binary(name, cs, left, right, on_matches, op)
    except FormatStringError as e:
        raise _error(f"Error formatting a string: {e}.", "FormatError", Category.InvalidOperation,
                     "FormatException") from None


def _binary(name: str, cs: bool, left: Any, right: Any, on_matches: Callable[[PSHashtable], None] | None,
            op: str) -> Any:
    if name in ("eq", "ne", "gt", "ge", "lt", "le"):
        items = enumerate_value(left)
        if items is not None:
            return [x for x in items if _scalar_compare(name, x, right, cs)]
        return _scalar_compare(name, left, right, cs)
    if name in ("like", "notlike"):
        wp = WildcardPattern(to_string(right), case_sensitive=cs)
        want = name == "like"
        items = enumerate_value(left)
        if items is not None:
            return [s for s in (to_string(x) for x in items) if wp.match(s) == want]
        return wp.match(to_string(left)) == want
    if name in ("match", "notmatch"):
        rx = compile_regex(to_string(right), cs)
        want = name == "match"
        items = enumerate_value(left)
        if items is not None:
            return [s for s in (to_string(x) for x in items) if (rx.search(s) is not None) == want]
        m = rx.search(to_string(left))
        if m is not None and on_matches is not None:
            on_matches(matches_table(m))
        return (m is not None) == want
    if name in ("contains", "notcontains"):
        items = enumerate_value(left)
        seq = items if items is not None else [left]
        found = any(equals(x, right, cs) for x in seq)
        return found if name == "contains" else not found
    if name in ("in", "notin"):
        items = enumerate_value(right)
        seq = items if items is not None else [right]
        found = any(equals(x, left, cs) for x in seq)
        return found if name == "in" else not found
    if name == "replace":
        items = enumerate_value(left)
        if items is not None:
            return [_replace(x, right, cs) for x in items]
        return _replace(left, right, cs)
    if name == "split":
        items = enumerate_value(left)
        if items is not None:
            out: list[str] = []
            for x in items:
                out.extend(_split_one(to_string(x), right, cs))
            return out
        return _split_one(to_string(left), right, cs)
    if name == "join":
        items = enumerate_value(left)
        seq = items if items is not None else ([] if left is None else [left])
        return to_string(right).join(to_string(x) for x in seq)
    if name == "is":
        return is_instance(left, right)
    if name == "isnot":
        return not is_instance(left, right)
    if name == "as":
        return as_type(left, right)
    if name == "and":
        return is_true(left) and is_true(right)
    if name == "or":
        return is_true(left) or is_true(right)
    if name == "xor":
        return is_true(left) != is_true(right)
    if name in ("band", "bor", "bxor", "shl", "shr"):
        return _bitwise(name, left, right)
    if name == "f":
        items = enumerate_value(right)
        args = items if items is not None else [right]
        return composite_format(to_string(left), args)
    if name in ("+", "-", "*", "/", "%"):
        return _arith(name, left, right)
    if name == "..":
        return make_range(left, right)
    if name == "??":
        return right if left is None else left
    raise _error(f"Unexpected token '{op}' in expression or statement.", "UnexpectedToken")


def unary_op(op: str, v: Any) -> Any:
    """`-not`/`!`, `-`, `+`, `-bnot`, unary `-split` (on whitespace), unary `-join` (no separator)."""
    name = op.lower()
    if name in ("-not", "!"):
        return not is_true(v)
    if name == "-":
        if isinstance(v, _dt.timedelta):
            return -v
        n = _unary_number(v)
        return _widen(-n, n, 0) if isinstance(n, int) else -n
    if name == "+":
        return _unary_number(v)
    if name == "-bnot":
        x = _bit_operand(v)
        return ~x
    if name == "-split":
        items = enumerate_value(v)
        seq = items if items is not None else [v]
        out: list[str] = []
        for x in seq:
            out.extend(to_string(x).split())
        return out
    if name == "-join":
        items = enumerate_value(v)
        seq = items if items is not None else ([] if v is None else [v])
        return "".join(to_string(x) for x in seq)
    raise _error(f"Unexpected token '{op}' in expression or statement.", "UnexpectedToken")


def _unary_number(v: Any) -> Any:
    if isinstance(v, (PSHashtable, PSObject, ScriptBlockValue, dict)) or enumerate_value(v) is not None:
        raise _no_method(v, "-")
    return _to_number(v, "System.Int32")
