"""DNS routing (a send connector with DNSRoutingEnabled): the hosts that take mail for a domain."""

from __future__ import annotations

from exshell.transport.delivery.smtp_client import Target


async def resolve_mx(domain: str) -> list[Target]:
    """DNS routing (DNSRoutingEnabled): MX records by preference, else the A record (RFC 5321 §5.1), via
    dnspython when it is installed. Raises LookupError with a transient reply when it can't resolve."""
    try:
        import dns.asyncresolver  # type: ignore[import-not-found]
        import dns.exception  # type: ignore[import-not-found]
    except ImportError:
        raise LookupError("451 4.4.0 DNS query failed: DNS routing needs the dnspython package") from None
    import dns.resolver  # type: ignore[import-not-found]

    try:
        answer = await dns.asyncresolver.resolve(domain, "MX")
        records = sorted(answer, key=lambda r: r.preference)
        return [Target(str(r.exchange).rstrip("."), 25) for r in records]
    except dns.resolver.NXDOMAIN:
        # Exchange's NDR for a domain that doesn't exist (permanent: no retry brings it back).
        raise LookupError(f"550 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain {domain}") from None
    except dns.resolver.NoAnswer:
        return [Target(domain, 25)]  # no MX: the domain is its own mail host (RFC 5321 §5.1)
    except dns.exception.DNSException as exc:
        raise LookupError(f"451 4.4.0 DNS query failed: {type(exc).__name__}") from None
