"""ExchangeServer: the server a store describes (Get-ExchangeServer's core properties)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Mapping

from exshell.model.errors import ModelDataError
from exshell.model.records import Prop, decode_props, encode_props

EXCHANGE_SERVER_TYPE = "Microsoft.Exchange.Data.Directory.Management.ExchangeServer"
# Exchange 2007 SP3's AdminDisplayVersion: the emulated product is the 2007/2010 Hub Transport role.
DEFAULT_VERSION = "Version 8.3 (Build 83.6)"


@dataclass(frozen=True, slots=True)
class ExchangeServer:
    guid: str
    name: str
    fqdn: str
    domain: str
    version: str = DEFAULT_VERSION
    roles: tuple[str, ...] = ("HubTransport",)

    @property
    def identity(self) -> str:
        return self.name

    def to_record(self) -> dict[str, Any]:
        return encode_props(self, PROPERTIES)

    @classmethod
    def from_record(cls, guid: str, record: Mapping[str, Any]) -> ExchangeServer:
        fields = decode_props(record, PROPERTIES, "Exchange server")
        if "name" not in fields:
            raise ModelDataError(f"The stored Exchange server {guid} has no Name.", "InvalidStoredData")
        fields.setdefault("fqdn", fields["name"])
        fields.setdefault(
            "domain", fields["fqdn"].split(".", 1)[1] if "." in fields["fqdn"] else "exshell.local"
        )
        return cls(guid=guid, **fields)

    def to_properties(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "Fqdn": self.fqdn,
            "Domain": self.domain,
            "ServerRole": ", ".join(self.roles),
            "AdminDisplayVersion": self.version,
            "Identity": self.name,
            "Guid": self.guid,
        }


PROPERTIES: tuple[Prop, ...] = (
    Prop("Name", "name", "str"),
    Prop("Fqdn", "fqdn", "str"),
    Prop("Domain", "domain", "str"),
    Prop("AdminDisplayVersion", "version", "str"),
    Prop("ServerRole", "roles", "strlist"),
)
