"""Converting model values to and from the store's plain TOML-able record values.

Records read like `Get-ReceiveConnector | Format-List`: PascalCase Exchange property names and Exchange
display strings (`36 MB (37,748,736 bytes)`, `00:10:00`, `Tls, BasicAuth`, `0.0.0.0-255.255.255.255`).
A property whose value is $null is left out of the record (TOML has no null).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from exshell.model import enums
from exshell.model.binding import IPBinding
from exshell.model.enums import AuthMechanism, PermissionGroups
from exshell.model.errors import ModelDataError
from exshell.model.ip import IPRange
from exshell.model.size import ByteQuantifiedSize, Unlimited
from exshell.model.timespan import EnhancedTimeSpan


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
    if value.is_unlimited:
        return "Unlimited"
    return str(value.value) if isinstance(value.value, ByteQuantifiedSize) else value.value


@dataclass(frozen=True, slots=True)
class Codec:
    """How one property kind is coerced from user/record input and written to a record."""

    coerce: Callable[[Any], Any]  # any accepted input → model value (raises ValueError)
    encode: Callable[[Any], Any]  # model value → plain record value (None = leave out)


def _enum_codec(cls: type[enums.NamedEnum]) -> Codec:
    return Codec(cls.parse, lambda v: str(v))


def _optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: None if v is None or v == "" else parse(v)


CODECS: dict[str, Codec] = {
    "str": Codec(_str, lambda v: v),
    "bool": Codec(_bool, lambda v: v),
    "int": Codec(_int, lambda v: v),
    "size": Codec(ByteQuantifiedSize.parse, str),
    "optsize": Codec(_optional(ByteQuantifiedSize.parse), lambda v: None if v is None else str(v)),
    "unlimited": Codec(Unlimited.parse, _unlimited_record),
    "unlimited_size": Codec(lambda v: Unlimited.parse(v, size=True), _unlimited_record),
    "timespan": Codec(EnhancedTimeSpan.parse, str),
    "auth": Codec(AuthMechanism.parse, str),
    "groups": Codec(PermissionGroups.parse, str),
    "bindings": Codec(lambda v: tuple(IPBinding.parse(x) for x in _list(v)), lambda v: [str(x) for x in v]),
    "ranges": Codec(lambda v: tuple(IPRange.parse(x) for x in _list(v)), lambda v: [str(x) for x in v]),
    "strlist": Codec(lambda v: tuple(str(x) for x in _list(v)), lambda v: list(v)),
    "MessageRateSource": _enum_codec(enums.MessageRateSource),
    "ProtocolLoggingLevel": _enum_codec(enums.ProtocolLoggingLevel),
    "ExtendedProtectionPolicy": _enum_codec(enums.ExtendedProtectionPolicy),
    "TransportRole": _enum_codec(enums.TransportRole),
    "SizeMode": _enum_codec(enums.SizeMode),
    "AcceptedDomainType": _enum_codec(enums.AcceptedDomainType),
}


@dataclass(frozen=True, slots=True)
class Prop:
    """One Exchange property of a model object: its PascalCase name, dataclass field and codec kind."""

    name: str
    field: str
    kind: str


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
        if prop.name.lower() not in lowered:
            continue
        raw = lowered[prop.name.lower()]
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
