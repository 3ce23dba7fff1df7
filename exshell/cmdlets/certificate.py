"""New-, Import-, Enable-, Get-, Export-, Remove-ExchangeCertificate (tls-auth.md §2.2).

The configuration records each certificate's metadata under its thumbprint; the certificate and private key
go to the owner-only key store (store/keystore.py) before the version that names them is committed. Only the
SMTP service is in force here: STARTTLS on receive connectors (transport/tls.py). IIS, IMAP, POP, UM and
Federation are recorded as Exchange records them, and a warning says they are not served.
"""

from __future__ import annotations

import base64
import dataclasses
import os
from pathlib import Path
from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.cmdlets.exchange_support import (
    ConfigCmdlet,
    current_config,
    find_all,
    find_one,
    forced,
    not_found,
    report_model_error,
    server_name_of,
)
from exshell.cmdlets.secure import SECURE_STRING
from exshell.config.operations import Create, Delete, Update
from exshell.model.certificate import CERTIFICATE_TYPE, CERTIFICATES, AllowedServices, ExchangeCertificate
from exshell.runtime.values import PSObject
from exshell.output.views import Column, TableView, register_view
from exshell.model.errors import ModelError

EXPORT_TYPE = "Microsoft.Exchange.Management.SystemConfigurationTasks.BinaryFileDataObject"
NOT_SERVED = ("IIS", "IMAP", "POP", "UM", "UMCallRouter", "Federation")


def _register_views() -> None:
    register_view(CERTIFICATE_TYPE, TableView((Column("Thumbprint", width=40), Column("Services", "ServicesStringForm",
                                                                                      width=9),
                                               Column("Subject"))))


_register_views()


def _services(value: Any) -> AllowedServices:
    return AllowedServices.parse(value)


SERVICES = T.custom(AllowedServices.NET_NAME, _services, display="AllowedServices")


def _bytes(value: Any) -> bytes:
    """Byte[] as scripts pass it: `[System.IO.File]::ReadAllBytes(...)` (bytes) or an array of numbers."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, list) and all(isinstance(v, int) and 0 <= v <= 255 for v in value):
        return bytes(value)
    raise ValueError(f'Cannot convert the "{value}" value of type "{type(value).__name__}" to type "System.Byte[]".')


BYTES = T.custom("System.Byte[]", _bytes, display="Byte[]")


def certificate_object(cert: ExchangeCertificate) -> Any:

    props = cert.to_properties()
    return PSObject(list(props.items()), type_names=[CERTIFICATE_TYPE, "System.Object"], to_string=cert.thumbprint)


def _thumb(value: Any) -> str:
    """The thumbprint, upper case without spaces; an -Identity SERVER\\THUMBPRINT keeps its server part."""
    if isinstance(value, PSObject) and value.has("Thumbprint"):  # a certificate: its Identity names its server
        value = value.get("Identity") or value.get("Thumbprint")
    text = str(getattr(value, "Thumbprint", None) or value).strip()
    server, _, thumb = text.rpartition("\\")
    return (server.strip() + "\\" if server else "") + thumb.replace(" ", "").upper()


THUMBPRINT = T.custom("System.String", _thumb, display="String")


def _certificates(cmdlet: Cmdlet) -> list[ExchangeCertificate]:
    if isinstance(cmdlet, ConfigCmdlet):
        return list(cmdlet.changes.view.objects(CERTIFICATES).values())
    # Lazy: a model module loads with the objects it decodes.
    from exshell.model.certificate import certificates_from_data

    return certificates_from_data(cmdlet.runtime.services.store.snapshot().data)


def target_server(cmdlet: Cmdlet, named: str = "") -> str | None:
    """The server whose certificates the cmdlet handles: the SERVER\\ of an -Identity, else -Server (a server of
    the organization, by name or FQDN), else this shell's server. None after the not-found error. Exchange keeps
    certificates per server, and manages any server's from any shell."""
    wanted = named or str(cmdlet.params.get("Server") or "").strip()
    if not wanted:
        return server_name_of(cmdlet)
    config = cmdlet.config if isinstance(cmdlet, ConfigCmdlet) else current_config(cmdlet)
    server = config.server(wanted)
    if server is None:
        not_found(cmdlet, "server", wanted)
        return None
    return server.name


