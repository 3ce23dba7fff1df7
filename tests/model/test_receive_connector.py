"""ReceiveConnector: usage templates, AuthMechanism rules, value validation, records and ACEs."""

from __future__ import annotations

import pytest

from exshell.model.binding import IPBinding
from exshell.model.connector import PROPERTIES, ReceiveConnector, validate_auth, validate_connector
from exshell.model.connector_rules import (
    AUTH_BASIC_REQUIRE_TLS,
    AUTH_DOMAIN_SECURE,
    AUTH_EXTERNAL_NEEDS_SERVERS,
    AUTH_EXTERNAL_ONLY_TLS,
    AUTH_NONE_ALONE,
    AUTH_REQUIRE_TLS,
    connector_problems,
)
from exshell.model.enums import AuthMechanism, PermissionGroups, ProtocolLoggingLevel, TransportRole
from exshell.model.errors import ModelDataError, ModelError
from exshell.model.ip import IPRange
from exshell.model.permissions import ACE, ANONYMOUS, EXTERNALLY_SECURED, effective_rights
from exshell.model.size import ByteQuantifiedSize, Unlimited
from exshell.model.timespan import EnhancedTimeSpan


def relay(**fields: object) -> ReceiveConnector:
    """Recipe 2 of the seed scenario."""
    args: dict = dict(
        bindings=["192.168.1.17:25"],
        remote_ip_ranges=["192.168.1.100"],
        fqdn="server.domain.com",
        permission_groups="AnonymousUsers",
    )
    args.update(fields)
    return ReceiveConnector.new("RelayConnector", "MYEXCHANGESERVER", "Custom", **args)


@pytest.mark.parametrize(
    ("usage", "kwargs", "groups", "auth", "bindings", "ranges"),
    [
        (
            "Custom",
            dict(bindings=["10.10.1.1:25"], remote_ip_ranges=["192.168.0.1-192.168.0.24"]),
            "None",
            "Tls",
            ["10.10.1.1:25"],
            ["192.168.0.1-192.168.0.24"],
        ),
        (
            "Internet",
            dict(bindings=["0.0.0.0:25"]),
            "AnonymousUsers",
            "Tls",
            ["0.0.0.0:25"],
            ["0.0.0.0-255.255.255.255"],
        ),
        (
            "Partner",
            dict(bindings=["0.0.0.0:25"], remote_ip_ranges=["203.0.113.0/24"]),
            "Partners",
            "Tls",
            ["0.0.0.0:25"],
            ["203.0.113.0/24"],
        ),
        (
            "Internal",
            dict(remote_ip_ranges=["10.0.0.0/8"]),
            "ExchangeServers, ExchangeLegacyServers",
            "Tls, ExchangeServer",
            ["0.0.0.0:25"],
            ["10.0.0.0/8"],
        ),
        (
            "Client",
            dict(remote_ip_ranges=["10.0.0.0/8"]),
            "ExchangeUsers",
            "Tls, Integrated, BasicAuth, BasicAuthRequireTLS",
            ["0.0.0.0:587"],
            ["10.0.0.0/8"],
        ),
    ],
)
def test_new_applies_usage_template(
    usage: str, kwargs: dict, groups: str, auth: str, bindings: list[str], ranges: list[str]
) -> None:
    rc = ReceiveConnector.new("Test", "EX01", usage, **kwargs)
    assert str(rc.permission_groups) == groups
    assert str(rc.auth_mechanism) == auth
    assert [str(b) for b in rc.bindings] == bindings
    assert [str(r) for r in rc.remote_ip_ranges] == ranges
    assert rc.identity == "EX01\\Test"
    assert rc.enabled and rc.max_recipients_per_message == 200
    assert str(rc.max_message_size) == "10 MB (10,485,760 bytes)"


@pytest.mark.parametrize(
    ("usage", "kwargs", "error_id"),
    [
        ("Custom", dict(remote_ip_ranges=["10.0.0.1"]), "BindingsRequired"),
        ("Custom", dict(bindings=["0.0.0.0:25"]), "RemoteIPRangesRequired"),
        (
            "Internet",
            dict(bindings=["0.0.0.0:25"], remote_ip_ranges=["10.0.0.1"]),
            "RemoteIPRangesNotAllowedForUsage",
        ),
        ("Internet", dict(), "BindingsRequired"),
        ("Partner", dict(bindings=["0.0.0.0:25"]), "RemoteIPRangesRequired"),
        (
            "Internal",
            dict(bindings=["0.0.0.0:25"], remote_ip_ranges=["10.0.0.1"]),
            "BindingsNotAllowedForUsage",
        ),
        (
            "Client",
            dict(bindings=["0.0.0.0:587"], remote_ip_ranges=["10.0.0.1"]),
            "BindingsNotAllowedForUsage",
        ),
        ("Client", dict(), "RemoteIPRangesRequired"),
    ],
)
def test_new_enforces_usage_parameter_rules(usage: str, kwargs: dict, error_id: str) -> None:
    with pytest.raises(ModelError) as info:
        ReceiveConnector.new("Test", "EX01", usage, **kwargs)
    assert info.value.error_id == error_id


