"""Type conversion: casts (`[int]'5'`, grammar.md §4.7) and argument coercion during binding (binding.md §5).

Follows LanguagePrimitives.ConvertTo with the invariant culture. The message texts are PowerShell's
(ExtendedTypeSystem.resx, ParameterBinderStrings.resx); conversion messages quote the .NET exception text of
.NET 8 (PS 7.4). This module holds the casts (`convert_to`); the type table lives in exshell.runtime.types,
the primitive conversions in exshell.runtime.primitives and binding's coercion in
exshell.runtime.argument_conversion — their public names are re-exported here.
"""

from __future__ import annotations

import re
from typing import Any

from exshell.runtime.argument_conversion import (  # noqa: F401 - also re-exported for this module's importers
    EnumMatchError,
    convert_for_parameter,
    match_enum_name,
)
from exshell.runtime.primitives import (  # noqa: F401 - also re-exported for this module's importers
    ConversionError,
    _cast_error,
    _element_list,
    parse_datetime,
    parse_number,
    to_char,
    to_datetime,
    to_decimal,
    to_double,
    to_guid,
    to_hashtable,
    to_integer,
    to_ipaddress,
    to_pscustomobject,
    to_timespan,
    value_text,
)
from exshell.runtime.types import (  # noqa: F401 - also re-exported for this module's importers
    TypeInfo,
    _REGISTERED,
    register_type,
    resolve_type,
    type_not_found,
)
from exshell.runtime.values import PSObject, ScriptBlockValue, is_true, to_string


# --------------------------------------------------------------------------- casts


def convert_to(value: Any, type_name_: str) -> Any:
    """A cast `[type]value`. Unknown type → `Unable to find type [foo].`"""
    info = resolve_type(type_name_)
    if info is None:
        # a cmdlet object's own type name (`[Microsoft...ReceiveConnector]$rc`) passes it through
        if isinstance(value, PSObject) and _matches_type_names(value, type_name_):
            return value
        raise type_not_found(type_name_)
    return _convert_info(value, info, type_name_)


def _matches_type_names(obj: PSObject, name: str) -> bool:
    n = name.strip().strip("[]").lower()
    for t in obj.type_names:
        tl = t.lower()
        if tl == n or tl.rsplit(".", 1)[-1] == n:
            return True
    return False


def _convert_info(value: Any, info: TypeInfo, spelled: str) -> Any:
    k = info.key
    if value is None:
        # reference types keep $null; value types other than numbers/bool/string cannot hold it
        if k in ("hashtable", "ordered", "ipaddress", "regex", "version", "scriptblock", "array", "typed_array",
                 "registered", "pscustomobject"):
            return None
        if k in ("datetime", "timespan", "guid", "char"):
            raise ConversionError(f'Cannot convert null to type "{info.full_name}".', "InvalidCastFromNull")
    if k in ("object", "psobject"):
        return value
    if k == "void":
        return None
    if k in ("int", "long", "short", "byte", "uint", "ulong", "bigint"):
        return to_integer(value, info.full_name)
    if k in ("double", "float"):
        return to_double(value, info.full_name)
    if k == "decimal":
        return to_decimal(value)
    if k == "string":
        return to_string(value)  # [string]$null is ''
    if k in ("bool", "switch"):
        return is_true(value)
    if k == "char":
        return to_char(value)
    if k == "array":
        if value is None:
            return None
        return _element_list(value)
    if k == "typed_array":
        if value is None:
            return None
        assert info.element is not None
        return [_convert_info(e, info.element, spelled) for e in _element_list(value)]
    if k == "hashtable":
        return to_hashtable(value)
    if k == "ordered":
        return to_hashtable(value, ordered=True)
    if k == "pscustomobject":
        return to_pscustomobject(value)
    if k == "scriptblock":
        if isinstance(value, ScriptBlockValue) or value is None:
            return value
        raise _cast_error(value, info.full_name)
    if k == "datetime":
        return to_datetime(value)
    if k == "timespan":
        return to_timespan(value)
    if k == "ipaddress":
        return to_ipaddress(value)
    if k == "guid":
        return to_guid(value)
    if k == "regex":
        s = to_string(value)
        try:
            re.compile(s)
        except re.error as e:
            raise ConversionError(
                f'Cannot convert value "{s}" to type "System.Text.RegularExpressions.Regex". Error: "Invalid pattern '
                f"'{s}': {e}.\"",
                "InvalidCastParseTargetInvocation",
            ) from None
        return s
    if k == "version":
        s = to_string(value).strip()
        if not re.fullmatch(r"\d+(\.\d+){1,3}", s):
            raise ConversionError(
                f'Cannot convert value "{s}" to type "System.Version". Error: "Version string portion was too short or '
                f'too long."',
                "InvalidCastParseTargetInvocation",
            )
        return s
    if k == "registered":
        full, fn, _pt = _REGISTERED[info.full_name.lower()]
        try:
            return fn(value)
        except (ValueError, TypeError) as e:
            raise ConversionError(
                f'Cannot convert value "{to_string(value)}" to type "{full}". Error: "{e}"',
                "InvalidCastParseTargetInvocation",
            ) from None
    raise _cast_error(value, info.full_name)


def registered_py_type(full_name: str) -> type | None:
    reg = _REGISTERED.get(full_name.lower())
    return reg[2] if reg else None