def _find(cmdlet: Cmdlet, identity: str, get: bool = False) -> Any:
    """The server's certificate with the thumbprint (a wildcard must match one), or None after the error;
    get: every certificate a Get- returns (a list)."""
    named, _, thumbprint = identity.rpartition("\\")
    server = target_server(cmdlet, named)
    if server is None:
        return [] if get else None
    mine = [c for c in _certificates(cmdlet) if c.server.lower() == server.lower()]
    return (find_all if get else find_one)(cmdlet, mine, thumbprint, lambda c: (c.thumbprint,))


def _keys(cmdlet: Cmdlet) -> Any:
    """The key store of this shell's store: a fleet's shared table (any server's certificate is made or read
    from any shell), else the state folder."""
    from exshell.store.secrets import key_store  # lazy: the store opens on first use

    services = cmdlet.runtime.services
    return key_store(services.store, services.state_dir, cache=False)


def _warn_not_served(cmdlet: Cmdlet, services: AllowedServices) -> None:
    extra = [s for s in NOT_SERVED if s in services]
    if extra:
        cmdlet.write_warning(f"exshell serves SMTP only: the services {', '.join(extra)} are recorded but not in "
                             "force on this server.")


class _Confirmed:
    """Enable/New with SMTP: Exchange asks whether to overwrite the default SMTP certificate (tls-auth.md §2.2);
    -Force answers Yes; a script without a console answers No."""

    @staticmethod
    def replace_default(cmdlet: Cmdlet, new: ExchangeCertificate) -> bool:
        current = next((c for c in _certificates(cmdlet) if c.default_smtp and c.server.lower() == new.server.lower()
                        and c.thumbprint != new.thumbprint), None)
        if current is None or forced(cmdlet):
            return True
        query = (f"Overwrite the existing default SMTP certificate?\n\nCurrent certificate: '{current.thumbprint}' "
                 f"(expires {current.not_after:%m/%d/%Y %H:%M:%S})\nReplace it with certificate: "
                 f"'{new.thumbprint}' (expires {new.not_after:%m/%d/%Y %H:%M:%S})")
        return cmdlet.runtime.should_continue(query, "Confirm")


