"""Fixtures for runtime tests: a session over a registry holding the real utility/core cmdlets plus the
test cmdlets of tests.md Part B (Get-Thing/Set-Thing) and stand-ins for the Exchange cmdlets of the seed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Callable

import pytest

from exshell.cmdlets.base import Cmdlet, Parameter, T
from exshell.cmdlets.registry import default_registry
from exshell.runtime.host import BufferHost
from exshell.app import Services
from exshell.runtime.session import RunResult, Session


class Recorder:
    """Each stand-in cmdlet appends (command, bound parameters as a plain dict) here."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.events: list[str] = []

    def record(self, cmdlet: Cmdlet) -> None:
        self.calls.append((cmdlet.name, {k: cmdlet.params[k] for k in cmdlet.params}))

    def last(self, name: str | None = None) -> dict[str, Any]:
        for n, p in reversed(self.calls):
            if name is None or n == name:
                return p
        raise AssertionError(f"{name} was never called; calls: {self.calls}")


def _thing(identity: str, name: str) -> Any:
    from exshell.runtime.values import PSObject

    return PSObject([("Identity", identity), ("Name", name)], type_names=("Test.Thing", "System.Object"))


def make_cmdlets(rec: Recorder) -> list[type[Cmdlet]]:
    class GetThing(Cmdlet):
        name = "Get-Thing"
        parameters = (Parameter("Identity", T.STRING, position=0, pipeline=True),)

        def begin(self) -> None:
            rec.events.append("Get-Thing begin")

        def process(self) -> None:
            rec.events.append("Get-Thing process")
            rec.record(self)
            ident = self.params.get("Identity")
            for i, n in (("T1", "one"), ("T2", "two")):
                if ident is None or ident == i:
                    rec.events.append(f"Get-Thing writes {i}")
                    self.write_object(_thing(i, n))

        def end(self) -> None:
            rec.events.append("Get-Thing end")

    class SetThing(Cmdlet):
        name = "Set-Thing"
        supports_should_process = True
        parameters = (
            Parameter("Identity", T.STRING, position=0, mandatory=True, pipeline=True),
            Parameter("Name", T.STRING),
            Parameter("Banner", T.STRING),
            Parameter("Port", T.INT),
            Parameter("Enabled", T.BOOL),
            Parameter("RemoteIPRanges", T.STRING.of_array(multivalued=True)),
            Parameter("RemoveX", T.STRING),
            Parameter("Force", T.SWITCH),
        )

        def begin(self) -> None:
            rec.events.append("Set-Thing begin")

        def process(self) -> None:
            rec.events.append(f"Set-Thing process {self.params.get('Identity')}")
            if self.should_process(self.params["Identity"]):
                rec.record(self)

        def end(self) -> None:
            rec.events.append("Set-Thing end")

    class RemoveThing(Cmdlet):
        name = "Remove-Thing"
        supports_should_process = True
        confirm_impact = "High"
        parameters = (Parameter("Identity", T.STRING, position=0, mandatory=True, pipeline=True,
                                by_property_name=True),)

        def process(self) -> None:
            if self.should_process(self.params["Identity"], "Remove"):
                rec.record(self)

    class FailThing(Cmdlet):
        name = "Fail-Thing"
        parameters = (
            Parameter("Mode", T.STRING, position=0),
            Parameter("Value", T.OBJECT, pipeline=True),
        )

        def process(self) -> None:
            mode = self.params.get("Mode")
            rec.events.append(f"Fail-Thing {mode} {self.params.get('Value')}")
            if mode == "soft":
                self.write_error("soft failure", "SoftFailure", "InvalidOperation", target="x")
                self.write_object("after-soft")
            elif mode == "hard":
                self.throw_terminating("hard failure", "HardFailure", "InvalidOperation")
            elif mode == "python":
                raise ZeroDivisionError("boom inside a cmdlet")
            elif mode == "warn":
                self.write_warning("careful")
                self.write_verbose("details")
                self.write_object("done")

    class SetMulti(Cmdlet):
        """Two parameter sets: ByName (default) / ById, for set-resolution tests."""

        name = "Set-Multi"
        default_set = "ByName"
        parameters = (
            Parameter("Name", T.STRING, position=0, sets=("ByName",), mandatory=True),
            Parameter("Id", T.INT, sets=("ById",), mandatory=True),
            Parameter("Tag", T.STRING, sets=("ById",)),
            Parameter("Note", T.STRING, sets=("ByName",)),
            Parameter("Shared", T.STRING),
        )

        def process(self) -> None:
            rec.record(self)
            rec.events.append(f"set={self.params.get('Name')!r}/{self.params.get('Id')!r}")

    # ---- stand-ins for the seed's Exchange cmdlets (record what they were bound with)
    class GetReceiveConnector(Cmdlet):
        name = "Get-ReceiveConnector"
        parameters = (Parameter("Identity", T.STRING, position=0, pipeline=True),
                      Parameter("Server", T.STRING))

        def process(self) -> None:
            from exshell.runtime.values import PSObject

            rec.record(self)
            ident = self.params.get("Identity") or "Relay"
            self.write_object(PSObject([("Identity", ident), ("Name", ident),
                                        ("RemoteIPRanges", ["10.0.0.1"])],
                                       type_names=("Microsoft.Exchange.ReceiveConnector", "System.Object")))

    class SetReceiveConnector(Cmdlet):
        name = "Set-ReceiveConnector"
        supports_should_process = True
        parameters = (
            Parameter("Identity", T.STRING, position=0, mandatory=True, pipeline=True),
            Parameter("RemoteIPRanges", T.STRING.of_array(multivalued=True)),
            Parameter("Enabled", T.BOOL),
        )

        def process(self) -> None:
            if self.should_process(self.params["Identity"]):
                rec.record(self)

    class AddADPermission(Cmdlet):
        name = "Add-ADPermission"
        supports_should_process = True
        parameters = (
            Parameter("Identity", T.STRING, position=0, mandatory=True, pipeline=True, by_property_name=True),
            Parameter("User", T.STRING, mandatory=True),
            Parameter("ExtendedRights", T.STRINGS),
        )

        def process(self) -> None:
            if self.should_process(self.params["Identity"]):
                rec.record(self)

    class GetADPermission(Cmdlet):
        name = "Get-ADPermission"
        parameters = (Parameter("Identity", T.STRING, position=0, mandatory=True, pipeline=True,
                                by_property_name=True),)

        def process(self) -> None:
            from exshell.runtime.values import PSObject

            rec.record(self)
            for user, rights in (("NT AUTHORITY\\ANONYMOUS LOGON", ["ms-Exch-SMTP-Accept-Any-Recipient"]),
                                 ("MS Exchange\\Partner", ["ms-Exch-SMTP-Submit"])):
                self.write_object(PSObject([("Identity", self.params["Identity"]), ("User", user),
                                            ("ExtendedRights", rights)]))

    return [GetThing, SetThing, RemoveThing, FailThing, SetMulti, GetReceiveConnector, SetReceiveConnector,
            AddADPermission, GetADPermission]


