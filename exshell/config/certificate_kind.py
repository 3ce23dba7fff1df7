"""The certificates collection as a seam kind: metadata records keyed by thumbprint (model/certificate.py).
Exactly one certificate per server is the default SMTP certificate: making one the default clears the others."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from exshell.config.kinds import Kind, register_kind
from exshell.model.certificate import CERTIFICATES, AllowedServices, ExchangeCertificate

if TYPE_CHECKING:  # pragma: no cover
    from exshell.config.working import Working

_PROPERTIES = {
    "Thumbprint": "thumbprint", "Subject": "subject", "Issuer": "issuer",
    "CertificateDomains": "certificate_domains", "NotBefore": "not_before", "NotAfter": "not_after",
    "SerialNumber": "serial_number", "Services": "services", "FriendlyName": "friendly_name",
    "IsSelfSigned": "is_self_signed", "PrivateKeyExportable": "private_key_exportable",
    "PublicKeySize": "public_key_size", "Server": "server", "DefaultSmtp": "default_smtp",
}


def _change(cert: ExchangeCertificate, fields: dict[str, Any]) -> ExchangeCertificate:
    if "services" in fields:
        fields["services"] = AllowedServices.parse(fields["services"])
    return dataclasses.replace(cert, **fields)


def _one_default(cert: ExchangeCertificate, working: "Working") -> None:
    if not cert.default_smtp:
        return
    for key, other in list(working.objects(CERTIFICATES).items()):
        if other.thumbprint != cert.thumbprint and other.default_smtp and other.server.lower() == cert.server.lower():
            working.put(CERTIFICATES, key, dataclasses.replace(other, default_smtp=False))


register_kind(Kind(
    CERTIFICATES, "Exchange certificate", ExchangeCertificate.from_record, ExchangeCertificate.to_record,
    _PROPERTIES, _change, after=_one_default, extra_keys=("Name",), key_of=lambda c: c.thumbprint,
))