class NewExchangeCertificate(ConfigCmdlet):
    name = "New-ExchangeCertificate"
    synopsis = "Creates a self-signed certificate for a server (STARTTLS) and records it."
    description = (
        "Without parameters: subject CN=<server>, the server name and FQDN as names, RSA 2048, five years, "
        "services IMAP, POP and SMTP, as Exchange setup does. -DomainName gives the names (the first is the "
        "subject unless -SubjectName says otherwise). With SMTP among the services the new certificate replaces "
        "the default SMTP certificate after a confirmation (-Force: without asking). The private key is kept "
        "with the configuration store's secrets (a state folder's secrets/, owner-only; a shared store's secrets "
        "table), never in the configuration, which records only its metadata. -Server makes it for another server "
        "of the fleet. "
        "Certificate requests (-GenerateRequest) are not supported: import the CA's certificate with its key "
        "(Import-ExchangeCertificate)."
    )
    supports_should_process = True
    output_type = CERTIFICATE_TYPE
    parameters = (
        Parameter("DomainName", T.STRINGS, help="The names (SANs) of the certificate, e.g. mail.contoso.com."),
        Parameter("SubjectName", T.STRING, help='The X.500 subject, e.g. "C=US, O=Contoso, CN=mail.contoso.com".'),
        Parameter("FriendlyName", T.STRING, help="A display name (default: Microsoft Exchange)."),
        Parameter("KeySize", T.INT, help="RSA key size: 1024, 2048 (default) or 4096."),
        Parameter("Services", SERVICES, help="Services to enable: SMTP (in force), IMAP, POP, IIS, ... "
                                             "(default IMAP, POP, SMTP)."),
        Parameter("PrivateKeyExportable", T.BOOL, help="$true lets Export-ExchangeCertificate export the key."),
        Parameter("IncludeServerFQDN", T.SWITCH, help="Add the server's FQDN to the names."),
        Parameter("IncludeServerNetBIOSName", T.SWITCH, help="Add the server's name to the names."),
        Parameter("IncludeAcceptedDomains", T.SWITCH, help="Add every accepted domain to the names."),
        Parameter("GenerateRequest", T.SWITCH, help="Not supported by this server (refused)."),
        Parameter("Force", T.SWITCH, help="Replace the default SMTP certificate without asking."),
        Parameter("Server", T.STRING, completer="server",
                  help="The server whose certificates these are (default: this shell's server)."),
    )
    examples = (
        Example("New-ExchangeCertificate", "A self-signed certificate for this server, like setup makes."),
        Example("New-ExchangeCertificate -DomainName mail.contoso.com,smtp.contoso.com -Services SMTP -Force",
                "A certificate for two names, made the default SMTP certificate."),
    )
    related = ("Get-ExchangeCertificate", "Enable-ExchangeCertificate", "Import-ExchangeCertificate")

    def process(self) -> None:
        from exshell.model import x509  # lazy: a model module loads with the objects it decodes

        p = self.params
        if p.get("GenerateRequest"):
            self.write_error("Certificate requests aren't supported by this server: get the certificate from your "
                             "CA and import it with its private key (Import-ExchangeCertificate -FileData ... "
                             "-Password ...).", f"GenerateRequestNotSupported,{self.name}", "NotImplemented")
            return
        server_name = target_server(self)
        if server_name is None:
            return
        server = self.config.server(server_name)
        fqdn = server.fqdn if server is not None else server_name
        names = [str(d).strip() for d in (p.get("DomainName") or []) if str(d).strip()]
        if p.get("IncludeServerNetBIOSName"):
            names.append(server_name)
        if p.get("IncludeServerFQDN"):
            names.append(fqdn)
        if p.get("IncludeAcceptedDomains"):
            names += [str(d.domain_name) for d in self.config.accepted_domains]
        if not names:
            names = [server_name, fqdn]
        cn = names[0] if p.is_bound("DomainName") else server_name
        services = p.get("Services") if p.is_bound("Services") else AllowedServices.parse("IMAP, POP, SMTP")
        try:
            bundle = x509.new_self_signed(cn, names, int(p.get("KeySize") or 2048), p.get("SubjectName"))
        except ModelError as exc:
            report_model_error(self, exc)
            return
        cert = x509.describe(bundle, server=server_name, services=str(services),
                             friendly_name=p.get("FriendlyName") or "Microsoft Exchange",
                             exportable=bool(p.get("PrivateKeyExportable")))
        if not self.should_process(cert.thumbprint, description=f"Creating a self-signed certificate "
                                   f"{cert.thumbprint} for {', '.join(cert.certificate_domains)}."):
            return
        if "SMTP" in cert.services:
            cert = dataclasses.replace(cert, default_smtp=_Confirmed.replace_default(self, cert))
        _keys(self).put_certificate(cert.thumbprint, bundle.to_pem())  # the key first: the version names it
        _warn_not_served(self, cert.services)
        self.change(Create(CERTIFICATES, cert), cert.thumbprint, emit=True)

    def emit(self, obj: Any) -> None:
        self.write_object(certificate_object(obj))


