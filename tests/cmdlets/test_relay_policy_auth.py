"""Test-RelayPolicy -Tls -AuthenticatedAs: what EHLO offers, what STARTTLS and AUTH answer, and what the logged-on
session may do — the engine's own decision, through a real `exshell -c`."""

from __future__ import annotations

import json
import subprocess
import sys


def policy(state, args: str) -> dict:
    setup = ("if (-not (Get-Mailbox copier -ErrorAction SilentlyContinue)) { New-Mailbox -Name copier "
             "-PrimarySmtpAddress copier@exshell.local -Password (ConvertTo-SecureString 'pw' -AsPlainText -Force) "
             "| Out-Null }; ")
    r = subprocess.run([sys.executable, "-m", "exshell", "--state", str(state), "--server", "EX01", "-c",
                        setup + f"Test-RelayPolicy 192.168.1.50 -LocalEndPoint 0.0.0.0:587 {args} | "
                        "Select-Object Ehlo,StartTls,Auth,NotInForce,Principal,MailFrom,RcptTo | ConvertTo-Json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def test_explains_the_client_connector_before_and_after_tls_and_auth(tmp_path):
    state = tmp_path / "s"
    anon = policy(state, "-Sender copier@exshell.local -Recipient x@fabrikam.example")
    assert "STARTTLS" in anon["Ehlo"] and not any(k.startswith("AUTH") for k in anon["Ehlo"])
    assert anon["StartTls"].startswith("220 2.0.0 SMTP server ready (certificate ")
    assert anon["MailFrom"] == "530 5.7.1 Client was not authenticated"
    assert any("Integrated" in n for n in anon["NotInForce"])

    early = policy(state, "-AuthenticatedAs copier -Sender copier@exshell.local")
    assert early["Auth"] == "504 5.7.4 Unrecognized authentication type"  # BasicAuthRequireTLS: not before TLS

    ok = policy(state, "-Tls -AuthenticatedAs copier -Sender copier@exshell.local -Recipient x@fabrikam.example")
    assert "AUTH LOGIN PLAIN" in ok["Ehlo"] and "STARTTLS" not in ok["Ehlo"]
    assert ok["Auth"].startswith("235 2.7.0 Authentication successful")
    assert ok["Principal"] == "EXSHELL\\copier, NT AUTHORITY\\Authenticated Users"
    assert ok["MailFrom"] == "250 2.1.0 Sender OK"
    assert ok["RcptTo"] == ["x@fabrikam.example: 250 2.1.5 Recipient OK"]  # authenticated relay

    spoof = policy(state, "-Tls -AuthenticatedAs copier -Sender ceo@exshell.local")
    assert spoof["MailFrom"] == "550 5.7.1 Client does not have permissions to send as this sender"


def test_receive_connector_security_settings_that_cannot_be_in_force_are_refused(tmp_path):
    state = tmp_path / "s"

    def run(script):
        return subprocess.run([sys.executable, "-m", "exshell", "--state", str(state), "--server", "EX01", "-c",
                               script], capture_output=True, text=True, timeout=120)

    internal = run("New-ReceiveConnector Hub -Internal -RemoteIPRanges 10.0.0.1")
    assert internal.returncode != 0 and "not supported by this server" in internal.stderr + internal.stdout
    secure = run("Set-ReceiveConnector 'Default EX01' -DomainSecureEnabled $true")
    assert secure.returncode != 0 and "NotSupportedByThisServer" in secure.stderr + secure.stdout
    bad = run("Set-ReceiveConnector 'Default EX01' -TlsCertificateName 'CN=mail'")
    assert bad.returncode != 0 and "InvalidTlsCertificateName" in bad.stderr + bad.stdout
    warned = run("Set-ReceiveConnector 'Client EX01' -AuthMechanism 'Tls, Integrated, BasicAuth' "
                 "-AuthTarpitInterval 00:00:02; \"$((Get-ReceiveConnector 'Client EX01').AuthTarpitInterval)\"")
    assert warned.returncode == 0 and "Integrated (NTLM/Kerberos) is not supported" in warned.stderr + warned.stdout
    assert warned.stdout.strip().endswith("00:00:02")
    versions = run("(Get-ConfigVersion).Count")
    assert versions.stdout.strip() == "2"  # only the last command changed anything
