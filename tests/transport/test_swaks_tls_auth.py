"""An administrator's check of authenticated submission with swaks: STARTTLS then AUTH LOGIN / PLAIN (skipped
only where swaks is not installed; `apt-get install swaks`)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import trustme

from .scenario import EngineThread, free_port
from .secure_scenario import FQDN, LISTEN, PASSWORD, connector, issue, mailbox, secure_store

SWAKS = shutil.which("swaks")
pytestmark = pytest.mark.skipif(SWAKS is None, reason="swaks is not installed")
COPIER = "127.0.0.102"


def swaks(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SWAKS, "--server", f"{LISTEN}:{port}", "--local-interface", COPIER, "--helo", "copier.domain.example",
         "--to", "someone@fabrikam.example", "--timeout", "10", "--suppress-data", *args],
        capture_output=True, text=True, timeout=30,
    )


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_swaks_relays_after_starttls_and_auth_and_is_refused_without(tmp_path, mechanism):
    port = free_port()
    state = tmp_path / "state"
    rc = connector("Copiers", [f"{LISTEN}:{port}"], [COPIER], "AnonymousUsers, ExchangeUsers",
                   "Tls, BasicAuth, BasicAuthRequireTLS", fqdn=FQDN)
    store = secure_store(state, [rc], [issue(trustme.CA(), state, FQDN)],
                         [mailbox("Copier", "copier@domain.example")])
    with EngineThread(state, store):
        ok = swaks(port, "--from", "copier@domain.example", "--tls", "--auth", mechanism,
                   "--auth-user", "copier@domain.example", "--auth-password", PASSWORD)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "<~  235 2.7.0 Authentication successful" in ok.stdout
        assert "Queued mail for delivery" in ok.stdout
        anonymous = swaks(port, "--from", "copier@domain.example", "--tls")
        assert "<~* 550 5.7.1 Unable to relay" in anonymous.stdout
        # Before STARTTLS AUTH is not offered at all (BasicAuthRequireTLS): swaks refuses to try.
        plain = swaks(port, "--from", "copier@domain.example", "--auth", mechanism,
                      "--auth-user", "copier@domain.example", "--auth-password", PASSWORD)
        assert plain.returncode != 0 and "235 2.7.0" not in plain.stdout  # the reply, not a port number with 235 in it
