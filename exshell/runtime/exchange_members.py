"""The .NET members of Exchange's value types, as the Exchange Management Shell shows them.

The model keeps plain dataclasses (exshell.model.ip, size, timespan, binding, enums); this table says what
a script sees on each: properties with their .NET types (`$r.LowerBound`, `$s.IsUnlimited`), methods
(`.ToMB()`, `.Value.ToMB()`, `.TotalMinutes`), the .NET type names (`GetType()`, `Get-Member`, `-is`), and
the equality PowerShell's `-eq` / `-contains` use once the right side is converted with the type's Parse.

Facts: ../shared/spec/exchange/tls-auth.md §6 and the Exchange Server API reference (IPRange, IPRange.Format,
ByteQuantifiedSize, Unlimited<T>, EnhancedTimeSpan); System.Net.IPAddress / IPEndPoint for the addresses.
Where the reference is silent the choice is the documented one in docs/values.md.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.model.binding import IPBinding
from exshell.model.enums import FlagSet, NamedEnum
from exshell.model.identity import ObjectIdentity
from exshell.model.ip import IPRange
from exshell.model.size import ByteQuantifiedSize, Unlimited
from exshell.model.smtp import SmtpAddress, SmtpDomain
from exshell.model.timespan import EnhancedTimeSpan
from exshell.runtime.types import register_type

_TICKS = 10_000_000  # .NET ticks per second


@dataclass(frozen=True, slots=True)
class Prop:
    """A read-only .NET property: its name, its .NET type (for Get-Member) and how to read it."""

    name: str
    type_name: str
    get: Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Method:
    """A .NET method: its name, the overloads Get-Member shows, and the call (`call(obj, *args)`)."""

    name: str
    definition: str
    call: Callable[..., Any]


@dataclass(frozen=True, slots=True)
class Members:
    """What one value type exposes: .NET type names (most specific first), properties in the order
    Format-List shows them, methods, and the instance equality PowerShell's -eq uses."""

    type_names: tuple[str, ...]
    properties: tuple[Prop, ...] = ()
    methods: tuple[Method, ...] = ()
    equals: Callable[[Any, Any], bool] | None = None
    # CompareTo as a sort key: Sort-Object and -lt/-gt order two values of the type by it.
    order: Callable[[Any], Any] | None = None

    def prop(self, name: str) -> Prop | None:
        low = name.lower()
        return next((p for p in self.properties if p.name.lower() == low), None)

    def method(self, name: str) -> Method | None:
        low = name.lower()
        return next((m for m in self.methods if m.name.lower() == low), None)


def _error(message: str, error_id: str, exception_type: str) -> PSRuntimeError:
    return PSRuntimeError(ErrorRecord(message, error_id, Category.NotSpecified, exception_type=exception_type))


def _no_args(name: str, fn: Callable[[Any], Any]) -> Callable[..., Any]:
    def call(obj: Any, *args: Any) -> Any:
        if args:
            raise _error(f'Cannot find an overload for "{name}" and the argument count: "{len(args)}".',
                         "MethodCountCouldNotFindBest", "MethodException")
        return fn(obj)

    return call


