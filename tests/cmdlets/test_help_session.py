"""Get-Help and Get-Command run through a real session (registry, binder, output) against a BufferHost."""

from __future__ import annotations

from pathlib import Path

import pytest

session_mod = pytest.importorskip("exshell.runtime.session")  # runs once the runtime has landed

from exshell.cmdlets.registry import default_registry  # noqa: E402 - after the importorskip
from exshell.runtime.host import BufferHost  # noqa: E402


def run(tmp_path: Path, text: str) -> tuple[bool, BufferHost]:
    host = BufferHost()
    session = session_mod.Session(default_registry(), session_mod.Services(tmp_path / "state"), host)
    result = session.run(text)
    return result.success, host


def test_get_help_of_a_command_shows_name_synopsis_and_syntax(tmp_path: Path):
    ok, host = run(tmp_path, "Get-Help Get-Command")
    assert ok, host.error_text
    text = host.output
    assert "NAME\n    Get-Command" in text
    assert "SYNTAX\n    Get-Command [[-Name] <String[]>]" in text
    assert "REMARKS" in text


def test_get_help_resolves_an_alias(tmp_path: Path):
    ok, host = run(tmp_path, "Get-Help gcm")
    assert ok and "NAME\n    Get-Command" in host.output


def test_get_help_of_an_unknown_name_is_powershells_error(tmp_path: Path):
    ok, host = run(tmp_path, "Get-Help Get-Nothing")
    assert not ok
    assert "Get-Help could not find Get-Nothing in a help file in this session." in host.error_text


def test_get_help_parameter_shows_the_attribute_block(tmp_path: Path):
    ok, host = run(tmp_path, "Get-Help Get-Command -Parameter Name")
    assert ok, host.error_text
    assert "-Name <String[]>" in host.output
    assert "Position?                    0" in host.output
    assert "Accept pipeline input?       True (ByValue, ByPropertyName)" in host.output


def test_get_help_examples_full_and_detailed(tmp_path: Path):
    ok, host = run(tmp_path, "Get-Help Get-Command -Examples")
    assert ok and "Example 1" in host.output and "SYNTAX" not in host.output
    ok, host = run(tmp_path, "Get-Help Get-Command -Full")
    assert ok and "PARAMETERS" in host.output and "Required?" in host.output
    ok, host = run(tmp_path, "Get-Help Get-Command -Detailed")
    assert ok and "PARAMETERS" in host.output and "Required?" not in host.output


def test_get_help_about_exshell(tmp_path: Path):
    ok, host = run(tmp_path, "Get-Help about_exshell")
    assert ok and "about_exshell" in host.output


def test_get_command_table_view_shows_aliases_with_their_target(tmp_path: Path):
    ok, host = run(tmp_path, "Get-Command gcm, Get-Help")
    assert ok, host.error_text
    lines = [line.rstrip() for line in host.lines if line.strip()]
    assert lines[0].split() == ["CommandType", "Name", "Version", "Source"]
    assert lines[0].index("Name") == 16 and lines[0].index("Version") == 67
    assert lines[2].startswith("Alias") and "gcm -> Get-Command" in lines[2]
    assert lines[3].startswith("Cmdlet") and "Get-Help" in lines[3]


def test_get_command_filters_by_verb_and_noun(tmp_path: Path):
    ok, host = run(tmp_path, "(Get-Command -Verb Get -Noun Help).Name")
    assert ok and host.lines == ["Get-Help"]
    ok, host = run(tmp_path, "(Get-Command -Noun *Object | Measure-Object).Count -ge 3")
    assert ok and host.lines == ["True"]


def test_get_command_of_an_unknown_name_writes_command_not_found(tmp_path: Path):
    ok, host = run(tmp_path, "Get-Command Get-Nothing")
    assert not ok
    assert "The term 'Get-Nothing' is not recognized" in host.error_text


def test_get_command_command_type_selects_aliases_or_cmdlets(tmp_path: Path):
    ok, host = run(tmp_path, "(Get-Command gcm, where -CommandType Alias).Name")
    assert ok and host.lines == ["gcm", "where"], host.error_text
    # A literal name that is not of the asked type is not found, as in PowerShell.
    ok, host = run(tmp_path, "Get-Command Get-Help -CommandType Alias")
    assert not ok and "The term 'Get-Help' is not recognized" in host.error_text
    ok, host = run(
        tmp_path, "(Get-Command g* -CommandType Cmdlet | Where-Object { $_.Name -eq 'gcm' }).Count"
    )
    assert ok and host.lines == ["0"], host.error_text
