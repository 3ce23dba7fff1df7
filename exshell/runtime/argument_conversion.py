"""Argument coercion during parameter binding (binding.md §5): `convert_for_parameter` turns a bound value
into the parameter's declared type (scalars, arrays, `@{Add=...; Remove=...}` list modifiers, switches, model
types) with ParameterBinderStrings' messages, and `match_enum_name` resolves an enum name or unique prefix.
"""

from __future__ import annotations

import decimal
import enum
import re
from typing import Any

from exshell.runtime.parameters import ListModifier, ParamType
from exshell.runtime.primitives import (
    ConversionError,
    _element_list,
    to_datetime,
    to_double,
    to_integer,
    value_text,
)
from exshell.runtime.values import (
    PSHashtable,
    PSObject,
    ScriptBlockValue,
    enumerate_value,
    to_string,
    type_name,
)

# --------------------------------------------------------------------------- binding (binding.md §5)


def _bind_error(param_name: str, inner: str) -> ConversionError:
    return ConversionError(f"Cannot bind parameter '{param_name}'. {inner}", "CannotConvertArgumentNoMessage")


def _unsupported(value_desc: str, net: str, param_name: str, reason: str = "Specified method is not supported.") -> (
        ConversionError):
    return ConversionError(
        f"Cannot convert '{value_desc}' to the type '{net}' required by parameter '{param_name}'. {reason}",
        "CannotConvertArgument",
    )


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)


def _element_net(ptype: ParamType) -> str:
    net = ptype.net_name
    if ptype.array and net.endswith("[]"):
        return net[:-2]
    if ptype.array and "[" in net and net.endswith("]"):
        # MultiValuedProperty`1[[T]] style names: the element type is inside the brackets
        inner = net[net.index("[") + 1 : -1].strip("[]").split(",")[0]
        return inner or net
    return net


def convert_for_parameter(value: Any, ptype: ParamType, param_name: str, token_text: str | None = None) -> Any:
    """Coerce one bound argument to a parameter's type; the raised ConversionError text is final."""
    if ptype.array:
        if value is None:
            return None
        if ptype.multivalued and isinstance(value, (PSHashtable, dict)):
            return _list_modifier(value, ptype, param_name)
        items = enumerate_value(value)
        if items is None:
            items = [value]
            texts: list[str | None] = [token_text]
        else:
            texts = [None] * len(items)
        return [_convert_scalar(e, ptype, param_name, t, _element_net(ptype)) for e, t in zip(items, texts)]
    items = enumerate_value(value)
    if items is not None and ptype.kind not in ("object", "flags", "enum"):
        if len(items) == 1:
            value = items[0]
        else:
            raise _unsupported(type_name(value), ptype.net_name, param_name)
    return _convert_scalar(value, ptype, param_name, token_text, ptype.net_name)


_MODIFIER_KEYS = ("add", "remove", "replace")


def _list_modifier(value: Any, ptype: ParamType, param_name: str) -> ListModifier:
    parts: dict[str, tuple[Any, ...]] = {}
    for k, v in value.items():
        key = to_string(k).lower()
        if key not in _MODIFIER_KEYS:
            raise ConversionError(
                f"Cannot bind parameter '{param_name}'. The following unknown list modifier was detected: "
                f"'{to_string(k)}'. Valid list modifiers are Add, Remove, and Replace.",
                "CannotConvertArgumentNoMessage",
            )
        elems = [] if v is None else _element_list(v)
        parts[key] = tuple(_convert_scalar(e, ptype, param_name, None, _element_net(ptype)) for e in elems)
    return ListModifier(add=parts.get("add", ()), remove=parts.get("remove", ()), replace=parts.get("replace"))


