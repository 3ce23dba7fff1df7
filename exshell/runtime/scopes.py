"""Variables, functions and scopes (about_Scopes): global → script → local chain; `$env:` is os.environ.

Reading walks from the current scope up to the global one; assigning without a scope modifier creates or
updates the variable in the current scope (PowerShell copy-on-write semantics: a child never changes its
parent's variable unless it names the scope, e.g. `$global:x = 1`).
"""

from __future__ import annotations

import os
from typing import Any

from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.runtime.values import to_string


# Variable, FunctionInfo and Scope never leave the runtime: plain slotted classes, not dataclasses, because
# generating a dataclass costs about a millisecond of every start-up.


class Variable:
    __slots__ = ("name", "value", "read_only")

    def __init__(self, name: str, value: Any, read_only: bool = False) -> None:
        self.name = name
        self.value = value
        self.read_only = read_only

    def __repr__(self) -> str:
        return f"Variable({self.name!r}, {self.value!r}, read_only={self.read_only})"


class FunctionInfo:
    """A function defined in script: its parameter declarations and its body (an ast.ScriptBlock)."""

    __slots__ = ("name", "params", "body")

    def __init__(self, name: str, params: tuple[Any, ...], body: Any) -> None:
        self.name = name
        self.params = params
        self.body = body  # ast.ScriptBlock


class Scope:
    __slots__ = ("parent", "variables", "functions", "is_script")

    def __init__(self, parent: Scope | None = None, is_script: bool = False) -> None:
        self.parent = parent
        self.variables: dict[str, Variable] = {}
        self.functions: dict[str, FunctionInfo] = {}
        self.is_script = is_script

    def child(self, is_script: bool = False) -> "Scope":
        return Scope(parent=self, is_script=is_script)


# Read-only constants PowerShell protects (`$true = 1` → VariableNotWritable).
_CONSTANTS = {"true": True, "false": False, "null": None}


class SessionState:
    """All variables and functions of one session. `current` is the scope code runs in."""

    def __init__(self) -> None:
        self.global_scope = Scope(is_script=True)
        self.current = self.global_scope

    # ---- scope navigation
    def push(self, is_script: bool = False) -> Scope:
        self.current = self.current.child(is_script)
        return self.current

    def pop(self, previous: Scope) -> None:
        self.current = previous

    def _script_scope(self) -> Scope:
        s: Scope | None = self.current
        while s is not None:
            if s.is_script:
                return s
            s = s.parent
        return self.global_scope

    def _target(self, scope: str | None) -> Scope:
        if scope is None or scope in ("local", "private"):
            return self.current
        if scope == "global":
            return self.global_scope
        if scope == "script":
            return self._script_scope()
        return self.current

    # ---- variables
    def get(self, name: str, scope: str | None = None, default: Any = None) -> Any:
        var = self.lookup(name, scope)
        return default if var is None else var.value

    def lookup(self, name: str, scope: str | None = None) -> Variable | None:
        key = name.lower()
        if scope == "env":
            if name in os.environ:
                return Variable(name, os.environ[name])
            for k, v in os.environ.items():  # Windows-style case-insensitive environment names
                if k.lower() == key:
                    return Variable(k, v)
            return None
        if key in _CONSTANTS and scope is None:
            return Variable(name, _CONSTANTS[key], read_only=True)
        if scope in ("global", "script", "local", "private"):
            return self._target(scope).variables.get(key)
        s: Scope | None = self.current
        while s is not None:
            var = s.variables.get(key)
            if var is not None:
                return var
            s = s.parent
        return None

    def set(self, name: str, value: Any, scope: str | None = None) -> None:
        key = name.lower()
        if scope == "env":
            if value is None or value == "":
                os.environ.pop(name, None)
            else:
                os.environ[name] = to_string(value)
            return
        if key in _CONSTANTS:
            raise PSRuntimeError(
                ErrorRecord(
                    f"Cannot overwrite variable {name} because it is read-only or constant.",
                    "VariableNotWritable",
                    Category.WriteError,
                    target_name=name,
                    exception_type="SessionStateUnauthorizedAccessException",
                )
            )
        target = self._target(scope)
        var = target.variables.get(key)
        if var is None:
            target.variables[key] = Variable(name, value)
        else:
            var.value = value

    def set_local(self, name: str, value: Any) -> None:
        """Define in the current scope (parameters, loop variables of a new scope, `$_`)."""
        self.current.variables[name.lower()] = Variable(name, value)

    def remove(self, name: str, scope: str | None = None) -> bool:
        key = name.lower()
        s: Scope | None = self._target(scope) if scope else self.current
        while s is not None:
            if key in s.variables:
                del s.variables[key]
                return True
            if scope:
                break
            s = s.parent
        return False

    def visible_variables(self) -> list[Variable]:
        """Every variable visible from the current scope (inner definitions hide outer ones)."""
        seen: dict[str, Variable] = {}
        s: Scope | None = self.current
        while s is not None:
            for k, v in s.variables.items():
                seen.setdefault(k, v)
            s = s.parent
        return sorted(seen.values(), key=lambda v: v.name.lower())

    # ---- functions
    def get_function(self, name: str) -> FunctionInfo | None:
        key = name.lower()
        s: Scope | None = self.current
        while s is not None:
            f = s.functions.get(key)
            if f is not None:
                return f
            s = s.parent
        return None

    def set_function(self, info: FunctionInfo, scope: str | None = None) -> None:
        self._target(scope).functions[info.name.lower()] = info
