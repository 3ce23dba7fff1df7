"""Every mutating configuration cmdlet: -WhatIf changes nothing and says what it would do; a real run records
exactly one version (issue 3, "What must hold")."""

from __future__ import annotations

import pytest
from exchange_harness import RECIPE_2, Shell

SETUP = [
    RECIPE_2,
    "New-AcceptedDomain -Name Fabrikam -DomainName fabrikam.com",
    "New-Mailbox -Name Scanner -PrimarySmtpAddress scanner@contoso.com",
    "New-SendConnector -Name Outbound -AddressSpaces * -SmartHosts 127.0.0.1",
]

MUTATIONS = [
    "New-ReceiveConnector -Name Second -Usage Custom -Bindings 0.0.0.0:2526 -RemoteIPRanges 10.0.0.9 "
    "-PermissionGroups AnonymousUsers",
    "Set-ReceiveConnector RelayConnector -Comment 'copiers'",
    "Remove-ReceiveConnector RelayConnector -Confirm:$false",
    'Add-ADPermission RelayConnector -User "NT AUTHORITY\\ANONYMOUS LOGON" '
    "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient",
    "New-AcceptedDomain -Name Tailspin -DomainName tailspin.example",
    "Set-AcceptedDomain Fabrikam -DomainType InternalRelay",
    "Remove-AcceptedDomain Fabrikam -Confirm:$false",
    "New-Mailbox -Name Bharat -PrimarySmtpAddress bharat@contoso.com",
    "Set-Mailbox Scanner -DisplayName 'Scan to email'",
    "Remove-Mailbox Scanner -Confirm:$false",
    "New-SendConnector -Name Partner -AddressSpaces partner.example -SmartHosts 127.0.0.2",
    "Set-SendConnector Outbound -Port 2525",
    "Remove-SendConnector Outbound -Confirm:$false",
    "Set-TransportConfig -RelayReplyStyle 2016",
    "Restore-ConfigVersion -Version 1 -Confirm:$false",
]


@pytest.fixture
def sh(tmp_path):
    shell = Shell(tmp_path / "state")
    for line in SETUP:
        shell.ok(line)
    return shell


@pytest.mark.parametrize("command", MUTATIONS, ids=lambda c: c.split()[0])
def test_whatif_changes_nothing_and_says_what_it_would_do(sh, command):
    before, text = sh.version(), (sh.state / "config.toml").read_text()
    out = sh.ok(command + " -WhatIf")
    assert out.startswith("What if: "), out
    assert sh.version() == before
    assert (sh.state / "config.toml").read_text() == text


@pytest.mark.parametrize("command", MUTATIONS, ids=lambda c: c.split()[0])
def test_one_invocation_records_exactly_one_version(sh, command):
    before = sh.version()
    sh.ok(command)
    assert sh.version() == before + 1
    (last,) = [v for v in sh.store.history() if v.version == before + 1]
    assert last.command == command
