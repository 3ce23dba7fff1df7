"""initial_config's content and Config.from_data over it."""

from __future__ import annotations

import pytest

from exshell.model.config import (
    ACCEPTED_DOMAINS,
    RECEIVE_CONNECTORS,
    SERVERS,
    SETTINGS,
    TRANSPORT_SETTINGS_KEY,
    Config,
    TransportSettings,
)
from exshell.model.defaults import initial_config
from exshell.model.errors import ModelDataError, ModelError
from exshell.model.permissions import ANONYMOUS, AUTHENTICATED_USERS, granted_rights
from exshell.model.server import ExchangeServer


def test_initial_config_describes_a_2007_hub_server() -> None:
    data = initial_config("EX01", "ex01.contoso.com")
    assert set(data) == {SERVERS, ACCEPTED_DOMAINS, RECEIVE_CONNECTORS, SETTINGS}
    config = Config.from_data(data)
    (server,) = config.servers
    assert (server.name, server.fqdn, server.domain) == ("EX01", "ex01.contoso.com", "contoso.com")
    (domain,) = config.accepted_domains
    assert (domain.domain_name, str(domain.domain_type), domain.default) == (
        "contoso.com",
        "Authoritative",
        True,
    )
    by_name = {c.name: c for c in config.receive_connectors}
    assert set(by_name) == {"Default EX01", "Client EX01"}

    default = by_name["Default EX01"]
    assert [str(b) for b in default.bindings] == ["0.0.0.0:25"]
    assert [str(r) for r in default.remote_ip_ranges] == ["0.0.0.0-255.255.255.255"]
    assert str(default.permission_groups) == "ExchangeUsers, ExchangeServers, ExchangeLegacyServers"
    assert str(default.auth_mechanism) == "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer"
    assert default.fqdn == "ex01.contoso.com" and default.enabled
    assert str(default.max_message_size) == "10 MB (10,485,760 bytes)"
    assert str(default.connection_timeout) == "00:10:00" and str(default.tarpit_interval) == "00:00:05"
    assert default.enable_auth_gssapi is False

    client = by_name["Client EX01"]
    assert [str(b) for b in client.bindings] == ["0.0.0.0:587"]
    assert str(client.permission_groups) == "ExchangeUsers"
    assert str(client.auth_mechanism) == "Tls, Integrated, BasicAuth, BasicAuthRequireTLS"
    assert client.enable_auth_gssapi is True

    # Not anonymous: Internet mail is refused until AnonymousUsers is added (semantics.md §i).
    assert granted_rights(default.all_aces(), [ANONYMOUS]) == frozenset()
    assert "ms-Exch-SMTP-Accept-Any-Recipient" in granted_rights(default.all_aces(), [AUTHENTICATED_USERS])
    assert config.settings == TransportSettings()
    assert config.settings.relay_denied_reply == "550 5.7.1 Unable to relay"


@pytest.mark.parametrize(
    ("args", "domain", "fqdn"),
    [
        (("ex01",), "exshell.local", "ex01.exshell.local"),
        (("ex01", "ex01"), "exshell.local", "ex01.exshell.local"),
        (("ex01", None, "fabrikam.com"), "fabrikam.com", "ex01.fabrikam.com"),
        (("ex01", "mail.corp.fabrikam.com"), "corp.fabrikam.com", "mail.corp.fabrikam.com"),
    ],
)
def test_initial_config_domain_falls_back_to_exshell_local(args: tuple, domain: str, fqdn: str) -> None:
    config = Config.from_data(initial_config(*args))
    assert config.accepted_domains[0].domain_name == domain
    assert config.servers[0].fqdn == fqdn
    assert all(c.fqdn == fqdn for c in config.receive_connectors)


def test_initial_config_is_plain_toml_data_with_unique_keys() -> None:
    data = initial_config("EX01")

    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return isinstance(value, (str, int, float, bool))

    assert plain(data)
    keys = [k for coll in data.values() for k in coll]
    assert len(keys) == len(set(keys))


