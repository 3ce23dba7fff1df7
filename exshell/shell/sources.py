"""Where completion finds names: commands (the registry's manifest) and objects (the configuration store).

Both are small interfaces so that completer tests can hand in fixed names without a registry or a store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from exshell.model.permissions import RECEIVE_RIGHTS, WELL_KNOWN_PRINCIPALS

if TYPE_CHECKING:  # pragma: no cover
    from exshell.cmdlets.base import Parameter

# Parameter.completer kind -> store collection whose records' `name` fields are offered.
COLLECTIONS: Mapping[str, str] = {
    "receive_connector": "receive_connectors",
    "accepted_domain": "accepted_domains",
    "send_connector": "send_connectors",
    "mailbox": "mailboxes",
    "server": "servers",
}


def model_names(kind: str) -> list[str]:
    """Names fixed by the Exchange model rather than the store: well-known principals, connector rights."""
    if kind == "principal":
        return list(WELL_KNOWN_PRINCIPALS)
    if kind == "extended_right":
        return list(RECEIVE_RIGHTS)
    return []


class NameSource(Protocol):
    def names(self, kind: str) -> list[str]:
        """The object names for a Parameter.completer kind ([] when the kind is unknown)."""
        ...


@dataclass(frozen=True, slots=True)
class StaticNameSource:
    """Fixed names per kind (tests, or a cache)."""

    by_kind: Mapping[str, tuple[str, ...]]

    def names(self, kind: str) -> list[str]:
        return list(self.by_kind.get(kind, ()))


class StoreNameSource:
    """Reads names from the newest store snapshot, re-reading only when the store version changed."""

    def __init__(self, services: Any) -> None:
        self._services = services
        self._version: int | None = None
        self._data: Mapping[str, Mapping[str, Mapping[str, Any]]] = {}

    def names(self, kind: str) -> list[str]:
        collection = COLLECTIONS.get(kind)
        if collection is None:
            return model_names(kind)
        try:
            store = self._services.store
            version = store.current_version()
            if version != self._version:
                self._data = store.snapshot().data
                self._version = version
        except Exception:  # noqa: BLE001 - completion must never break the prompt; a missing store offers nothing
            return []
        records = self._data.get(collection, {})
        out: list[str] = []
        for key, record in records.items():
            name = _name_field(record) if isinstance(record, Mapping) else None
            name = key if name is None else name
            if isinstance(name, str) and name not in out:
                out.append(name)
        return out


def _name_field(record: Mapping[str, Any]) -> Any:
    """The record's `name` field, whatever its case (the store keeps Exchange's spelling, `Name`)."""
    for k, v in record.items():
        if isinstance(k, str) and k.lower() == "name":
            return v
    return None


@dataclass(frozen=True, slots=True)
class CommandName:
    name: str
    alias_of: str | None = None  # set for aliases: the command the alias stands for


class CommandCatalog(Protocol):
    def commands(self) -> list[CommandName]: ...

    def parameters(self, command: str) -> tuple[Parameter, ...] | None:
        """All parameters (declared + common) of a command or alias, or None when unknown."""
        ...


@dataclass(frozen=True, slots=True)
class StaticCatalog:
    """A catalog over cmdlet classes given directly (tests)."""

    classes: tuple[Any, ...]

    def commands(self) -> list[CommandName]:
        out = [CommandName(c.name) for c in self.classes]
        out += [CommandName(a, c.name) for c in self.classes for a in c.aliases]
        return out

    def parameters(self, command: str) -> tuple[Parameter, ...] | None:
        low = command.lower()
        for c in self.classes:
            if c.name.lower() == low or low in (a.lower() for a in c.aliases):
                return tuple(c.all_parameters())
        return None


class RegistryCatalog:
    """The registry's manifest for names (no cmdlet module imported); a cmdlet module is imported only when
    its parameters are asked for."""

    def __init__(self, registry: Any) -> None:
        self._registry = registry
        self._index: dict[str, Any] | None = None

    def _entries(self) -> Iterable[Any]:
        return self._registry.entries()

    def _by_name(self) -> dict[str, Any]:
        if self._index is None:
            index: dict[str, Any] = {}
            for e in self._entries():
                index.setdefault(e.name.lower(), e)
                for a in e.aliases:
                    index.setdefault(a.lower(), e)
            self._index = index
        return self._index

    def commands(self) -> list[CommandName]:
        out: list[CommandName] = []
        for e in self._entries():
            out.append(CommandName(e.name))
            out.extend(CommandName(a, e.name) for a in e.aliases)
        return out

    def parameters(self, command: str) -> tuple[Parameter, ...] | None:
        entry = self._by_name().get(command.lower())
        if entry is None:
            return None
        try:
            cls = self._registry.load(entry)
        except Exception:  # noqa: BLE001 - a broken cmdlet module must not break the prompt
            return None
        return tuple(cls.all_parameters())
