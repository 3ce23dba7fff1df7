"""Certificates: what cryptography makes and reads, what the configuration keeps, and which one STARTTLS uses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import stat

import pytest
import trustme

from exshell.model import x509
from exshell.model.certificate import CERTIFICATES, ExchangeCertificate, select_for_connector
from exshell.model.defaults import initial_config
from exshell.model.errors import ModelError


def test_setup_certificate_is_self_signed_for_the_server_and_its_key_is_owner_only(tmp_path):
    data = initial_config("EX01", "ex01.contoso.com", state_dir=tmp_path)
    (record,) = data[CERTIFICATES].values()
    cert = ExchangeCertificate.from_record(record["Thumbprint"], record)
    assert cert.subject == "CN=EX01" and cert.is_self_signed and cert.default_smtp
    assert cert.certificate_domains == ("EX01", "ex01.contoso.com")
    assert "SMTP" in cert.services and cert.services.string_form() == "IP..S.."
    assert 1820 <= (cert.not_after - cert.not_before).days <= 1830  # five years
    key_file = tmp_path / "secrets" / "certificates" / f"{cert.thumbprint}.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    assert b"PRIVATE KEY" not in str(data).encode()  # the configuration holds metadata only
    assert cert == ExchangeCertificate.from_record(cert.thumbprint, cert.to_record())


def test_pfx_round_trip_and_a_wrong_password_is_a_clear_error():
    b = x509.new_self_signed("mail", ["mail.contoso.com"])
    pfx = b.to_pfx("s3cret")
    assert x509.load_bundle(pfx, "s3cret").thumbprint == b.thumbprint
    with pytest.raises(ModelError, match="password is incorrect"):
        x509.load_bundle(pfx, "wrong")


def test_pem_without_key_or_with_someone_elses_key_is_refused():
    a, other = x509.new_self_signed("a", ["a.example"]), x509.new_self_signed("b", ["b.example"])
    cert_only = a.to_pem().split(b"-----BEGIN PRIVATE KEY")[0]
    with pytest.raises(ModelError, match="no private key"):
        x509.load_bundle(cert_only, None)
    key_only = other.to_pem()[len(other.to_pem().split(b"-----BEGIN PRIVATE KEY")[0]):]
    with pytest.raises(ModelError, match="doesn't belong"):
        x509.load_bundle(cert_only + key_only, None)
    with pytest.raises(ModelError, match="isn't a PKCS#12"):
        x509.load_bundle(b"\x30\x03garbage", None)


def _describe(leaf_names, services="SMTP", **kw):
    ca = trustme.CA()
    leaf = ca.issue_cert(*leaf_names, **kw)
    pem = b"".join(p.bytes() for p in leaf.cert_chain_pems) + leaf.private_key_pem.bytes()
    return x509.describe(x509.load_bundle(pem, None), server="EX01", services=services)


def test_starttls_selection_follows_exchange():
    fqdn = "mail.contoso.com"
    ca_cert = _describe([fqdn])
    wildcard = _describe(["*.contoso.com"])
    not_smtp = _describe([fqdn], services="IIS")
    setup = dataclasses.replace(x509.describe(x509.new_self_signed("EX01", ["EX01"]), server="EX01",
                                              services="SMTP"), default_smtp=True)
    assert select_for_connector([not_smtp, ca_cert, setup], "EX01", fqdn, None)[0] == ca_cert
    assert select_for_connector([wildcard], "EX01", fqdn, None)[0] == wildcard
    assert select_for_connector([wildcard], "EX01", "a.b.contoso.com", None)[0] is None  # one label only
    chosen, why = select_for_connector([not_smtp, setup], "EX01", fqdn, None)
    assert chosen == setup and "default SMTP certificate" in why
    named = f"<I>{not_smtp.issuer}<S>{not_smtp.subject}"
    assert select_for_connector([ca_cert, not_smtp], "EX01", fqdn, named)[0] == not_smtp
    assert select_for_connector([ca_cert], "EX01", fqdn, "<I>CN=x<S>CN=y")[0] is None
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    expired = _describe([fqdn], not_before=past - dt.timedelta(days=9), not_after=past)
    assert expired.status() == "DateInvalid"
    assert select_for_connector([expired], "EX01", fqdn, None)[0] is None
