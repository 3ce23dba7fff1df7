"""PowerShell operator semantics (grammar.md §4.2–§4.5): comparison, matching, arithmetic, ranges, bitwise.

The LHS drives the operation: the RHS is converted to the LHS's type; a collection LHS makes comparison
operators filter. The evaluator short-circuits `-and`/`-or` and `??` itself; they are here for completeness.
This module holds the dispatcher (`binary_op`, `unary_op`), `-replace`/`-split` and `-is`/`-as`; equality and
ordering live in exshell.runtime.comparison, the .NET regex dialect in exshell.runtime.regex and arithmetic,
ranges and bitwise operators in exshell.runtime.arithmetic (their public names are re-exported here).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import re
from typing import Any
from collections.abc import Callable

from exshell.errors import Category, PSRuntimeError
from exshell.runtime.arithmetic import (
    _arith,
    _bit_operand,
    _bitwise,
    _no_method,
    _to_number,
    _widen,
    make_range,
)
from exshell.runtime.comparison import (
    _INT32,
    _error,
    _ordered,
    _type_info,
    compare_values,  # noqa: F401 - re-exported
    equals,
)
from exshell.runtime.convert import (
    ConversionError,
    convert_to,
    registered_py_type,
    to_integer,
    type_not_found,
)
from exshell.runtime.dotnet_format import FormatStringError, composite_format
from exshell.runtime.regex import (
    _dotnet_replacement,
    compile_regex,
    matches_table,
    translate_regex,  # noqa: F401 - re-exported
)
from exshell.runtime.values import (
    PSHashtable,
    PSObject,
    ScriptBlockValue,
    enumerate_value,
    is_true,
    to_string,
    type_name,
)
from exshell.runtime.wildcard import WildcardPattern

# --------------------------------------------------------------------------- -replace / -split


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


def is_instance(v: Any, rhs: Any) -> bool:
    """`v -is [type]`."""
    info, text = _type_info(rhs)
    if info is None:
        if isinstance(v, PSObject):
            low = text.strip().strip("[]").lower()
            if any(t.lower() == low or t.lower().rsplit(".", 1)[-1] == low for t in v.type_names):
                return v is not None
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


# --------------------------------------------------------------------------- the dispatcher

_COMPARISON = frozenset(
    ["eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch", "contains", "notcontains", "in", "notin", "replace", "split"]
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
