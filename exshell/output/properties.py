"""Property arguments shared by Format-Table/List, Select-Object, Sort-Object, Group-Object and Measure-Object:
names (with wildcards), script blocks, and calculated-property hashtables (about_Calculated_Properties).

Key names of a calculated property may be any unique prefix of the keys the cmdlet allows (`n`, `l`, `e`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from exshell.errors import ExshellError
from exshell.output.objects import MISSING, property_names_of, property_value
from exshell.runtime.values import PSHashtable, ScriptBlockValue, enumerate_value, is_true, to_string
from exshell.runtime.wildcard import WildcardPattern

Invoker = Callable[[Any, Any], list]  # (ScriptBlockValue, $_) -> output list


class PropertySpecError(ExshellError):
    """A malformed -Property argument; the cmdlet turns it into a terminating error."""

    def __init__(self, message: str, error_id: str) -> None:
        super().__init__(message)
        self.message = message
        self.error_id = error_id


@dataclass(frozen=True, slots=True)
class PropertySpec:
    """A name/wildcard (`name`), or a computed property (`expression`, a function of the object)."""

    name: str
    expression: Callable[[Any], Any] | None = None
    width: int | None = None
    align: str | None = None
    descending: bool | None = None  # Sort-Object's Ascending/Descending keys
    is_wildcard: bool = False
    calculated: bool = False

    def value(self, obj: Any) -> Any:
        if self.expression is not None:
            return self.expression(obj)
        v = property_value(obj, self.name)
        return None if v is MISSING else v


FORMAT_KEYS = ("name", "label", "expression", "width", "alignment", "formatstring")
SELECT_KEYS = ("name", "label", "expression")
SORT_KEYS = ("expression", "ascending", "descending")
GROUP_KEYS = ("expression",)


def has_wildcard(text: str) -> bool:
    return any(c in text for c in "*?[")


def _resolve_key(key: str, allowed: tuple[str, ...]) -> str:
    k = key.lower()
    matches = [a for a in allowed if a.startswith(k)] if k else []
    if k in allowed:
        return k
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise PropertySpecError(f'The "{key}" key is not valid.', "DictionaryKeyIllegal")
    raise PropertySpecError(f'The key "{key}" is ambiguous.', "DictionaryKeyAmbiguous")


def _script_expression(block: Any, invoke: Invoker) -> Callable[[Any], Any]:
    def run(obj: Any) -> Any:
        out = invoke(block, obj)
        if not out:
            return None
        return out[0] if len(out) == 1 else list(out)

    return run


def _property_expression(name: str) -> Callable[[Any], Any]:
    def get(obj: Any) -> Any:
        v = property_value(obj, name)
        return None if v is MISSING else v

    return get


def parse_property_args(
    args: Any, invoke: Invoker, allowed: tuple[str, ...] = FORMAT_KEYS
) -> list[PropertySpec]:
    """Turn a -Property argument (one value or a list) into PropertySpecs."""
    items = enumerate_value(args)
    if items is None:
        items = [args]
    specs: list[PropertySpec] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, ScriptBlockValue):
            if not str(item).strip():
                raise PropertySpecError(
                    "A property is an empty script block and does not provide a name.", "EmptyScriptBlockAndNoName"
                )
            # A name-less script block is named by its own text (about_Calculated_Properties).
            specs.append(PropertySpec(str(item), _script_expression(item, invoke), calculated=True))
        elif isinstance(item, (PSHashtable, dict)):
            specs.append(_parse_hashtable(item, invoke, allowed))
        else:
            text = to_string(item)
            specs.append(PropertySpec(text, is_wildcard=has_wildcard(text)))
    return specs


def _parse_hashtable(table: Any, invoke: Invoker, allowed: tuple[str, ...]) -> PropertySpec:
    seen: dict[str, Any] = {}
    for key in table.keys():
        resolved = _resolve_key(str(key), allowed)
        if resolved in seen:
            raise PropertySpecError(f'The "{key}" key is specified more than once.', "DictionaryKeyDuplicate")
        seen[resolved] = table[key]
    if "name" in seen and "label" in seen:
        raise PropertySpecError(
            'The "Name" and "Label" keys cannot be used together. Use only one of them.', "DictionaryKeyConflict"
        )
    if "expression" not in seen:
        if "name" in seen or "label" in seen:
            # A name alone (Sort/Format): behaves like a plain property name.
            raise PropertySpecError('The "Expression" key is missing.', "DictionaryKeyMissingExpression")
        raise PropertySpecError('The "Expression" key is missing.', "DictionaryKeyMissingExpression")
    expr = seen["expression"]
    name = seen.get("name", seen.get("label"))
    if isinstance(expr, ScriptBlockValue):
        fn = _script_expression(expr, invoke)
        label = to_string(name) if name is not None else str(expr)
        if name is None and not str(expr).strip():
            raise PropertySpecError(
                "A property is an empty script block and does not provide a name.", "EmptyScriptBlockAndNoName"
            )
    else:
        text = to_string(expr)
        fn = _property_expression(text)
        label = to_string(name) if name is not None else text
    width = seen.get("width")
    align = seen.get("alignment")
    descending = None
    if "descending" in seen:
        descending = is_true(seen["descending"])
    elif "ascending" in seen:
        descending = not is_true(seen["ascending"])
    return PropertySpec(
        label,
        fn,
        width=int(width) if width is not None else None,
        align=to_string(align).lower() if align is not None else None,
        descending=descending,
        calculated=True,
    )


def expand_specs(specs: list[PropertySpec], obj: Any) -> list[PropertySpec]:
    """Expand wildcard names against `obj`'s properties (a wildcard matching nothing gives no column)."""
    out: list[PropertySpec] = []
    names = property_names_of(obj) if obj is not None else []
    for spec in specs:
        if spec.is_wildcard:
            pattern = WildcardPattern(spec.name)
            for n in names:
                if pattern.match(n):
                    out.append(PropertySpec(n, width=spec.width, align=spec.align))
        else:
            out.append(spec)
    return out