@dataclass
class Shell:
    session: Session
    host: BufferHost
    rec: Recorder
    state_dir: Path

    def run(self, text: str) -> RunResult:
        return self.session.run(text)

    def out(self, text: str) -> list[str]:
        """Run text and return the output lines written since."""
        before = len(self.host.output)
        self.session.run(text)
        rest = self.host.output[before:]
        if rest.endswith("\n"):
            rest = rest[:-1]
        return rest.split("\n") if rest else []

    def value(self, expr: str) -> Any:
        """The value of an expression (assigned to a variable, read back)."""
        self.session.run(f"$__v = {expr}")
        return self.session.get_variable("__v")

    def errors(self) -> list[Any]:
        return list(self.session.get_variable("Error"))


@pytest.fixture
def make_shell(tmp_path: Path) -> Callable[..., Shell]:
    def factory(interactive: bool = False, answers: list[str] | None = None) -> Shell:
        rec = Recorder()
        registry = default_registry().copy()
        for cls in make_cmdlets(rec):
            registry.add_class(cls)
        host = BufferHost(answers=answers, interactive=interactive)
        state = tmp_path / "state"
        session = Session(registry, Services(state), host)
        return Shell(session, host, rec, state)

    return factory


@pytest.fixture
def shell(make_shell: Callable[..., Shell]) -> Shell:
    return make_shell()
