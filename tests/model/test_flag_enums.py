"""Flag sets (AuthMechanism, PermissionGroups) and the plain enums."""

from __future__ import annotations

import pickle

import pytest

from exshell.model.enums import (
    AcceptedDomainType,
    AuthMechanism,
    PermissionGroups,
    ProtocolLoggingLevel,
    UsageType,
)


@pytest.mark.parametrize(
    ("value", "display"),
    [
        ("Tls", "Tls"),
        ("tls, externalauthoritative", "Tls, ExternalAuthoritative"),
        ("ExternalAuthoritative,TLS", "Tls, ExternalAuthoritative"),
        (["BasicAuth", "Tls", "Integrated"], "Tls, Integrated, BasicAuth"),
        ("None", "None"),
        ("", "None"),
        (None, "None"),
        (
            "ExchangeServer, BasicAuthRequireTLS, BasicAuth, Integrated, Tls",
            "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
        ),
    ],
)
def test_auth_mechanism_parses_case_insensitive_lists_in_declaration_order(
    value: object, display: str
) -> None:
    auth = AuthMechanism.parse(value)
    assert str(auth) == display
    assert AuthMechanism.parse(str(auth)) == auth


def test_auth_mechanism_none_must_be_alone() -> None:
    with pytest.raises(ValueError, match="None can't be combined"):
        AuthMechanism.parse("None, Tls")


def test_unknown_flag_name_uses_dotnet_enum_message() -> None:
    with pytest.raises(ValueError) as info:
        AuthMechanism.parse("Tls, Kerberos")
    assert "Unable to match the identifier name Kerberos to a valid enumerator name" in str(info.value)
    assert (
        "None, Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative"
        in str(info.value)
    )


def test_flag_set_operations() -> None:
    groups = PermissionGroups.parse("AnonymousUsers")
    both = groups | "ExchangeServers"
    assert str(both) == "AnonymousUsers, ExchangeServers"
    assert "exchangeservers" in both and "Partners" not in both
    assert str(both - "AnonymousUsers") == "ExchangeServers"
    assert PermissionGroups.parse("AnonymousUsers") in both
    assert both.names == ("AnonymousUsers", "ExchangeServers") and len(both) == 2
    assert not PermissionGroups() and bool(both)
    assert PermissionGroups.parse("None, AnonymousUsers") == groups  # .NET ORs None (0) away
    assert hash(both) == hash(PermissionGroups.parse("ExchangeServers,AnonymousUsers"))
    assert AuthMechanism.parse("Tls") != PermissionGroups.parse("AnonymousUsers")
    assert pickle.loads(pickle.dumps(both)) == both
    with pytest.raises(AttributeError):
        both._bits = 0  # type: ignore[misc]


def test_all_names_in_exchange_declaration_order() -> None:
    assert AuthMechanism.ALL_NAMES == (
        "Tls",
        "Integrated",
        "BasicAuth",
        "BasicAuthRequireTLS",
        "ExchangeServer",
        "ExternalAuthoritative",
    )
    assert PermissionGroups.ALL_NAMES == (
        "AnonymousUsers",
        "ExchangeUsers",
        "ExchangeServers",
        "ExchangeLegacyServers",
        "Partners",
        "Custom",
    )


@pytest.mark.parametrize(
    ("cls", "text", "member"),
    [
        (UsageType, "custom", UsageType.Custom),
        (UsageType, "INTERNET", UsageType.Internet),
        (AcceptedDomainType, "internalrelay", AcceptedDomainType.InternalRelay),
        (ProtocolLoggingLevel, "none", ProtocolLoggingLevel.NONE),
        (ProtocolLoggingLevel, "Verbose", ProtocolLoggingLevel.Verbose),
    ],
)
def test_plain_enums_parse_case_insensitively_and_print_exchange_name(
    cls: type, text: str, member: object
) -> None:
    parsed = cls.parse(text)
    assert parsed is member
    assert str(parsed) == member.value  # type: ignore[attr-defined]


def test_plain_enum_rejects_unknown_value() -> None:
    with pytest.raises(ValueError, match="Client, Custom, Internal, Internet, Partner"):
        UsageType.parse("Relay")
    assert ProtocolLoggingLevel.names() == ("None", "Verbose")
