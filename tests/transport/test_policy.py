"""The pure relay decision (exshell/transport/policy.py), without sockets."""

from __future__ import annotations

import time

import pytest

from exshell.model.config import Config
from exshell.model.permissions import ACE, ANONYMOUS, EXTERNALLY_SECURED
from exshell.transport import replies as R
from exshell.transport.policy import PolicyIndex, decide

from .scenario import (
    FQDN, INTERNET_HOST, LISTEN, RELAY_HOSTS, SERVER, STRANGER, TRUSTED_HOST, config_data, connector,
    seed_connectors,
)

PORT = 2525


def index_of(connectors, relay_style="2007", version=1):
    return PolicyIndex.build(Config.from_data(config_data(connectors, relay_style)), SERVER, version=version)


def with_relay_ace(c, user=ANONYMOUS, deny=False, right="ms-Exch-SMTP-Accept-Any-Recipient"):
    return c.add_aces([ACE(c.identity, user, right, deny=deny)])


# ---- the documented three-connector example (semantics.md §e rule 2)

@pytest.fixture
def three():
    return index_of([
        connector("All", ["0.0.0.0:25"], ["0.0.0.0-255.255.255.255"], "AnonymousUsers"),
        connector("Subnet", ["0.0.0.0:25"], ["192.168.1.0-192.168.1.255"], "AnonymousUsers"),
        connector("Single", ["0.0.0.0:25"], ["192.168.1.75"], "AnonymousUsers"),
    ])


@pytest.mark.parametrize("remote, expected", [
    ("192.168.1.75", "Single"), ("192.168.1.100", "Subnet"), ("10.1.2.3", "All"), ("::ffff:192.168.1.75", "Single"),
])
def test_most_specific_remote_range_wins(three, remote, expected):
    d = decide(three, ("192.168.1.17", 25), remote, "connect")
    assert d.verdict == "accept" and d.connector.name == expected


def test_losers_are_explained(three):
    d = decide(three, ("192.168.1.17", 25), "192.168.1.75", "connect", explain=True)
    reasons = {c.name: why for c, why in d.losers}
    assert set(reasons) == {"All", "Subnet"}
    assert "more specific 192.168.1.75" in reasons["All"]


def test_specific_ip_binding_beats_wildcard_binding():
    idx = index_of([
        connector("Wild", ["0.0.0.0:25"], ["192.168.1.100"], "AnonymousUsers"),
        connector("Bound", ["192.168.1.17:25"], ["0.0.0.0-255.255.255.255"], "AnonymousUsers"),
    ])
    assert decide(idx, ("192.168.1.17", 25), "192.168.1.100", "connect").connector.name == "Bound"
    assert decide(idx, ("192.168.1.18", 25), "192.168.1.100", "connect").connector.name == "Wild"


def test_connect_without_connector_gets_421_and_drop():
    idx = index_of(seed_connectors(PORT))
    d = decide(idx, (LISTEN, PORT), STRANGER, "connect")
    assert (d.verdict, d.reply) == ("drop", R.SERVICE_NOT_AVAILABLE) and d.connector is None


def test_disabled_connectors_do_not_serve():
    idx = index_of([connector("Off", ["0.0.0.0:25"], ["0.0.0.0-255.255.255.255"], "AnonymousUsers", enabled=False)])
    assert decide(idx, ("10.0.0.1", 25), "10.0.0.2", "connect").verdict == "drop"


# ---- principals and rights

def test_external_authoritative_connector_makes_the_session_externally_secured():
    idx = index_of(seed_connectors(PORT))
    d = decide(idx, (LISTEN, PORT), TRUSTED_HOST, "rcpt", recipient="someone@outside.example")
    assert d.principal == EXTERNALLY_SECURED
    assert d.verdict == "accept" and d.reply == R.RECIPIENT_OK
    assert d.granted("ms-Exch-Bypass-Anti-Spam") and d.granted("ms-Exch-SMTP-Accept-Authentication-Flag")


def test_rcpt_rejected_when_relay_not_granted():
    idx = index_of(seed_connectors(PORT))
    d = decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "rcpt", recipient="x@outside.example")
    assert d.principal == ANONYMOUS
    assert (d.verdict, d.reply) == ("reject", R.UNABLE_TO_RELAY)
    assert d.reason == (
        "recipient domain outside.example matches no accepted domain and NT AUTHORITY\\ANONYMOUS LOGON lacks "
        "ms-Exch-SMTP-Accept-Any-Recipient on EX01\\Anonymous Relay"
    )


def test_relay_reply_follows_the_2016_style_setting():
    idx = index_of(seed_connectors(PORT), relay_style="2016")
    d = decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "rcpt", recipient="x@outside.example")
    assert d.reply == R.UNABLE_TO_RELAY_2016


def test_accepted_domain_recipients_are_not_relay():
    idx = index_of(seed_connectors(PORT))
    for rcpt in ("a@domain.example", "a@partner.example", "postmaster"):
        assert decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "rcpt", recipient=rcpt).reply == R.RECIPIENT_OK


def test_explicit_ace_grants_relay_for_every_address_of_the_range():
    cs = seed_connectors(PORT)
    cs[1] = with_relay_ace(cs[1])
    idx = index_of(cs)
    for host in RELAY_HOSTS:
        d = decide(idx, (LISTEN, PORT), host, "rcpt", recipient="x@outside.example")
        assert d.reply == R.RECIPIENT_OK and d.rights["ms-Exch-SMTP-Accept-Any-Recipient"].origin


