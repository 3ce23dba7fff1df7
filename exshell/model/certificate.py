"""Exchange certificates as the configuration keeps them: metadata only, keyed by thumbprint.

The certificate and its private key live in the owner-only key store (store/keystore.py); the configuration
records what Get-ExchangeCertificate shows (tls-auth.md §2.2), so history, diff and restore see every change
without ever holding key material. The X.509 work itself is in model/x509.py.

STARTTLS certificate selection (tls-auth.md §2.3) is here too, as a pure function over these records:
the connector's TlsCertificateName (`<I>issuer<S>subject`) when set, else an SMTP-enabled certificate whose
subject CN or SAN matches the connector FQDN (wildcards allowed), CA-issued before self-signed, then newest,
else the server's default SMTP certificate (the one setup creates, or the last one enabled with -Force).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any
from collections.abc import Iterable, Mapping

from exshell.model.enums import FlagSet
from exshell.model.errors import ModelDataError

CERTIFICATE_TYPE = "Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate"
CERTIFICATES = "certificates"  # the store collection


class AllowedServices(FlagSet):
    """Enable-ExchangeCertificate -Services (PS:enable-exchangecertificate). Only SMTP is in force here; the
    other services are recorded, as Exchange records them, and listed as not in force by Get-Help."""

    __slots__ = ()
    ALL_NAMES = ("Federation", "IIS", "IMAP", "POP", "SMTP", "UM", "UMCallRouter")
    NET_NAME = "Microsoft.Exchange.Management.SystemConfigurationTasks.AllowedServices"
    NONE_ALONE = True

    def string_form(self) -> str:
        """The table view's fixed-position letters: I P U W S F C ('.' when not assigned), e.g. `....S..`
        [unverified order; tls-auth.md §2.2]."""
        letters = (("IMAP", "I"), ("POP", "P"), ("UM", "U"), ("IIS", "W"), ("SMTP", "S"), ("Federation", "F"),
                   ("UMCallRouter", "C"))
        return "".join(ch if name in self else "." for name, ch in letters)


@dataclass(frozen=True, slots=True)
class ExchangeCertificate:
    thumbprint: str
    subject: str
    issuer: str
    certificate_domains: tuple[str, ...]
    not_before: _dt.datetime
    not_after: _dt.datetime
    serial_number: str
    services: AllowedServices
    friendly_name: str
    is_self_signed: bool
    private_key_exportable: bool
    public_key_size: int
    server: str
    default_smtp: bool = False  # the server's default SMTP certificate (msExchServerInternalTLSCert)

    @property
    def identity(self) -> str:
        return f"{self.server}\\{self.thumbprint}"

    def status(self, now: _dt.datetime | None = None) -> str:
        now = now or _dt.datetime.now(_dt.UTC)
        return "Valid" if self.not_before <= now <= self.not_after else "DateInvalid"

    def is_valid(self, now: _dt.datetime | None = None) -> bool:
        return self.status(now) == "Valid"

    @property
    def tls_certificate_name(self) -> str:
        """What -TlsCertificateName takes for this certificate: `<I>issuer<S>subject`."""
        return f"<I>{self.issuer}<S>{self.subject}"

    def matches_name(self, host: str) -> bool:
        """Subject CN or a SAN equals `host`, or a `*.` SAN covers exactly one more label (RFC 6125 §6.4.3)."""
        want = host.strip().rstrip(".").lower()
        for name in self.certificate_domains:
            n = name.lower()
            if n == want:
                return True
            if n.startswith("*.") and "." in want and want.split(".", 1)[1] == n[2:]:
                return True
        return False

    def to_record(self) -> dict[str, Any]:
        return {
            "Name": self.thumbprint,
            "Thumbprint": self.thumbprint,
            "Subject": self.subject,
            "Issuer": self.issuer,
            "CertificateDomains": list(self.certificate_domains),
            "NotBefore": self.not_before.isoformat(),
            "NotAfter": self.not_after.isoformat(),
            "SerialNumber": self.serial_number,
            "Services": str(self.services),
            "FriendlyName": self.friendly_name,
            "IsSelfSigned": self.is_self_signed,
            "PrivateKeyExportable": self.private_key_exportable,
            "PublicKeySize": self.public_key_size,
            "Server": self.server,
            "DefaultSmtp": self.default_smtp,
        }

    @classmethod
    def from_record(cls, key: str, record: Mapping[str, Any]) -> ExchangeCertificate:
        try:
            return cls(
                thumbprint=str(record.get("Thumbprint") or key).upper(),
                subject=str(record["Subject"]),
                issuer=str(record.get("Issuer") or record["Subject"]),
                certificate_domains=tuple(str(d) for d in record.get("CertificateDomains", ()) or ()),
                not_before=_utc(record["NotBefore"]),
                not_after=_utc(record["NotAfter"]),
                serial_number=str(record.get("SerialNumber", "")),
                services=AllowedServices.parse(record.get("Services") or "None"),
                friendly_name=str(record.get("FriendlyName", "")),
                is_self_signed=bool(record.get("IsSelfSigned", False)),
                private_key_exportable=bool(record.get("PrivateKeyExportable", False)),
                public_key_size=int(record.get("PublicKeySize", 0)),
                server=str(record.get("Server", "")),
                default_smtp=bool(record.get("DefaultSmtp", False)),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ModelDataError(f"The stored certificate {key} is invalid: {exc}", "InvalidStoredData") from None

    def to_properties(self) -> dict[str, Any]:
        """Get-ExchangeCertificate | Format-List *, in Exchange's order (tls-auth.md §2.2)."""
        return {
            "AccessRules": None,
            "CertificateDomains": list(self.certificate_domains),
            "HasPrivateKey": True,
            "IsSelfSigned": self.is_self_signed,
            "Issuer": self.issuer,
            "NotAfter": self.not_after.astimezone().replace(tzinfo=None),
            "NotBefore": self.not_before.astimezone().replace(tzinfo=None),
            "PublicKeySize": self.public_key_size,
            "RootCAType": "Registry" if self.is_self_signed else "ThirdParty",
            "SerialNumber": self.serial_number,
            "Services": self.services,
            "Status": self.status(),
            "Subject": self.subject,
            "Thumbprint": self.thumbprint,
            "FriendlyName": self.friendly_name,
            "Identity": self.identity,
            "PrivateKeyExportable": self.private_key_exportable,
            "ServicesStringForm": self.services.string_form(),
        }


