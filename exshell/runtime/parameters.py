"""The parameter vocabulary the binder reads: how a command declares its parameters and what it receives.

`ParamType` / `T` (how an argument converts), `Parameter` and `SetAttrs` (one declared parameter, per parameter
set), the common parameters every cmdlet has, `BoundParameters` (what a command sees after binding) and
`ListModifier` (an `@{Add=...; Remove=...; Replace=...}` argument). Cmdlets (exshell.cmdlets.base re-exports
these names) and script functions (exshell.runtime.commands) both describe themselves with it; the binder
(exshell.runtime.binder) is its only interpreter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Iterable, Iterator, Mapping

# --------------------------------------------------------------------------- parameter types


@dataclass(frozen=True, slots=True)
class ParamType:
    """How an argument is converted for a parameter, and how the type is named in messages and help.

    kind: 'string', 'int', 'long', 'double', 'bool', 'switch', 'object', 'scriptblock', 'hashtable', 'enum',
    'flags' (flag enum, comma lists combine), 'datetime', 'custom'. `element` is set for arrays (`array` True).
    For 'enum'/'flags', `values` lists the names in declaration order. For 'custom', `convert` turns one
    (non-array) value into the target value or raises ValueError/TypeError with the .NET-style reason text.
    `net_name` is the full type name PowerShell prints (`System.String`, `System.Int32`,
    `Microsoft.Exchange.Data.ByteQuantifiedSize`). `multivalued`: accepts an `@{Add=...;Remove=...}` hashtable
    (kept as a ListModifier for the cmdlet to apply to the stored list); like Exchange's MultiValuedProperty
    parameters it refuses `$null` and an empty collection unless the parameter declares allow_null/allow_empty.
    `value_type`: a .NET struct, to which `$null` cannot be converted (None = decided from kind and net_name).
    """

    kind: str
    net_name: str
    array: bool = False
    values: tuple[str, ...] = ()
    convert: Callable[[Any], Any] | None = None
    multivalued: bool = False
    display: str | None = None  # short name in help syntax (`String`, `Int32`, `MultiValuedProperty`)
    value_type: bool | None = None

    @property
    def is_value_type(self) -> bool:
        """True for a .NET value type: a cmdlet parameter of that type cannot take `$null` (binding.md §5)."""
        if self.value_type is not None:
            return self.value_type
        if self.array:
            return False
        if self.kind in _VALUE_KINDS:
            return True
        return self.kind == "custom" and self.net_name.startswith(_VALUE_TYPE_NAMES)

    def of_array(self, net_name: str | None = None, multivalued: bool = False) -> "ParamType":
        return ParamType(
            kind=self.kind,
            net_name=net_name or (self.net_name + "[]"),
            array=True,
            values=self.values,
            convert=self.convert,
            multivalued=multivalued,
            display=(self.display or self.net_name.rsplit(".", 1)[-1]) + "[]",
        )

    @property
    def short_name(self) -> str:
        return self.display or self.net_name.rsplit(".", 1)[-1]


# Kinds and .NET type names that are structs (value types): `$null` does not convert to them.
_VALUE_KINDS = frozenset({"int", "long", "double", "bool", "enum", "flags", "datetime"})
_VALUE_TYPE_NAMES = (
    "Microsoft.Exchange.Data.ByteQuantifiedSize",
    "Microsoft.Exchange.Data.EnhancedTimeSpan",
    "Microsoft.Exchange.Data.Unlimited`1",
    "System.Int",
    "System.UInt",
    "System.Boolean",
    "System.Double",
    "System.DateTime",
    "System.TimeSpan",
)


class T:
    """The common parameter types."""

    STRING = ParamType("string", "System.String")
    STRINGS = ParamType("string", "System.String[]", array=True, display="String[]")
    INT = ParamType("int", "System.Int32")
    LONG = ParamType("long", "System.Int64")
    DOUBLE = ParamType("double", "System.Double")
    BOOL = ParamType("bool", "System.Boolean")
    SWITCH = ParamType("switch", "System.Management.Automation.SwitchParameter", display="SwitchParameter")
    OBJECT = ParamType("object", "System.Object")
    OBJECTS = ParamType("object", "System.Object[]", array=True, display="Object[]")
    PSOBJECT = ParamType("object", "System.Management.Automation.PSObject", display="PSObject")
    SCRIPTBLOCK = ParamType("scriptblock", "System.Management.Automation.ScriptBlock", display="ScriptBlock")
    SCRIPTBLOCKS = ParamType(
        "scriptblock", "System.Management.Automation.ScriptBlock[]", array=True, display="ScriptBlock[]"
    )
    HASHTABLE = ParamType("hashtable", "System.Collections.Hashtable", display="Hashtable")
    DATETIME = ParamType("datetime", "System.DateTime", display="DateTime")

    @staticmethod
    def enum(net_name: str, values: Iterable[str], display: str | None = None) -> ParamType:
        return ParamType("enum", net_name, values=tuple(values), display=display)

    @staticmethod
    def flags(net_name: str, values: Iterable[str], display: str | None = None) -> ParamType:
        return ParamType("flags", net_name, values=tuple(values), display=display)

    @staticmethod
    def custom(
        net_name: str,
        convert: Callable[[Any], Any],
        display: str | None = None,
        array: bool = False,
        multivalued: bool = False,
        value_type: bool | None = None,
    ) -> ParamType:
        return ParamType("custom", net_name, array=array, convert=convert, multivalued=multivalued, display=display,
                         value_type=value_type)


# --------------------------------------------------------------------------- parameters


ALL_SETS = "__AllParameterSets"


@dataclass(frozen=True, slots=True)
class SetAttrs:
    """Per-parameter-set attributes, for a parameter whose position or mandatoriness differs by set."""

    mandatory: bool = False
    position: int | None = None
    pipeline: bool = False
    by_property_name: bool = False


@dataclass(frozen=True, slots=True)
class Parameter:
    """One declared parameter. `sets` empty = in every parameter set. `per_set` overrides the attributes for
    named sets (then `sets` defaults to its keys). Positions are 0-based, as in [Parameter(Position=0)].

    completer: the kind of value to offer on Tab ('receive_connector', 'accepted_domain', 'send_connector',
    'mailbox', 'server', 'queue', 'extended_right', 'principal', 'path', 'command', 'property'); enum and flag
    values are offered automatically from the type.
    validate: called with the converted value; raise ValueError(reason) to reject it (the runtime wraps it in
    PowerShell's `Cannot validate argument on parameter 'X'. reason` error).
    """

    name: str
    type: ParamType = T.STRING
    position: int | None = None
    mandatory: bool = False
    pipeline: bool = False  # ValueFromPipeline
    by_property_name: bool = False  # ValueFromPipelineByPropertyName
    remaining: bool = False  # ValueFromRemainingArguments
    sets: tuple[str, ...] = ()
    per_set: Mapping[str, SetAttrs] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    help: str = ""
    default: Any = None  # value when not bound (documented in help; the cmdlet still sees is_bound False)
    allow_null: bool = False  # [AllowNull()]
    allow_empty: bool = False  # [AllowEmptyString()] and [AllowEmptyCollection()]
    completer: str | None = None
    validate: Callable[[Any], None] | None = None
    dont_show: bool = False  # hidden from help and completion (e.g. compatibility parameters)

    def in_set(self, set_name: str) -> bool:
        names = self.set_names()
        return not names or set_name in names

    def set_names(self) -> tuple[str, ...]:
        if self.sets:
            return self.sets
        return tuple(self.per_set.keys())

    def attrs_for(self, set_name: str) -> SetAttrs:
        if set_name in self.per_set:
            return self.per_set[set_name]
        return SetAttrs(self.mandatory, self.position, self.pipeline, self.by_property_name)

    @property
    def is_switch(self) -> bool:
        return self.type.kind == "switch"



# Common parameters every cmdlet has (binding.md §11); -WhatIf/-Confirm only when supports_should_process.
ACTION_PREFERENCE = T.enum(
    "System.Management.Automation.ActionPreference",
    ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend", "Break"),
    display="ActionPreference",
)
COMMON_PARAMETERS: tuple[Parameter, ...] = (
    Parameter("Verbose", T.SWITCH, aliases=("vb",)),
    Parameter("Debug", T.SWITCH, aliases=("db",)),
    Parameter("ErrorAction", ACTION_PREFERENCE, aliases=("ea",)),
    Parameter("WarningAction", ACTION_PREFERENCE, aliases=("wa",)),
    Parameter("InformationAction", ACTION_PREFERENCE, aliases=("infa",)),
    Parameter("ErrorVariable", T.STRING, aliases=("ev",)),
    Parameter("WarningVariable", T.STRING, aliases=("wv",)),
    Parameter("InformationVariable", T.STRING, aliases=("iv",)),
    Parameter("OutVariable", T.STRING, aliases=("ov",)),
    Parameter("OutBuffer", T.INT, aliases=("ob",)),
    Parameter("PipelineVariable", T.STRING, aliases=("pv",)),
)
SHOULD_PROCESS_PARAMETERS: tuple[Parameter, ...] = (
    Parameter("WhatIf", T.SWITCH, aliases=("wi",)),
    Parameter("Confirm", T.SWITCH, aliases=("cf",)),
)
COMMON_NAMES = frozenset(p.name.lower() for p in COMMON_PARAMETERS + SHOULD_PROCESS_PARAMETERS)


# --------------------------------------------------------------------------- bound parameters


class BoundParameters(Mapping[str, Any]):
    """Case-insensitive view of the values bound for the current input object, keyed by the declared name."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values: dict[str, tuple[str, Any]] = {}
        for k, v in (values or {}).items():
            self._values[k.lower()] = (k, v)

    def __getitem__(self, key: str) -> Any:
        return self._values[key.lower()][1]

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        item = self._values.get(key.lower())
        return default if item is None else item[1]

    def is_bound(self, key: str) -> bool:
        return key.lower() in self._values

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._values.values())

    def __len__(self) -> int:
        return len(self._values)

    def set(self, key: str, value: Any) -> None:
        self._values[key.lower()] = (key, value)

    def remove(self, key: str) -> None:
        self._values.pop(key.lower(), None)

    def copy(self) -> "BoundParameters":
        b = BoundParameters()
        b._values = dict(self._values)
        return b


@dataclass(frozen=True, slots=True)
class ListModifier:
    """An `@{Add=...; Remove=...; Replace=...}` argument to a multi-valued parameter (binding.md §10).
    Items are already converted to the element type."""

    add: tuple[Any, ...] = ()
    remove: tuple[Any, ...] = ()
    replace: tuple[Any, ...] | None = None

    def apply(self, current: Iterable[Any], key: Callable[[Any], Any] = lambda v: v) -> list[Any]:
        """Replace wins; else remove each Remove item, then append each Add item not already present."""
        if self.replace is not None:
            out: list[Any] = []
            for v in self.replace:
                if key(v) not in {key(x) for x in out}:
                    out.append(v)
            return out
        removing = {key(v) for v in self.remove}
        out = [v for v in current if key(v) not in removing]
        for v in self.add:
            if key(v) not in {key(x) for x in out}:
                out.append(v)
        return out
