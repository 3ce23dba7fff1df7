"""Recipient validation at RCPT: `550 5.1.1 User unknown` for an unknown address of an Authoritative,
AddressBookEnabled domain when the setting is on; otherwise accepted (the NDR comes from delivery)."""

from __future__ import annotations

from tests.transport.scenario import DOMAIN, LISTEN, RELAY_HOSTS, config_data, seed_connectors

from exshell.model.config import MAILBOXES, SETTINGS, TRANSPORT_SETTINGS_KEY, Config
from exshell.model.mailbox import Mailbox
from exshell.transport import replies as R
from exshell.transport.policy import PolicyIndex, decide


def index(validation: bool) -> PolicyIndex:
    data = config_data(seed_connectors(2525))
    data[SETTINGS][TRANSPORT_SETTINGS_KEY]["RecipientValidationEnabled"] = validation
    mbx = Mailbox.new("Bharat", f"bharat@{DOMAIN}")
    data[MAILBOXES] = {mbx.guid: mbx.to_record()}
    return PolicyIndex.build(Config.from_data(data), "EX01")


def rcpt(idx: PolicyIndex, address: str):  # noqa: ANN201
    return decide(idx, (LISTEN, 2525), RELAY_HOSTS[0], "rcpt", recipient=address)


def test_unknown_recipient_is_rejected_at_rcpt_when_validation_is_on():
    d = rcpt(index(True), f"nobody@{DOMAIN}")
    assert d.reply == R.USER_UNKNOWN and str(d.reply) == "550 5.1.1 User unknown"
    assert "no mailbox" in d.reason


def test_known_recipient_and_other_domains_pass_validation():
    idx = index(True)
    assert rcpt(idx, f"Bharat@{DOMAIN.upper()}").reply == R.RECIPIENT_OK
    assert rcpt(idx, "anyone@partner.example").reply == R.RECIPIENT_OK  # InternalRelay: may live elsewhere


def test_without_validation_unknown_recipients_are_accepted_for_an_ndr_later():
    assert rcpt(index(False), f"nobody@{DOMAIN}").reply == R.RECIPIENT_OK
