"""What the runtime needs from a command registry: a name or alias resolved to a command it can load.

The application's registry (exshell.cmdlets.registry.CommandRegistry) satisfies this protocol; the runtime
depends on the protocol only, so that it knows no cmdlet module by name.
"""

from __future__ import annotations

from typing import Any, Protocol


class CommandLookup(Protocol):
    def resolve(self, name: str) -> Any | None:
        """The entry for a command name or alias (case-insensitive), or None."""

    def resolve_alias(self, name: str) -> str | None:
        """The target command name when `name` is an alias."""

    def load(self, entry: Any) -> Any:
        """The command class of an entry returned by resolve()."""


class NoCommands:
    """A lookup that knows no command: an evaluator used on its own (expressions, script functions)."""

    def resolve(self, name: str) -> Any | None:
        return None

    def resolve_alias(self, name: str) -> str | None:
        return None

    def load(self, entry: Any) -> Any:
        raise LookupError(f"no command {entry!r}")

    def entries(self) -> list[Any]:
        return []

    def aliases(self) -> dict[str, str]:
        return {}
