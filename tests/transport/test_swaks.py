"""The seed scenario as an administrator tests it from a shell prompt: with swaks (skipped where swaks is not
installed; `apt-get install swaks`)."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from tests.transport.scenario import (
    INTERNET_HOST,
    LISTEN,
    RELAY_HOSTS,
    EngineThread,
    free_port,
    grant,
    make_store,
    seed_connectors,
)

SWAKS = shutil.which("swaks")
pytestmark = pytest.mark.skipif(SWAKS is None, reason="swaks is not installed")


def swaks(port: int, source: str, to: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SWAKS, "--server", f"{LISTEN}:{port}", "--local-interface", source, "--helo", "copier.domain.example",
         "--from", "scanner@domain.example", "--to", to, "--timeout", "10", "--suppress-data"],
        capture_output=True, text=True, timeout=30,
    )


def test_swaks_sees_relay_refused_then_granted(tmp_path):
    port = free_port()
    store = make_store(tmp_path / "state", seed_connectors(port))
    with EngineThread(tmp_path / "state", store):
        refused = swaks(port, RELAY_HOSTS[0], "someone@example.net")
        assert refused.returncode != 0
        assert "<** 550 5.7.1 Unable to relay" in refused.stdout
        grant(store, "Anonymous Relay", "ms-Exch-SMTP-Accept-Any-Recipient")
        deadline = time.monotonic() + 5
        while True:
            ok = swaks(port, RELAY_HOSTS[1], "someone@example.net")
            if ok.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert ok.returncode == 0, ok.stdout
        assert "Queued mail for delivery" in ok.stdout
        # The grant is the Anonymous Relay connector's own: the Internet connector on the same port still refuses.
        stranger = swaks(port, INTERNET_HOST, "someone@example.net")
        assert "<** 550 5.7.1 Unable to relay" in stranger.stdout