def _convert_scalar(value: Any, ptype: ParamType, param_name: str, token_text: str | None, net: str) -> Any:
    kind = ptype.kind
    if kind == "object":
        return value
    if kind == "string":
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if token_text is not None and _is_number(value):
            return token_text  # the literal keeps its spelling: `-Name 007` → "007"
        if enumerate_value(value) is not None:
            raise _unsupported(type_name(value), net, param_name)
        return to_string(value)
    if kind in ("int", "long", "double"):
        full = {"int": "System.Int32", "long": "System.Int64", "double": "System.Double"}[kind]
        if isinstance(value, (PSHashtable, dict, PSObject, ScriptBlockValue)):
            raise _bind_error(
                param_name,
                f'Cannot convert the "{value_text(value)}" value of type "{type_name(value)}" to type "{full}".',
            )
        try:
            return to_double(value, full) if kind == "double" else to_integer(value, full)
        except ConversionError as e:
            raise _bind_error(param_name, e.message) from None
    if kind in ("bool", "switch"):
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if _is_number(value):
            return value != 0
        # compiled cmdlets take only Booleans and numbers (binding.md §5); the reason slot is empty
        raise _unsupported(type_name(value), net, param_name, "")
    if kind in ("enum", "flags"):
        return _convert_enum(value, ptype, param_name, net)
    if kind == "scriptblock":
        if value is None or isinstance(value, ScriptBlockValue):
            return value
        raise _bind_error(
            param_name,
            f'Cannot convert the "{value_text(value)}" value of type "{type_name(value)}" to type "{net}".',
        )
    if kind == "hashtable":
        if value is None or isinstance(value, PSHashtable):
            return value
        if isinstance(value, dict):
            return PSHashtable(value.items())
        raise _bind_error(
            param_name,
            f'Cannot convert the "{value_text(value)}" value of type "{type_name(value)}" to type "{net}".',
        )
    if kind == "datetime":
        if value is None:
            return None
        try:
            return to_datetime(value)
        except ConversionError as e:
            raise _bind_error(param_name, e.message) from None
    if kind == "custom":
        if value is None:
            return None
        assert ptype.convert is not None
        try:
            return ptype.convert(value)
        except Exception as e:  # noqa: BLE001 - PowerShell turns whatever a type's converter throws into this error
            raise _bind_error(
                param_name, f'Cannot convert value "{to_string(value)}" to type "{net}". Error: "{e}"'
            ) from None
    raise _bind_error(param_name, f'Cannot convert value "{to_string(value)}" to type "{net}".')


# --------------------------------------------------------------------------- enums


class EnumMatchError(ValueError):
    """The reason text of a failed enum name lookup (EnumExpressionEvaluatorStrings.resx)."""


def match_enum_name(text: str, names: tuple[str, ...]) -> str:
    """LanguagePrimitives.ConvertStringToEnum: exact, case-insensitive, numeric, unique prefix."""
    s = text.strip()
    if s in names:
        return s
    low = s.lower()
    for n in names:
        if n.lower() == low:
            return n
    if re.fullmatch(r"[+-]?\d+", s):
        i = int(s)
        if 0 <= i < len(names):
            return names[i]
    if low:
        hits = [n for n in names if n.lower().startswith(low)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise EnumMatchError(
                f"The identifier name {s} cannot be processed because it is either too similar or identical to the "
                f"following enumerator names: {', '.join(hits)}. Use a more specific identifier name."
            )
    raise EnumMatchError(
        f"Unable to match the identifier name {s} to a valid enumerator name. Specify one of the following "
        f"enumerator names and try again:\n{', '.join(names)}"
    )


def _convert_enum(value: Any, ptype: ParamType, param_name: str, net: str) -> Any:
    names = ptype.values
    flags = ptype.kind == "flags"
    if value is None:
        raise _bind_error(param_name, f'Cannot convert null to type "{net}".')
    if isinstance(value, enum.Enum):
        if flags:
            value = [m for m in names if m in to_string(value).split(", ")] or to_string(value)
        else:
            value = value.name or to_string(value)
    if isinstance(value, bool):
        raise _bind_error(
            param_name, f'Cannot convert the "{value_text(value)}" value of type "System.Boolean" to type "{net}".'
        )
    parts: list[Any]
    if isinstance(value, (tuple, list)) and len(value) == 1 and not flags:
        value = value[0]
    if isinstance(value, (tuple, list)):
        if not flags:
            joined = ",".join(to_string(x) for x in value)
            raise _bind_error(
                param_name,
                f'Cannot convert value "{joined}" to type "{net}" because no commas are allowed for this '
                f"enumeration.",
            )
        parts = list(value)
    else:
        parts = [value]
    chosen: set[str] = set()
    for part in parts:
        if _is_number(part):
            i = int(part)
            if flags:
                # a flags number is a bit mask over the declaration order; a leading `None` is the value 0
                offset = 1 if names and names[0].lower() == "none" else 0
                if i == 0 and offset:
                    chosen.add(names[0])
                chosen.update(n for bit, n in enumerate(names[offset:]) if i & (1 << bit))
                continue
            if 0 <= i < len(names):
                return names[i]
            raise _bind_error(
                param_name,
                f'Cannot convert value "{i}" to type "{net}". Error: "Unable to match the identifier name {i} to a '
                f"valid enumerator name. Specify one of the following enumerator names and try again:\n"
                f'{", ".join(names)}"',
            )
        text = to_string(part)
        if "," in text and not flags:
            raise _bind_error(
                param_name,
                f'Cannot convert value "{text}" to type "{net}" because no commas are allowed for this enumeration.',
            )
        for piece in text.split(",") if flags else [text]:
            if flags and piece.strip().lower() == "none" and "none" not in (n.lower() for n in names):
                continue  # [Flags] enums' None is 0: it adds no flag
            try:
                name = match_enum_name(piece, names)
            except EnumMatchError as e:
                raise _bind_error(param_name, f'Cannot convert value "{text}" to type "{net}". Error: "{e}"') from None
            if not flags:
                return name
            chosen.add(name)
    return tuple(n for n in names if n in chosen)
