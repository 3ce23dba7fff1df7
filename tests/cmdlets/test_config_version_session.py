"""The history cmdlets through the real shell: Session(...).run(text) with a BufferHost."""

from __future__ import annotations

from pathlib import Path

import pytest

from exshell.cmdlets import config_version as cv
from exshell.cmdlets.base import Cmdlet
from exshell.cmdlets.registry import default_registry
from exshell.runtime.host import BufferHost
from exshell.app import Services
from exshell.runtime.session import Session
from exshell.store import open_store

RC = "receive_connectors"
KEY = "11111111-1111-1111-1111-111111111111"


@pytest.fixture
def shell(tmp_path: Path) -> tuple[Session, BufferHost, Path]:
    state = tmp_path / "state"
    store = open_store(
        state,
        lambda: {
            # a record the model accepts (the shell's store refuses a restore of one it doesn't)
            RC: {
                KEY: {
                    "Name": "Default EX01",
                    "Identity": "EX01\\Default EX01",
                    "Server": "EX01",
                    "Bindings": ["0.0.0.0:25"],
                    "RemoteIPRanges": ["0.0.0.0-255.255.255.255"],
                }
            }
        },
    )
    store.commit(
        lambda d: d.get(RC, KEY)["RemoteIPRanges"].append("10.0.0.1"),
        command="Set-ReceiveConnector 'Default EX01' -RemoteIPRanges @{Add='10.0.0.1'}",
        who="alice",
    )
    registry = default_registry()
    for cls in (cv.GetConfigVersion, cv.CompareConfigVersion, cv.RestoreConfigVersion):
        if registry.resolve(cls.name) is None:
            registry.add_class(cls)
    host = BufferHost(width=120)
    return Session(registry, Services(state, server_name="EX01"), host), host, state


def test_get_config_version_shows_the_version_table(shell: tuple[Session, BufferHost, Path]) -> None:
    session, host, _ = shell
    assert session.run("Get-ConfigVersion").success
    lines = [line.rstrip() for line in host.lines if line.strip()]
    assert lines[0].split() == ["Version", "When", "Who", "Command"]
    assert lines[2].split()[0] == "1" and lines[2].endswith("(initial configuration)")
    assert lines[3].split()[0] == "2" and " alice " in lines[3]
    assert lines[3].endswith("Set-ReceiveConnector 'Default EX01' -RemoteIPRanges @{Add='10.0.0.1'}")


def test_get_config_version_objects_reach_the_pipeline(shell: tuple[Session, BufferHost, Path]) -> None:
    session, host, _ = shell
    assert session.run("$v = Get-ConfigVersion -Identity 'default*' -Last 1; $v.Version; $v.Who").success
    assert host.lines == ["2", "alice"]


def test_compare_config_version_lists_element_changes(shell: tuple[Session, BufferHost, Path]) -> None:
    session, host, _ = shell
    assert session.run(
        "Compare-ConfigVersion 1 | ForEach-Object { $_.Property + ' ' + $_.Change + ' ' + $_.After }"
    ).success
    assert host.lines == ["RemoteIPRanges Added 10.0.0.1"]


def test_compare_config_version_names_the_kind_of_object(shell: tuple[Session, BufferHost, Path]) -> None:
    session, host, _ = shell
    assert session.run("(Compare-ConfigVersion 1).Collection").success
    assert host.lines == ["Receive connector"]  # as an administrator calls it, not receive_connectors


def test_restore_whatif_prints_the_diff_and_keeps_the_version(
    shell: tuple[Session, BufferHost, Path],
) -> None:
    session, host, state = shell
    assert session.run("Restore-ConfigVersion -Version 1 -WhatIf").success
    assert (
        host.lines[0] == 'What if: Performing the operation "Restore-ConfigVersion" on target "version 1". '
        "Changes to version 2:"
    )
    assert host.lines[1] == "  receive connector 'EX01\\Default EX01': RemoteIPRanges Removed 10.0.0.1"
    assert open_store(state).current_version() == 2


def test_restore_records_the_statement_text(shell: tuple[Session, BufferHost, Path]) -> None:
    session, host, state = shell
    assert session.run("Restore-ConfigVersion 1 -Confirm:$false").success, host.error_text
    store = open_store(state)
    assert store.current_version() == 3
    assert store.history()[-1].command == "Restore-ConfigVersion 1 -Confirm:$false"
    assert store.snapshot(3).data == store.snapshot(1).data


def test_restore_without_confirmation_in_a_non_interactive_host_changes_nothing(
    shell: tuple[Session, BufferHost, Path],
) -> None:
    session, host, state = shell
    assert not session.run("Restore-ConfigVersion 1").success  # ConfirmImpact High: asks, cannot, refuses
    assert "Confirmation is required" in host.error_text
    assert open_store(state).current_version() == 2


def test_missing_version_is_reported_not_raised(shell: tuple[Session, BufferHost, Path]) -> None:
    session, host, _ = shell
    assert not session.run("Get-ConfigVersion 9").success
    assert "Configuration version 9 does not exist. The newest version is 2." in host.error_text
    assert "Traceback" not in host.error_text + host.output


class _SetBroken(Cmdlet):
    """A cmdlet that lets a store error escape, as a careless noun family might."""

    name = "Set-Broken"

    def process(self) -> None:
        self.runtime.services.store.commit(
            lambda d: d.put(RC, KEY, {"Name": "x", "Bad": object()}),
            command=self.runtime.invocation.statement_text,
        )


def test_store_error_escaping_a_cmdlet_is_a_powershell_error(shell: tuple[Session, BufferHost, Path]) -> None:
    session, host, state = shell
    session.registry.add_class(_SetBroken)
    assert not session.run("Set-Broken").success
    assert "Cannot store the change: receive_connectors." in host.error_text
    assert "FullyQualifiedErrorId : StoreError" in host.error_text
    assert "internal error" not in host.error_text
    assert open_store(state).current_version() == 2


def test_versions_pipe_into_compare_and_restore_by_property_name(
    shell: tuple[Session, BufferHost, Path],
) -> None:
    session, host, state = shell
    assert session.run("(Get-ConfigVersion 1 | Compare-ConfigVersion).After").success, host.error_text
    assert host.lines == ["10.0.0.1"]
    assert session.run("Get-ConfigVersion 1 | Restore-ConfigVersion -Confirm:$false").success, host.error_text
    store = open_store(state)
    assert store.current_version() == 3
    assert store.history()[-1].command == "Get-ConfigVersion 1 | Restore-ConfigVersion -Confirm:$false"
