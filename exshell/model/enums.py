"""Exchange's flag sets (AuthMechanism, PermissionGroups) and plain enums (UsageType, AcceptedDomainType,
...).

Flag sets print like .NET [Flags] enums: the set names in declaration (bit) order joined by ", ", or `None`
for the empty set (`Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer`, QA-305565).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar, TypeVar
from collections.abc import Iterable, Iterator

F = TypeVar("F", bound="FlagSet")
E = TypeVar("E", bound="NamedEnum")


def _enum_error(text: str, names: Iterable[str]) -> ValueError:
    # .NET's Enum.Parse wording, which PowerShell shows inside "Cannot convert value ..." errors.
    return ValueError(
        f"Unable to match the identifier name {text} to a valid enumerator name. "
        "Specify one of the following "
        f"enumerator names and try again: {', '.join(names)}"
    )


class FlagSet:
    """An immutable set of flag names of one flag enum. Subclasses set ALL_NAMES (declaration order)."""

    __slots__ = ("_bits",)
    _bits: int
    _LOOKUP: ClassVar[dict[str, int]]  # per subclass: lower-case name -> bit index
    ALL_NAMES: ClassVar[tuple[str, ...]] = ()
    NET_NAME: ClassVar[str] = ""
    # AuthMechanism: `None` must be used alone (PS-NRC); other flag enums OR it away like .NET does.
    NONE_ALONE: ClassVar[bool] = False

    def __init__(self, names: Iterable[str] = ()) -> None:
        bits = 0
        lookup = self._lookup()
        for name in names:
            bits |= 1 << lookup[name.lower()]
        object.__setattr__(self, "_bits", bits)

    @classmethod
    def _lookup(cls) -> dict[str, int]:
        table = cls.__dict__.get("_LOOKUP")
        if table is None:
            table = {name.lower(): i for i, name in enumerate(cls.ALL_NAMES)}
            cls._LOOKUP = table
        return table

    @classmethod
    def _from_bits(cls: type[F], bits: int) -> F:
        obj = cls.__new__(cls)
        object.__setattr__(obj, "_bits", bits)
        return obj

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    @classmethod
    def parse(cls: type[F], value: Any) -> F:
        """`'Tls, ExternalAuthoritative'`, `['Tls', 'BasicAuth']`, `'none'`, another set. Case-insensitive."""
        if isinstance(value, cls):
            return value
        if value is None:
            return cls()
        if isinstance(value, FlagSet):
            value = value.names
        items: list[str] = []
        for part in [value] if isinstance(value, str) else list(value):
            if isinstance(part, FlagSet):
                items.extend(part.names)
                continue
            items.extend(p.strip() for p in str(part).split(","))
        items = [p for p in items if p]
        lookup = cls._lookup()
        bits = 0
        saw_none = False
        for item in items:
            if item.lower() == "none":
                saw_none = True
                continue
            index = lookup.get(item.lower())
            if index is None:
                raise _enum_error(item, ("None",) + cls.ALL_NAMES)
            bits |= 1 << index
        if cls.NONE_ALONE and saw_none and bits:
            raise ValueError(f"The {cls.__name__} value None can't be combined with other values.")
        return cls._from_bits(bits)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for i, name in enumerate(self.ALL_NAMES) if self._bits >> i & 1)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return bin(self._bits).count("1")

    def __bool__(self) -> bool:
        return self._bits != 0

    def __contains__(self, name: object) -> bool:
        if isinstance(name, FlagSet):
            other = type(self).parse(name)
            return other._bits & self._bits == other._bits
        if not isinstance(name, str):
            return False
        index = self._lookup().get(name.lower())
        return index is not None and bool(self._bits >> index & 1)

    def _coerce(self: F, other: Any) -> F:
        return type(self).parse(other)

    def __or__(self: F, other: Any) -> F:
        return self._from_bits(self._bits | self._coerce(other)._bits)

    def __sub__(self: F, other: Any) -> F:
        return self._from_bits(self._bits & ~self._coerce(other)._bits)

    def __and__(self: F, other: Any) -> F:
        return self._from_bits(self._bits & self._coerce(other)._bits)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._bits == self._bits

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._bits))

    def __str__(self) -> str:
        return ", ".join(self.names) if self._bits else "None"

    def __repr__(self) -> str:
        return f"{type(self).__name__}.parse({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self).parse, (str(self),))


class AuthMechanism(FlagSet):
    """Receive connector AuthMechanism (semantics.md §d)."""

    __slots__ = ()
    ALL_NAMES = (
        "Tls",
        "Integrated",
        "BasicAuth",
        "BasicAuthRequireTLS",
        "ExchangeServer",
        "ExternalAuthoritative",
    )
    NET_NAME = "Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms"
    NONE_ALONE = True


class PermissionGroups(FlagSet):
    """Receive connector PermissionGroups (semantics.md §b). `Custom` is reported, never meaningfully set."""

    __slots__ = ()
    ALL_NAMES = (
        "AnonymousUsers",
        "ExchangeUsers",
        "ExchangeServers",
        "ExchangeLegacyServers",
        "Partners",
        "Custom",
    )
    NET_NAME = "Microsoft.Exchange.Data.Directory.SystemConfiguration.PermissionGroups"


class NamedEnum(StrEnum):
    """A plain Exchange enum whose str() is the Exchange name. parse() is case-insensitive."""

    @classmethod
    def parse(cls: type[E], value: Any) -> E:
        if isinstance(value, cls):
            return value
        text = str(value).strip()
        for member in cls:
            if member.value.lower() == text.lower():
                return member
        raise _enum_error(text, cls.names())

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls)


class UsageType(NamedEnum):
    Client = "Client"
    Custom = "Custom"
    Internal = "Internal"
    Internet = "Internet"
    Partner = "Partner"


class AcceptedDomainType(NamedEnum):
    Authoritative = "Authoritative"
    ExternalRelay = "ExternalRelay"
    InternalRelay = "InternalRelay"


class ProtocolLoggingLevel(NamedEnum):
    NONE = "None"
    Verbose = "Verbose"


class TransportRole(NamedEnum):
    """Which Transport service owns a connector on a 2013+ Mailbox server (FrontEnd 25/587/717,
    Hub 2525/465)."""

    FrontendTransport = "FrontendTransport"
    HubTransport = "HubTransport"


class SizeMode(NamedEnum):
    Enabled = "Enabled"
    Disabled = "Disabled"
    EnabledWithoutValue = "EnabledWithoutValue"


class ExtendedProtectionPolicy(NamedEnum):
    NONE = "None"
    Allow = "Allow"
    Require = "Require"


class MessageRateSource(NamedEnum):
    NONE = "None"
    User = "User"
    IPAddress = "IPAddress"
    All = "All"
