"""Errors the model raises. Both are ExshellErrors (shown briefly to the user) and ValueErrors (so the
parameter binder's ValueError handling also catches them)."""

from __future__ import annotations

from exshell.errors import ExshellError


class ModelError(ExshellError, ValueError):
    """A value or combination the Exchange cmdlets would refuse. `error_id` is the FullyQualifiedErrorId
    stem a cmdlet can report; `property` names the offending property when there is one."""

    def __init__(self, message: str, error_id: str = "InvalidArgument", property: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_id = error_id
        self.property = property


class ModelDataError(ModelError):
    """A stored record that can't be read back (a hand-edited or corrupt configuration file)."""
