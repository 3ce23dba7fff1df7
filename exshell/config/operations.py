"""The operations a cmdlet hands to the seam: values that say what changes, never a finished result.

They are applied on the newest version under the writer lock (apply.py), so a list edit is an edit
(`ListEdit(add=..., remove=...)`), not a list computed from an older read; a property change names the
Exchange property (`"RemoteIPRanges"`), and the object type's own table maps it to the model field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# (the object before, the object after, the configuration being committed) -> the risk in words, or None
RiskCheck = Callable[[Any, Any, Any], "str | None"]


@dataclass(frozen=True, slots=True)
class ListEdit:
    """`@{Add=...; Remove=...}` (or `@{Replace=...}`) on a multi-valued property, applied to the list as it
    is in the version being committed. Elements compare by their type's identity (kinds.element_key)."""

    add: tuple[Any, ...] = ()
    remove: tuple[Any, ...] = ()
    replace: tuple[Any, ...] | None = None

    @classmethod
    def of(cls, value: Any) -> ListEdit | None:
        """The edit a bound `@{Add=;Remove=;Replace=}` argument (the runtime's ListModifier) asks for, or
        None for a plain value."""
        if isinstance(value, ListEdit):
            return value
        if all(hasattr(value, a) for a in ("add", "remove", "replace")) and not isinstance(value, (str, list)):
            replace = value.replace
            return cls(
                tuple(value.add or ()),
                tuple(value.remove or ()),
                None if replace is None else tuple(replace),
            )
        return None

    def apply(self, current: Any, key: Callable[[Any], Any]) -> list[Any]:
        """Replace wins; else drop each Remove element, then append each Add element not yet present."""
        if self.replace is not None:
            out: list[Any] = []
            seen: set[Any] = set()
            for v in self.replace:
                k = key(v)
                if k not in seen:
                    seen.add(k)
                    out.append(v)
            return out
        removing = {key(v) for v in self.remove}
        out = [v for v in current if key(v) not in removing]
        present = {key(v) for v in out}
        for v in self.add:
            k = key(v)
            if k not in present:
                present.add(k)
                out.append(v)
        return out


@dataclass(frozen=True, slots=True)
class Guard:
    """A risk the administrator confirmed (or that did not exist) when the change was prepared on the
    version they read. At commit the seam recomputes `check` on the newest version: a risk that differs
    from `confirmed` (a concurrent change made this change riskier) refuses the commit."""

    check: RiskCheck
    confirmed: str | None = None


@dataclass(frozen=True, slots=True)
class Create:
    """A new object (a model object, already valid on its own); refused if its rules with the other
    objects of the newest version fail (a name taken, a binding conflict)."""

    collection: str
    obj: Any
    guard: Guard | None = None


@dataclass(frozen=True, slots=True)
class Update:
    """Set properties of one object, by Exchange property name. A value may be a ListEdit."""

    collection: str
    key: str
    changes: Mapping[str, Any] = field(default_factory=dict)
    guard: Guard | None = None
    identity: str = ""  # for messages when the object is gone meanwhile


@dataclass(frozen=True, slots=True)
class Delete:
    collection: str
    key: str
    identity: str = ""


@dataclass(frozen=True, slots=True)
class AddAces:
    """Add explicit permission entries to a receive connector (duplicates are skipped)."""

    key: str
    aces: tuple[Any, ...]
    guard: Guard | None = None
    identity: str = ""


@dataclass(frozen=True, slots=True)
class RemoveAces:
    """Remove the explicit entries of `user` for `rights` (Allow, or Deny with deny=True)."""

    key: str
    user: str
    rights: tuple[str, ...]
    deny: bool = False
    identity: str = ""


@dataclass(frozen=True, slots=True)
class Restore:
    """Make the content of `version` current again. `expected` is the description of the changes the
    administrator confirmed (computed on the version they read); if the newest version would change
    differently, the restore is refused."""

    version: int
    expected: tuple[Any, ...] | None = None  # the ObjectChanges (store.diff) the user saw


Operation = Create | Update | Delete | AddAces | RemoveAces | Restore
