"""Which literals of a statement are secrets (exshell.cmdlets.secret_masking): every way a script hands a typed
password to ConvertTo-SecureString or to a SecureString / PSCredential parameter, and what stays as typed."""

from __future__ import annotations

import pytest

from exshell.cmdlets.registry import default_registry
from exshell.cmdlets.secret_masking import mask_secrets

REGISTRY = default_registry()


@pytest.mark.parametrize(("typed", "recorded"), [
    ("New-Mailbox a -Password (ConvertTo-SecureString 'P@ss' -AsPlainText -Force)",
     "New-Mailbox a -Password (ConvertTo-SecureString '********' -AsPlainText -Force)"),
    ("ConvertTo-SecureString -AsPlainText -Force -S \"x$y\"", "ConvertTo-SecureString -AsPlainText -Force -S '********'"),
    ("ConvertTo-SecureString -AsPlainText bare -Force", "ConvertTo-SecureString -AsPlainText '********' -Force"),
    ("ConvertTo-SecureString -String:'x' -AsPlainText -Force", "ConvertTo-SecureString -String:'********' -AsPlainText -Force"),
    ("'P@ss' | ConvertTo-SecureString -AsPlainText -Force", "'********' | ConvertTo-SecureString -AsPlainText -Force"),
    ("$p = 'x1'; $q = $p; New-Mailbox a -Password (ConvertTo-SecureString $q -AsPlainText -Force)",
     "$p = '********'; $q = $p; New-Mailbox a -Password (ConvertTo-SecureString $q -AsPlainText -Force)"),
    # A literal given straight to a SecureString parameter (refused by the binder, but typed all the same).
    ("New-Mailbox a -Pa 'plain'", "New-Mailbox a -Pa '********'"),
    ("Set-Mailbox a -Password:plain", "Set-Mailbox a -Password:'********'"),
    ("Set-SendConnector X -AuthenticationCredential (New-Object PSCredential 'u@x', "
     "(ConvertTo-SecureString 'pw' -AsPlainText -Force))",
     "Set-SendConnector X -AuthenticationCredential (New-Object PSCredential 'u@x', "
     "(ConvertTo-SecureString '********' -AsPlainText -Force))"),
])
def test_the_secret_literal_alone_is_masked(typed: str, recorded: str) -> None:
    assert mask_secrets(typed, REGISTRY) == recorded


@pytest.mark.parametrize("typed", [
    "Set-ReceiveConnector 'Default EX01' -Comment 'front door'",
    "New-Mailbox a -Password (Read-Host 'Password' -AsSecureString)",
    "$p = 'not used'; New-Mailbox a -Password (ConvertTo-SecureString $q -AsPlainText -Force)",
    "Get-Credential copier@contoso.com",
])
def test_other_literals_stay_as_typed(typed: str) -> None:
    assert mask_secrets(typed, REGISTRY) == typed
