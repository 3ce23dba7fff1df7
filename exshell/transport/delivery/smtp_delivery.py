"""A delivery attempt through a send connector: to its smart hosts, or (DNSRoutingEnabled) to the MX hosts of
the recipients' domain, over `smtp_client`. The size limits are checked first (the lower of the connector's
MaxMessageSize, cmdlets.md §6.1, and the organization's MaxSendSize; DSNs, sender `<>`, are exempt, §8), and
the header firewall removes the organization's own headers on the way out (HFW)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exshell.transport.delivery import mx, smtp_client
from exshell.transport.delivery.connection_pool import ConnectionPool, Limits
from exshell.transport.delivery.outcome import FAIL, OK, RETRY, AttemptOutcome, RecipientResult
from exshell.transport.delivery.router import DNS, Router
from exshell.transport.headers import strip_organization_headers

log = logging.getLogger("exshell.transport.delivery")

SIZE_LIMIT = "550 5.3.4 ROUTING.SizeLimit; message size exceeds fixed maximum size for route"
NO_REPLY = "451 4.4.0 No reply for this recipient"


class SmtpDelivery:
    """One per delivery service: it owns the outbound connections (`connection_pool`), kept for reuse and
    counted against the server's MaxOutboundConnections / MaxPerDomainOutboundConnections."""

    def __init__(self, state_dir: Path, store: Any, limits: Limits | None = None) -> None:
        self.state_dir = state_dir
        self.store = store  # where the smart-host passwords are (exshell.store.secrets.key_store)
        self.pool = ConnectionPool(limits)
        self._passwords: dict[str, str] = {}  # sealed-secret reference -> smart-host password
        # connector name -> (the connector object of a configuration version, its Security): made once per version
        self._securities: dict[str, tuple[Any, smtp_client.Security]] = {}

    def set_limits(self, limits: Limits) -> None:
        self.pool.set_limits(limits)

    async def close(self) -> None:
        await self.pool.close()

    async def deliver(
        self,
        router: Router,
        settings: Any,
        connector_name: str | None,
        destination: str,
        next_hop_domain: str,
        delivery_type: str,
        sender: str,
        size: int,
        recipients: Sequence[str],
        data: bytes,
    ) -> AttemptOutcome:
        connector = router.connector(connector_name)
        if connector is None:
            return AttemptOutcome.route_again()  # connector removed or disabled: route again
        limits = [int(getattr(v, "bytes", v)) for v in (connector.max_message_size.value, settings.max_send_size.value)
                  if v is not None]
        if limits and sender and size > min(limits):
            return AttemptOutcome.every(recipients, FAIL, SIZE_LIMIT)
        data = strip_organization_headers(data)
        if delivery_type == DNS:
            try:
                targets = await mx.resolve_mx(next_hop_domain)
            except LookupError as exc:
                return AttemptOutcome.every(recipients, FAIL if str(exc).startswith("5") else RETRY, str(exc))
        else:
            targets = smtp_client.targets_for(connector)
        result = await smtp_client.send(
            targets,
            sender,
            recipients,
            data,
            helo=connector.fqdn or router.server_fqdn,
            pool=self.pool,
            destination=destination,
            security=await self._security_of(connector),
        )
        if result.connection_error:
            return AttemptOutcome.every(recipients, RETRY, result.connection_error)
        out = []
        for rcpt in recipients:
            reply = result.replies.get(rcpt, NO_REPLY)
            kind = OK if reply.startswith("2") else FAIL if reply.startswith("5") else RETRY
            out.append(RecipientResult(rcpt, kind, reply, result.remote))
        return AttemptOutcome(tuple(out))

    async def _security_of(self, connector: Any) -> smtp_client.Security:
        """The connector's Security, kept while the configuration version (its connector object) is the same; one
        whose password could not be read is asked for again next time."""
        kept = self._securities.get(connector.name)
        if kept is not None and kept[0] is connector:
            return kept[1]
        security = await self._security(connector)
        if not (security.basic_auth and security.password is None):
            if len(self._securities) >= 256:
                self._securities.clear()
            self._securities[connector.name] = (connector, security)
        return security

    async def _security(self, connector: Any) -> smtp_client.Security:
        """The connector's TLS and logon settings, the smart-host password unsealed from the key store."""
        cred = getattr(connector, "authentication_credential", None)
        password = None
        if cred is not None and getattr(connector, "smart_host_auth_mechanism", "None") in ("BasicAuth",
                                                                                           "BasicAuthRequireTLS"):
            # Lazy: the key store only for a smart host's password.
            from exshell.store.keystore import KeyStoreError
            from exshell.store.secrets import key_store

            password = self._passwords.get(cred.secret_ref)
            if password is None:
                try:  # a fleet's shared store holds it (organization-wide, as AD does); else the state folder
                    raw = await asyncio.to_thread(key_store(self.store, self.state_dir).unseal, cred.secret_ref)
                    # A sealed secret is written once (a new password is a new reference): keep it.
                    password = self._passwords[cred.secret_ref] = raw.decode("utf-8")
                except KeyStoreError as exc:
                    log.error("send connector %s: the smart host password can't be read: %s", connector.name, exc)
        return smtp_client.Security(
            require_tls=connector.require_tls, ignore_starttls=connector.ignore_starttls,
            tls_auth_level=getattr(connector, "tls_auth_level", None), tls_domain=getattr(connector, "tls_domain", None),
            auth_mechanism=getattr(connector, "smart_host_auth_mechanism", "None"),
            user_name=cred.user_name if cred is not None else None, password=password,
        )
