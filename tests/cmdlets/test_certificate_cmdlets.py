"""The *-ExchangeCertificate cmdlets through real `exshell -c` processes on a state folder: what setup leaves,
new / import / enable / export / remove, the errors, and that no key ever reaches config.toml or history."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
import trustme

from exshell.model import x509

EXSHELL = [sys.executable, "-m", "exshell"]


def run(state: Path, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXSHELL, "--state", str(state), "--server", "EX01", "-c", script],
                          capture_output=True, text=True, timeout=120)


def ok(state: Path, script: str) -> str:
    r = run(state, script)
    assert r.returncode == 0, f"{script}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def no_key_material(state: Path) -> None:
    for f in [state / "config.toml", state / "parsed.json", *(state / "history").iterdir()]:
        assert b"PRIVATE KEY" not in f.read_bytes(), f


def test_fresh_store_has_setups_certificate_in_exchanges_table_view(tmp_path):
    state = tmp_path / "s"
    out = ok(state, "Get-ExchangeCertificate")
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert lines[0].split() == ["Thumbprint", "Services", "Subject"]
    thumb, services, subject = lines[2].split()
    assert len(thumb) == 40 and services == "IP..S.." and subject == "CN=EX01"
    listing = ok(state, "Get-ExchangeCertificate | Format-List CertificateDomains,IsSelfSigned,NotAfter,Status")
    assert "IsSelfSigned       : True" in listing and "Status             : Valid" in listing
    assert "{EX01, ex01." in listing
    key = state / "secrets" / "certificates" / f"{thumb}.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((state / "secrets").stat().st_mode) == 0o700
    no_key_material(state)


def test_new_import_enable_export_and_remove(tmp_path):
    state = tmp_path / "s"
    ok(state, "$null = Get-ExchangeCertificate")
    setup_thumb = ok(state, "(Get-ExchangeCertificate).Thumbprint").strip()
    # The only certificate STARTTLS has on Default/Client <SERVER>: refused, Exchange-style.
    refused = run(state, f"Remove-ExchangeCertificate {setup_thumb} -Confirm:$false")
    assert refused.returncode != 0 and "CannotRemoveCertificateInUse" in refused.stderr + refused.stdout
    assert "only SMTP certificate" in refused.stderr + refused.stdout
    made = ok(state, "$c = New-ExchangeCertificate -DomainName mail.contoso.com,smtp.contoso.com -Services SMTP "
                     "-PrivateKeyExportable $true -Force; $c.Thumbprint; $c.CertificateDomains -join ','")
    thumb, names = made.split()
    assert names == "mail.contoso.com,smtp.contoso.com"
    # Exported with its key, re-imported elsewhere with the password; a wrong password is refused.
    pfx = tmp_path / "mail.pfx"
    ok(state, f"$e = Export-ExchangeCertificate {thumb} -BinaryEncoded -Password (ConvertTo-SecureString 'pw' "
              f"-AsPlainText -Force); [System.IO.File]::WriteAllBytes('{pfx}', $e.FileData)")
    assert x509.load_bundle(pfx.read_bytes(), "pw").thumbprint == thumb
    other = tmp_path / "other"
    bad = run(other, f"Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('{pfx}')) "
                     "-Password (ConvertTo-SecureString 'nope' -AsPlainText -Force)")
    assert bad.returncode != 0 and "password is incorrect" in bad.stderr + bad.stdout
    assert "Traceback" not in bad.stderr
    versions = ok(other, "(Get-ConfigVersion).Count").strip()
    out = ok(other, f"$i = Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('{pfx}')) -Password "
                    "(ConvertTo-SecureString 'pw' -AsPlainText -Force); \"$($i.Services)\"; "
                    f"Enable-ExchangeCertificate {thumb} -Services SMTP -Force; "
                    f"\"$((Get-ExchangeCertificate {thumb}).Services)\"")
    assert out.split() == ["None", "SMTP"]
    assert int(ok(other, "(Get-ConfigVersion).Count").strip()) == int(versions) + 2
    # The setup certificate (not exportable) can't be exported.
    refused = run(state, f"Export-ExchangeCertificate {setup_thumb} -BinaryEncoded")
    assert refused.returncode != 0 and "isn't exportable" in refused.stderr + refused.stdout
    # The new certificate (the default SMTP one now, matching no connector FQDN) goes; setup's stays.
    ok(state, f"Remove-ExchangeCertificate {thumb} -Confirm:$false")
    assert ok(state, "(Get-ExchangeCertificate).Thumbprint").split() == [setup_thumb]
    no_key_material(state)
    no_key_material(other)


def test_pem_import_by_file_name_and_bad_files(tmp_path):
    state = tmp_path / "s"
    ca = trustme.CA()
    leaf = ca.issue_cert("ex01.contoso.com")
    pem = tmp_path / "ex01.pem"
    pem.write_bytes(b"".join(p.bytes() for p in leaf.cert_chain_pems) + leaf.private_key_pem.bytes())
    cert_only = tmp_path / "cert.pem"
    cert_only.write_bytes(leaf.cert_chain_pems[0].bytes())
    out = ok(state, f"(Import-ExchangeCertificate -FileName '{pem}').IsSelfSigned")
    assert out.strip() == "False"
    for path, text in ((cert_only, "no private key"), (tmp_path / "missing.pem", "Can't read the file")):
        r = run(state, f"Import-ExchangeCertificate -FileName '{path}'")
        assert r.returncode != 0 and text in r.stderr + r.stdout and "Traceback" not in r.stderr


@pytest.mark.parametrize("script, message", [
    ("Enable-ExchangeCertificate 0000000000000000000000000000000000000000 -Services SMTP", "couldn't be found"),
    ("New-ExchangeCertificate -KeySize 512", "KeySize value 512"),
    ("New-ExchangeCertificate -GenerateRequest", "aren't supported"),
    ("Enable-ExchangeCertificate (Get-ExchangeCertificate).Thumbprint -Services Bogus", "Bogus"),
])
def test_bad_input_is_a_powershell_error_and_changes_nothing(tmp_path, script, message):
    state = tmp_path / "s"
    ok(state, "$null = Get-ExchangeCertificate")
    r = run(state, script)
    assert r.returncode != 0 and message in r.stderr + r.stdout and "Traceback" not in r.stderr
    assert ok(state, "(Get-ConfigVersion).Count").strip() == "1"


def test_subject_friendly_name_and_included_names_are_in_the_new_certificate(tmp_path):
    state = tmp_path / "s"
    out = ok(state, "$c = New-ExchangeCertificate -SubjectName 'C=US, O=Contoso, CN=mail.contoso.com' "
                    "-FriendlyName 'Relay cert' -IncludeServerFQDN -IncludeServerNetBIOSName -IncludeAcceptedDomains "
                    "-Services SMTP -Force; $c.Subject; $c.FriendlyName; $c.CertificateDomains -join ','; "
                    "(Get-ExchangeCertificate -Thumbprint $c.Thumbprint).Thumbprint -eq $c.Thumbprint")
    subject, friendly, names, found = [ln.strip() for ln in out.splitlines() if ln.strip()][:4]
    assert "CN=mail.contoso.com" in subject and "O=Contoso" in subject
    assert friendly == "Relay cert" and found == "True"
    domains = names.split(",")
    # The subject's name, the server's FQDN and NetBIOS name, and the (fresh store's) accepted domain.
    assert domains == ["mail.contoso.com", "EX01", "ex01.exshell.local", "exshell.local"]


def test_server_parameter_and_identity_name_another_servers_certificates(tmp_path):
    state = tmp_path / "s"
    out = ok(state, "New-ExchangeServer EX02 -Fqdn ex02.contoso.com | Out-Null; "
                    "$setup = Get-ExchangeCertificate -Server EX02; "
                    "$new = New-ExchangeCertificate -Server ex02.contoso.com -DomainName relay2.contoso.com "
                    "-Services SMTP -Force; "
                    "'setup ' + $setup.Identity + ' ' + $setup.Subject + ' ' + $setup.Services; "
                    "'new ' + $new.Identity; "
                    "'mine ' + ((Get-ExchangeCertificate).Identity -join ','); "
                    "Get-ExchangeCertificate -Server EX02 | Where-Object Thumbprint -eq $new.Thumbprint | "
                    "Enable-ExchangeCertificate -Services IIS; "
                    "'enabled ' + (Get-ExchangeCertificate -Identity $new.Identity).Services; "
                    "Remove-ExchangeCertificate -Identity $setup.Identity -Confirm:$false; "
                    "'left ' + (Get-ExchangeCertificate -Server EX02).Thumbprint")
    lines = dict(line.split(" ", 1) for line in out.splitlines() if line.strip())
    setup_identity, subject, services = lines["setup"].split(" ", 2)
    assert setup_identity.startswith("EX02\\") and subject == "CN=EX02" and services == "IMAP, POP, SMTP"
    setup_thumb = setup_identity.split("\\")[1]
    assert (state / "secrets" / "certificates" / f"{setup_thumb}.pem").is_file()  # New-ExchangeServer made it
    new_identity = lines["new"]
    assert new_identity.startswith("EX02\\")
    assert new_identity not in lines["mine"] and lines["mine"].startswith("EX01\\")  # EX01's own list
    assert lines["enabled"] == "IIS, SMTP"
    assert lines["left"] == new_identity.split("\\")[1]
    for script in ("Get-ExchangeCertificate -Server EX09", "New-ExchangeCertificate -Server EX09 -Force",
                   f"Get-ExchangeCertificate -Identity EX01\\{new_identity.split(chr(92))[1]}"):
        before = ok(state, "(Get-ConfigVersion -Last 1).Version")
        r = run(state, script)
        assert r.returncode != 0 and "couldn't be found" in r.stdout + r.stderr, script
        assert "Traceback" not in r.stdout + r.stderr
        assert ok(state, "(Get-ConfigVersion -Last 1).Version") == before
    no_key_material(state)
