"""The type table behind type literals (`[int]`, `[System.Int32]`, `[string[]]`, grammar.md §4.7):
`TypeInfo` (the resolved type: dispatch key and .NET full name), the built-in spellings and aliases,
`register_type` for the model's own types (ByteQuantifiedSize, IPRange, ...), `resolve_type` and the
`Unable to find type` error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from exshell.errors import Category, ErrorRecord, PSRuntimeError


# --------------------------------------------------------------------------- type names


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """A resolved type literal: the key this module dispatches on and the .NET full name for messages."""

    key: str
    full_name: str
    element: "TypeInfo | None" = None  # for `T[]`

    # what `[int]` / `$x.GetType()` shows as an object: `.Name`, `.FullName`; "$t" is the full name
    __ps_properties__ = ("Name", "FullName")
    __ps_type_name__ = "System.RuntimeType"

    @property
    def name(self) -> str:
        return self.full_name.rsplit(".", 1)[-1]

    def __str__(self) -> str:
        return self.full_name


_TYPES: dict[str, tuple[str, str]] = {}  # lower-cased spelling -> (key, full name)


def _alias(key: str, full: str, *spellings: str) -> None:
    for s in (key, full, *spellings):
        _TYPES[s.lower()] = (key, full)


_alias("int", "System.Int32", "int32")
_alias("long", "System.Int64", "int64")
_alias("short", "System.Int16", "int16")
_alias("byte", "System.Byte")
_alias("uint", "System.UInt32", "uint32")
_alias("ulong", "System.UInt64", "uint64")
_alias("double", "System.Double")
_alias("float", "System.Single", "single")
_alias("decimal", "System.Decimal")
_alias("bigint", "System.Numerics.BigInteger", "biginteger")
_alias("string", "System.String")
_alias("char", "System.Char")
_alias("bool", "System.Boolean", "boolean")
_alias("object", "System.Object")
_alias("psobject", "System.Management.Automation.PSObject")
_alias("file", "System.IO.File", "io.file")
_alias("pscredential", "System.Management.Automation.PSCredential")
_alias("pscustomobject", "System.Management.Automation.PSCustomObject")
_alias("array", "System.Array")
_alias("hashtable", "System.Collections.Hashtable")
_alias("ordered", "System.Collections.Specialized.OrderedDictionary", "ordereddictionary")
_alias("scriptblock", "System.Management.Automation.ScriptBlock")
_alias("datetime", "System.DateTime")
_alias("timespan", "System.TimeSpan")
_alias("regex", "System.Text.RegularExpressions.Regex")
_alias("ipaddress", "System.Net.IPAddress")
_alias("guid", "System.Guid")
_alias("version", "System.Version")
_alias("void", "System.Void")
_alias("switch", "System.Management.Automation.SwitchParameter", "switchparameter")
_alias("math", "System.Math")
_alias("environment", "System.Environment")
_alias("type", "System.Type")

# Types contributed by other parts (model: ByteQuantifiedSize, IPRange, ...): full name -> converter.
_REGISTERED: dict[str, tuple[str, Callable[[Any], Any], type | None]] = {}


def register_type(full_name: str, convert: Callable[[Any], Any], py_type: type | None = None,
                  aliases: tuple[str, ...] = ()) -> None:
    """Make `[full_name]` (and its short name / aliases) castable. `convert(value)` raises ValueError/TypeError
    with the .NET-style reason on failure; `py_type` lets `-is` recognise instances."""
    for s in (full_name, full_name.rsplit(".", 1)[-1], *aliases):
        _REGISTERED[s.lower()] = (full_name, convert, py_type)


def resolve_type(name: str) -> TypeInfo | None:
    """`int`, `[System.Int32]`, `string[]` → TypeInfo; None when unknown."""
    n = name.strip()
    if n.startswith("[") and n.endswith("]"):
        n = n[1:-1].strip()
    if n.endswith("[]"):
        inner = resolve_type(n[:-2])
        if inner is None:
            return None
        if inner.key == "object":
            return TypeInfo("array", "System.Object[]", inner)
        return TypeInfo("typed_array", inner.full_name + "[]", inner)
    low = n.lower()
    hit = _TYPES.get(low)
    if hit is None and not low.startswith("system."):
        hit = _TYPES.get("system." + low)
    if hit is not None:
        return TypeInfo(hit[0], hit[1])
    reg = _REGISTERED.get(low)
    if reg is None and _load_value_types():
        reg = _REGISTERED.get(low)
    if reg is not None:
        return TypeInfo("registered", reg[0])
    return None


_value_types_loaded = False


def _load_value_types() -> bool:
    """Register the Exchange value types (`[Microsoft.Exchange.Data.IPRange]`, ...) on the first unknown
    type name: True when that added types. Lazy because the model modules cost start-up time."""
    global _value_types_loaded
    if _value_types_loaded:
        return False
    _value_types_loaded = True
    import exshell.runtime.exchange_members  # noqa: F401 - registers its types on import

    return True


def type_not_found(name: str) -> PSRuntimeError:
    n = name.strip()
    if n.startswith("[") and n.endswith("]"):
        n = n[1:-1]
    return PSRuntimeError(
        ErrorRecord(f"Unable to find type [{n}].", "TypeNotFound", Category.InvalidOperation, target_name=n,
                    exception_type="RuntimeException")
    )
