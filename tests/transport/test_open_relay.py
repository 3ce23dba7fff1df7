"""The 16 probes of nmap's smtp-open-relay script (see /work/shared/bench/open_relay_check.sh): none relays for
an anonymous host that lacks ms-Exch-SMTP-Accept-Any-Recipient — neither in the policy nor over the wire."""

from __future__ import annotations

import smtplib

import pytest

from exshell.model.config import Config
from exshell.model.domain import AcceptedDomain
from exshell.transport import replies as R
from exshell.transport.policy import PolicyIndex, decide

from .scenario import FQDN, LISTEN, RELAY_HOSTS, SERVER, EngineThread, config_data, free_port, seed_connectors

D = "relaytest.example"  # the outside domain (OPEN_RELAY_DOMAIN)
IP = LISTEN  # the target's address as nmap writes it: [IP]
SRV = FQDN  # the name the server gives in its EHLO reply; made an accepted domain below to sharpen the test

NMAP_PROBES = [
    ("", f"relaytest@{D}"),
    (f"antispam@{D}", f"relaytest@{D}"),
    (f"antispam@{SRV}", f"relaytest@{D}"),
    (f"antispam@[{IP}]", f"relaytest@{D}"),
    (f"antispam@[{IP}]", f"relaytest%{D}@[{IP}]"),
    (f"antispam@[{IP}]", f"relaytest%{D}@{SRV}"),
    (f"antispam@[{IP}]", f'"relaytest@{D}"'),
    (f"antispam@[{IP}]", f'"relaytest%{D}"'),
    (f"antispam@[{IP}]", f"relaytest@{D}@[{IP}]"),
    (f"antispam@[{IP}]", f'"relaytest@{D}"@[{IP}]'),
    (f"antispam@[{IP}]", f"relaytest@{D}@{SRV}"),
    (f"antispam@[{IP}]", f"@[{IP}]:relaytest@{D}"),
    (f"antispam@[{IP}]", f"@{SRV}:relaytest@{D}"),
    (f"antispam@[{IP}]", f"{D}!relaytest"),
    (f"antispam@[{IP}]", f"{D}!relaytest@[{IP}]"),
    (f"antispam@[{IP}]", f"{D}!relaytest@{SRV}"),
]


def data_with_server_domain(port):
    data = config_data(seed_connectors(port))
    srv = AcceptedDomain.new("server", SRV, "Authoritative", guid="00000000-0000-0000-0000-0000000000d3")
    data["accepted_domains"][srv.guid] = srv.to_record()
    return data


def test_probe_list_has_sixteen_pairs():
    assert len(NMAP_PROBES) == 16 and len(set(NMAP_PROBES)) == 16


@pytest.mark.parametrize("sender, recipient", NMAP_PROBES)
def test_nmap_open_relay_probe_is_refused_by_policy(sender, recipient):
    idx = PolicyIndex.build(Config.from_data(data_with_server_domain(25)), SERVER, version=1)
    mail = decide(idx, (LISTEN, 25), RELAY_HOSTS[0], "mail", sender=sender)
    assert mail.reply == R.SENDER_OK  # the sender is fine: it is the recipient that must not relay
    rcpt = decide(idx, (LISTEN, 25), RELAY_HOSTS[0], "rcpt", recipient=recipient)
    assert rcpt.verdict == "reject", rcpt.reason
    assert rcpt.reply in (R.UNABLE_TO_RELAY, R.INVALID_RECIPIENT)


def test_server_domain_itself_is_still_accepted():
    """Control: the sharpened config does accept plain mail for the server's own domain."""
    idx = PolicyIndex.build(Config.from_data(data_with_server_domain(25)), SERVER, version=1)
    assert decide(idx, (LISTEN, 25), RELAY_HOSTS[0], "rcpt", recipient=f"someone@{SRV}").reply == R.RECIPIENT_OK


def test_nmap_probes_over_the_wire_relay_nothing(tmp_path):
    from exshell.store import open_store

    port = free_port()
    data = data_with_server_domain(port)
    store = open_store(tmp_path / "state", lambda: data)
    with EngineThread(tmp_path / "state", store):
        c = smtplib.SMTP(LISTEN, port, source_address=(RELAY_HOSTS[0], 0), timeout=10)
        c.ehlo(D)
        relayed = []
        for sender, recipient in NMAP_PROBES:
            assert c.rset()[0] == 250
            code, _ = c.docmd(f"MAIL FROM:<{sender}>")
            if code != 250:
                continue
            code, msg = c.docmd(f"RCPT TO:<{recipient}>")
            if code == 250:
                relayed.append((sender, recipient))
        c.quit()
    assert relayed == []
