"""X.509 work with `cryptography` (never an openssl subprocess): self-signed certificates, reading PFX and PEM
bundles, exporting PFX, and the metadata Get-ExchangeCertificate shows.

Imported lazily by the certificate cmdlets and the engine's TLS setup: `exshell -c` start-up never pays for
`cryptography`.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from exshell.model.certificate import AllowedServices, ExchangeCertificate
from exshell.model.errors import ModelError

SELF_SIGNED_YEARS = 5  # Exchange 2010+ setup and New-ExchangeCertificate (tls-auth.md §2.1)
KEY_SIZES = (1024, 2048, 4096)


@dataclass(frozen=True, slots=True)
class Bundle:
    """A certificate with its private key and any chain certificates, as read from a file."""

    certificate: x509.Certificate
    key: Any  # a private key object of cryptography
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def thumbprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA1()).hex().upper()  # Windows' thumbprint is SHA-1

    def to_pem(self) -> bytes:
        """What the key store keeps and `ssl.SSLContext.load_cert_chain` reads: certificate, chain, key."""
        parts = [self.certificate.public_bytes(serialization.Encoding.PEM)]
        parts += [c.public_bytes(serialization.Encoding.PEM) for c in self.chain]
        parts.append(self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
        return b"".join(parts)

    def to_pfx(self, password: str | None, friendly_name: str = "") -> bytes:
        enc = (serialization.BestAvailableEncryption(password.encode("utf-8")) if password
               else serialization.NoEncryption())
        return pkcs12.serialize_key_and_certificates(
            friendly_name.encode("utf-8") or None, self.key, self.certificate, list(self.chain) or None, enc)


def _rfc4514(name: x509.Name) -> str:
    """Windows prints X.500 names most-significant last with ', ' separators (`CN=ex01, O=Contoso, C=US`);
    RFC 4514 strings are already in that order."""
    return ", ".join(p for p in name.rfc4514_string().split(","))


def _domains(cert: x509.Certificate) -> tuple[str, ...]:
    out: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        out += [str(n) for n in san.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        pass
    for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
        value = str(attr.value)
        if value.lower() not in (d.lower() for d in out):
            out.insert(0, value)
    return tuple(out)


def describe(bundle: Bundle, *, server: str, services: str = "None", friendly_name: str = "",
             exportable: bool = False) -> ExchangeCertificate:
    cert = bundle.certificate
    key = cert.public_key()
    size = getattr(key, "key_size", 0)
    return ExchangeCertificate(
        thumbprint=bundle.thumbprint,
        subject=_rfc4514(cert.subject),
        issuer=_rfc4514(cert.issuer),
        certificate_domains=_domains(cert),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        serial_number=format(cert.serial_number, "X"),
        services=AllowedServices.parse(services),
        friendly_name=friendly_name,
        is_self_signed=cert.issuer == cert.subject,
        private_key_exportable=exportable,
        public_key_size=int(size),
        server=server,
    )


def new_self_signed(subject_cn: str, domains: Sequence[str], key_size: int = 2048,
                    subject_name: str | None = None, years: int = SELF_SIGNED_YEARS) -> Bundle:
    """A self-signed server certificate as New-ExchangeCertificate makes one: RSA, EKU Server Authentication,
    the names as DNS SANs. SHA-256 (Exchange used sha1RSA, which today's TLS clients refuse)."""
    if key_size not in KEY_SIZES:
        raise ModelError(f"The KeySize value {key_size} isn't valid; use 1024, 2048 or 4096.", "InvalidKeySize",
                         "KeySize")
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    if subject_name:
        subject = parse_subject(subject_name)
    else:
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)])
    seen: list[str] = []
    for d in domains:
        if d and d.lower() not in (s.lower() for s in seen):
            seen.append(d)
    now = _dt.datetime.now(_dt.UTC) - _dt.timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + _dt.timedelta(days=365 * years + years // 4))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
    )
    if seen:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in seen]),
                                        critical=False)
    return Bundle(builder.sign(key, hashes.SHA256()), key)


_SUBJECT_OIDS = {"CN": NameOID.COMMON_NAME, "O": NameOID.ORGANIZATION_NAME, "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
                 "L": NameOID.LOCALITY_NAME, "S": NameOID.STATE_OR_PROVINCE_NAME, "ST": NameOID.STATE_OR_PROVINCE_NAME,
                 "C": NameOID.COUNTRY_NAME, "E": NameOID.EMAIL_ADDRESS}


