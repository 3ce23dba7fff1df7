"""IP ranges as Exchange's RemoteIPRanges holds them, and an O(log n) index for "which ranges contain
this IP".

Exchange accepts three spellings for an entry (New-ReceiveConnector -RemoteIPRanges; semantics.md §j):
a single address (IPv6 with a zone index too), `first-last`, and CIDR. A CIDR written with host bits set
(`192.168.1.1/24`, used in Microsoft's own examples) is normalized to its network (`192.168.1.0/24`).
Each entry keeps the form it was written in because Get-ReceiveConnector prints it back that way.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from functools import partial
from dataclasses import dataclass
from typing import Generic, TypeVar
from collections.abc import Iterable

Address = str | ipaddress.IPv4Address | ipaddress.IPv6Address
P = TypeVar("P")

_MAX = {4: (1 << 32) - 1, 6: (1 << 128) - 1}
_BITS = {4: 32, 6: 128}
FORMS = ("single", "range", "cidr")
_MAPPED_PREFIX = b"\x00" * 10 + b"\xff\xff"  # ::ffff:0:0/96, IPv4-mapped IPv6 (RFC 4291 §2.5.5.2)


# Every dotted-quad octet as written: a lookup refuses leading zeros, signs, spaces, non-ASCII digits and
# values over 255, exactly as inet_pton(AF_INET) does.
_OCTETS = {str(i): i for i in range(256)}


def _fast_v4(text: str) -> int | None:
    """The integer of a dotted-quad IPv4 address, or None. As strict as inet_pton and as quick, ~10x quicker
    than ipaddress (stores with 100,000 ranges are loaded on every Get-ReceiveConnector and engine reload),
    and without importing socket (~5 ms of every start-up)."""
    try:
        a, b, c, d = text.split(".")
        return (_OCTETS[a] << 24) | (_OCTETS[b] << 16) | (_OCTETS[c] << 8) | _OCTETS[d]
    except (ValueError, KeyError):
        return None


def _inet_pton6(text: str) -> bytes:
    """socket.inet_pton(AF_INET6, text); socket (with selectors and its enum conversions, ~5 ms) is imported on
    the first IPv6 client address, not by every start (the engine has imported it by then anyway)."""
    global _inet_pton6
    import socket

    _inet_pton6 = partial(socket.inet_pton, socket.AF_INET6)
    return _inet_pton6(text)


def _parse_address(text: str, whole: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):  # `[::1]` is how bindings spell IPv6; be forgiving here
        text = text[1:-1]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(
            f'"{whole}" is not a valid IP address, IP range or CIDR block: "{text}" is not an IP address.'
        ) from None


def normalize_address(addr: Address) -> tuple[int, int]:
    """(version, integer) of a client address. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a
    dual-stack socket reports for an IPv4 client) is the IPv4 client it stands for, so it matches IPv4
    ranges."""
    if isinstance(addr, str):
        # Fast path for the engine's per-connection lookups: ~10x quicker than ipaddress and just as strict
        # (no leading zeros, no short forms).
        v4 = _fast_v4(addr)
        if v4 is not None:
            return 4, v4
        try:
            packed = _inet_pton6(addr.split("%", 1)[0])
        except OSError:
            packed = None
        if packed is not None:
            if packed[:12] == _MAPPED_PREFIX:
                return 4, int.from_bytes(packed[12:], "big")
            return 6, int.from_bytes(packed, "big")
    ip = (
        addr
        if not isinstance(addr, str)
        else _parse_address(addr.split("%", 1)[0] if ":" in addr else addr, addr)
    )
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped
        if mapped is not None:
            return 4, int(mapped)
        return 6, int(ip)
    return 4, int(ip)


def _text(version: int, value: int) -> str:
    return str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))


@dataclass(frozen=True, slots=True)
class IPRange:
    """One RemoteIPRanges entry: the inclusive integer interval [first, last] of one address family."""

    first: int
    last: int
    version: int  # 4 | 6
    form: str = "range"  # 'single' | 'range' | 'cidr'
    prefix: int | None = None  # CIDR prefix length when form == 'cidr'
    zone: str | None = None  # IPv6 zone index of a single address (`fe80::1%11`); display only

    def __post_init__(self) -> None:
        if self.version not in _MAX:
            raise ValueError(f"IP version must be 4 or 6, not {self.version}.")
        if not (0 <= self.first <= self.last <= _MAX[self.version]):
            raise ValueError("The start address of an IP range must not be greater than the end address.")
        if self.form not in FORMS:
            raise ValueError(f"Unknown IP range form {self.form!r}.")

    # ------------------------------------------------------------------ construction

    @classmethod
    def parse(cls, text: str | IPRange) -> IPRange:
        """Parse `192.168.1.1`, `fe80::1%11`, `10.0.0.1-10.0.0.9`, `192.168.1.1/24` or `2001:db8::/32`.
        Raises ValueError with the reason for anything else."""
        if type(text) is str and ":" not in text and "/" not in text and "-" not in text:
            single = _fast_v4(text)  # the common stored form, checked first (_fast_v4 refuses spaces)
            if single is not None:
                return _checked(single, single, 4, "single")
        if isinstance(text, IPRange):
            return text
        if not isinstance(text, str):
            raise ValueError(f'"{text}" is not a valid IP address, IP range or CIDR block.')
        whole = text.strip()
        if not whole:
            raise ValueError("An IP range can't be empty.")
        if "/" in whole:
            return cls._parse_cidr(whole)
        if ":" not in whole:
            single = _fast_v4(whole)
            if single is not None:
                return _checked(single, single, 4, "single")
        if "-" in whole:  # IPv6 addresses never contain '-', so the dash always separates the two ends
            parts = whole.split("-")
            if len(parts) == 2:
                lo, hi = _fast_v4(parts[0].strip()), _fast_v4(parts[1].strip())
                if lo is not None and hi is not None and lo <= hi:
                    return _checked(lo, hi, 4, "range")
            if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
                raise ValueError(
                    f'"{whole}" is not a valid IP range: write it as first-last, e.g. 10.0.0.1-10.0.0.9.'
                )
            a = _parse_address(parts[0], whole)
            b = _parse_address(parts[1], whole)
            if a.version != b.version:
                raise ValueError(f'"{whole}" is not a valid IP range: both ends must be IPv4 or both IPv6.')
            if int(a) > int(b):
                raise ValueError(
                    f'"{whole}" is not a valid IP range: '
                    f"the start address {a} is greater than the end address {b}."
                )
            return cls(int(a), int(b), a.version, "range")
        zone = None
        addr_text = whole
        if "%" in whole and ":" in whole:  # zone index: fe80::39bd:88f7:6969:d223%11 (PS-NRC)
            addr_text, zone = whole.split("%", 1)
            if not zone or any(c.isspace() for c in zone):
                raise ValueError(
                    f'"{whole}" is not a valid IP address: the zone index after % is empty or invalid.'
                )
        ip = _parse_address(addr_text, whole)
        return cls(int(ip), int(ip), ip.version, "single", zone=zone)

    @classmethod
    def parse_many(cls, values: Iterable[str | IPRange]) -> tuple[IPRange, ...]:
        """parse() of each value. The stored form (a dotted-quad IPv4 address) is decoded inline: a store of
        1,000 connectors x 100 ranges decodes 100,000 of them on every Get-ReceiveConnector and engine
        reload, and the calls per value cost more than the parsing."""
        out: list[IPRange] = []
        append = out.append
        octet = _OCTETS
        for value in values:
            try:
                a, b, c, d = value.split(".")  # type: ignore[union-attr]
                n = (octet[a] << 24) | (octet[b] << 16) | (octet[c] << 8) | octet[d]
            except (ValueError, KeyError, AttributeError):  # another form, or not a str: the general parse
                append(cls.parse(value))
                continue
            append(_checked(n, n, 4, "single"))
        return tuple(out)

    @classmethod
    def _parse_cidr(cls, whole: str) -> IPRange:
        addr_text, _, bits_text = whole.partition("/")
        ip = _parse_address(addr_text, whole)
        bits_text = bits_text.strip()
        maximum = _BITS[ip.version]
        if not bits_text.isdigit() or int(bits_text) > maximum:
            raise ValueError(
                f'"{whole}" is not a valid CIDR block: '
                f"the prefix length must be a number from 0 to {maximum}."
            )
        prefix = int(bits_text)
        host_bits = maximum - prefix
        first = (int(ip) >> host_bits) << host_bits  # host bits allowed, normalized to the network (§j)
        return cls(first, first + (1 << host_bits) - 1, ip.version, "cidr", prefix)

    @classmethod
    def all_ipv4(cls) -> IPRange:
        return cls(0, _MAX[4], 4, "range")

    @classmethod
    def all_ipv6(cls) -> IPRange:
        return cls(0, _MAX[6], 6, "range")

    # ------------------------------------------------------------------ arithmetic

    @property
    def size(self) -> int:
        """Number of addresses; the connector-selection tie-breaker (smaller is more specific, §e)."""
        return self.last - self.first + 1

    @property
    def is_everything(self) -> bool:
        """True for 0.0.0.0/0 or ::/0 however it is written: the "open to the Internet" test."""
        return self.first == 0 and self.last == _MAX[self.version]

    def contains(self, addr: Address) -> bool:
        version, value = normalize_address(addr)
        return version == self.version and self.first <= value <= self.last

    def __contains__(self, addr: Address) -> bool:
        return self.contains(addr)

    def contains_range(self, other: IPRange) -> bool:
        return self.version == other.version and self.first <= other.first and other.last <= self.last

    def overlaps(self, other: IPRange) -> bool:
        return self.version == other.version and self.first <= other.last and other.first <= self.last

    def same_addresses(self, other: IPRange) -> bool:
        """Same interval regardless of spelling (`10.0.0.1` vs `10.0.0.1/32` vs `10.0.0.1-10.0.0.1`)."""
        return (self.version, self.first, self.last) == (other.version, other.first, other.last)

    # ------------------------------------------------------------------ display

    @property
    def first_address(self) -> str:
        return _text(self.version, self.first)

    @property
    def last_address(self) -> str:
        return _text(self.version, self.last)

    def __str__(self) -> str:
        if self.form == "single":
            text = self.first_address
            return f"{text}%{self.zone}" if self.zone else text
        if self.form == "cidr":
            return f"{self.first_address}/{self.prefix}"
        return f"{self.first_address}-{self.last_address}"

    def sort_key(self) -> tuple[int, int, int]:
        """Exchange lists IPv6 entries before IPv4 ones (`{::-ffff:..., 0.0.0.0-255.255.255.255}`)."""
        return (0 if self.version == 6 else 1, self.first, self.last)


_new = object.__new__
_SLOTS = vars(IPRange)  # the slot descriptors of the fields
_SET_FIRST = _SLOTS["first"].__set__
_SET_LAST = _SLOTS["last"].__set__
_SET_VERSION = _SLOTS["version"].__set__
_SET_FORM = _SLOTS["form"].__set__
_SET_PREFIX = _SLOTS["prefix"].__set__
_SET_ZONE = _SLOTS["zone"].__set__


def _checked(first: int, last: int, version: int, form: str) -> IPRange:
    """An IPRange whose values parse() has already checked (an IPv4 address or first-last with first <= last):
    filled through the slots, skipping the frozen __init__ and __post_init__, which cost three times the
    parse itself when a store of 100,000 ranges is decoded."""
    r = _new(IPRange)
    _SET_FIRST(r, first)
    _SET_LAST(r, last)
    _SET_VERSION(r, version)
    _SET_FORM(r, form)
    _SET_PREFIX(r, None)
    _SET_ZONE(r, None)
    return r


# ---------------------------------------------------------------------- the lookup index


class _FamilyTable:
    # The index's own storage: a plain slotted class, not a dataclass (generating one costs about a
    # millisecond of every start-up).
    __slots__ = ("starts", "covers")

    def __init__(self, starts: list[int], covers: list[tuple[int, ...]]) -> None:
        self.starts = starts  # sorted segment start points
        self.covers = covers  # entry indexes covering each segment, most specific first


class RangeIndex(Generic[P]):
    """All ranges containing an address, most specific (smallest) first, in O(log n) per lookup.

    Built once by a sweep over the range boundaries into elementary segments; each segment stores the
    (size-ordered) tuple of entries covering it, so a lookup is one bisect. Equal covering tuples are
    shared, so the usual shapes (disjoint ranges, a few nesting levels) stay linear in memory.
    Ties in size keep insertion order, so the result is deterministic.
    """

    __slots__ = ("_entries", "_tables")

    def __init__(self, items: Iterable[tuple[IPRange, P]]) -> None:
        self._entries: list[tuple[IPRange, P]] = [(r, p) for r, p in items]
        self._tables: dict[int, _FamilyTable] = {}
        for version in (4, 6):
            idx = [i for i, (r, _) in enumerate(self._entries) if r.version == version]
            if idx:
                self._tables[version] = self._build(idx)

    def _build(self, idx: list[int]) -> _FamilyTable:
        entries = self._entries
        starts_at: dict[int, list[int]] = {}
        ends_at: dict[int, list[int]] = {}  # keyed by last + 1: the first point no longer covered
        for i in idx:
            r = entries[i][0]
            starts_at.setdefault(r.first, []).append(i)
            ends_at.setdefault(r.last + 1, []).append(i)
        points = sorted(set(starts_at) | set(ends_at))
        active: set[int] = set()
        starts: list[int] = []
        covers: list[tuple[int, ...]] = []
        interned: dict[frozenset[int], tuple[int, ...]] = {frozenset(): ()}
        for point in points:
            for i in ends_at.get(point, ()):
                active.discard(i)
            active.update(starts_at.get(point, ()))
            key = frozenset(active)
            cover = interned.get(key)
            if cover is None:
                cover = tuple(sorted(active, key=lambda i: (entries[i][0].size, i)))
                interned[key] = cover
            if covers and covers[-1] is cover:
                continue  # merge adjacent segments with the same cover
            starts.append(point)
            covers.append(cover)
        return _FamilyTable(starts, covers)

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, addr: Address) -> list[tuple[IPRange, P]]:
        version, value = normalize_address(addr)
        return self.lookup_value(version, value)

    def lookup_value(self, version: int, value: int) -> list[tuple[IPRange, P]]:
        table = self._tables.get(version)
        if table is None:
            return []
        pos = bisect_right(table.starts, value) - 1
        if pos < 0:
            return []
        entries = self._entries
        return [entries[i] for i in table.covers[pos]]

    def best(self, addr: Address) -> tuple[IPRange, P] | None:
        """The most specific entry containing addr, or None."""
        found = self.lookup(addr)
        return found[0] if found else None
