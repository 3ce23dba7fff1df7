"""IPBinding: a local `address:port` a receive connector listens on (the Bindings property).

Exchange prints IPv4 as `0.0.0.0:25` and IPv6 in brackets as `[::]:25`; `0.0.0.0` means every local IPv4
address and `[::]` every local IPv6 address (PS-NRC -Bindings).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IPBinding:
    address: str  # normalized text of the local address (compressed IPv6, no brackets)
    port: int

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"The port {self.port} is not valid. Specify a port from 0 to 65535.")

    @classmethod
    def parse(cls, text: str | IPBinding) -> IPBinding:
        """`0.0.0.0:25`, `192.168.1.17:25`, `[::]:25`, `[fe80::1]:587`. Raises ValueError with the reason."""
        if isinstance(text, IPBinding):
            return text
        if not isinstance(text, str):
            raise ValueError(f'"{text}" is not a valid IP binding. Use IPv4:port or [IPv6]:port.')
        whole = text.strip()
        if whole.startswith("["):
            close = whole.find("]")
            if close < 0 or not whole[close + 1 :].startswith(":"):
                raise ValueError(
                    f'"{whole}" is not a valid IP binding. Write an IPv6 binding as [address]:port.'
                )
            addr_text, port_text = whole[1:close], whole[close + 2 :]
        else:
            addr_text, sep, port_text = whole.rpartition(":")
            if not sep or ":" in addr_text:
                raise ValueError(
                    f'"{whole}" is not a valid IP binding. '
                    "Use IPv4:port (0.0.0.0:25) or [IPv6]:port ([::]:25)."
                )
        try:
            ip = ipaddress.ip_address(addr_text.strip())
        except ValueError:
            raise ValueError(
                f'"{whole}" is not a valid IP binding: "{addr_text}" is not an IP address.'
            ) from None
        port_text = port_text.strip()
        if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
            raise ValueError(
                f'"{whole}" is not a valid IP binding: the port must be a number from 0 to 65535.'
            )
        return cls(str(ip), int(port_text))

    @property
    def version(self) -> int:
        return ipaddress.ip_address(self.address).version

    @property
    def is_wildcard(self) -> bool:
        return self.address in ("0.0.0.0", "::")

    def accepts(self, local_address: str, port: int) -> bool:
        """True when a connection to local_address:port arrives on this binding (the wildcard covers its
        own address family; an IPv4-mapped local address counts as IPv4)."""
        if port != self.port:
            return False
        ip = ipaddress.ip_address(local_address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if self.is_wildcard:
            return ip.version == self.version
        return ip == ipaddress.ip_address(self.address)

    def overlaps(self, other: IPBinding) -> bool:
        """Two bindings can receive the same connection: same port and same address, or a wildcard of the
        same family (what the Transport services would both try to bind)."""
        if self.port != other.port or self.version != other.version:
            return False
        return self.address == other.address or self.is_wildcard or other.is_wildcard

    def __str__(self) -> str:
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"

    def sort_key(self) -> tuple[int, str, int]:
        """Exchange lists IPv6 bindings first (`{[::]:25, 0.0.0.0:25}`)."""
        return (0 if self.version == 6 else 1, self.address, self.port)
