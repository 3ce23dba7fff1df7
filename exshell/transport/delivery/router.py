"""Recipient → next hop, by accepted domain type (semantics.md §f; issue 5):

- Authoritative: the mailbox; an unknown recipient gets an NDR `550 5.1.1 RESOLVER.ADR.ExRecipNotFound;
  not found` (Exchange's categorizer; the RCPT-time `550 5.1.1 User unknown` is the receiving engine's,
  through `recipient_exists`).
- InternalRelay: the mailbox when one has the address, else the send connector with the closest address
  space ("the other system does the NDR").
- ExternalRelay and domains that aren't accepted: the send connector with the most specific matching
  address space (`exshell.model.send_connector.route`); none → the Unreachable queue.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

# Exchange's queue DeliveryType values (cmdlets.md §7.1).
SMART_HOST = "SmartHostConnectorDelivery"
DNS = "DnsConnectorDelivery"
MAILBOX = "SmtpDeliveryToMailbox"
UNREACHABLE = "Unreachable"
UNDEFINED = "Undefined"

UNREACHABLE_KEY = "Unreachable"
SUBMISSION_KEY = "Submission"
POISON_KEY = "Poison"

MAX_CACHED_DOMAINS = 4096  # a routing table keeps each domain's connector hop (bounded: spam to many domains)
RECIPIENT_NOT_FOUND = "550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found"


@dataclass(frozen=True, slots=True)
class NextHop:
    """Where a group of recipients goes; `key` names the queue (one queue per next hop)."""

    key: str
    delivery_type: str
    next_hop_domain: str
    connector: str | None = None

    @classmethod
    def mailbox(cls, domain: str) -> NextHop:
        return cls(f"mailbox:{domain.lower()}", MAILBOX, domain.lower())

    @classmethod
    def smart_host(cls, connector: str) -> NextHop:
        return cls(f"connector:{connector.lower()}", SMART_HOST, connector, connector)

    @classmethod
    def dns(cls, connector: str, domain: str) -> NextHop:
        return cls(f"dns:{connector.lower()}:{domain.lower()}", DNS, domain.lower(), connector)

    @classmethod
    def unreachable(cls) -> NextHop:
        return cls(UNREACHABLE_KEY, UNREACHABLE, "Unreachable Domain")


@dataclass(frozen=True, slots=True)
class RouteResult:
    """`failure` set = the recipient is known now to be undeliverable (the NDR diagnostic)."""

    recipient: str
    hop: NextHop
    failure: str | None = None


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().rstrip(".").lower()


def recipient_exists(config: Any, directory: Any, address: str) -> bool | None:
    """For the receiving engine's RCPT hook (recipient validation when AddressBookEnabled): True/False for an
    address in an Authoritative accepted domain, None (no opinion) for any other domain — InternalRelay
    recipients may live elsewhere, and relay domains aren't ours to check."""
    accepted = config.find_accepted_domain(_domain_of(address))
    if accepted is None or str(accepted.domain_type) != "Authoritative":
        return None
    return directory.find_by_address(address) is not None


class Router:
    """One configuration version's routing table (built once per version, as the engine's PolicyIndex)."""

    def __init__(self, config: Any, server_name: str) -> None:
        from exshell.model.mailbox import MailboxDirectory  # lazy: the queue cmdlets import this module, not the model

        self.config = config
        self.server_name = server_name
        self.directory = MailboxDirectory(config.mailboxes)
        self._hops: dict[str, NextHop] = {}  # domain -> its send connector's next hop (this version's)

    def find_mailbox(self, address: str) -> Any:
        return self.directory.find_by_address(address)

    def route(self, recipient: str) -> RouteResult:
        domain = _domain_of(recipient)
        accepted = self.config.find_accepted_domain(domain)
        kind = str(accepted.domain_type) if accepted is not None else None
        if kind in ("Authoritative", "InternalRelay") and self.find_mailbox(recipient) is not None:
            return RouteResult(recipient, NextHop.mailbox(domain))
        if kind == "Authoritative":
            # Queued for the mailbox hop anyway: delivery finds no mailbox and bounces it with
            # RECIPIENT_NOT_FOUND, so the NDR goes through the same durable path as every other failure.
            return RouteResult(recipient, NextHop.mailbox(domain), RECIPIENT_NOT_FOUND)
        return RouteResult(recipient, self.connector_hop(domain))

    def connector_hop(self, domain: str) -> NextHop:
        hop = self._hops.get(domain)
        if hop is None:
            if len(self._hops) >= MAX_CACHED_DOMAINS:
                self._hops.clear()
            hop = self._hops[domain] = self._connector_hop(domain)
        return hop

    def _connector_hop(self, domain: str) -> NextHop:
        from exshell.model.send_connector import route  # lazy: the queue cmdlets import this module, not the model

        conn = route(self.config.send_connectors, domain, self.server_name)
        if conn is None:
            return NextHop.unreachable()
        if conn.smart_hosts and not conn.dns_routing_enabled:
            return NextHop.smart_host(conn.name)
        return NextHop.dns(conn.name, domain)

    def connector(self, name: str | None) -> Any:
        if not name:
            return None
        for c in self.config.send_connectors:
            if c.name.lower() == name.lower() and c.enabled:
                return c
        return None

    @functools.cached_property
    def server_fqdn(self) -> str:
        server = self.config.server(self.server_name)
        if server is not None and getattr(server, "fqdn", None):
            return str(server.fqdn)
        default = self.config.default_accepted_domain
        return f"{self.server_name.lower()}.{default.base_domain}" if default else self.server_name.lower()

    @property
    def postmaster(self) -> str:
        """ExternalPostmasterAddress, else postmaster@<default accepted domain> (cmdlets.md §8)."""
        explicit = self.config.settings.external_postmaster_address
        if explicit:
            return str(explicit)
        default = self.config.default_accepted_domain
        return f"postmaster@{default.base_domain if default else self.server_fqdn}"
