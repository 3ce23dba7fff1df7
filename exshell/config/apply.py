"""Applying an operation to a working set: the one place where list edits, property changes, ACE edits
and removals meet the model's rules. The seam runs it twice: on the invocation's preview (to report a
broken rule for the input object that caused it) and on the newest version under the writer lock (what is
committed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exshell.config.kinds import kind_of
from exshell.config.operations import AddAces, Create, Delete, Guard, ListEdit, RemoveAces, Update
from exshell.config.working import Working
from exshell.model.config import RECEIVE_CONNECTORS
from exshell.model.errors import ModelError


class ConcurrentChangeError(ModelError):
    """The version being committed differs from the one the administrator confirmed, in a risky way."""


class GoneError(ModelError):
    """The object was removed (or never existed) in the version being committed."""


@dataclass(frozen=True, slots=True)
class Applied:
    """What one operation did: the object before (None for a new one) and after (None when removed)."""

    before: Any
    after: Any


def apply(working: Working, op: Any, commit: bool = True) -> Applied:
    """Apply `op` to `working` (commit=False: compute the result only). Raises ModelError for a broken
    rule, GoneError when the object is not there, ConcurrentChangeError when a guard's risk changed."""
    if isinstance(op, Create):
        kind = kind_of(op.collection)
        key = kind.key_of(op.obj)
        if working.get(op.collection, key) is not None:
            raise ModelError(f"The object '{key}' already exists.", "ADObjectAlreadyExistsException")
        kind.check(op.obj, working)
        _guard(op.guard, None, op.obj, working, getattr(op.obj, "identity", key))
        if commit:
            _put(working, op.collection, key, op.obj)
        return Applied(None, op.obj)
    if isinstance(op, Update):
        kind = kind_of(op.collection)
        before = _existing(working, op.collection, op.key, op.identity)
        fields: dict[str, Any] = {}
        for prop, value in op.changes.items():
            fld = kind.field_of(prop)
            edit = ListEdit.of(value)
            if edit is not None:
                value = edit.apply(getattr(before, fld, ()), kind.element_key(fld))
            fields[fld] = value
        after = kind.change(before, fields)
        kind.check(after, working)
        _guard(op.guard, before, after, working, op.identity)
        if commit and after != before:
            _put(working, op.collection, op.key, after)
        return Applied(before, after)
    if isinstance(op, AddAces):
        before = _existing(working, RECEIVE_CONNECTORS, op.key, op.identity)
        after = before.add_aces(op.aces)
        _guard(op.guard, before, after, working, op.identity)
        if commit and after != before:
            working.put(RECEIVE_CONNECTORS, op.key, after)
        return Applied(before, after)
    if isinstance(op, RemoveAces):
        before = _existing(working, RECEIVE_CONNECTORS, op.key, op.identity)
        after, _removed = before.remove_aces(op.user, op.rights, op.deny)
        if commit and after != before:
            working.put(RECEIVE_CONNECTORS, op.key, after)
        return Applied(before, after)
    if isinstance(op, Delete):
        before = _existing(working, op.collection, op.key, op.identity)
        rule = kind_of(op.collection).check_remove
        if rule is not None:
            rule(before, working)
        if commit:
            working.delete(op.collection, op.key)
        return Applied(before, None)
    raise TypeError(f"not a configuration operation: {op!r}")


def _put(working: Working, collection: str, key: str, obj: Any) -> None:
    working.put(collection, key, obj)
    after = kind_of(collection).after
    if after is not None:
        after(obj, working)


def _existing(working: Working, collection: str, key: str, identity: str) -> Any:
    obj = working.get(collection, key)
    if obj is None:
        label = kind_of(collection).label.lower()
        raise GoneError(
            f"The {label} '{identity or key}' was removed by another change meanwhile; nothing was changed.",
            "ManagementObjectNotFoundException",
        )
    return obj


def _guard(guard: Guard | None, before: Any, after: Any, working: Working, identity: str) -> None:
    if guard is None:
        return
    risk = guard.check(before, after, working)
    if risk and risk != guard.confirmed:
        raise ConcurrentChangeError(
            f"The configuration of '{identity}' was changed by another command after this one read it, and "
            f"the change would now need a new confirmation: {risk} Nothing was changed; run the command "
            "again to review it.",
            "ConfigurationChangedMeanwhile",
        )
