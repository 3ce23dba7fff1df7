"""IPBinding, ByteQuantifiedSize, Unlimited and EnhancedTimeSpan: parsing and Exchange display forms."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exshell.model.binding import IPBinding
from exshell.model.size import ByteQuantifiedSize, Unlimited
from exshell.model.timespan import EnhancedTimeSpan


@pytest.mark.parametrize(
    ("text", "display", "version", "wildcard"),
    [
        ("0.0.0.0:25", "0.0.0.0:25", 4, True),
        ("[::]:25", "[::]:25", 6, True),
        ("192.168.1.17:25", "192.168.1.17:25", 4, False),
        ("[FE80::1]:587", "[fe80::1]:587", 6, False),
        (" 10.0.0.1:2525 ", "10.0.0.1:2525", 4, False),
    ],
)
def test_binding_parse_and_display(text: str, display: str, version: int, wildcard: bool) -> None:
    b = IPBinding.parse(text)
    assert (str(b), b.version, b.is_wildcard) == (display, version, wildcard)
    assert IPBinding.parse(str(b)) == b


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0.0.0.0", "IPv4:port"),
        ("::1:25", "IPv4:port"),
        ("[::1]25", "[address]:port"),
        ("10.0.0.300:25", "is not an IP address"),
        ("10.0.0.1:70000", "port must be a number from 0 to 65535"),
        ("10.0.0.1:abc", "port must be a number"),
    ],
)
def test_binding_parse_rejects_invalid(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as info:
        IPBinding.parse(text)
    assert reason in str(info.value)


def test_binding_accepts_wildcard_of_own_family_and_exact_address() -> None:
    any4, any6, one = (
        IPBinding.parse("0.0.0.0:25"),
        IPBinding.parse("[::]:25"),
        IPBinding.parse("192.168.1.17:25"),
    )
    assert (
        any4.accepts("192.168.1.17", 25) and not any4.accepts("::1", 25) and not any4.accepts("10.0.0.1", 587)
    )
    assert any6.accepts("::1", 25) and not any6.accepts("10.0.0.1", 25)
    assert any4.accepts("::ffff:10.0.0.1", 25)
    assert one.accepts("192.168.1.17", 25) and not one.accepts("192.168.1.18", 25)
    assert any4.overlaps(one) and one.overlaps(any4)
    assert not any6.overlaps(one)
    assert not one.overlaps(IPBinding.parse("192.168.1.18:25"))
    assert not one.overlaps(IPBinding.parse("192.168.1.17:587"))


@pytest.mark.parametrize(
    ("value", "size_bytes", "display"),
    [
        ("10MB", 10485760, "10 MB (10,485,760 bytes)"),
        ("10 mb", 10485760, "10 MB (10,485,760 bytes)"),
        ("36 MB (37,748,736 bytes)", 37748736, "36 MB (37,748,736 bytes)"),
        ("256KB", 262144, "256 KB (262,144 bytes)"),
        (10485760, 10485760, "10 MB (10,485,760 bytes)"),
        ("65536", 65536, "64 KB (65,536 bytes)"),
        ("1.5GB", 1610612736, "1.5 GB (1,610,612,736 bytes)"),
        ("10240000", 10240000, "9.766 MB (10,240,000 bytes)"),
        ("512B", 512, "512 B (512 bytes)"),
        ("0", 0, "0 B (0 bytes)"),
        ("2TB", 2 << 40, "2 TB (2,199,023,255,552 bytes)"),
    ],
)
def test_byte_quantified_size_parse_and_display(value: object, size_bytes: int, display: str) -> None:
    size = ByteQuantifiedSize.parse(value)
    assert size.bytes == size_bytes
    assert str(size) == display
    assert ByteQuantifiedSize.parse(str(size)) == size


@pytest.mark.parametrize("value", ["ten MB", "10 XB", "-5MB", "", True, -1, 1.5])
def test_byte_quantified_size_rejects_invalid(value: object) -> None:
    with pytest.raises(ValueError):
        ByteQuantifiedSize.parse(value)


@pytest.mark.parametrize(
    ("value", "display", "number"),
    [
        ("unlimited", "Unlimited", None),
        ("Unlimited", "Unlimited", None),
        (5000, "5000", 5000),
        ("20", "20", 20),
    ],
)
def test_unlimited_parse_and_display(value: object, display: str, number: int | None) -> None:
    u = Unlimited.parse(value)
    assert str(u) == display and u.number == number and u.is_unlimited == (number is None)


def test_unlimited_wraps_sizes_and_checks_limits() -> None:
    u = Unlimited.parse("10MB", size=True)
    assert str(u) == "10 MB (10,485,760 bytes)"
    assert u.allows(10485760) and not u.allows(10485761)
    assert Unlimited.parse("unlimited", size=True).allows(10**12)
    assert Unlimited.parse(5).allows(5) and not Unlimited.parse(5).allows(6)
    for bad in ("lots", -3, True):
        with pytest.raises(ValueError):
            Unlimited.parse(bad)


@pytest.mark.parametrize(
    ("text", "seconds", "display", "log"),
    [
        ("00:10:00", 600, "00:10:00", "0.00:10:00"),
        ("1.00:00:00", 86400, "1.00:00:00", "1.00:00:00"),
        ("0.00:00:05", 5, "00:00:05", "0.00:00:05"),
        ("00:00:00.5", 0.5, "00:00:00.5000000", "0.00:00:00.5000000"),
        ("2.04:03:02", 2 * 86400 + 4 * 3600 + 182, "2.04:03:02", "2.04:03:02"),
        ("05:30", 5 * 3600 + 1800, "05:30:00", "0.05:30:00"),
        ("1", 86400, "1.00:00:00", "1.00:00:00"),
        ("-00:00:05", -5, "-00:00:05", "-0.00:00:05"),
    ],
)
def test_enhanced_timespan_parse_and_display(text: str, seconds: float, display: str, log: str) -> None:
    span = EnhancedTimeSpan.parse(text)
    assert span.seconds == seconds
    assert str(span) == display
    assert span.log_form() == log
    assert EnhancedTimeSpan.parse(str(span)) == span


@pytest.mark.parametrize("text", ["10 minutes", "00:60:00", "24:00:00", "1:2:3:4", ""])
def test_enhanced_timespan_rejects_invalid(text: str) -> None:
    with pytest.raises(ValueError):
        EnhancedTimeSpan.parse(text)


def test_enhanced_timespan_orders_and_converts_timedelta() -> None:
    assert EnhancedTimeSpan.parse(datetime.timedelta(minutes=5)) == EnhancedTimeSpan(300.0)
    assert EnhancedTimeSpan(300.0).timedelta == datetime.timedelta(minutes=5)
    assert EnhancedTimeSpan(1) < EnhancedTimeSpan(2) <= EnhancedTimeSpan(2)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 2**45))
def test_size_display_round_trips_exactly(n: int) -> None:
    size = ByteQuantifiedSize(n)
    assert ByteQuantifiedSize.parse(str(size)) == size
    assert f"({n:,} bytes)" in str(size)


@settings(max_examples=200, deadline=None)
@given(ticks=st.integers(-(10**15), 10**15))
def test_timespan_display_round_trips(ticks: int) -> None:
    span = EnhancedTimeSpan(ticks / 10_000_000)
    assert EnhancedTimeSpan.parse(str(span)).ticks == span.ticks
    assert EnhancedTimeSpan.parse(span.log_form()).ticks == span.ticks
