"""EnhancedTimeSpan: .NET TimeSpan text `[-][d.]hh:mm:ss[.fffffff]` (PS-NRC: "dd.hh:mm:ss")."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

_TICKS = 10_000_000  # .NET ticks per second

# TimeSpan.Parse accepts `d`, `hh:mm`, `hh:mm:ss`, `d.hh:mm[:ss]`, with optional fraction `.fffffff`.
_PATTERN = re.compile(
    r"^(?P<sign>-)?(?:(?P<days>\d+)\.)?(?P<h>\d{1,2}):(?P<m>\d{1,2})(?::(?P<s>\d{1,2})(?:\.(?P<f>\d{1,7}))?)?$"
)


@dataclass(frozen=True, slots=True)
class EnhancedTimeSpan:
    seconds: float

    @classmethod
    def parse(cls, value: str | int | float | datetime.timedelta | EnhancedTimeSpan) -> EnhancedTimeSpan:
        """`00:10:00`, `1.00:00:00`, `0.00:00:05`, `00:00:00.5`. A bare integer is days, as in
        TimeSpan.Parse."""
        if isinstance(value, EnhancedTimeSpan):
            return value
        if isinstance(value, datetime.timedelta):
            return cls(value.total_seconds())
        if isinstance(value, bool):
            raise ValueError(
                f'Cannot convert "{value}" to a time span. Use the format dd.hh:mm:ss, e.g. 00:10:00.'
            )
        text = str(value).strip()
        if text.lstrip("-").isdigit():
            return cls(int(text) * 86400.0)
        match = _PATTERN.match(text)
        if not match:
            raise ValueError(f'"{text}" is not a valid time span. Use the format dd.hh:mm:ss, e.g. 00:10:00.')
        hours, minutes, secs = int(match["h"]), int(match["m"]), int(match["s"] or 0)
        if hours > 23 or minutes > 59 or secs > 59:
            raise ValueError(
                f'"{text}" is not a valid time span: hours must be 0-23 and minutes/seconds 0-59.'
            )
        total = int(match["days"] or 0) * 86400 + hours * 3600 + minutes * 60 + secs
        ticks = total * _TICKS + int((match["f"] or "0").ljust(7, "0"))
        return cls((-ticks if match["sign"] else ticks) / _TICKS)

    @classmethod
    def of(cls, days: int = 0, hours: int = 0, minutes: int = 0, seconds: float = 0) -> EnhancedTimeSpan:
        return cls(days * 86400 + hours * 3600 + minutes * 60 + seconds)

    @property
    def ticks(self) -> int:
        return round(self.seconds * _TICKS)

    @property
    def timedelta(self) -> datetime.timedelta:
        return datetime.timedelta(microseconds=self.ticks // 10)

    def _parts(self) -> tuple[str, int, int, int, int, int]:
        ticks = self.ticks
        sign = "-" if ticks < 0 else ""
        ticks = abs(ticks)
        whole, fraction = divmod(ticks, _TICKS)
        days, rest = divmod(whole, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        return sign, days, hours, minutes, secs, fraction

    def __str__(self) -> str:
        """TimeSpan's constant ("c") format: `00:10:00`, `1.00:00:00`, `00:00:00.5000000`."""
        sign, days, hours, minutes, secs, fraction = self._parts()
        text = f"{sign}{days}." if days else sign
        text += f"{hours:02}:{minutes:02}:{secs:02}"
        return text + (f".{fraction:07}" if fraction else "")

    def log_form(self) -> str:
        """The protocol log always shows days: `Tarpit for '0.00:00:05'` (semantics.md §c)."""
        sign, days, hours, minutes, secs, fraction = self._parts()
        text = f"{sign}{days}.{hours:02}:{minutes:02}:{secs:02}"
        return text + (f".{fraction:07}" if fraction else "")

    def __lt__(self, other: EnhancedTimeSpan) -> bool:
        return self.ticks < other.ticks

    def __le__(self, other: EnhancedTimeSpan) -> bool:
        return self.ticks <= other.ticks

    def __gt__(self, other: EnhancedTimeSpan) -> bool:
        return self.ticks > other.ticks

    def __ge__(self, other: EnhancedTimeSpan) -> bool:
        return self.ticks >= other.ticks
