"""Who a set of RemoteIPRanges lets in, in words: "the host 203.0.113.5", "the 2 hosts 203.0.113.5 and
198.51.100.7", "any of the 256 hosts in 203.0.113.0/24", "any host on the Internet".

The open-relay warning uses it to say precisely who could relay (issue 11): a single public /32 is one host,
not the whole Internet.
"""

from __future__ import annotations

from collections.abc import Sequence

from exshell.model.ip import IPRange

_LISTED = 4  # at most this many ranges are named; more are counted


def _join(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def describe_hosts(ranges: Sequence[IPRange]) -> str:
    """The hosts the ranges cover, as the subject of a sentence."""
    if not ranges:
        return "no host"
    everything = [r for r in ranges if r.is_everything]
    if everything:
        families = {r.version for r in everything}
        return "any host on the Internet" if families == {4, 6} or 4 in families else "any IPv6 host on the Internet"
    total = sum(r.size for r in ranges)
    texts = [r.first_address if r.size == 1 else str(r) for r in ranges]
    if total == 1:
        return f"the host {texts[0]}"
    if all(r.size == 1 for r in ranges) and len(ranges) <= _LISTED:
        return f"the {len(ranges)} hosts {_join(texts)}"
    named = _join(texts) if len(texts) <= _LISTED else f"{', '.join(texts[:_LISTED])} and {len(texts) - _LISTED} more ranges"
    return f"any of the {total:,} hosts in {named}"
