"""Converting model values to and from the store's plain TOML-able record values.

Records read like `Get-ReceiveConnector | Format-List`: PascalCase Exchange property names and Exchange
display strings (`36 MB (37,748,736 bytes)`, `00:10:00`, `Tls, BasicAuth`, `0.0.0.0-255.255.255.255`).
A property whose value is $null is left out of the record (TOML has no null).
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from exshell.model.errors import ModelDataError

if TYPE_CHECKING:  # pragma: no cover
    from exshell.model.size import Unlimited


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "$true", "$false"):
        return value.strip().lstrip("$").lower() == "true"
    if isinstance(value, int):
        return value != 0
    raise ValueError(f'Cannot convert "{value}" to a Boolean: use $true or $false.')


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f'Cannot convert "{value}" to an integer.')
    if isinstance(value, int):
        return value
    text = str(value).strip().replace(",", "")
    if not text.lstrip("-").isdigit():
        raise ValueError(f'Cannot convert "{value}" to an integer.')
    return int(text)


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    if isinstance(value, str):  # `a, b` as typed or as printed
        return [v for v in (p.strip() for p in value.strip("{}").split(",")) if v]
    return [value]


def _unlimited_record(value: Unlimited) -> Any:
    from exshell.model.size import ByteQuantifiedSize  # lazy: see _FACTORIES

    if value.is_unlimited:
        return "Unlimited"
    return str(value.value) if isinstance(value.value, ByteQuantifiedSize) else value.value


class Codec:
    """How one property kind is coerced from user/record input and written to a record.

    Codec and Prop are rows of the model's own tables: plain slotted classes, not dataclasses (generating one
    costs about a millisecond of every start-up)."""

    __slots__ = ("coerce", "encode")

    def __init__(self, coerce: Callable[[Any], Any], encode: Callable[[Any], Any]) -> None:
        self.coerce = coerce  # any accepted input → model value (raises ValueError)
        self.encode = encode  # model value → plain record value (None = leave out)


def _enum_codec(name: str) -> Codec:
    from exshell.model import enums  # lazy: see _FACTORIES

    cls = getattr(enums, name)
    return Codec(cls.parse, lambda v: str(v))


def _optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: None if v is None or v == "" else parse(v)


def _size_codec(optional: bool = False) -> Codec:
    from exshell.model.size import ByteQuantifiedSize  # lazy: see _FACTORIES

    if optional:
        return Codec(_optional(ByteQuantifiedSize.parse), lambda v: None if v is None else str(v))
    return Codec(ByteQuantifiedSize.parse, str)


def _unlimited_codec(size: bool = False) -> Codec:
    from exshell.model.size import Unlimited  # lazy: see _FACTORIES

    parse = (lambda v: Unlimited.parse(v, size=True)) if size else Unlimited.parse
    return Codec(parse, _unlimited_record)


def _timespan_codec() -> Codec:
    from exshell.model.timespan import EnhancedTimeSpan  # lazy: see _FACTORIES

    return Codec(EnhancedTimeSpan.parse, str)


def _flags_codec(name: str) -> Codec:
    from exshell.model import enums  # lazy: see _FACTORIES

    return Codec(getattr(enums, name).parse, str)


def _list_codec(module: str, name: str) -> Codec:
    cls = getattr(importlib.import_module(module), name)
    parse_many = getattr(cls, "parse_many", None)  # a type with a quicker way to parse a whole list
    if parse_many is not None:
        return Codec(lambda v: parse_many(_list(v)), lambda v: [str(x) for x in v])
    return Codec(lambda v: tuple(cls.parse(x) for x in _list(v)), lambda v: [str(x) for x in v])


# Each codec is built the first time a property of its kind is read or written: decoding accepted domains
# never imports IP ranges, sizes or time spans.
_FACTORIES: dict[str, Callable[[], Codec]] = {
    "str": lambda: Codec(_str, lambda v: v),
    "bool": lambda: Codec(_bool, lambda v: v),
    "int": lambda: Codec(_int, lambda v: v),
    "size": _size_codec,
    "optsize": lambda: _size_codec(optional=True),
    "unlimited": _unlimited_codec,
    "unlimited_size": lambda: _unlimited_codec(size=True),
    "timespan": _timespan_codec,
    "auth": lambda: _flags_codec("AuthMechanism"),
    "groups": lambda: _flags_codec("PermissionGroups"),
    "bindings": lambda: _list_codec("exshell.model.binding", "IPBinding"),
    "ranges": lambda: _list_codec("exshell.model.ip", "IPRange"),
    "strlist": lambda: Codec(lambda v: tuple(str(x) for x in _list(v)), lambda v: list(v)),
    **{
        name: functools.partial(_enum_codec, name)
        for name in (
            "MessageRateSource",
            "ProtocolLoggingLevel",
            "ExtendedProtectionPolicy",
            "TransportRole",
            "SizeMode",
            "AcceptedDomainType",
        )
    },
}


# Kinds whose values are immutable and spelled the same way in record after record (a thousand connectors
# hold the same few defaults): each distinct text is parsed once per process (see _remembered).
_REMEMBERED = frozenset({
    "size", "optsize", "unlimited", "unlimited_size", "timespan", "auth", "groups", "MessageRateSource",
    "ProtocolLoggingLevel", "ExtendedProtectionPolicy", "TransportRole", "SizeMode", "AcceptedDomainType",
})
_REMEMBER_AT_MOST = 4096  # distinct texts per kind; beyond that, parse as usual


def _remembered(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    seen: dict[str, Any] = {}

    def coerce(value: Any) -> Any:
        if type(value) is not str:
            return parse(value)
        hit = seen.get(value)
        if hit is None:
            hit = parse(value)  # raises ValueError for a bad text: nothing is remembered
            if len(seen) < _REMEMBER_AT_MOST:
                seen[value] = hit
        return hit

    return coerce


class _Codecs(dict[str, Codec]):
    def __missing__(self, kind: str) -> Codec:
        codec = _FACTORIES[kind]()
        if kind in _REMEMBERED:
            codec = Codec(_remembered(codec.coerce), codec.encode)
        self[kind] = codec
        return codec


CODECS: dict[str, Codec] = _Codecs()


class Prop:
    """One Exchange property of a model object: its PascalCase name, dataclass field and codec kind."""

    __slots__ = ("name", "field", "kind", "key")

    def __init__(self, name: str, field: str, kind: str) -> None:
        self.name = name
        self.field = field
        self.kind = kind
        self.key = name.lower()  # how decode_props finds it among a record's lower-cased keys

    def __repr__(self) -> str:
        return f"Prop({self.name!r}, {self.field!r}, {self.kind!r})"


def encode_props(obj: Any, props: tuple[Prop, ...]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for prop in props:
        value = getattr(obj, prop.field)
        if value is None:
            continue
        encoded = CODECS[prop.kind].encode(value)
        if encoded is not None:
            record[prop.name] = encoded
    return record


def decode_props(record: Any, props: tuple[Prop, ...], what: str) -> dict[str, Any]:
    """Field values for the props present in record (case-insensitive keys); missing ones are left out so
    the dataclass defaults apply (records written by older versions stay readable)."""
    lowered = {str(k).lower(): v for k, v in record.items()}
    fields: dict[str, Any] = {}
    for prop in props:
        if prop.key not in lowered:
            continue
        raw = lowered[prop.key]
        try:
            fields[prop.field] = CODECS[prop.kind].coerce(raw)
        except ValueError as exc:
            raise ModelDataError(
                f"The stored {what} has an invalid {prop.name} value {raw!r}: {exc}",
                error_id="InvalidStoredData",
                property=prop.name,
            ) from None
    return fields


def coerce_fields(values: dict[str, Any], props: tuple[Prop, ...]) -> dict[str, Any]:
    """Coerce keyword values (snake_case field names or PascalCase property names) with the codecs."""
    by_key = {p.field: p for p in props} | {p.name.lower(): p for p in props}
    out: dict[str, Any] = {}
    for key, value in values.items():
        prop = by_key.get(key) or by_key.get(key.lower())
        if prop is None:
            out[key] = value
            continue
        out[prop.field] = CODECS[prop.kind].coerce(value)
    return out
