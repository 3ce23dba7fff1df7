"""ByteQuantifiedSize and Unlimited: Exchange's size and limit value types.

Display forms (cmdlets.md §0; QA-305565): `36 MB (37,748,736 bytes)`, `Unlimited`, `5000`.
Units are binary (1 KB = 1024 bytes), as in Exchange's ByteQuantifiedSize.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

UNITS: tuple[tuple[str, int], ...] = (
    ("TB", 1 << 40),
    ("GB", 1 << 30),
    ("MB", 1 << 20),
    ("KB", 1 << 10),
    ("B", 1),
)
_FACTOR = {name: factor for name, factor in UNITS}
_SIZE = re.compile(
    r"^(?P<num>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<unit>[KMGT]?B)?\s*(?:\(\s*(?P<bytes>[\d,]+)\s*bytes?\s*\))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, order=True)
class ByteQuantifiedSize:
    bytes: int

    def __post_init__(self) -> None:
        if self.bytes < 0:
            raise ValueError("A size can't be negative.")

    @classmethod
    def parse(cls, value: Any) -> ByteQuantifiedSize:
        """`10MB`, `10 MB`, `1.5GB`, `36 MB (37,748,736 bytes)`, `65536` or an int (bytes)."""
        if isinstance(value, ByteQuantifiedSize):
            return value
        if isinstance(value, bool):
            raise ValueError(f'"{value}" is not a valid size. Use a number with a unit: B, KB, MB, GB or TB.')
        if isinstance(value, int):
            return cls(value)
        if isinstance(value, (float, Decimal)):
            if value < 0 or value != int(value):
                raise ValueError(f'"{value}" is not a valid size in bytes.')
            return cls(int(value))
        text = str(value).strip()
        match = _SIZE.match(text)
        if not match:
            raise ValueError(
                f'"{text}" is not a valid size. '
                "Use a number with a unit: B, KB, MB, GB or TB (for example 10MB)."
            )
        if match["bytes"]:  # the display form carries the exact byte count
            return cls(int(match["bytes"].replace(",", "")))
        try:
            number = Decimal(match["num"].replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the regex admits only decimal numerals
            raise ValueError(f'"{text}" is not a valid size.') from None
        unit = (match["unit"] or "B").upper()
        total = number * _FACTOR[unit]
        if total != int(total):
            total = total.to_integral_value()  # fractional bytes round to the nearest byte
        return cls(int(total))

    @classmethod
    def from_mb(cls, mb: int) -> ByteQuantifiedSize:
        return cls(mb << 20)

    def __str__(self) -> str:
        unit, factor = next(((u, f) for u, f in UNITS if self.bytes >= f), ("B", 1))
        amount = f"{Decimal(self.bytes) / factor:.3f}".rstrip("0").rstrip(".")
        return f"{amount} {unit} ({self.bytes:,} bytes)"


@dataclass(frozen=True, slots=True)
class Unlimited:
    """Exchange's Unlimited<T>: a limit that is either a value or `Unlimited` (value None)."""

    value: int | ByteQuantifiedSize | None = None

    @classmethod
    def parse(cls, value: Any, size: bool = False) -> Unlimited:
        """`unlimited` / `Unlimited` / None-like → Unlimited; otherwise an int (or a ByteQuantifiedSize when
        size=True, e.g. `10MB`)."""
        if isinstance(value, Unlimited):
            if size and isinstance(value.value, int):
                return cls(ByteQuantifiedSize(value.value))
            return value
        if isinstance(value, str) and value.strip().lower() == "unlimited":
            return cls(None)
        if size:
            return cls(ByteQuantifiedSize.parse(value))
        if isinstance(value, ByteQuantifiedSize):
            return cls(value.bytes)
        if isinstance(value, bool):
            raise ValueError(f'"{value}" is not valid: specify a number or "unlimited".')
        if isinstance(value, int):
            number = value
        else:
            text = str(value).strip().replace(",", "")
            if not text.lstrip("-").isdigit():
                raise ValueError(f'"{str(value).strip()}" is not valid: specify a number or "unlimited".')
            number = int(text)
        if number < 0:
            raise ValueError(f'"{number}" is not valid: the value can\'t be negative.')
        return cls(number)

    @property
    def is_unlimited(self) -> bool:
        return self.value is None

    @property
    def number(self) -> int | None:
        """The limit as a plain integer (bytes for sizes), None when unlimited."""
        if self.value is None:
            return None
        return self.value.bytes if isinstance(self.value, ByteQuantifiedSize) else self.value

    def allows(self, amount: int) -> bool:
        """True when `amount` is within the limit (≤ the value, or always when unlimited)."""
        limit = self.number
        return limit is None or amount <= limit

    def __str__(self) -> str:
        return "Unlimited" if self.value is None else str(self.value)