def _one_arg(name: str, fn: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def call(obj: Any, *args: Any) -> Any:
        if len(args) != 1:
            raise _error(f'Cannot find an overload for "{name}" and the argument count: "{len(args)}".',
                         "MethodCountCouldNotFindBest", "MethodException")
        return fn(obj, args[0])

    return call


def _exception_calling(name: str, nargs: int, message: str) -> PSRuntimeError:
    return _error(f'Exception calling "{name}" with "{nargs}" argument(s): "{message}"',
                  "MethodInvocationException", "MethodInvocationException")


def _compare_to(parse: Callable[[Any], Any], key: Callable[[Any], Any]) -> Method:
    def compare(obj: Any, other: Any) -> int:
        try:
            a, b = key(obj), key(parse(other))
        except (ValueError, TypeError) as e:
            raise _exception_calling("CompareTo", 1, str(e)) from None
        return (a > b) - (a < b)

    return Method("CompareTo", "int CompareTo(System.Object obj)", _one_arg("CompareTo", compare))


def _equals_method(eq: Callable[[Any, Any], bool]) -> Method:
    return Method("Equals", "bool Equals(System.Object obj)", _one_arg("Equals", eq))


_TO_STRING = Method("ToString", "string ToString()", _no_args("ToString", str))
_HASH = Method("GetHashCode", "int GetHashCode()", _no_args("GetHashCode", lambda o: hash(o) & 0x7FFFFFFF))


# --------------------------------------------------------------------------- System.Net.IPAddress


class AddressFamily(enum.Enum):
    """System.Net.Sockets.AddressFamily (the two members an IP address can have)."""

    __ps_type_name__ = "System.Net.Sockets.AddressFamily"
    InterNetwork = 2
    InterNetworkV6 = 23


def _ip(version: int, value: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


def _v6(a: Any, test: Callable[[ipaddress.IPv6Address], bool]) -> bool:
    return isinstance(a, ipaddress.IPv6Address) and test(a)


def _address_value(a: Any) -> int:
    if isinstance(a, ipaddress.IPv6Address):
        # IPAddress.Address throws for IPv6 ("The attempted operation is not supported for the type of object
        # referenced"): PowerShell reports it as an exception getting the property.
        raise _error('Exception getting "Address": "The attempted operation is not supported for the type of '
                     'object referenced."', "GetValueInvocationException", "GetValueInvocationException")
    # .NET stores the IPv4 address in network order inside a little-endian Int64.
    return int.from_bytes(a.packed, "little")


IPADDRESS = Members(
    ("System.Net.IPAddress", "System.Object"),
    (
        Prop("Address", "long", _address_value),
        Prop("AddressFamily", "System.Net.Sockets.AddressFamily",
             lambda a: AddressFamily.InterNetwork if a.version == 4 else AddressFamily.InterNetworkV6),
        Prop("ScopeId", "long", lambda a: int(a.scope_id) if getattr(a, "scope_id", None) and
             a.scope_id.isdigit() else 0),
        Prop("IsIPv6Multicast", "bool", lambda a: _v6(a, lambda x: x.is_multicast)),
        Prop("IsIPv6LinkLocal", "bool", lambda a: _v6(a, lambda x: x.is_link_local)),
        Prop("IsIPv6SiteLocal", "bool", lambda a: _v6(a, lambda x: x.is_site_local)),
        Prop("IsIPv6Teredo", "bool", lambda a: _v6(a, lambda x: x.teredo is not None)),
        Prop("IsIPv4MappedToIPv6", "bool", lambda a: _v6(a, lambda x: x.ipv4_mapped is not None)),
    ),
    (
        _equals_method(lambda a, b: str(a) == str(b).strip("[]")),
        Method("GetAddressBytes", "byte[] GetAddressBytes()", _no_args("GetAddressBytes", lambda a: list(a.packed))),
        _HASH,
        Method("MapToIPv4", "ipaddress MapToIPv4()", _no_args(
            "MapToIPv4", lambda a: a if a.version == 4 else ipaddress.IPv4Address(int(a) & 0xFFFFFFFF))),
        Method("MapToIPv6", "ipaddress MapToIPv6()", _no_args(
            "MapToIPv6", lambda a: a if a.version == 6 else ipaddress.IPv6Address("::ffff:" + str(a)))),
        _TO_STRING,
    ),
    lambda a, b: str(a) == str(b).strip("[]"),
)


# --------------------------------------------------------------------------- Microsoft.Exchange.Data.IPRange


class RangeFormat(enum.Enum):
    """IPRange+Format (Exchange API reference: Invalid, CIDR, Netmask, LoHi, SingleAddress)."""

    __ps_type_name__ = "Microsoft.Exchange.Data.IPRange+Format"
    Invalid = 0
    CIDR = 1
    Netmask = 2
    LoHi = 3
    SingleAddress = 4


_FORMATS = {"single": RangeFormat.SingleAddress, "range": RangeFormat.LoHi, "cidr": RangeFormat.CIDR}
_BITS = {4: 32, 6: 128}


def _cidr_length(r: IPRange) -> int:
    # A single address is its own /32 (/128); a lo-hi range carries no prefix, so 0 (the short's default).
    if r.form == "cidr":
        return r.prefix or 0
    return _BITS[r.version] if r.form == "single" else 0


def _netmask(r: IPRange) -> Any:
    if r.form != "cidr":
        return None
    bits = _BITS[r.version]
    mask = ((1 << bits) - 1) ^ ((1 << (bits - (r.prefix or 0))) - 1)
    return _ip(r.version, mask)


def _range_equals(a: IPRange, b: Any) -> bool:
    # Two entries are the same range when they cover the same addresses (10.0.0.1 = 10.0.0.1/32), which is
    # also how Set-ReceiveConnector's duplicate check and -RemoteIPRanges @{Remove=...} match them.
    if not isinstance(b, IPRange):
        try:
            b = IPRange.parse(str(b))
        except ValueError:
            return False
    return a.same_addresses(b)


def _range_contains(r: IPRange, address: Any) -> bool:
    try:
        return r.contains(str(address).strip("[]"))
    except ValueError as e:
        raise _exception_calling("Contains", 1, str(e)) from None


IPRANGE = Members(
    ("Microsoft.Exchange.Data.IPRange", "System.Object"),
    (
        Prop("LowerBound", "System.Net.IPAddress", lambda r: _ip(r.version, r.first)),
        Prop("UpperBound", "System.Net.IPAddress", lambda r: _ip(r.version, r.last)),
        Prop("Netmask", "System.Net.IPAddress", _netmask),
        Prop("CIDRLength", "short", _cidr_length),
        Prop("RangeFormat", "Microsoft.Exchange.Data.IPRange+Format", lambda r: _FORMATS[r.form]),
        Prop("Size", "decimal", lambda r: r.size),
        Prop("Expression", "string", str),
    ),
    (
        _compare_to(IPRange.parse, lambda r: r.sort_key()),
        Method("Contains", "bool Contains(System.Net.IPAddress ipAddress)", _one_arg("Contains", _range_contains)),
        _equals_method(_range_equals),
        _HASH,
        Method("Overlaps", "bool Overlaps(Microsoft.Exchange.Data.IPRange other)",
               _one_arg("Overlaps", lambda r, o: r.overlaps(IPRange.parse(o if isinstance(o, IPRange) else str(o))))),
        _TO_STRING,
    ),
    _range_equals,
    lambda r: r.sort_key(),
)


# --------------------------------------------------------------------------- Microsoft.Exchange.Data.IPBinding


def _binding_equals(a: IPBinding, b: Any) -> bool:
    if not isinstance(b, IPBinding):
        try:
            b = IPBinding.parse(str(b))
        except ValueError:
            return False
    return (a.address, a.port) == (b.address, b.port)


IPBINDING = Members(
    ("Microsoft.Exchange.Data.IPBinding", "System.Net.IPEndPoint", "System.Net.EndPoint", "System.Object"),
    (
        Prop("Address", "System.Net.IPAddress", lambda b: ipaddress.ip_address(b.address)),
        Prop("AddressFamily", "System.Net.Sockets.AddressFamily",
             lambda b: AddressFamily.InterNetwork if b.version == 4 else AddressFamily.InterNetworkV6),
        Prop("Port", "int", lambda b: b.port),
    ),
    (_equals_method(_binding_equals), _HASH, _TO_STRING),
    _binding_equals,
)


# --------------------------------------------------------------------------- ByteQuantifiedSize, Unlimited<T>

_UNITS = {"bytes": 0, "kb": 10, "mb": 20, "gb": 30, "tb": 40}


def _whole_units(shift: int) -> Callable[[ByteQuantifiedSize], int]:
    # ToKB()/ToMB()/... return UInt64 whole units, rounded down (36.5 MB → 36).
    return lambda s: s.bytes >> shift


def _round_up(s: ByteQuantifiedSize, unit: Any) -> int:
    name = str(unit).strip().lower()
    shift = {"none": 0, "bytes": 0, **_UNITS}.get(name)
    if shift is None:
        raise _exception_calling("RoundUpToUnit", 1, f"Unable to match the identifier name {unit} to a valid "
                                 "enumerator name. Specify one of the following enumerator names and try again: "
                                 "None, KB, MB, GB, TB")
    return -(-s.bytes >> shift) if shift else s.bytes


def _size_parse(value: Any) -> ByteQuantifiedSize:
    if isinstance(value, Unlimited) and isinstance(value.value, ByteQuantifiedSize):
        return value.value
    return ByteQuantifiedSize.parse(value)


def _size_equals(a: ByteQuantifiedSize, b: Any) -> bool:
    try:
        return a.bytes == _size_parse(b).bytes
    except ValueError:
        return False


SIZE = Members(
    ("Microsoft.Exchange.Data.ByteQuantifiedSize", "System.ValueType", "System.Object"),
    (),
    (
        _compare_to(_size_parse, lambda s: s.bytes),
        _equals_method(_size_equals),
        _HASH,
        Method("RoundUpToUnit", "System.UInt64 RoundUpToUnit(Microsoft.Exchange.Data.ByteQuantifiedSize+Quantifier "
               "quantifier)", _one_arg("RoundUpToUnit", _round_up)),
        Method("ToBytes", "System.UInt64 ToBytes()", _no_args("ToBytes", _whole_units(0))),
        Method("ToGB", "System.UInt64 ToGB()", _no_args("ToGB", _whole_units(30))),
        Method("ToKB", "System.UInt64 ToKB()", _no_args("ToKB", _whole_units(10))),
        Method("ToMB", "System.UInt64 ToMB()", _no_args("ToMB", _whole_units(20))),
        _TO_STRING,
        Method("ToTB", "System.UInt64 ToTB()", _no_args("ToTB", _whole_units(40))),
    ),
    _size_equals,
    lambda s: s.bytes,
)


def _unlimited_value(u: Unlimited) -> Any:
    if u.value is None:
        # Unlimited<T>.Value throws on an unlimited value; PowerShell reports the getter's exception.
        raise _error('Exception getting "Value": "Unlimited does not have a value."',
                     "ExceptionWhenGetting", "GetValueInvocationException")
    return u.value


def _unlimited_key(u: Unlimited) -> tuple[int, int]:
    # Unlimited sorts above every value (Unlimited<T>.CompareTo).
    return (1, 0) if u.value is None else (0, u.number or 0)


def _unlimited_parse_like(u: Unlimited) -> Callable[[Any], Unlimited]:
    return lambda v: Unlimited.parse(v, size=isinstance(u.value, ByteQuantifiedSize))


def _unlimited_equals(a: Unlimited, b: Any) -> bool:
    try:
        other = b if isinstance(b, Unlimited) else Unlimited.parse(b, size=isinstance(a.value, ByteQuantifiedSize))
    except ValueError:
        return False
    return a.number == other.number


def _unlimited_type(u: Unlimited) -> str:
    inner = "Microsoft.Exchange.Data.ByteQuantifiedSize" if isinstance(u.value, ByteQuantifiedSize) else "System.Int32"
    return f"Microsoft.Exchange.Data.Unlimited`1[{inner}]"


def _unlimited_members(u: Unlimited) -> Members:
    return Members(
        (_unlimited_type(u), "System.ValueType", "System.Object"),
        (
            Prop("IsUnlimited", "bool", lambda x: x.value is None),
            Prop("Value", "Microsoft.Exchange.Data.ByteQuantifiedSize" if isinstance(u.value, ByteQuantifiedSize)
                 else "int", _unlimited_value),
        ),
        (
            Method("CompareTo", "int CompareTo(System.Object other)", _one_arg(
                "CompareTo", lambda a, b: _cmp(_unlimited_key(a), _unlimited_key(_unlimited_parse_like(a)(b))))),
            _equals_method(_unlimited_equals),
            _HASH,
            _TO_STRING,
        ),
        _unlimited_equals,
        _unlimited_key,
    )


def _cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


# --------------------------------------------------------------------------- EnhancedTimeSpan


def _span_parts(t: EnhancedTimeSpan) -> tuple[int, int, int, int, int, int]:
    """(sign, days, hours, minutes, seconds, milliseconds); .NET's components share the span's sign."""
    ticks = t.ticks
    sign = -1 if ticks < 0 else 1
    whole, fraction = divmod(abs(ticks), _TICKS)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return sign, days, hours, minutes, secs, fraction // 10_000


def _part(index: int) -> Callable[[EnhancedTimeSpan], int]:
    def get(t: EnhancedTimeSpan) -> int:
        parts = _span_parts(t)
        return parts[0] * parts[index]

    return get


def _span_arg(value: Any) -> EnhancedTimeSpan:
    import datetime as _dt

    if isinstance(value, (EnhancedTimeSpan, _dt.timedelta)):
        return EnhancedTimeSpan.parse(value)
    return EnhancedTimeSpan.parse(str(value))


def _span_equals(a: EnhancedTimeSpan, b: Any) -> bool:
    try:
        return a.ticks == _span_arg(b).ticks
    except ValueError:
        return False


def _span_op(name: str, fn: Callable[[int, int], int]) -> Method:
    def call(t: EnhancedTimeSpan, other: Any) -> EnhancedTimeSpan:
        try:
            return EnhancedTimeSpan(fn(t.ticks, _span_arg(other).ticks) / _TICKS)
        except ValueError as e:
            raise _exception_calling(name, 1, str(e)) from None

    return Method(name, f"Microsoft.Exchange.Data.EnhancedTimeSpan {name}("
                  "Microsoft.Exchange.Data.EnhancedTimeSpan timeSpan)", _one_arg(name, call))


TIMESPAN = Members(
    ("Microsoft.Exchange.Data.EnhancedTimeSpan", "System.ValueType", "System.Object"),
    (
        Prop("Days", "int", _part(1)),
        Prop("Hours", "int", _part(2)),
        Prop("Milliseconds", "int", _part(5)),
        Prop("Minutes", "int", _part(3)),
        Prop("Seconds", "int", _part(4)),
        Prop("Sign", "int", lambda t: (t.ticks > 0) - (t.ticks < 0)),
        Prop("Ticks", "long", lambda t: t.ticks),
        Prop("TotalDays", "double", lambda t: t.ticks / _TICKS / 86400),
        Prop("TotalHours", "double", lambda t: t.ticks / _TICKS / 3600),
        Prop("TotalMilliseconds", "double", lambda t: t.ticks / 10_000),
        Prop("TotalMinutes", "double", lambda t: t.ticks / _TICKS / 60),
        Prop("TotalSeconds", "double", lambda t: t.ticks / _TICKS),
    ),
    (
        _span_op("Add", lambda a, b: a + b),
        _compare_to(_span_arg, lambda t: t.ticks),
        Method("Duration", "Microsoft.Exchange.Data.EnhancedTimeSpan Duration()",
               _no_args("Duration", lambda t: EnhancedTimeSpan(abs(t.ticks) / _TICKS))),
        _equals_method(_span_equals),
        _HASH,
        Method("Negate", "Microsoft.Exchange.Data.EnhancedTimeSpan Negate()",
               _no_args("Negate", lambda t: EnhancedTimeSpan(-t.ticks / _TICKS))),
        _span_op("Subtract", lambda a, b: a - b),
        _TO_STRING,
    ),
    _span_equals,
    lambda t: t.ticks,
)


# --------------------------------------------------------------------------- flag enums and plain enums


def _flag_members(f: FlagSet) -> Members:
    net = f.NET_NAME or f"Microsoft.Exchange.Data.{type(f).__name__}"

    def has_flag(obj: FlagSet, flag: Any) -> bool:
        try:
            return type(obj).parse(flag) in obj
        except ValueError as e:
            raise _exception_calling("HasFlag", 1, str(e)) from None

    def flag_equals(a: FlagSet, b: Any) -> bool:
        try:
            return a == type(a).parse(b)
        except (ValueError, TypeError):
            return False

    return Members(
        (net, "System.Enum", "System.ValueType", "System.Object"),
        (Prop("value__", "int", lambda x: x._bits),),
        (
            Method("CompareTo", "int CompareTo(System.Object target)",
                   _one_arg("CompareTo", lambda a, b: _cmp(a._bits, type(a).parse(b)._bits))),
            _equals_method(flag_equals),
            _HASH,
            Method("HasFlag", "bool HasFlag(System.Enum flag)", _one_arg("HasFlag", has_flag)),
            _TO_STRING,
        ),
        flag_equals,
        lambda x: x._bits,
    )


def _enum_members(e: NamedEnum) -> Members:
    cls = type(e)
    net = getattr(cls, "NET_NAME", None) or f"Microsoft.Exchange.Data.{cls.__name__}"
    return Members(
        (net, "System.Enum", "System.ValueType", "System.Object"),
        (Prop("value__", "int", lambda x: list(type(x)).index(x)),),  # type: ignore[call-overload]
        (_equals_method(lambda a, b: str(a).lower() == str(b).lower()), _HASH, _TO_STRING),
    )


# --------------------------------------------------------------------------- SmtpAddress, SmtpDomain

SMTP_ADDRESS = Members(
    ("Microsoft.Exchange.Data.SmtpAddress", "System.ValueType", "System.Object"),
    (
        Prop("Local", "string", lambda a: a.local),
        Prop("Domain", "string", lambda a: a.domain),
        Prop("Address", "string", str),
        Prop("Length", "int", lambda a: len(a.address)),
        Prop("IsValidAddress", "bool", lambda a: a.is_valid),
    ),
    (
        _equals_method(lambda a, b: str(a).lower() == str(b).lower()),
        _HASH,
        _TO_STRING,
    ),
    lambda a, b: str(a).lower() == str(b).lower(),
)

SMTP_DOMAIN = Members(
    ("Microsoft.Exchange.Data.SmtpDomainWithSubdomains", "System.Object"),
    (
        Prop("Address", "string", str),
        Prop("Domain", "string", lambda d: d.domain),
        Prop("IncludeSubDomains", "bool", lambda d: d.include_subdomains),
        Prop("IsStar", "bool", lambda d: d.domain == "" and d.include_subdomains),
        Prop("SmtpDomain", "Microsoft.Exchange.Data.SmtpDomain", lambda d: d.domain),
    ),
    (
        _equals_method(lambda a, b: str(a).lower() == str(b).lower()),
        _HASH,
        Method("Match", "int Match(string domain)", _one_arg("Match", lambda d, x: d.match(str(x)))),
        _TO_STRING,
    ),
    lambda a, b: str(a).lower() == str(b).lower(),
)

# --------------------------------------------------------------------------- ADObjectId (Identity)


def _identity_equals(a: ObjectIdentity, b: Any) -> bool:
    return str(a).lower() == str(b).lower()  # identities compare case-insensitively, like the cmdlets' lookup


IDENTITY = Members(
    ("Microsoft.Exchange.Data.Directory.ADObjectId", "Microsoft.Exchange.Data.ObjectId", "System.Object"),
    (
        Prop("Name", "string", lambda i: i.name),
        Prop("Parent", "string", lambda i: i.parent),
        Prop("ObjectGuid", "guid", lambda i: i.guid),
        Prop("IsDeleted", "bool", lambda i: False),
    ),
    (_equals_method(_identity_equals), _HASH, _TO_STRING),
    _identity_equals,
    lambda i: str(i).lower(),
)


# --------------------------------------------------------------------------- lookup

_BY_TYPE: dict[type, Members] = {
    IPRange: IPRANGE,
    IPBinding: IPBINDING,
    ByteQuantifiedSize: SIZE,
    EnhancedTimeSpan: TIMESPAN,
    ipaddress.IPv4Address: IPADDRESS,
    ipaddress.IPv6Address: IPADDRESS,
    SmtpAddress: SMTP_ADDRESS,
    SmtpDomain: SMTP_DOMAIN,
    ObjectIdentity: IDENTITY,
}


def members_of(obj: Any) -> Members | None:
    """The member table of an Exchange value (or an IP address), or None for anything else."""
    table = _BY_TYPE.get(type(obj))
    if table is not None:
        return table
    if isinstance(obj, Unlimited):
        return _unlimited_members(obj)
    if isinstance(obj, FlagSet):
        return _flag_members(obj)
    if isinstance(obj, NamedEnum):
        return _enum_members(obj)
    return None


def coerce(a: Any, b: Any) -> Any:
    """b as a value of a's type, the way PowerShell converts the right operand (the type's Parse);
    ValueError when it cannot be."""
    if isinstance(a, IPRange):
        return b if isinstance(b, IPRange) else IPRange.parse(str(b))
    if isinstance(a, ByteQuantifiedSize):
        return _size_parse(b)
    if isinstance(a, Unlimited):
        return b if isinstance(b, Unlimited) else _unlimited_parse_like(a)(b)
    if isinstance(a, EnhancedTimeSpan):
        return _span_arg(b)
    if isinstance(a, FlagSet):
        return type(a).parse(b)
    if isinstance(a, IPBinding):
        return b if isinstance(b, IPBinding) else IPBinding.parse(str(b))
    if isinstance(a, ObjectIdentity):
        return b if isinstance(b, ObjectIdentity) else ObjectIdentity(str(b))
    return b


_STATIC_FACTORIES: dict[str, dict[str, Callable[[Any], Any]]] = {
    "microsoft.exchange.data.iprange": {"parse": lambda v: IPRange.parse(str(v))},
    "microsoft.exchange.data.ipbinding": {"parse": lambda v: IPBinding.parse(str(v))},
    "microsoft.exchange.data.bytequantifiedsize": {
        "parse": _size_parse,
        **{f"from{unit}": (lambda shift: lambda v: ByteQuantifiedSize(int(v) << shift))(shift)  # noqa: B023
           for unit, shift in _UNITS.items()},
    },
    "microsoft.exchange.data.enhancedtimespan": {
        "parse": _span_arg,
        "fromdays": lambda v: EnhancedTimeSpan(float(v) * 86400),
        "fromhours": lambda v: EnhancedTimeSpan(float(v) * 3600),
        "fromminutes": lambda v: EnhancedTimeSpan(float(v) * 60),
        "fromseconds": lambda v: EnhancedTimeSpan(float(v)),
        "frommilliseconds": lambda v: EnhancedTimeSpan(float(v) / 1000),
    },
    "microsoft.exchange.data.smtpaddress": {"parse": lambda v: SmtpAddress.parse(str(v))},
    "microsoft.exchange.data.smtpdomainwithsubdomains": {"parse": lambda v: SmtpDomain.parse(str(v))},
}


def static_call(full_name: str, method: str, args: list[Any]) -> Any:
    """`[Microsoft.Exchange.Data.ByteQuantifiedSize]::FromMB(10)`, `[...IPRange]::Parse('10.0.0.0/24')`: the
    static factories scripts call. Returns the module's "no such method" marker otherwise."""
    from exshell.runtime.properties import _MISSING

    factory = _STATIC_FACTORIES.get(full_name.lower(), {}).get(method)
    if factory is None:
        return _MISSING
    name = method[:1].upper() + method[1:]
    if len(args) != 1:
        raise _error(f'Cannot find an overload for "{name}" and the argument count: "{len(args)}".',
                     "MethodCountCouldNotFindBest", "MethodException")
    try:
        return factory(args[0])
    except (ValueError, TypeError, OverflowError) as e:
        raise _exception_calling(name, 1, str(e)) from None


def net_type_name(obj: Any) -> str | None:
    table = members_of(obj)
    return table.type_names[0] if table is not None else None


# `[Microsoft.Exchange.Data.IPRange]"10.0.0.0/24"`, `-is [Microsoft.Exchange.Data.ByteQuantifiedSize]`, ...
register_type("Microsoft.Exchange.Data.IPRange", lambda v: IPRange.parse(v if isinstance(v, IPRange) else str(v)),
              IPRange)
register_type("Microsoft.Exchange.Data.IPBinding", lambda v: IPBinding.parse(v if isinstance(v, IPBinding)
                                                                             else str(v)), IPBinding)
register_type("Microsoft.Exchange.Data.ByteQuantifiedSize", _size_parse, ByteQuantifiedSize)
register_type("Microsoft.Exchange.Data.EnhancedTimeSpan", _span_arg, EnhancedTimeSpan)
register_type("Microsoft.Exchange.Data.SmtpAddress", lambda v: SmtpAddress.parse(str(v)), SmtpAddress)
register_type("Microsoft.Exchange.Data.SmtpDomainWithSubdomains", lambda v: SmtpDomain.parse(str(v)), SmtpDomain)

__all__ = ["Members", "Method", "Prop", "RangeFormat", "AddressFamily", "members_of", "net_type_name"]
