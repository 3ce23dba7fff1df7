"""`$null` and empty values typed at `exshell -c` follow PowerShell's binding rules (issue 8 item 4): a refused
value is a binding error, nothing changes (no new version) and the one-shot exits 1; a parameter that takes
`$null` to clear a property (-Banner, -Comment, -InternalSMTPServers) still does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

RELAY = "New-ReceiveConnector Relay -Custom -Bindings 0.0.0.0:2525 -RemoteIPRanges 10.0.0.1 -Banner '220 hi' " \
    "-Comment note"


def exshell(state: Path, text: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1")
    env.pop("EXSHELL_STATE", None)
    proc = subprocess.run(  # noqa: PLW1510 - the status is asserted
        [sys.executable, "-m", "exshell", "--state", str(state), "-c", text],
        capture_output=True, text=True, env=env, timeout=60, cwd=state.parent,
    )
    shown = proc.stdout + proc.stderr
    assert "Traceback" not in shown and "internal error" not in shown, shown
    return proc


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("null") / "state"
    assert exshell(folder, RELAY).returncode == 0
    return folder


def version(state: Path) -> str:
    return exshell(state, "(Get-ConfigVersion | Measure-Object).Count").stdout.strip()


@pytest.mark.parametrize(
    ("arguments", "message", "error_id"),
    [
        ("-RemoteIPRanges $null", "Cannot bind argument to parameter 'RemoteIPRanges' because it is null.",
         "ParameterArgumentValidationErrorNullNotAllowed"),
        # A typo'd variable is $null: the same answer, not an internal error.
        ("-RemoteIPRanges $c.RemoteIPRanges", "Cannot bind argument to parameter 'RemoteIPRanges' because it is null.",
         "ParameterArgumentValidationErrorNullNotAllowed"),
        ("-MaxMessageSize $null", "Cannot process argument transformation on parameter 'MaxMessageSize'. Cannot "
         'convert null to type "Microsoft.Exchange.Data.ByteQuantifiedSize".', "ParameterArgumentTransformationError"),
        ("-Bindings @()", "Cannot bind argument to parameter 'Bindings' because it is an empty collection.",
         "ParameterArgumentValidationErrorEmptyCollectionNotAllowed"),
        ("-Enabled $null", "Cannot bind argument to parameter 'Enabled' because it is null.",
         "ParameterArgumentValidationErrorNullNotAllowed"),
        ("-Name (1,2)", "Cannot convert 'System.Object[]' to the type 'System.String' required by parameter 'Name'. "
         "Specified method is not supported.", "CannotConvertArgument"),
        ("-MaxMessageSize (Get-Date)", "Cannot bind parameter 'MaxMessageSize'.", "CannotConvertArgumentNoMessage"),
    ],
)
def test_refused_value_is_a_binding_error_that_changes_nothing(
    state: Path, arguments: str, message: str, error_id: str
) -> None:
    before = version(state)
    proc = exshell(state, f"Set-ReceiveConnector Relay {arguments}")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"Set-ReceiveConnector : {message}" in proc.stderr
    assert f"FullyQualifiedErrorId : {error_id},Set-ReceiveConnector" in proc.stderr
    assert version(state) == before


def test_null_clears_a_string_property_exchange_lets_you_clear(state: Path) -> None:
    proc = exshell(state, "Set-ReceiveConnector Relay -Banner $null -Comment $null; "
                          "$c = Get-ReceiveConnector Relay; $c.Banner -eq $null; $c.Comment -eq $null")
    assert (proc.returncode, proc.stdout.split()) == (0, ["True", "True"]), proc.stderr


def test_null_clears_a_multivalued_property_that_allows_it(state: Path) -> None:
    proc = exshell(state, "Set-TransportConfig -InternalSMTPServers 10.0.0.9; "
                          "Set-TransportConfig -InternalSMTPServers $null; (Get-TransportConfig).InternalSMTPServers.Count")
    assert (proc.returncode, proc.stdout.strip()) == (0, "0"), proc.stderr