def test_new_without_usage_is_custom_like_2007_rtm() -> None:
    rc = ReceiveConnector.new("Test", "EX01", None, bindings=["0.0.0.0:2525"], remote_ip_ranges=["10.0.0.1"])
    assert not rc.permission_groups and str(rc.auth_mechanism) == "Tls"


def test_seed_recipe_1_externally_secured_connector_gives_host_relay_rights() -> None:
    rc = ReceiveConnector.new(
        "RelayConnector",
        "MYEXCHANGESERVER",
        "custom",
        bindings=["192.168.1.17:25"],
        remote_ip_ranges=["192.168.1.100"],
        fqdn="server.domain.com",
        permission_groups="ExchangeServers",
        auth_mechanism="TLS, ExternalAuthoritative",
    )
    rights = effective_rights(rc.all_aces(), [EXTERNALLY_SECURED])
    for right in (
        "ms-Exch-SMTP-Accept-Any-Recipient",
        "ms-Exch-Bypass-Anti-Spam",
        "ms-Exch-SMTP-Accept-Any-Sender",
    ):
        assert rights[right].granted and rights[right].origin == "ExchangeServers"
    assert "DOMAIN\\Exchange Servers" in {a.user for a in rc.all_aces()}


def test_seed_recipe_2_anonymous_relay_reports_custom_and_lists_explicit_ace() -> None:
    rc = relay().add_aces(
        [ACE("ignored", "NT AUTHORITY\\ANONYMOUS LOGON", "ms-Exch-SMTP-Accept-Any-Recipient")]
    )
    assert str(rc.effective_permission_groups) == "AnonymousUsers, Custom"
    assert str(rc.permission_groups) == "AnonymousUsers"
    explicit = [a for a in rc.all_aces() if a.origin is None]
    assert explicit == [ACE(rc.identity, ANONYMOUS, "ms-Exch-SMTP-Accept-Any-Recipient")]
    assert effective_rights(rc.all_aces(), [ANONYMOUS])["ms-Exch-SMTP-Accept-Any-Recipient"].granted
    # adding the same ACE again changes nothing; removing it takes it away
    assert rc.add_aces(rc.explicit_aces) == rc
    after, removed = rc.remove_aces(ANONYMOUS, ["MS-EXCH-SMTP-ACCEPT-ANY-RECIPIENT"])
    assert removed == list(rc.explicit_aces) and after.explicit_aces == ()


def test_remove_aces_cannot_remove_group_rights() -> None:
    rc = relay()
    after, removed = rc.remove_aces(ANONYMOUS, ["ms-Exch-SMTP-Submit"])
    assert removed == [] and after == rc


# ---------------------------------------------------------------------- AuthMechanism rules (semantics.md §d)


@pytest.mark.parametrize(
    ("auth", "groups", "require_tls", "domain_secure", "expected"),
    [
        ("None, Tls", "AnonymousUsers", False, False, AUTH_NONE_ALONE),
        ("None", "AnonymousUsers", False, False, None),
        ("BasicAuthRequireTLS, BasicAuth", "ExchangeUsers", False, False, AUTH_BASIC_REQUIRE_TLS),
        ("BasicAuthRequireTLS, Tls", "ExchangeUsers", False, False, AUTH_BASIC_REQUIRE_TLS),
        ("BasicAuthRequireTLS, BasicAuth, Tls", "ExchangeUsers", False, False, None),
        ("ExternalAuthoritative, Tls, BasicAuth", "ExchangeServers", False, False, AUTH_EXTERNAL_ONLY_TLS),
        ("ExternalAuthoritative, Integrated", "ExchangeServers", False, False, AUTH_EXTERNAL_ONLY_TLS),
        ("ExternalAuthoritative", "ExchangeServers", False, False, None),
        ("Tls, ExternalAuthoritative", "ExchangeServers, AnonymousUsers", False, False, None),
        ("BasicAuth", "ExchangeUsers", True, False, AUTH_REQUIRE_TLS),
        ("Tls", "ExchangeUsers", True, False, None),
        ("Tls, ExternalAuthoritative", "AnonymousUsers", False, False, AUTH_EXTERNAL_NEEDS_SERVERS),
        ("BasicAuth", "Partners", False, True, AUTH_DOMAIN_SECURE),
        ("Tls, ExternalAuthoritative", "ExchangeServers", False, True, AUTH_DOMAIN_SECURE),
        ("Tls", "Partners", False, True, None),
    ],
)
def test_validate_auth_rules(
    auth: str, groups: str, require_tls: bool, domain_secure: bool, expected: str | None
) -> None:
    assert validate_auth(auth, groups, require_tls, domain_secure) == expected
    if "None, " not in auth:
        parsed = AuthMechanism.parse(auth)
        assert validate_auth(parsed, PermissionGroups.parse(groups), require_tls, domain_secure) == expected


