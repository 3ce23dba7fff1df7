"""The binder's one rule for `$null`, '' and empty collections (binding.md §5, §12.1), per parameter type and
the AllowNull / AllowEmptyString / AllowEmptyCollection declarations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exshell.cmdlets.base import Cmdlet, Parameter, T
from exshell.cmdlets.registry import CommandRegistry
from exshell.runtime.host import BufferHost
from exshell.app import Services
from exshell.runtime.session import Session

SIZE = T.custom("Microsoft.Exchange.Data.ByteQuantifiedSize", lambda v: int(v))
FQDN = T.custom("Microsoft.Exchange.Data.Fqdn", str)
RANGES = T.custom("Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPRange]", str,
                  array=True, multivalued=True)
seen: dict[str, Any] = {}


class SetProbe(Cmdlet):
    name = "Set-Probe"
    parameters = (
        Parameter("Text", T.STRING),
        Parameter("Fqdn", FQDN),
        Parameter("Size", SIZE),
        Parameter("Count", T.INT),
        Parameter("Flag", T.BOOL),
        Parameter("Ranges", RANGES),
        Parameter("Clearable", RANGES, allow_null=True, allow_empty=True),
        Parameter("Names", T.STRINGS),
    )

    def process(self) -> None:
        seen.clear()
        seen.update({k: self.params[k] for k in self.params})


class NeedProbe(Cmdlet):
    name = "Need-Probe"
    parameters = (
        Parameter("Names", T.STRINGS, mandatory=True),
        Parameter("Loose", T.STRINGS, allow_null=True, allow_empty=True),
    )

    def process(self) -> None:
        seen.clear()
        seen.update({k: self.params[k] for k in self.params})


@pytest.fixture
def run(tmp_path: Path):  # noqa: ANN201
    host = BufferHost()
    session = Session(CommandRegistry(classes=[SetProbe, NeedProbe]), Services(tmp_path), host)

    def go(text: str) -> tuple[bool, str]:
        host.errors.clear()
        seen.clear()
        ok = session.run(text).success
        return ok, host.error_text

    return go


@pytest.mark.parametrize(("arguments", "expected"), [
    ("-Text $null", {"Text": None}),          # a reference type takes $null: Set-ReceiveConnector -Banner $null
    ("-Text ''", {"Text": ""}),
    ("-Fqdn $null", {"Fqdn": None}),
    ("-Clearable $null", {"Clearable": []}),  # a multi-valued property that allows $null: cleared
    ("-Clearable @()", {"Clearable": []}),
    ("-Names $null", {"Names": None}),        # a plain array that is not mandatory: as PowerShell
])
def test_value_binds(run, arguments: str, expected: dict[str, Any]) -> None:  # noqa: ANN001
    ok, errors = run(f"Set-Probe {arguments}")
    assert ok, errors
    assert seen == expected


@pytest.mark.parametrize(("text", "message"), [
    ("Set-Probe -Size $null", "Cannot process argument transformation on parameter 'Size'. Cannot convert null to "
     'type "Microsoft.Exchange.Data.ByteQuantifiedSize".'),
    ("Set-Probe -Count $null", "Cannot process argument transformation on parameter 'Count'. Cannot convert null "
     'to type "System.Int32".'),
    ("Set-Probe -Flag $null", "Cannot bind argument to parameter 'Flag' because it is null."),
    ("Set-Probe -Ranges $null", "Cannot bind argument to parameter 'Ranges' because it is null."),
    ("Set-Probe -Ranges $nothing.Ranges", "Cannot bind argument to parameter 'Ranges' because it is null."),
    ("Set-Probe -Ranges @()", "Cannot bind argument to parameter 'Ranges' because it is an empty collection."),
    ("Need-Probe -Names @()", "Cannot bind argument to parameter 'Names' because it is an empty array."),
    ("Need-Probe -Names 'a',''", "Cannot bind argument to parameter 'Names' because it is an empty string."),
    ("Need-Probe -Names 'a',$null", "Cannot bind argument to parameter 'Names' because it is null."),
])
def test_value_is_refused_before_the_cmdlet_runs(run, text: str, message: str) -> None:  # noqa: ANN001
    ok, errors = run(text)
    assert not ok
    assert message in errors
    assert seen == {}


def test_allow_null_and_empty_on_a_mandatory_array_let_the_value_through(run) -> None:  # noqa: ANN001
    ok, errors = run("Need-Probe -Names a -Loose @()")
    assert ok, errors
    assert seen == {"Names": ["a"], "Loose": []}


def test_script_function_typed_parameter_converts_null_as_powershell_does(run) -> None:  # noqa: ANN001
    # [int]$x = $null is 0 and [bool]$b = $null is $false in a function: only cmdlets refuse $null.
    host_ok, errors = run("function f([int]$x, [bool]$b) { Set-Probe -Text \"$x $b\" }; f $null $null")
    assert host_ok, errors
    assert seen == {"Text": "0 False"}
