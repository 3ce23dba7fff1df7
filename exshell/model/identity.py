"""ADObjectId: the Identity of the objects the Exchange cmdlets emit (`EX01\\Relay`, `contoso.com`).

Exchange's Identity is an object, not text: scripts read `.Identity.Name` (the object's own name),
`.Identity.Parent` (the server part of a connector's identity) and `.Identity.ObjectGuid`, and it prints
as the text the cmdlets accept back (`Set-ReceiveConnector -Identity $rc.Identity`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ObjectIdentity:
    text: str  # `EX01\Relay`, `Transport Settings`
    guid: str | None = None

    @property
    def name(self) -> str:
        return self.text.rsplit("\\", 1)[-1]

    @property
    def parent(self) -> str | None:
        return self.text.rsplit("\\", 1)[0] if "\\" in self.text else None

    def __str__(self) -> str:
        return self.text