def test_validate_auth_reports_unknown_names() -> None:
    assert "Unable to match the identifier name Kerberos" in (validate_auth("Kerberos", "None") or "")


def test_new_refuses_external_authoritative_without_exchange_servers() -> None:
    with pytest.raises(ModelError, match="requires the ExchangeServers permission group"):
        relay(auth_mechanism="Tls, ExternalAuthoritative")


# ---------------------------------------------------------------------- value validation


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        (dict(max_message_size="32KB"), "'MaxMessageSize' must be between 64 KB (65,536 bytes)"),
        (dict(max_message_size="3GB"), "'MaxMessageSize'"),
        (dict(max_recipients_per_message=0), "'MaxRecipientsPerMessage' must be between 1 and 512000"),
        (dict(max_recipients_per_message=512001), "'MaxRecipientsPerMessage'"),
        (
            dict(max_inbound_connection_per_source=10001),
            "'MaxInboundConnectionPerSource' must be between 1 and 10000 or unlimited",
        ),
        (dict(max_inbound_connection_percentage_per_source=101), "'MaxInboundConnectionPercentagePerSource'"),
        (dict(max_logon_failures=11), "'MaxLogonFailures' must be between 0 and 10"),
        (dict(max_hop_count=501), "'MaxHopCount'"),
        (dict(max_local_hop_count=51), "'MaxLocalHopCount'"),
        (dict(tarpit_interval="00:10:01"), "'TarpitInterval' must be between 00:00:00 and 00:10:00"),
        (
            dict(connection_timeout="1.00:00:01"),
            "'ConnectionTimeout' must be between 00:00:01 and 1.00:00:00",
        ),
        (dict(connection_timeout="00:05:00"), "ConnectionTimeout value (00:05:00) must be greater than"),
        (dict(chunking_enabled=False), "BinaryMimeEnabled can be $true only when ChunkingEnabled is $true"),
        (dict(banner="Hello"), "must start with 220"),
        (dict(require_tls=True, auth_mechanism="None"), "RequireTLS"),
        (dict(name="x" * 65), "at most 64 characters"),
        (dict(name="A\\B"), "backslash"),
        (dict(name=" "), "Name property can't be empty"),
        (dict(bindings=[]), "Bindings property can't be empty"),
        (dict(remote_ip_ranges=[]), "RemoteIPRanges property can't be empty"),
    ],
)
def test_validation_rejects_out_of_range_values(changes: dict, fragment: str) -> None:
    rc = relay().with_changes(**changes)
    problem = validate_connector(rc)
    assert problem is not None and fragment in problem


def test_validation_accepts_edge_values_and_unlimited() -> None:
    rc = relay().with_changes(
        max_message_size="64KB",
        max_inbound_connection="unlimited",
        message_rate_limit="Unlimited",
        max_protocol_errors="unlimited",
        tarpit_interval="00:00:00",
        banner="220 relay ready",
        chunking_enabled=False,
        binary_mime_enabled=False,
    )
    assert connector_problems(rc) == []


def test_with_changes_accepts_property_names_and_raw_values_and_drops_custom() -> None:
    rc = relay().with_changes(
        MaxMessageSize="36 MB (37,748,736 bytes)",
        PermissionGroups="AnonymousUsers, Custom",
        ProtocolLoggingLevel="verbose",
        TarpitInterval="0.00:00:10",
        Enabled="$false",
    )
    assert rc.max_message_size == ByteQuantifiedSize(37748736)
    assert str(rc.permission_groups) == "AnonymousUsers"
    assert rc.protocol_logging_level is ProtocolLoggingLevel.Verbose
    assert rc.tarpit_interval == EnhancedTimeSpan(10.0)
    assert rc.enabled is False
    with pytest.raises(ValueError):
        relay().with_changes(max_message_size="big")
    with pytest.raises(ModelError, match="Unknown receive connector property"):
        relay().with_changes(no_such_field=1)


# ---------------------------------------------------------------------- records