def _utc(value: Any) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        d = value
    else:
        d = _dt.datetime.fromisoformat(str(value))
    return d if d.tzinfo else d.replace(tzinfo=_dt.UTC)


def certificates_from_data(data: Mapping[str, Any]) -> list[ExchangeCertificate]:
    return [ExchangeCertificate.from_record(k, r) for k, r in (data.get(CERTIFICATES) or {}).items()]


def parse_tls_certificate_name(text: str) -> tuple[str, str] | None:
    """`<I>issuer<S>subject` -> (issuer, subject); None when it isn't in that form."""
    t = text.strip()
    if not t.upper().startswith("<I>") or "<S>" not in t.upper():
        return None
    at = t.upper().index("<S>")
    return t[3:at].strip(), t[at + 3:].strip()


def _dn_key(dn: str) -> str:
    return ",".join(p.strip().lower() for p in dn.replace(", ", ",").split(","))


def select_for_connector(
    certificates: Iterable[ExchangeCertificate],
    server: str,
    fqdn: str,
    tls_certificate_name: str | None,
    now: _dt.datetime | None = None,
) -> tuple[ExchangeCertificate | None, str]:
    """The certificate STARTTLS presents on a connector, and why (tls-auth.md §2.3). None: STARTTLS is not
    offered (Exchange logs event 12014 and silently drops STARTTLS; we say why in the log and Test-RelayPolicy).
    Only valid (not expired), SMTP-enabled certificates of this server are eligible."""
    mine = [c for c in certificates if c.server.lower() == server.lower()]
    if tls_certificate_name:
        wanted = parse_tls_certificate_name(tls_certificate_name)
        for c in mine:
            if wanted is not None and _dn_key(c.issuer) == _dn_key(wanted[0]) and \
                    _dn_key(c.subject) == _dn_key(wanted[1]):
                if not c.is_valid(now):
                    return None, f"the TlsCertificateName certificate {c.thumbprint} has expired ({c.not_after:%Y-%m-%d})"
                return c, f"TlsCertificateName names certificate {c.thumbprint}"
        return None, f"no certificate of {server} matches TlsCertificateName {tls_certificate_name}"
    eligible = [c for c in mine if "SMTP" in c.services and c.is_valid(now) and c.matches_name(fqdn)]
    if not eligible:
        default = next((c for c in mine if c.default_smtp and "SMTP" in c.services), None)
        if default is not None and default.is_valid(now):
            return default, (f"no SMTP certificate matches {fqdn}; the default SMTP certificate "
                             f"{default.thumbprint} is used")
        return None, f"no valid SMTP-enabled certificate of {server} matches {fqdn} and there is no valid default"
    best = max(eligible, key=lambda c: (not c.is_self_signed, c.not_before))
    return best, f"certificate {best.thumbprint} is enabled for SMTP and matches {fqdn}"
