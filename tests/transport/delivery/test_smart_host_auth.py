"""Send connectors that log on to a smart host requiring STARTTLS + AUTH (aiosmtpd with TLS and an
authenticator, its certificate from a trustme CA): the Office-365-style recipe, and every way it can fail
leaving the message queued with Exchange-style LastError — never a message sent in clear or unauthenticated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword

from .harness import ServiceThread, Shell, SmartHost, configure, spool_message, wait_until

USER, PASSWORD = "relay@contoso.com", "Sm@rtHost-1"
CRED = (f"(New-Object System.Management.Automation.PSCredential('{USER}', "
        f"(ConvertTo-SecureString '{{pw}}' -AsPlainText -Force)))")


class AuthHost(SmartHost):
    """A smart host that requires STARTTLS and AUTH, like smtp.office365.com:587."""

    def __init__(self, tls_context: Any, require: bool = True) -> None:
        super().__init__(tls_context=tls_context)
        self.require = require
        self.logons: list[tuple[str, str, bool]] = []

    def authenticator(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (USER, PASSWORD)
        self.logons.append((mechanism, data.login.decode() if isinstance(data, LoginPassword) else "", ok))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    def start(self) -> AuthHost:
        from aiosmtpd.controller import Controller

        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, tls_context=self.tls_context,
            require_starttls=self.require and self.tls_context is not None, auth_required=self.require,
            auth_require_tls=self.tls_context is not None, authenticator=self.authenticator,
        )
        self.controller.start()
        return self


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trusted(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The delivery service trusts the test CA the way an administrator's system would (the system store)."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


def host_context(ca: trustme.CA, *names: str) -> Any:
    import ssl

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(ctx)
    return ctx


@pytest.fixture
def auth_host(ca: trustme.CA) -> Iterator[AuthHost]:
    h = AuthHost(host_context(ca, "smtp.provider.example", "127.0.0.1")).start()
    yield h
    h.stop()


def relay_shell(tmp_path: Path, host: SmartHost, settings: str, pw: str = PASSWORD) -> Shell:
    shell = Shell(tmp_path / "state")
    configure(shell, host.port)
    shell.ok(f"$cred = {CRED.format(pw=pw)}; Set-SendConnector 'To SmartHost' -Port {host.port} {settings}")
    return shell


def last_error(shell: Shell) -> str:
    return shell.ok("(Get-Message).LastError").strip()


def test_office365_style_relay_logs_on_after_starttls_and_keeps_the_password_secret(tmp_path, auth_host, trusted):
    shell = relay_shell(tmp_path, auth_host, "-SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential "
                                             "$cred -RequireTLS $true -TlsAuthLevel CertificateValidation")
    with ServiceThread(shell.state, shell.store):
        spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
        wait_until(lambda: auth_host.messages, what="the relayed message")
    assert auth_host.logons == [("LOGIN", USER, True)]  # Exchange logs on with AUTH LOGIN
    assert auth_host.messages[0].tls
    shown = shell.ok("Get-SendConnector 'To SmartHost' | Format-List *; Get-ConfigVersion | Format-List *")
    assert PASSWORD not in shown and "System.Management.Automation.PSCredential" in shown
    for f in [shell.state / "config.toml", shell.state / "parsed.json", *(shell.state / "history").iterdir()]:
        assert PASSWORD.encode() not in f.read_bytes(), f


def test_a_wrong_password_leaves_the_message_queued_with_the_hosts_reply(tmp_path, auth_host, trusted):
    shell = relay_shell(tmp_path, auth_host, "-SmartHostAuthMechanism BasicAuth -AuthenticationCredential $cred "
                                             "-RequireTLS $true", pw="wrong")
    with ServiceThread(shell.state, shell.store):
        spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
        wait_until(lambda: "535" in shell.ok("(Get-Message).LastError"), what="the logon failure")
        error = last_error(shell)
    assert 'Primary target IP address responded with: "535' in error
    assert auth_host.messages == [] and auth_host.logons and not auth_host.logons[0][2]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # that host is the point of the test
def test_basic_auth_require_tls_never_logs_on_without_starttls(tmp_path, trusted):
    plain = AuthHost(None, require=True).start()  # offers AUTH in clear, no STARTTLS
    try:
        shell = relay_shell(tmp_path, plain, "-SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential "
                                             "$cred")
        with ServiceThread(shell.state, shell.store):
            spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
            wait_until(lambda: "STARTTLS" in shell.ok("(Get-Message).LastError"), what="the deferral")
            assert "451 5.7.3 Require STARTTLS to do basic authentication" in last_error(shell)
        assert plain.logons == [] and plain.messages == []
    finally:
        plain.stop()


@pytest.mark.parametrize("settings, expected", [
    ("-RequireTLS $true -TlsAuthLevel DomainValidation -TlsDomain smtp.other.example", "DomainValidation"),
    ("-RequireTLS $true -TlsAuthLevel CertificateValidation", "CertificateValidation"),
])
def test_a_certificate_that_fails_the_level_leaves_the_message_queued(tmp_path, ca, settings, expected):
    # Not trusted (no SSL_CERT_FILE for the test CA) or naming another domain: nothing is sent.
    host = AuthHost(host_context(ca, "smtp.provider.example", "127.0.0.1")).start()
    try:
        if expected == "DomainValidation":
            bundle = tmp_path / "ca.pem"
            ca.cert_pem.write_to_path(str(bundle))
            mp = pytest.MonkeyPatch()
            mp.setenv("SSL_CERT_FILE", str(bundle))
        shell = relay_shell(tmp_path, host, "-SmartHostAuthMechanism BasicAuth -AuthenticationCredential $cred "
                                            + settings)
        with ServiceThread(shell.state, shell.store):
            spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
            wait_until(lambda: "TLS negotiation failed" in shell.ok("(Get-Message).LastError"), what="the deferral")
            assert f"TLS negotiation failed ({expected})" in last_error(shell)
        assert host.logons == [] and host.messages == []
    finally:
        host.stop()
        if expected == "DomainValidation":
            mp.undo()


def test_encryption_only_accepts_any_certificate_but_still_encrypts(tmp_path, ca):
    host = AuthHost(host_context(trustme.CA(), "self.example")).start()  # an unknown CA
    try:
        shell = relay_shell(tmp_path, host, "-SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential "
                                            "$cred -RequireTLS $true -TlsAuthLevel EncryptionOnly")
        with ServiceThread(shell.state, shell.store):
            spool_message(shell.state, "scanner@contoso.com", ["bob@external.example"])
            wait_until(lambda: host.messages, what="the relayed message")
        assert host.messages[0].tls and host.logons[0][2]
    finally:
        host.stop()


@pytest.mark.parametrize("settings, message", [
    ("-SmartHostAuthMechanism BasicAuth", "AuthenticationCredential parameter is required"),
    ("-SmartHostAuthMechanism ExchangeServer", "not supported by this server"),
    ("-TlsAuthLevel DomainValidation", "only when RequireTLS is $true"),
    ("-RequireTLS $true -TlsAuthLevel DomainValidation", "TlsDomain is required"),
    ("-AuthenticationCredential 'relay@contoso.com'", "PSCredential"),
])
def test_settings_that_cannot_be_in_force_are_refused(tmp_path, settings, message):
    shell = Shell(tmp_path / "state")
    configure(shell, 2525)
    before = shell.store.current_version()
    r = shell.run(f"Set-SendConnector 'To SmartHost' {settings}")
    assert not r.success and message in r.errors
    assert shell.store.current_version() == before