class ImportExchangeCertificate(ConfigCmdlet):
    name = "Import-ExchangeCertificate"
    synopsis = "Imports a certificate with its private key (PKCS#12 .pfx, or PEM certificate + key)."
    description = (
        "Reads -FileData (as [System.IO.File]::ReadAllBytes gives it) or -FileName. A .pfx needs its -Password; "
        "PEM holds the certificate (and its chain) and the private key in one file. Import doesn't enable "
        "services: run Enable-ExchangeCertificate -Services SMTP afterwards."
    )
    supports_should_process = True
    output_type = CERTIFICATE_TYPE
    parameters = (
        Parameter("FileData", BYTES, position=0, help="The file's bytes: ([System.IO.File]::ReadAllBytes('c.pfx'))."),
        Parameter("FileName", T.STRING, help="The path of the .pfx or .pem file."),
        Parameter("Password", SECURE_STRING, help="The PFX (or encrypted key) password, a SecureString."),
        Parameter("PrivateKeyExportable", T.BOOL, help="$true lets Export-ExchangeCertificate export the key."),
        Parameter("FriendlyName", T.STRING, help="A display name."),
        Parameter("Server", T.STRING, completer="server",
                  help="The server whose certificates these are (default: this shell's server)."),
    )
    examples = (Example(
        "Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('/root/mail.pfx')) "
        "-Password (ConvertTo-SecureString 'P@ss' -AsPlainText -Force)",
        "Imports a CA-issued certificate; then Enable-ExchangeCertificate <thumbprint> -Services SMTP."),)
    related = ("Enable-ExchangeCertificate", "Get-ExchangeCertificate")

    def process(self) -> None:
        from exshell.model import x509  # lazy: a model module loads with the objects it decodes

        p = self.params
        data = p.get("FileData")
        if p.get("FileName"):
            try:
                data = Path(p["FileName"]).expanduser().read_bytes()
            except OSError as e:
                self.write_error(f"Can't read the file '{p['FileName']}': {e.strerror or e}.",
                                 f"FileReadError,{self.name}", "ReadError", p["FileName"])
                return
        if data is None:
            self.write_error("Give the certificate with -FileData or -FileName.",
                             f"MissingFileData,{self.name}", "InvalidArgument")
            return
        password = p["Password"].reveal() if p.get("Password") is not None else None
        try:
            bundle = x509.load_bundle(data, password)
        except ModelError as exc:
            report_model_error(self, exc)
            return
        server_name = target_server(self)
        if server_name is None:
            return
        if any(c.thumbprint == bundle.thumbprint and c.server.lower() == server_name.lower()
               for c in _certificates(self)):
            self.write_error(f"The certificate with thumbprint {bundle.thumbprint} already exists on {server_name}.",
                             f"CertificateAlreadyExists,{self.name}", "ResourceExists", bundle.thumbprint)
            return
        cert = x509.describe(bundle, server=server_name, friendly_name=p.get("FriendlyName") or "",
                             exportable=bool(p.get("PrivateKeyExportable")))
        if not cert.is_valid():
            self.write_warning(f"The certificate {cert.thumbprint} is not valid now ({cert.not_before:%Y-%m-%d} to "
                               f"{cert.not_after:%Y-%m-%d}): STARTTLS won't use it.")
        if not self.should_process(cert.thumbprint, description=f"Importing certificate {cert.thumbprint} "
                                   f"({cert.subject})."):
            return
        _keys(self).put_certificate(cert.thumbprint, bundle.to_pem())
        self.change(Create(CERTIFICATES, cert), cert.thumbprint, emit=True)

    def emit(self, obj: Any) -> None:
        self.write_object(certificate_object(obj))


class EnableExchangeCertificate(ConfigCmdlet):
    name = "Enable-ExchangeCertificate"
    synopsis = "Assigns services (SMTP: STARTTLS) to a certificate. Services are added, never removed."
    supports_should_process = True
    parameters = (
        Parameter("Thumbprint", THUMBPRINT, position=0, pipeline=True, by_property_name=True,
                  help="The certificate's thumbprint."),
        Parameter("Identity", THUMBPRINT, help="SERVER\\Thumbprint or the thumbprint."),
        Parameter("Services", SERVICES, mandatory=True, help="SMTP (in force), IMAP, POP, IIS, ..."),
        Parameter("Force", T.SWITCH, help="Replace the default SMTP certificate without asking."),
        Parameter("DoNotRequireSsl", T.SWITCH, help="IIS only: recorded, not in force here."),
        Parameter("NetworkServiceAllowed", T.SWITCH, help="Accepted for compatibility (no Windows ACLs here)."),
        Parameter("Server", T.STRING, completer="server",
                  help="The server whose certificates these are (default: this shell's server)."),
    )
    examples = (Example("Enable-ExchangeCertificate -Thumbprint 5113AE0233A72FCCB75D1D9E3B1C3E51A7B8E0AF "
                        "-Services SMTP -Force", "Use the certificate for STARTTLS and as default SMTP certificate."),)
    related = ("Get-ExchangeCertificate", "Set-ReceiveConnector")

    def process(self) -> None:
        p = self.params
        thumb = p.get("Thumbprint") or p.get("Identity")
        if not thumb:
            self.write_error("Give the certificate's -Thumbprint.", f"MissingThumbprint,{self.name}", "InvalidArgument")
            return
        cert = _find(self, thumb)
        if cert is None:
            return
        services = cert.services | p["Services"]
        if "SMTP" in p["Services"] and not cert.is_valid():
            self.write_error(f"The certificate with thumbprint {cert.thumbprint} is not valid now (it expires "
                             f"{cert.not_after:%Y-%m-%d}, valid from {cert.not_before:%Y-%m-%d}) and can't be enabled "
                             "for SMTP.", f"CertificateExpired,{self.name}", "InvalidOperation", cert.thumbprint)
            return
        changes: dict[str, Any] = {"Services": str(services)}
        if "SMTP" in p["Services"] and not cert.default_smtp and _Confirmed.replace_default(self, cert):
            changes["DefaultSmtp"] = True
        if not self.should_process(cert.thumbprint, description=f"Enabling certificate {cert.thumbprint} for "
                                   f"{p['Services']}."):
            return
        _warn_not_served(self, p["Services"])
        self.change(Update(CERTIFICATES, cert.thumbprint, changes, identity=cert.thumbprint), cert.thumbprint)


