"""DNS routing (a send connector with DNSRoutingEnabled): MX hosts by preference, the domain itself when it
has no MX (RFC 5321 §5.1). No DNS is queried: the resolver is replaced by a fake answering like dnspython."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver
import pytest

from exshell.transport.delivery.mx import resolve_mx


@dataclass
class FakeMX:
    preference: int
    exchange: dns.name.Name


def test_mx_hosts_come_in_preference_order(monkeypatch):
    async def fake(domain, rdtype):  # noqa: ANN001, ANN202
        assert (domain, rdtype) == ("example.net", "MX")
        return [FakeMX(20, dns.name.from_text("backup.example.net.")),
                FakeMX(10, dns.name.from_text("mx1.example.net."))]

    monkeypatch.setattr(dns.asyncresolver, "resolve", fake)
    targets = asyncio.run(resolve_mx("example.net"))
    assert [(t.host, t.port) for t in targets] == [("mx1.example.net", 25), ("backup.example.net", 25)]


def test_a_domain_without_mx_is_its_own_mail_host(monkeypatch):
    async def fake(domain, rdtype):  # noqa: ANN001, ANN202
        raise dns.resolver.NoAnswer()

    monkeypatch.setattr(dns.asyncresolver, "resolve", fake)
    assert [(t.host, t.port) for t in asyncio.run(resolve_mx("example.net"))] == [("example.net", 25)]


def test_a_nonexistent_domain_is_a_permanent_failure_and_a_dns_outage_a_transient_one(monkeypatch):
    async def nxdomain(domain, rdtype):  # noqa: ANN001, ANN202
        raise dns.resolver.NXDOMAIN()

    monkeypatch.setattr(dns.asyncresolver, "resolve", nxdomain)
    with pytest.raises(LookupError, match=r"^550 5\.4\.4 SMTPSEND\.DNS\.NonExistentDomain"):
        asyncio.run(resolve_mx("no-such-domain.example"))

    async def timeout(domain, rdtype):  # noqa: ANN001, ANN202
        raise dns.exception.Timeout()

    monkeypatch.setattr(dns.asyncresolver, "resolve", timeout)
    with pytest.raises(LookupError, match=r"^451 4\.4\.0 DNS query failed"):
        asyncio.run(resolve_mx("example.net"))
