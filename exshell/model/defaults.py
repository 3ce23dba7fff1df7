"""initial_config: version 1 of a fresh store, as Exchange 2007/2010 setup leaves a Hub Transport server.

- this machine as an ExchangeServer;
- one Authoritative, default accepted domain: the server's DNS domain (the forest root in Exchange, AD-2016),
  or `exshell.local` when the machine has none;
- the two setup connectors (semantics.md §i), both from 0.0.0.0-255.255.255.255:
  `Default <SERVER>` on 0.0.0.0:25 (ExchangeUsers, ExchangeServers, ExchangeLegacyServers; not anonymous,
  so Internet mail is refused until AnonymousUsers is added) and `Client <SERVER>` on 0.0.0.0:587
  (ExchangeUsers, EnableAuthGSSAPI $true);
- transport settings at their defaults;
- given the state folder, the self-signed `Microsoft Exchange` certificate setup creates (CN=<SERVER>, SANs the
  server name and FQDN, 5 years, IMAP/POP/SMTP, the default SMTP certificate; tls-auth.md §2.1): its key goes
  to the owner-only key store, the configuration gets only its metadata.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path
from typing import Any

from exshell.model.binding import IPBinding
from exshell.model.certificate import CERTIFICATES, ExchangeCertificate
from exshell.model.config import (
    ACCEPTED_DOMAINS,
    RECEIVE_CONNECTORS,
    SERVERS,
    SETTINGS,
    TRANSPORT_SETTINGS_KEY,
    TransportSettings,
)
from exshell.model.connector import ReceiveConnector
from exshell.model.domain import AcceptedDomain, validate_domain_name
from exshell.model.enums import AuthMechanism, PermissionGroups
from exshell.model.ip import IPRange
from exshell.model.server import ExchangeServer

FALLBACK_DOMAIN = "exshell.local"


def _dns_domain(server_name: str, fqdn: str | None, domain: str | None) -> str:
    for candidate in (domain, fqdn.split(".", 1)[1] if fqdn and "." in fqdn else None):
        if candidate:
            try:
                return validate_domain_name(candidate).lower()
            except ValueError:
                continue
    return FALLBACK_DOMAIN


def initial_config(server_name: str, fqdn: str | None = None, domain: str | None = None,
                   state_dir: Path | None = None) -> dict[str, Any]:
    """The data of store version 1: `collection -> key -> record`, all plain values."""
    name = server_name.strip() or "EXSHELL"  # kept as given: the shell compares it with services.server_name
    dns_domain = _dns_domain(name, fqdn, domain)
    server, connectors = server_setup(name, fqdn if fqdn and "." in fqdn else None, dns_domain)
    accepted = AcceptedDomain.new(dns_domain, dns_domain, "Authoritative", default=True)
    data: dict[str, Any] = {
        SERVERS: {server.guid: server.to_record()},
        ACCEPTED_DOMAINS: {accepted.guid: accepted.to_record()},
        RECEIVE_CONNECTORS: {c.guid: c.to_record() for c in connectors},
        SETTINGS: {TRANSPORT_SETTINGS_KEY: TransportSettings().to_record()},
    }
    if state_dir is not None:
        from exshell.store.secrets import initial_key_store  # lazy: the store package only when creating one

        cert = setup_certificate(initial_key_store(Path(state_dir)), name, server.fqdn)
        data[CERTIFICATES] = {cert.thumbprint: cert.to_record()}
    return data


def server_setup(
    name: str, fqdn: str | None, dns_domain: str
) -> tuple[ExchangeServer, tuple[ReceiveConnector, ReceiveConnector]]:
    """What Exchange setup leaves for one Hub Transport server: the server object and its two setup receive
    connectors, `Default <SERVER>` and `Client <SERVER>` (for version 1 and for New-ExchangeServer)."""
    server_fqdn = fqdn or f"{name.lower()}.{dns_domain}"
    server = ExchangeServer(guid=str(uuid.uuid4()), name=name, fqdn=server_fqdn, domain=dns_domain)
    all_ipv4 = (IPRange.all_ipv4(),)
    setup: dict[str, Any] = dict(
        fqdn=server_fqdn, max_hop_count=60, max_local_hop_count=5
    )  # setup-created values (QA-305565)
    default = ReceiveConnector(
        guid=str(uuid.uuid4()),
        name=f"Default {name}",
        server=name,
        bindings=(IPBinding("0.0.0.0", 25),),
        remote_ip_ranges=all_ipv4,
        permission_groups=PermissionGroups.parse("ExchangeUsers, ExchangeServers, ExchangeLegacyServers"),
        auth_mechanism=AuthMechanism.parse("Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer"),
        **setup,
    )
    client = ReceiveConnector(
        guid=str(uuid.uuid4()),
        name=f"Client {name}",
        server=name,
        bindings=(IPBinding("0.0.0.0", 587),),
        remote_ip_ranges=all_ipv4,
        permission_groups=PermissionGroups.parse("ExchangeUsers"),
        auth_mechanism=AuthMechanism.parse("Tls, Integrated, BasicAuth, BasicAuthRequireTLS"),
        enable_auth_gssapi=True,  # only on Client <SERVER> (2010 doc, semantics.md §i)
        **setup,
    )
    return server, (default, client)


def setup_certificate(keys: Any, server_name: str, server_fqdn: str) -> ExchangeCertificate:
    """Exchange setup's self-signed certificate, its key written to `keys` (store/secrets.py: the state folder's
    key store, or a fleet's shared secrets table) before any version names it."""
    from exshell.model import x509  # lazy: cryptography only when a fresh store or server is created

    bundle = x509.new_self_signed(server_name, [server_name, server_fqdn])
    keys.put_certificate(bundle.thumbprint, bundle.to_pem())
    cert = x509.describe(bundle, server=server_name, services="IMAP, POP, SMTP", friendly_name="Microsoft Exchange")
    return dataclasses.replace(cert, default_smtp=True)