class GetExchangeCertificate(Cmdlet):
    name = "Get-ExchangeCertificate"
    synopsis = "Lists a server's certificates (Thumbprint, Services, Subject; Format-List for the rest)."
    output_type = CERTIFICATE_TYPE
    parameters = (
        Parameter("Thumbprint", THUMBPRINT, position=0, pipeline=True, by_property_name=True,
                  help="One certificate's thumbprint."),
        Parameter("Identity", THUMBPRINT, help="SERVER\\Thumbprint or the thumbprint."),
        Parameter("DomainName", T.STRINGS, help="Only certificates whose subject or names match."),
        Parameter("Server", T.STRING, completer="server",
                  help="The server whose certificates these are (default: this shell's server)."),
    )
    examples = (Example("Get-ExchangeCertificate | Format-List Thumbprint,Services,CertificateDomains,NotAfter",
                        "What each certificate is for and when it expires."),)
    related = ("New-ExchangeCertificate", "Import-ExchangeCertificate", "Enable-ExchangeCertificate")

    def process(self) -> None:
        p = self.params
        thumb = p.get("Thumbprint") or p.get("Identity")
        if thumb:
            for cert in _find(self, thumb, get=True):
                self.write_object(certificate_object(cert))
            return
        named = target_server(self)
        if named is None:
            return
        server = named.lower()
        domains = [str(d) for d in p.get("DomainName") or []]
        for cert in _certificates(self):
            if cert.server.lower() != server:
                continue
            if domains and not any(cert.matches_name(d) for d in domains):
                continue
            self.write_object(certificate_object(cert))