def test_record_round_trip_keeps_every_property_and_explicit_aces() -> None:
    rc = relay(
        comment="scanner relay",
        max_inbound_connection="unlimited",
        remote_ip_ranges=["192.168.1.100", "10.0.0.0/24", "::1"],
        bindings=["192.168.1.17:25", "[::]:25"],
        transport_role="FrontendTransport",
        tls_domain_capabilities=["contoso.com:AcceptOorgProtocol"],
    ).add_aces(
        [
            ACE("x", ANONYMOUS, "ms-Exch-SMTP-Accept-Any-Recipient"),
            ACE("x", ANONYMOUS, "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender", deny=True),
        ]
    )
    record = rc.to_record()
    assert record["RemoteIPRanges"] == ["192.168.1.100", "10.0.0.0/24", "::1"]
    assert record["Bindings"] == ["192.168.1.17:25", "[::]:25"]
    assert record["MaxInboundConnection"] == "Unlimited"
    assert record["MaxMessageSize"] == "10 MB (10,485,760 bytes)"
    assert record["PermissionGroups"] == "AnonymousUsers"
    assert record["ADPermissions"][1] == {
        "User": ANONYMOUS,
        "ExtendedRights": "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender",
        "Deny": True,
    }
    assert "Banner" not in record  # $null properties are left out (TOML has no null)
    assert ReceiveConnector.from_record(rc.guid, record) == rc
    for value in record.values():  # only TOML-able plain values
        assert isinstance(value, (str, int, bool, list))


def test_from_record_fills_missing_properties_with_defaults_and_ignores_key_case() -> None:
    rc = ReceiveConnector.from_record(
        "g1",
        {"name": "Old", "SERVER": "EX01", "bindings": ["0.0.0.0:25"], "remoteipranges": "10.0.0.1, 10.0.0.2"},
    )
    assert rc.max_message_size == ByteQuantifiedSize(10 << 20)
    assert [str(r) for r in rc.remote_ip_ranges] == ["10.0.0.1", "10.0.0.2"]
    assert rc.transport_role is TransportRole.HubTransport
    assert rc.max_inbound_connection == Unlimited(5000)


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        ({"Name": "X", "Server": "EX01", "RemoteIPRanges": ["10.0.0.9-10.0.0.1"]}, "invalid RemoteIPRanges"),
        ({"Name": "X", "Server": "EX01", "MaxMessageSize": "huge"}, "invalid MaxMessageSize"),
        ({"Server": "EX01"}, "has no Name or Server"),
        (
            {
                "Name": "X",
                "Server": "EX01",
                "ADPermissions": [{"User": ANONYMOUS, "ExtendedRights": "bogus"}],
            },
            "ADPermissions",
        ),
    ],
)
def test_from_record_reports_bad_stored_data(record: dict, fragment: str) -> None:
    with pytest.raises(ModelDataError) as info:
        ReceiveConnector.from_record("g1", record)
    assert fragment in str(info.value)


def test_to_properties_follows_format_list_order_and_reports_derived_groups() -> None:
    rc = relay().add_aces([ACE("x", ANONYMOUS, "ms-Exch-SMTP-Accept-Any-Recipient")])
    props = rc.to_properties()
    names = list(props)
    assert names[:4] == ["AuthMechanism", "Banner", "BinaryMimeEnabled", "Bindings"]
    assert names[len(PROPERTIES) - 1] == "Name"
    assert names[-3:] == ["ExchangeVersion", "Identity", "Guid"]
    assert str(props["PermissionGroups"]) == "AnonymousUsers, Custom"
    assert props["Identity"] == "MYEXCHANGESERVER\\RelayConnector"
    assert props["Bindings"] == [IPBinding.parse("192.168.1.17:25")]
    assert props["RemoteIPRanges"] == [IPRange.parse("192.168.1.100")]


def test_decoding_many_records_parses_each_value_text_once_and_never_remembers_a_bad_one() -> None:
    # Sizes, time spans and flag sets are immutable and repeated in every record: decoded once per text.
    record = {"Name": "A", "Server": "EX01", "MaxMessageSize": "10MB", "ConnectionTimeout": "00:05:00",
              "AuthMechanism": "Tls, BasicAuth"}
    a = ReceiveConnector.from_record("g1", record)
    b = ReceiveConnector.from_record("g2", dict(record, Name="B"))
    assert a.max_message_size is b.max_message_size and a.auth_mechanism is b.auth_mechanism
    assert a.max_message_size == ByteQuantifiedSize.parse("10MB")
    assert a.connection_timeout == EnhancedTimeSpan.parse("00:05:00")
    for _ in range(2):  # a bad text is refused every time, not remembered as anything
        with pytest.raises(ModelDataError, match="MaxMessageSize"):
            ReceiveConnector.from_record("g3", dict(record, MaxMessageSize="ten megabytes"))
