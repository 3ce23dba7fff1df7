"""describe_hosts: who a set of ranges lets in, said precisely."""

from __future__ import annotations

import pytest

from exshell.model.address_space import describe_hosts
from exshell.model.ip import IPRange


@pytest.mark.parametrize(
    ("ranges", "text"),
    [
        (["203.0.113.5"], "the host 203.0.113.5"),
        (["203.0.113.5/32"], "the host 203.0.113.5"),
        (["203.0.113.5-203.0.113.5"], "the host 203.0.113.5"),
        (["203.0.113.5", "198.51.100.7"], "the 2 hosts 203.0.113.5 and 198.51.100.7"),
        (["203.0.113.0/24"], "any of the 256 hosts in 203.0.113.0/24"),
        (["203.0.113.0/24", "198.51.100.7"], "any of the 257 hosts in 203.0.113.0/24 and 198.51.100.7"),
        (["0.0.0.0-255.255.255.255"], "any host on the Internet"),
        (["0.0.0.0/0", "::/0"], "any host on the Internet"),
        (["::/0"], "any IPv6 host on the Internet"),
        ([f"203.0.113.{i}" for i in range(1, 7)],
         "any of the 6 hosts in 203.0.113.1, 203.0.113.2, 203.0.113.3, 203.0.113.4 and 2 more ranges"),
    ],
)
def test_describe_hosts(ranges, text):
    assert describe_hosts([IPRange.parse(r) for r in ranges]) == text