class ExportExchangeCertificate(Cmdlet):
    name = "Export-ExchangeCertificate"
    synopsis = "Exports a certificate and its private key as PKCS#12 (only if PrivateKeyExportable)."
    description = (
        "Returns an object whose FileData you write with [System.IO.File]::WriteAllBytes (with -BinaryEncoded: "
        "the .pfx bytes; without: the same, Base64-encoded text). -FileName writes the file itself, readable by "
        "its owner only."
    )
    output_type = EXPORT_TYPE
    parameters = (
        Parameter("Thumbprint", THUMBPRINT, position=0, pipeline=True, by_property_name=True,
                  help="The certificate's thumbprint."),
        Parameter("Password", SECURE_STRING, help="Protects the exported .pfx."),
        Parameter("BinaryEncoded", T.SWITCH, help="FileData as bytes (DER PKCS#12) rather than Base64 text."),
        Parameter("FileName", T.STRING, help="Write the .pfx to this path (mode 0600)."),
        Parameter("Server", T.STRING, completer="server",
                  help="The server whose certificates these are (default: this shell's server)."),
    )
    examples = (Example("$c = Export-ExchangeCertificate 5113AE02... -BinaryEncoded -Password (Read-Host "
                        "-AsSecureString 'Password'); [System.IO.File]::WriteAllBytes('/root/mail.pfx', $c.FileData)",
                        "Exports the certificate with its key."),)
    related = ("Import-ExchangeCertificate",)

    def process(self) -> None:
        # Lazy: loaded when this command runs, not at start-up.
        from exshell.model import x509
        from exshell.store.keystore import KeyStoreError

        p = self.params
        cert = _find(self, p["Thumbprint"]) if p.get("Thumbprint") else None
        if cert is None:
            if not p.get("Thumbprint"):
                self.write_error("Give the certificate's -Thumbprint.", f"MissingThumbprint,{self.name}",
                                 "InvalidArgument")
            return
        if not cert.private_key_exportable:
            self.write_error("The private key couldn't be exported as PKCS-12. It either couldn't be accessed or "
                             "isn't exportable.", f"PrivateKeyNotExportable,{self.name}", "InvalidOperation",
                             cert.thumbprint)
            return
        try:
            bundle = x509.bundle_from_pem(_keys(self).read_certificate(cert.thumbprint))
        except (KeyStoreError, ValueError) as e:
            self.write_error(str(e), f"PrivateKeyUnreadable,{self.name}", "ReadError", cert.thumbprint)
            return
        password = p["Password"].reveal() if p.get("Password") is not None else None
        pfx = bundle.to_pfx(password, cert.friendly_name)
        if p.get("FileName"):
            path = Path(p["FileName"]).expanduser()
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(pfx)
            except OSError as e:
                self.write_error(f"Can't write '{path}': {e.strerror or e}.", f"FileWriteError,{self.name}",
                                 "WriteError", str(path))
                return
        data: Any = pfx if p.get("BinaryEncoded") else base64.b64encode(pfx).decode("ascii")
        self.write_object(PSObject([("FileData", data), ("Thumbprint", cert.thumbprint)],
                                   type_names=[EXPORT_TYPE, "System.Object"]))


class RemoveExchangeCertificate(ConfigCmdlet):
    name = "Remove-ExchangeCertificate"
    synopsis = "Removes a certificate (not the one STARTTLS depends on). Asks for confirmation."
    supports_should_process = True
    confirm_impact = "High"
    parameters = (
        Parameter("Thumbprint", THUMBPRINT, position=0, pipeline=True, by_property_name=True,
                  help="The certificate's thumbprint."),
        Parameter("Identity", THUMBPRINT, help="SERVER\\Thumbprint or the thumbprint."),
        Parameter("Server", T.STRING, completer="server",
                  help="The server whose certificates these are (default: this shell's server)."),
    )
    related = ("Get-ExchangeCertificate",)

    def process(self) -> None:
        # Lazy: the engine's code, only for the commands that use it.
        from exshell.transport.policy import PolicyIndex

        p = self.params
        thumb = p.get("Thumbprint") or p.get("Identity")
        if not thumb:
            self.write_error("Give the certificate's -Thumbprint.", f"MissingThumbprint,{self.name}", "InvalidArgument")
            return
        cert = _find(self, thumb)
        if cert is None:
            return
        # Refused while STARTTLS depends on it: a connector that presents it now would have no certificate after.
        certs = _certificates(self)
        before = PolicyIndex.build(self.config, cert.server, certificates=certs)
        after = PolicyIndex.build(self.config, cert.server,
                                  certificates=[c for c in certs if c.thumbprint != cert.thumbprint])
        stranded = []
        for rc in before.connectors:
            now = before.tls_certificate(rc)[0]
            if now is not None and now.thumbprint == cert.thumbprint and after.tls_certificate(rc)[0] is None:
                stranded.append(rc.identity)
        if stranded:
            self.write_error(
                f"The certificate with thumbprint {cert.thumbprint} is the only SMTP certificate that receive "
                f"connector(s) {', '.join(stranded)} can use for STARTTLS, and can't be removed. Enable another "
                "certificate for SMTP first (Enable-ExchangeCertificate -Services SMTP -Force).",
                f"CannotRemoveCertificateInUse,{self.name}", "InvalidOperation", cert.thumbprint)
            return
        if self.should_process(cert.thumbprint, description=f"Removing certificate {cert.thumbprint} "
                               f"({cert.subject})."):
            self.change(Delete(CERTIFICATES, cert.thumbprint, cert.thumbprint), cert.thumbprint)