def parse_subject(text: str) -> x509.Name:
    """-SubjectName "C=US, O=Contoso, CN=mail.contoso.com" (any order, comma separated)."""
    attrs = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        k, sep, v = part.partition("=")
        oid = _SUBJECT_OIDS.get(k.strip().upper())
        if not sep or oid is None or not v.strip():
            raise ModelError(f"The SubjectName '{text}' isn't a valid X.500 name: '{part}' should be like CN=name.",
                             "InvalidSubjectName", "SubjectName")
        try:
            attrs.append(x509.NameAttribute(oid, v.strip()))
        except ValueError as e:
            raise ModelError(f"The SubjectName '{text}' isn't valid: {e}", "InvalidSubjectName", "SubjectName") \
                from None
    return x509.Name(list(reversed(attrs)))


def load_bundle(data: bytes, password: str | None) -> Bundle:
    """Read a PKCS#12 (.pfx/.p12) or PEM (certificate(s) and private key in one file) blob. Errors say what
    is wrong in Exchange's manner: a wrong password, no private key, a key that isn't the certificate's."""
    if not data:
        raise ModelError("The certificate data is empty.", "InvalidCertificateData", "FileData")
    if b"-----BEGIN" in data:
        return _load_pem(data, password)
    if data[:1] == b"\x30":  # DER: PKCS#12, or a PKCS#7 chain without a key
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode("utf-8") if password else None)
        except ValueError as e:
            if _looks_like_pfx(data):
                raise ModelError("The PKCS12 data can't be read: the password is incorrect or missing "
                                 "(ASN1 bad tag value met / The specified network password is not correct).",
                                 "InvalidPassword", "Password") from None
            try:
                pkcs7.load_der_pkcs7_certificates(data)
                raise _no_key() from None
            except ValueError:
                pass
            raise ModelError(f"The certificate data isn't a PKCS#12 (.pfx) or PEM file: {e}",
                             "InvalidCertificateData", "FileData") from None
        if cert is None or key is None:
            raise _no_key()
        _check_pair(cert, key)
        return Bundle(cert, key, tuple(extra or ()))
    raise ModelError("The certificate data isn't a PKCS#12 (.pfx) or PEM file.", "InvalidCertificateData",
                     "FileData")


def _looks_like_pfx(data: bytes) -> bool:
    """PFX ::= SEQUENCE { version INTEGER (3), ... } (RFC 7292 §4): a well-formed PFX that won't open is a
    password problem, anything else is not a PFX at all."""
    if len(data) < 8 or data[0] != 0x30:
        return False
    n = data[1]
    at = 2 if n < 0x80 else 2 + (n & 0x7F)
    return data[at:at + 3] == b"\x02\x01\x03"


def _no_key() -> ModelError:
    return ModelError("The certificate has no private key. Import a PKCS#12 (.pfx) file, or PEM with the "
                      "certificate and its private key: Exchange lists only certificates with a private key.",
                      "CertificateHasNoPrivateKey", "FileData")


def _load_pem(data: bytes, password: str | None) -> Bundle:
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        raise ModelError("The PEM data holds no certificate.", "InvalidCertificateData", "FileData")
    key = None
    marker = data.find(b"-----BEGIN", 0)
    while marker >= 0:
        end = data.find(b"-----END", marker)
        line_end = data.find(b"\n", end) if end >= 0 else -1
        block = data[marker:(line_end + 1) if line_end >= 0 else len(data)]
        if b"PRIVATE KEY" in block.split(b"\n", 1)[0]:
            try:
                key = serialization.load_pem_private_key(block, password.encode("utf-8") if password else None)
            except TypeError:
                raise ModelError("The private key in the PEM data is encrypted: give its -Password.",
                                 "InvalidPassword", "Password") from None
            except ValueError:
                raise ModelError("The private key in the PEM data can't be read: the password is incorrect or the "
                                 "key is damaged.", "InvalidPassword", "Password") from None
            break
        marker = data.find(b"-----BEGIN", marker + 10)
    if key is None:
        raise _no_key()
    leaf = next((c for c in certs if _pair_matches(c, key)), None)
    if leaf is None:
        raise ModelError("The private key doesn't belong to the certificate in the PEM data.",
                         "CertificateKeyMismatch", "FileData")
    return Bundle(leaf, key, tuple(c for c in certs if c is not leaf))


def _pair_matches(cert: x509.Certificate, key: Any) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return bool(cert.public_key().public_bytes(*fmt) == key.public_key().public_bytes(*fmt))


def _check_pair(cert: x509.Certificate, key: Any) -> None:
    if not _pair_matches(cert, key):
        raise ModelError("The private key doesn't belong to the certificate.", "CertificateKeyMismatch", "FileData")


def bundle_from_pem(pem: bytes) -> Bundle:
    """Read back what the key store holds (Bundle.to_pem)."""
    return _load_pem(pem, None)


__all__ = ["Bundle", "describe", "new_self_signed", "load_bundle", "bundle_from_pem", "parse_subject"]
