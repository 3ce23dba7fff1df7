"""A shell over a real store in tmp_path, for the Exchange configuration cmdlet tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from exshell.cmdlets.registry import default_registry
from exshell.model.defaults import initial_config
from exshell.runtime.host import BufferHost
from exshell.app import Services
from exshell.runtime.session import Session
from exshell.store import open_store

SERVER = "EX01"


@dataclass
class Result:
    success: bool
    output: str
    errors: str
    warnings: list[str]


class Shell:
    def __init__(self, state: Path, interactive: bool = False, answers: list[str] | None = None) -> None:
        self.state = state
        self.services = Services(state, SERVER)
        self.services._store = open_store(state, initial=lambda: initial_config(SERVER, "ex01.contoso.com"))
        self.host = BufferHost(answers=answers, interactive=interactive)
        self.session = Session(default_registry(), self.services, self.host)

    @property
    def store(self):  # noqa: ANN201
        return self.services.store

    def run(self, text: str) -> Result:
        self.host._out.clear()
        self.host.errors.clear()
        self.host.warnings.clear()
        r = self.session.run(text)
        return Result(r.success, self.host.output, self.host.error_text, list(self.host.warnings))

    def ok(self, text: str) -> str:
        r = self.run(text)
        assert r.success, f"{text!r} failed:\n{r.errors}"
        return r.output

    def values(self, text: str) -> list[str]:
        """The output lines of text, stripped, without blanks."""
        return [line.strip() for line in self.ok(text).splitlines() if line.strip()]

    def version(self) -> int:
        return self.store.current_version()

    def config(self):  # noqa: ANN201
        from exshell.model.config import Config

        return Config.from_data(self.store.snapshot().data)

    def connector(self, name: str):  # noqa: ANN201
        return self.config().resolve_receive_connector(name, SERVER)[0]


RECIPE_1 = (
    "New-ReceiveConnector -Name RelayConnector -usage Custom -Bindings '192.168.1.17:25' -fqdn server.domain.com "
    "-RemoteIPRanges 192.168.1.100 -server EX01 -permissiongroups ExchangeServers "
    "-AuthMechanism 'TLS, ExternalAuthoritative'"
)
RECIPE_2 = (
    "New-ReceiveConnector -Name RelayConnector -usage Custom -Bindings '192.168.1.17:25' -fqdn server.domain.com "
    "-RemoteIPRanges 192.168.1.100 -server EX01 -permissiongroups AnonymousUsers"
)
GRANT = (
    'Get-ReceiveConnector RelayConnector | Add-ADPermission -User "NT AUTHORITY\\ANONYMOUS LOGON" '
    '-ExtendedRights "ms-Exch-SMTP-Accept-Any-Recipient"'
)