def test_config_round_trips_through_to_data() -> None:
    config = Config.from_data(initial_config("EX01", "ex01.contoso.com"))
    assert Config.from_data(config.to_data()) == config


def test_config_lookups() -> None:
    config = Config.from_data(initial_config("EX01", "ex01.contoso.com"))
    default = next(c for c in config.receive_connectors if c.name == "Default EX01")
    assert config.resolve_receive_connector("ex01\\default ex01") == [default]
    assert config.resolve_receive_connector("Default EX01", local_server="EX01") == [default]
    assert config.resolve_receive_connector(default.guid.upper()) == [default]
    assert config.resolve_receive_connector("nope") == []
    assert config.server("EX01.CONTOSO.COM") == config.servers[0]
    assert len(config.connectors_on("ex01")) == 2 and config.connectors_on("EX02") == []
    assert config.default_accepted_domain == config.accepted_domains[0]
    assert config.find_accepted_domain("CONTOSO.com") == config.accepted_domains[0]
    assert config.find_accepted_domain("gmail.com") is None


def test_empty_data_gives_empty_config_with_default_settings() -> None:
    config = Config.from_data({})
    assert config.receive_connectors == () and config.settings == TransportSettings()


def test_transport_settings_reply_styles_and_validation() -> None:
    s = TransportSettings().with_changes(RelayReplyStyle="2016", TarpitEnabled=False)
    assert s.relay_denied_reply == "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"
    assert TransportSettings.from_record(s.to_record()) == s
    with pytest.raises(ModelError):
        TransportSettings().with_changes(relay_reply_style="2019")
    with pytest.raises(ModelDataError):
        Config.from_data({SETTINGS: {TRANSPORT_SETTINGS_KEY: {"RelayReplyStyle": "1999"}}})
    assert str(TransportSettings().max_receive_size) == "10 MB (10,485,760 bytes)"


def test_exchange_server_record_round_trip() -> None:
    s = ExchangeServer("g", "EX01", "ex01.contoso.com", "contoso.com")
    assert s.to_record()["ServerRole"] == ["HubTransport"]
    assert ExchangeServer.from_record("g", s.to_record()) == s
    assert ExchangeServer.from_record("g", {"Name": "EX02"}).domain == "exshell.local"
    with pytest.raises(ModelDataError):
        ExchangeServer.from_record("g", {})


def test_config_reads_send_connectors_and_mailboxes_collections() -> None:
    from exshell.model.config import MAILBOXES, SEND_CONNECTORS
    from exshell.model.mailbox import Mailbox
    from exshell.model.send_connector import SendConnector

    data = initial_config("EX01", "ex01.contoso.com")
    outbound = SendConnector.new("Internet", ["*"])
    user = Mailbox.new("Bharat", "bharat@contoso.com")
    data[SEND_CONNECTORS] = {outbound.guid: outbound.to_record()}
    data[MAILBOXES] = {user.guid: user.to_record()}
    config = Config.from_data(data)
    assert config.send_connectors == (outbound,)
    assert config.mailboxes == (user,)
    assert Config.from_data(config.to_data()) == config


def test_connector_aces_name_exchange_servers_after_the_servers_domain() -> None:
    config = Config.from_data(initial_config("EX01", "ex01.corp.contoso.com"))
    default = next(c for c in config.receive_connectors if c.name == "Default EX01")
    odd_fqdn = default.with_changes(fqdn="relay.example.net")
    users = {a.user for a in config.connector_aces(odd_fqdn)}
    assert "CORP\\Exchange Servers" in users and "CORP\\ExchangeLegacyInterop" in users
    assert "RELAY\\Exchange Servers" not in users
    orphan = odd_fqdn.with_changes(server="EX09")
    assert "EXAMPLE\\Exchange Servers" in {a.user for a in config.connector_aces(orphan)}
