"""Send connectors: where mail for non-local recipients leaves (cmdlets.md §6).

AddressSpaces are `[Type:]space[;cost]`: `*`, `contoso.com`, `*.contoso.com` (the domain and its
subdomains), type SMTP, cost 1-100 (default 1). Routing picks the most specific matching address space, then
the lowest cost (issue 5; Exchange's routing documentation), then the connector name for a stable order.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any
from collections.abc import Iterable, Mapping

from exshell.guid import new_guid
from exshell.model.errors import ModelDataError, ModelError
from exshell.model.size import ByteQuantifiedSize, Unlimited

SEND_CONNECTOR_TYPE = "Microsoft.Exchange.Data.Directory.SystemConfiguration.SmtpSendConnectorConfig"
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$", re.IGNORECASE)
_MB = 1 << 20


@dataclass(frozen=True, slots=True)
class AddressSpace:
    domain: str  # '*', 'contoso.com', '*.contoso.com' (lower-case)
    cost: int = 1
    type: str = "SMTP"

    @classmethod
    def parse(cls, value: Any) -> AddressSpace:
        if isinstance(value, AddressSpace):
            return value
        text = str(value).strip()
        kind = "SMTP"
        if ":" in text:
            kind, _, text = text.partition(":")
            if kind.upper() != "SMTP":
                raise ValueError(f'The address space type "{kind}" isn\'t supported; use SMTP.')
            kind = "SMTP"
        cost = 1
        if ";" in text:
            text, _, cost_text = text.partition(";")
            if not cost_text.strip().isdigit() or not 1 <= int(cost_text) <= 100:
                raise ValueError(f'The address space cost "{cost_text}" must be a number from 1 to 100.')
            cost = int(cost_text)
        domain = text.strip().rstrip(".").lower()
        if domain != "*":
            labels = domain.split(".")
            if labels[0] == "*":
                labels = labels[1:]
            if not labels or any("*" in lbl or not _LABEL.match(lbl) for lbl in labels):
                raise ValueError(
                    f'"{value}" isn\'t a valid address space: use *, contoso.com or *.contoso.com (a wildcard '
                    "only as the whole leftmost label)."
                )
        return cls(domain, cost, kind)

    def matches(self, domain: str) -> bool:
        dom = domain.strip().rstrip(".").lower()
        if self.domain == "*":
            return True
        if self.domain.startswith("*."):
            base = self.domain[2:]
            return dom == base or dom.endswith("." + base)
        return dom == self.domain

    def specificity(self) -> tuple[int, int]:
        """Higher = more specific: an exact domain beats a wildcard; more labels beat fewer; `*` is last."""
        if self.domain == "*":
            return (0, 0)
        if self.domain.startswith("*."):
            return (1, self.domain.count("."))
        return (2, self.domain.count(".") + 1)

    def __str__(self) -> str:
        return f"{self.type}:{self.domain};{self.cost}"


@dataclass(frozen=True, slots=True)
class SmartHost:
    host: str
    port: int | None = None

    @classmethod
    def parse(cls, value: Any) -> SmartHost:
        if isinstance(value, SmartHost):
            return value
        text = str(value).strip()
        port = None
        if text.startswith("["):  # [10.0.0.1] or [10.0.0.1]:2526
            end = text.find("]")
            host, rest = text[1:end], text[end + 1 :]
            if rest.startswith(":"):
                port = int(rest[1:])
        elif text.count(":") == 1:
            host, _, port_text = text.partition(":")
            port = int(port_text) if port_text.isdigit() else None
        else:
            host = text
        if not host or " " in host:
            raise ValueError(f'"{value}" isn\'t a valid smart host: use a host name or an IP address.')
        return cls(host, port)

    def __str__(self) -> str:
        if self.port is None:
            return self.host
        return f"[{self.host}]:{self.port}"


SMART_HOST_AUTH_MECHANISMS = ("None", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer", "ExternalAuthoritative")
TLS_AUTH_LEVELS = ("EncryptionOnly", "CertificateValidation", "DomainValidation")


@dataclass(frozen=True, slots=True)
class SmartHostCredential:
    """-AuthenticationCredential as the configuration keeps it: the user name, and a reference to the password
    sealed in the owner-only key store (store/keystore.py). Shown as a PSCredential: never the password."""

    user_name: str
    secret_ref: str

    __ps_properties__ = ("UserName", "Password")
    __ps_type_name__ = "System.Management.Automation.PSCredential"

    @property
    def UserName(self) -> str:  # noqa: N802 - the .NET property name
        return self.user_name

    @property
    def Password(self) -> str:  # noqa: N802
        return "System.Security.SecureString"

    def __str__(self) -> str:
        return "System.Management.Automation.PSCredential"

    def to_record(self) -> dict[str, str]:
        return {"UserName": self.user_name, "SecretRef": self.secret_ref}

    @classmethod
    def from_record(cls, value: Any) -> SmartHostCredential | None:
        if not value:
            return None
        if isinstance(value, SmartHostCredential):
            return value
        return cls(str(value["UserName"]), str(value["SecretRef"]))


def _choice(value: Any, allowed: tuple[str, ...], prop: str) -> str:
    text = str(value).strip()
    for a in allowed:
        if a.lower() == text.lower():
            return a
    raise ValueError(f'Cannot convert value "{text}" to type {prop}. Specify one of the following enumerator '
                     f'names and try again: {", ".join(allowed)}')


@dataclass(frozen=True, slots=True)
class SendConnector:
    guid: str
    name: str
    address_spaces: tuple[AddressSpace, ...]
    smart_hosts: tuple[SmartHost, ...] = ()
    port: int = 25
    dns_routing_enabled: bool = True
    enabled: bool = True
    max_message_size: Unlimited = Unlimited(ByteQuantifiedSize(10 * _MB))
    source_transport_servers: tuple[str, ...] = ()
    fqdn: str | None = None
    require_tls: bool = False
    ignore_starttls: bool = False
    usage: str = "Custom"
    comment: str | None = None
    smart_host_auth_mechanism: str = "None"
    authentication_credential: SmartHostCredential | None = None
    tls_auth_level: str | None = None  # None: not set (RequireTLS then validates the certificate chain)
    tls_domain: str | None = None

    @property
    def identity(self) -> str:
        return self.name

    def best_match(self, domain: str) -> AddressSpace | None:
        matches = [a for a in self.address_spaces if a.matches(domain)]
        if not matches:
            return None
        return max(matches, key=lambda a: (a.specificity(), -a.cost))

    def validate(self) -> str | None:
        if not self.address_spaces:
            return "The AddressSpaces parameter can't be empty."
        if not 0 <= self.port <= 65535:
            return f"The Port value {self.port} must be from 0 to 65535."
        if not self.dns_routing_enabled and not self.smart_hosts:
            return "SmartHosts must be set when DNSRoutingEnabled is $false."
        if self.dns_routing_enabled and self.smart_hosts:
            return "DNSRoutingEnabled must be $false when SmartHosts is given."
        if self.require_tls and self.ignore_starttls:
            return "IgnoreSTARTTLS must be $false when RequireTLS is $true."
        # PS:new-sendconnector; the texts are Exchange-style [unverified].
        mech = self.smart_host_auth_mechanism
        if mech == "ExchangeServer":
            return ("The SmartHostAuthMechanism value ExchangeServer (Exchange Server authentication, Kerberos/NTLM) "
                    "is not supported by this server. Use BasicAuth or BasicAuthRequireTLS with "
                    "-AuthenticationCredential, or None.")
        if mech != "None" and not self.smart_hosts:
            return (f"SmartHostAuthMechanism {mech} can be used only when the connector sends through smart hosts "
                    "(-SmartHosts with -DNSRoutingEnabled $false).")
        if mech in ("BasicAuth", "BasicAuthRequireTLS") and self.authentication_credential is None:
            return (f"The AuthenticationCredential parameter is required when SmartHostAuthMechanism is {mech}: "
                    "-AuthenticationCredential (Get-Credential).")
        if self.tls_auth_level is not None and (not self.require_tls or self.ignore_starttls):
            return "TlsAuthLevel can be set only when RequireTLS is $true and IgnoreSTARTTLS is $false."
        if self.tls_auth_level == "DomainValidation" and self.smart_hosts and not self.tls_domain:
            return "TlsDomain is required when TlsAuthLevel is DomainValidation on a connector that uses smart hosts."
        if mech == "BasicAuthRequireTLS" and self.ignore_starttls:
            return "IgnoreSTARTTLS must be $false when SmartHostAuthMechanism is BasicAuthRequireTLS."
        return None

    @classmethod
    def new(cls, name: str, address_spaces: Iterable[Any], **fields: Any) -> SendConnector:
        if not name or not name.strip():
            raise ModelError("The Name property can't be empty.", "InvalidSendConnector", "Name")
        try:
            spaces = tuple(AddressSpace.parse(a) for a in address_spaces)
        except ValueError as exc:
            raise ModelError(str(exc), "InvalidAddressSpace", "AddressSpaces") from None
        base = cls(guid=new_guid(), name=name.strip(), address_spaces=spaces)
        if "smart_hosts" in fields and fields["smart_hosts"] and "dns_routing_enabled" not in fields:
            fields["dns_routing_enabled"] = False  # a smart host list means no DNS routing
        return base.with_changes(**fields)

    def with_changes(self, **fields: Any) -> SendConnector:
        try:
            if "address_spaces" in fields:
                fields["address_spaces"] = tuple(AddressSpace.parse(a) for a in fields["address_spaces"])
            if "smart_hosts" in fields:
                fields["smart_hosts"] = tuple(SmartHost.parse(h) for h in fields["smart_hosts"])
            if "max_message_size" in fields:
                fields["max_message_size"] = Unlimited.parse(fields["max_message_size"], size=True)
            if "source_transport_servers" in fields:
                fields["source_transport_servers"] = tuple(str(s) for s in fields["source_transport_servers"])
            if "smart_host_auth_mechanism" in fields:
                fields["smart_host_auth_mechanism"] = _choice(fields["smart_host_auth_mechanism"] or "None",
                                                              SMART_HOST_AUTH_MECHANISMS, "AuthMechanisms")
            if fields.get("tls_auth_level") is not None:
                fields["tls_auth_level"] = _choice(fields["tls_auth_level"], TLS_AUTH_LEVELS, "TlsAuthLevel")
            if "authentication_credential" in fields:
                fields["authentication_credential"] = SmartHostCredential.from_record(
                    fields["authentication_credential"])
            if fields.get("tls_domain") is not None:
                fields["tls_domain"] = str(fields["tls_domain"]).strip().rstrip(".").lower() or None
        except ValueError as exc:
            raise ModelError(str(exc), "InvalidSendConnector") from None
        updated = dataclasses.replace(self, **fields)
        problem = updated.validate()
        if problem:
            raise ModelError(problem, "InvalidSendConnector")
        return updated

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "Name": self.name,
            "AddressSpaces": [str(a) for a in self.address_spaces],
            "SmartHosts": [str(h) for h in self.smart_hosts],
            "Port": self.port,
            "DNSRoutingEnabled": self.dns_routing_enabled,
            "Enabled": self.enabled,
            "MaxMessageSize": "Unlimited"
            if self.max_message_size.is_unlimited
            else str(self.max_message_size.value),
            "SourceTransportServers": list(self.source_transport_servers),
            "RequireTLS": self.require_tls,
            "IgnoreSTARTTLS": self.ignore_starttls,
            "Usage": self.usage,
        }
        if self.fqdn:
            record["Fqdn"] = self.fqdn
        if self.comment:
            record["Comment"] = self.comment
        if self.smart_host_auth_mechanism != "None":
            record["SmartHostAuthMechanism"] = self.smart_host_auth_mechanism
        if self.authentication_credential is not None:
            record["AuthenticationCredential"] = self.authentication_credential.to_record()
        if self.tls_auth_level:
            record["TlsAuthLevel"] = self.tls_auth_level
        if self.tls_domain:
            record["TlsDomain"] = self.tls_domain
        return record

    @classmethod
    def from_record(cls, guid: str, record: Mapping[str, Any]) -> SendConnector:
        try:
            return cls(
                guid=guid,
                name=str(record["Name"]),
                address_spaces=tuple(AddressSpace.parse(a) for a in record.get("AddressSpaces", ())),
                smart_hosts=tuple(SmartHost.parse(h) for h in record.get("SmartHosts", ()) or ()),
                port=int(record.get("Port", 25)),
                dns_routing_enabled=bool(record.get("DNSRoutingEnabled", True)),
                enabled=bool(record.get("Enabled", True)),
                max_message_size=Unlimited.parse(record.get("MaxMessageSize", "10 MB"), size=True),
                source_transport_servers=tuple(record.get("SourceTransportServers", ()) or ()),
                fqdn=record.get("Fqdn"),
                require_tls=bool(record.get("RequireTLS", False)),
                ignore_starttls=bool(record.get("IgnoreSTARTTLS", False)),
                usage=str(record.get("Usage", "Custom")),
                comment=record.get("Comment"),
                smart_host_auth_mechanism=_choice(record.get("SmartHostAuthMechanism") or "None",
                                                  SMART_HOST_AUTH_MECHANISMS, "AuthMechanisms"),
                authentication_credential=SmartHostCredential.from_record(record.get("AuthenticationCredential")),
                tls_auth_level=_choice(record["TlsAuthLevel"], TLS_AUTH_LEVELS, "TlsAuthLevel")
                if record.get("TlsAuthLevel") else None,
                tls_domain=record.get("TlsDomain") or None,
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ModelDataError(
                f"The stored send connector {guid} is invalid: {exc}", "InvalidStoredData"
            ) from None

    def to_properties(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "AddressSpaces": [str(a) for a in self.address_spaces],
            "SmartHosts": [str(h) for h in self.smart_hosts],
            "Port": self.port,
            "DNSRoutingEnabled": self.dns_routing_enabled,
            "Enabled": self.enabled,
            "MaxMessageSize": self.max_message_size,
            "SourceTransportServers": list(self.source_transport_servers),
            "Fqdn": self.fqdn,
            "RequireTLS": self.require_tls,
            "IgnoreSTARTTLS": self.ignore_starttls,
            "SmartHostAuthMechanism": self.smart_host_auth_mechanism,
            "AuthenticationCredential": self.authentication_credential,
            "TlsAuthLevel": self.tls_auth_level,
            "TlsDomain": self.tls_domain,
            "Comment": self.comment,
            "Identity": self.name,
            "Guid": self.guid,
        }


def route(
    connectors: Iterable[SendConnector], domain: str, server: str | None = None
) -> SendConnector | None:
    """The enabled connector whose address space best matches the domain: most specific, then lowest cost,
    then name. Connectors with SourceTransportServers serve only those servers."""
    best: tuple[Any, ...] | None = None
    chosen: SendConnector | None = None
    for conn in connectors:
        if not conn.enabled:
            continue
        if (
            server
            and conn.source_transport_servers
            and server.lower() not in (s.lower() for s in conn.source_transport_servers)
        ):
            continue
        space = conn.best_match(domain)
        if space is None:
            continue
        key = (space.specificity(), -space.cost, conn.name.lower())
        if best is None or key[:2] > best[:2] or (key[:2] == best[:2] and key[2] < best[2]):
            best, chosen = key, conn
    return chosen


SEND_CONNECTORS = "send_connectors"  # the store collection


def send_connectors_from_data(data: Mapping[str, Any]) -> list[SendConnector]:
    """The send connectors of a store snapshot's data."""
    return [SendConnector.from_record(k, r) for k, r in (data.get(SEND_CONNECTORS) or {}).items()]


# Exchange property -> field (the record keys of to_record).
PROPERTIES: tuple[tuple[str, str], ...] = (
    ("Name", "name"),
    ("AddressSpaces", "address_spaces"),
    ("SmartHosts", "smart_hosts"),
    ("Port", "port"),
    ("DNSRoutingEnabled", "dns_routing_enabled"),
    ("Enabled", "enabled"),
    ("MaxMessageSize", "max_message_size"),
    ("SourceTransportServers", "source_transport_servers"),
    ("Fqdn", "fqdn"),
    ("RequireTLS", "require_tls"),
    ("IgnoreSTARTTLS", "ignore_starttls"),
    ("Usage", "usage"),
    ("Comment", "comment"),
    ("SmartHostAuthMechanism", "smart_host_auth_mechanism"),
    ("AuthenticationCredential", "authentication_credential"),
    ("TlsAuthLevel", "tls_auth_level"),
    ("TlsDomain", "tls_domain"),
)
