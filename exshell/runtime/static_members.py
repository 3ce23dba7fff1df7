"""Static members of types (`[type]::Name`): `get_static_member` for properties such as `[datetime]::Now`,
`[int]::MaxValue` and `[math]::PI`, and `invoke_static_method` for methods such as `[math]::Round`,
`[string]::Join`, `[datetime]::Parse` and `[guid]::NewGuid`.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import os
import re
from typing import Any
from collections.abc import Callable

from exshell.errors import PSRuntimeError
from exshell.runtime.convert import (
    ConversionError,
    TypeInfo,
    convert_to,
    parse_datetime,
    resolve_type,
    to_double,
    to_ipaddress,
    type_not_found,
)
from exshell.runtime.dotnet_format import FormatStringError, composite_format
from exshell.runtime.methods import _arg_count_error, _exception_calling, _ignore_case, _strict_equals
from exshell.runtime.operators import binary_op, compare_values, compile_regex
from exshell.runtime.properties import _MISSING, _error, _int_arg
from exshell.runtime.values import PSObject, enumerate_value, to_string

# --------------------------------------------------------------------------- static members


def _now() -> _dt.datetime:
    return _dt.datetime.now()


_STATIC_PROPS: dict[str, dict[str, Callable[[], Any]]] = {
    "int": {"maxvalue": lambda: 2**31 - 1, "minvalue": lambda: -(2**31)},
    "long": {"maxvalue": lambda: 2**63 - 1, "minvalue": lambda: -(2**63)},
    "short": {"maxvalue": lambda: 2**15 - 1, "minvalue": lambda: -(2**15)},
    "byte": {"maxvalue": lambda: 255, "minvalue": lambda: 0},
    "uint": {"maxvalue": lambda: 2**32 - 1, "minvalue": lambda: 0},
    "double": {
        "maxvalue": lambda: 1.7976931348623157e308, "minvalue": lambda: -1.7976931348623157e308,
        "nan": lambda: math.nan, "positiveinfinity": lambda: math.inf, "negativeinfinity": lambda: -math.inf,
        "epsilon": lambda: 5e-324,
    },
    "decimal": {"maxvalue": lambda: decimal.Decimal("79228162514264337593543950335"),
                "minvalue": lambda: decimal.Decimal("-79228162514264337593543950335"),
                "zero": lambda: decimal.Decimal(0), "one": lambda: decimal.Decimal(1)},
    "string": {"empty": lambda: ""},
    "bool": {"truestring": lambda: "True", "falsestring": lambda: "False"},
    "char": {"maxvalue": lambda: "\uffff", "minvalue": lambda: "\0"},
    "datetime": {
        "now": _now,
        "utcnow": lambda: _dt.datetime.now(_dt.UTC),
        "today": lambda: _dt.datetime.combine(_dt.date.today(), _dt.time()),
        "minvalue": lambda: _dt.datetime(1, 1, 1),
        "maxvalue": lambda: _dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    },
    "timespan": {"zero": lambda: _dt.timedelta(0), "maxvalue": lambda: _dt.timedelta.max,
                 "minvalue": lambda: _dt.timedelta.min},
    "math": {"pi": lambda: math.pi, "e": lambda: math.e, "tau": lambda: math.tau},
    "guid": {"empty": lambda: "00000000-0000-0000-0000-000000000000"},
    "environment": {
        "machinename": lambda: __import__("socket").gethostname().split(".")[0].upper(),
        "newline": lambda: "\n",
        "username": lambda: os.environ.get("USER") or os.environ.get("USERNAME") or "",
        "processorcount": lambda: os.cpu_count() or 1,
        "currentdirectory": os.getcwd,
        "userdomainname": lambda: __import__("socket").gethostname().split(".")[0].upper(),
        "is64bitprocess": lambda: True,
        "tickcount": lambda: int(__import__("time").monotonic() * 1000) & 0x7FFFFFFF,
    },
}


def _resolve_static(type_name_: str) -> TypeInfo:
    info = resolve_type(type_name_)
    if info is None:
        raise type_not_found(type_name_)
    return info


def get_static_member(type_name_: str, name: str) -> Any:
    """`[type]::Name`; an unknown member is $null (non-strict), an unknown type an error."""
    info = _resolve_static(type_name_)
    table = _STATIC_PROPS.get(info.key, {})
    fn = table.get(name.lower())
    return fn() if fn else None


def _math_round(args: list[Any]) -> Any:
    x = args[0]
    digits = _int_arg(args[1]) if len(args) > 1 and not isinstance(args[1], str) else 0
    away = any("awayfromzero" in to_string(a).lower() for a in args[1:])
    if isinstance(x, decimal.Decimal) or away:
        d = x if isinstance(x, decimal.Decimal) else decimal.Decimal(repr(to_double(x)))
        q = decimal.Decimal(1).scaleb(-digits)
        r = d.quantize(q, rounding=decimal.ROUND_HALF_UP if away else decimal.ROUND_HALF_EVEN)
        return r if isinstance(x, decimal.Decimal) else float(r)
    # Math.Round rounds half to even, as Python's round()
    return float(round(to_double(x), digits))


def _num_result(v: float, *src: Any) -> Any:
    if all(isinstance(s, int) and not isinstance(s, bool) for s in src):
        return int(v)
    return v


def _math(low: str, args: list[Any]) -> Any:
    if low == "round":
        return _math_round(args)
    if low in ("max", "min"):
        if len(args) != 2:
            raise _arg_count_error(low.capitalize(), args)
        a, b = args
        if all(isinstance(x, int) and not isinstance(x, bool) for x in args):
            return max(a, b) if low == "max" else min(a, b)
        fa, fb = to_double(a), to_double(b)
        return max(fa, fb) if low == "max" else min(fa, fb)
    if low == "abs":
        x = args[0]
        return abs(x) if isinstance(x, (int, decimal.Decimal)) and not isinstance(x, bool) else abs(to_double(x))
    one: dict[str, Callable[[float], float]] = {
        "floor": math.floor, "ceiling": math.ceil, "truncate": math.trunc, "sqrt": math.sqrt,
        "log10": math.log10, "exp": math.exp, "sin": math.sin, "cos": math.cos, "tan": math.tan,
    }
    if low in one:
        x = to_double(args[0])
        try:
            r = one[low](x)
        except ValueError:
            return math.nan
        return float(r)
    if low == "log":
        try:
            return math.log(to_double(args[0])) if len(args) == 1 else math.log(to_double(args[0]),
                                                                                  to_double(args[1]))
        except ValueError:
            return math.nan
    if low == "pow":
        return math.pow(to_double(args[0]), to_double(args[1]))
    if low == "sign":
        x = to_double(args[0])
        return (x > 0) - (x < 0)
    return _MISSING


def invoke_static_method(type_name_: str, name: str, args: list[Any]) -> Any:
    """`[type]::Method(args)`."""
    info = _resolve_static(type_name_)
    low = name.lower()
    args = list(args)
    try:
        result = _static(info, low, name, args)
    except (ConversionError, FormatStringError) as e:
        message = e.message if isinstance(e, ConversionError) else str(e)
        raise _exception_calling(name, args, message, "MethodArgumentConversionInvalidCastArgument") from None
    except (IndexError, ValueError, OverflowError) as e:
        raise _exception_calling(name, args, str(e), "MethodInvocationException") from None
    if result is _MISSING:
        raise _error(
            f"Method invocation failed because [{info.full_name}] does not contain a method named '{name}'.",
            "MethodNotFound",
        )
    return result


def _file(low: str, args: list[Any]) -> Any:
    """[System.IO.File]: the byte and text helpers scripts use to hand files to cmdlets
    (Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes($path)))."""
    if low not in ("readallbytes", "writeallbytes", "readalltext", "writealltext", "exists"):
        return _MISSING
    path = to_string(args[0]) if args else ""
    if low == "exists":
        return os.path.isfile(path)
    try:
        if low == "readallbytes":
            with open(path, "rb") as f:
                return f.read()
        if low == "readalltext":
            with open(path, encoding="utf-8-sig") as f:
                return f.read()
        data = args[1] if len(args) > 1 else None
        if low == "writeallbytes":
            if isinstance(data, list):
                data = bytes(int(b) & 0xFF for b in data)
            if not isinstance(data, (bytes, bytearray)):
                raise ValueError(f"Cannot convert argument \"bytes\", with value: \"{to_string(data)}\", for "
                                 "\"WriteAllBytes\" to type \"System.Byte[]\".")
            with open(path, "wb") as f:
                f.write(data)
            return None
        with open(path, "w", encoding="utf-8") as f:
            f.write(to_string(data))
        return None
    except FileNotFoundError:
        raise ValueError(f"Could not find file '{os.path.abspath(path)}'.") from None
    except IsADirectoryError:
        raise ValueError(f"Access to the path '{os.path.abspath(path)}' is denied.") from None
    except OSError as e:
        raise ValueError(f"{e.strerror or e}: '{os.path.abspath(path)}'.") from None


def _flat(args: list[Any]) -> list[Any]:
    out: list[Any] = []
    for a in args:
        items = enumerate_value(a)
        out.extend(items if items is not None else [a])
    return out


def _static(info: TypeInfo, low: str, name: str, args: list[Any]) -> Any:
    k = info.key
    if k == "string":
        if low == "isnullorempty":
            return args[0] is None or to_string(args[0]) == ""
        if low == "isnullorwhitespace":
            return args[0] is None or to_string(args[0]).strip() == ""
        if low == "join":
            return to_string(args[0]).join(to_string(x) for x in _flat(args[1:]))
        if low == "concat":
            return "".join(to_string(x) for x in _flat(args))
        if low == "format":
            return composite_format(to_string(args[0]), _flat(args[1:]))
        if low == "compare":
            ic = len(args) > 2 and _ignore_case(args[2])
            return compare_values(to_string(args[0]), to_string(args[1]), case_sensitive=not ic)
        if low == "equals":
            return to_string(args[0]) == to_string(args[1])
        return _MISSING
    if k == "math":
        return _math(low, args)
    if k == "file":
        return _file(low, args)
    if k in ("int", "long", "double", "decimal", "bool", "byte", "short", "datetime", "timespan", "guid",
             "ipaddress", "version", "char"):
        if low == "parse":
            return convert_to(to_string(args[0]), info.full_name)
        if low == "tryparse":
            try:
                convert_to(to_string(args[0]), info.full_name)
                return True
            except PSRuntimeError:
                return False
    if k == "datetime":
        if low == "parseexact":
            return parse_datetime(to_string(args[0]))
        if low == "daysinmonth":
            import calendar

            return calendar.monthrange(_int_arg(args[0]), _int_arg(args[1]))[1]
        if low == "isleapyear":
            import calendar

            return calendar.isleap(_int_arg(args[0]))
    if k == "guid" and low == "newguid":
        import uuid

        return str(uuid.uuid4())
    if k == "timespan":
        spans = {"fromdays": "days", "fromhours": "hours", "fromminutes": "minutes", "fromseconds": "seconds",
                 "frommilliseconds": "milliseconds"}
        if low in spans:
            return _dt.timedelta(**{spans[low]: to_double(args[0])})
    if k == "ipaddress" and low == "parse":
        return to_ipaddress(args[0])
    if k == "regex":
        if low == "escape":
            return re.sub(r"([\\*+?|{\[()^$.# \t\n\r\f])", lambda m: {"\t": "\\t", "\n": "\\n", "\r": "\\r",
                                                                   "\f": "\\f"}.get(m.group(1), "\\" + m.group(1)),
                          to_string(args[0]))
        if low == "unescape":
            return re.sub(r"\\(.)", r"\1", to_string(args[0]))
        if low in ("ismatch", "replace", "split", "matches", "match"):
            text, pattern = to_string(args[0]), to_string(args[1])
            if low == "ismatch":
                return compile_regex(pattern, True).search(text) is not None
            if low == "replace":
                return binary_op("-creplace", text, [pattern, to_string(args[2]) if len(args) > 2 else ""])
            if low == "split":
                return binary_op("-csplit", text, pattern)
            rx = compile_regex(pattern, True)
            found = [PSObject([("Success", True), ("Value", m.group(0)), ("Index", m.start()),
                               ("Length", len(m.group(0)))], ("System.Text.RegularExpressions.Match",
                                                                "System.Object"),
                              to_string=m.group(0)) for m in rx.finditer(text)]
            if low == "match":
                return found[0] if found else PSObject([("Success", False), ("Value", "")],
                                                       ("System.Text.RegularExpressions.Match", "System.Object"),
                                                       to_string="")
            return found
    if k == "environment":
        if low == "getenvironmentvariable":
            return os.environ.get(to_string(args[0]))
        return _MISSING
    if k == "registered":
        from exshell.runtime.exchange_members import static_call

        found = static_call(info.full_name, low, args)
        if found is not _MISSING:
            return found
    if low == "equals" and len(args) == 2:
        return _strict_equals(args[0], args[1])
    return _MISSING