def test_permissions_on_one_connector_never_leak_to_another_on_the_same_port():
    cs = seed_connectors(PORT)
    cs[1] = with_relay_ace(cs[1])
    idx = index_of(cs)
    d = decide(idx, (LISTEN, PORT), INTERNET_HOST, "rcpt", recipient="x@outside.example")
    assert d.connector.name == "Internet" and d.reply == R.UNABLE_TO_RELAY


def test_deny_ace_wins_over_group_grant():
    cs = seed_connectors(PORT)
    cs[1] = with_relay_ace(cs[1], right="ms-Exch-SMTP-Submit", deny=True)
    d = decide(index_of(cs), (LISTEN, PORT), RELAY_HOSTS[0], "mail", sender="a@outside.example")
    assert d.reply == R.NOT_AUTHENTICATED and not d.granted("ms-Exch-SMTP-Submit")


# ---- MAIL rules

def test_mail_without_submit_right_is_530():
    idx = index_of([connector("NoGroups", ["0.0.0.0:25"], ["0.0.0.0-255.255.255.255"], "None")])
    d = decide(idx, ("10.0.0.1", 25), "10.0.0.2", "mail", sender="a@b.example")
    assert d.reply == R.NOT_AUTHENTICATED


def test_declared_size_over_limit_is_552_unless_bypass():
    idx = index_of(seed_connectors(PORT, max_message_size="64KB"))
    assert decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "mail", sender="a@x.example", size=70000).reply == R.SIZE_EXCEEDED
    assert decide(idx, (LISTEN, PORT), TRUSTED_HOST, "mail", sender="a@x.example", size=70000).reply == R.SENDER_OK


def test_authoritative_sender_needs_the_right_with_anonymous_wording():
    cs = seed_connectors(PORT)
    cs[1] = with_relay_ace(cs[1], right="ms-Exch-SMTP-Accept-Authoritative-Domain-Sender", deny=True)
    idx = index_of(cs)
    d = decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "mail", sender="ceo@domain.example")
    assert d.reply == R.ANONYMOUS_CANNOT_SEND_AS
    assert decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "mail", sender="a@partner.example").reply == R.SENDER_OK
    assert decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "mail", sender="").reply == R.SENDER_OK


def test_invalid_sender_is_5_1_7():
    idx = index_of(seed_connectors(PORT))
    assert decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "mail", sender="a@b@c").reply == R.INVALID_SENDER


# ---- RCPT count and data size

def test_recipient_count_over_limit_is_452():
    idx = index_of(seed_connectors(PORT, max_recipients_per_message=2))
    d = decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "rcpt", recipient="a@domain.example", recipients_so_far=2)
    assert (d.verdict, d.reply) == ("defer", R.TOO_MANY_RECIPIENTS)


def test_data_end_size_check_and_bypass():
    idx = index_of(seed_connectors(PORT, max_message_size="64KB"))
    assert decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "data_end", size=70000).reply == R.SIZE_EXCEEDED
    assert decide(idx, (LISTEN, PORT), TRUSTED_HOST, "data_end", size=70000).verdict == "accept"


# ---- tarpit and limits

def test_tarpit_applies_only_to_failures_of_anonymous_sessions():
    idx = index_of(seed_connectors(PORT, tarpit_interval="00:00:05"))
    fail = decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "rcpt", recipient="x@outside.example")
    ok = decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "rcpt", recipient="x@domain.example")
    secured = decide(idx, (LISTEN, PORT), TRUSTED_HOST, "mail", sender="a@b@c")
    assert (fail.tarpit, ok.tarpit, secured.tarpit) == (5.0, 0.0, 0.0)


def test_connection_limits_at_connect():
    idx = index_of(seed_connectors(PORT, max_inbound_connection=3, max_inbound_connection_per_source=1))
    assert decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "connect", active_from_source=1).reply == R.TOO_MANY_CONNECTIONS
    assert decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "connect", active_connections=3).reply == R.TOO_MANY_CONNECTIONS
    ok = decide(idx, (LISTEN, PORT), RELAY_HOSTS[0], "connect", active_connections=2)
    assert ok.verdict == "accept" and ok.reply.text.startswith(f"{FQDN} Microsoft ESMTP MAIL Service ready at ")


def test_custom_banner_is_the_greeting():
    idx = index_of([connector("B", ["0.0.0.0:25"], ["0.0.0.0-255.255.255.255"], "AnonymousUsers",
                              banner="220 relay ready")])
    assert str(decide(idx, ("10.0.0.1", 25), "10.0.0.2", "connect").reply) == "220 relay ready"


def test_lookup_stays_fast_with_100000_ranges():
    ranges = [f"10.{i >> 8 & 255}.{i & 255}.{j}" for i in range(1000) for j in range(0, 200, 2)]
    idx = index_of([connector("Big", ["0.0.0.0:25"], ranges, "AnonymousUsers")])
    t0 = time.perf_counter()
    for k in range(2000):
        decide(idx, ("10.0.0.1", 25), f"10.{k % 4}.{k % 250}.{(k * 2) % 200}", "rcpt", recipient="a@domain.example")
    per_call = (time.perf_counter() - t0) / 2000
    assert per_call < 0.002, f"{per_call * 1e6:.0f} us per decide"
