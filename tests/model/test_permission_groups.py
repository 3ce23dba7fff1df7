"""The permission-group table (semantics.md §b), effective rights with Deny winning, and Custom derivation."""

from __future__ import annotations

import pytest

from exshell.model.enums import AuthMechanism, PermissionGroups
from exshell.model.permissions import (
    ACE,
    ANONYMOUS,
    AUTHENTICATED_USERS,
    EDGE_SERVERS,
    EXTENDED_RIGHTS,
    EXTERNALLY_SECURED,
    HUB_SERVERS,
    LOG_FLAG_NAMES,
    PARTNER_SERVERS,
    canonical_principal,
    canonical_right,
    derived_permission_groups,
    effective_rights,
    exchange_servers,
    granted_rights,
    group_aces,
    legacy_interop,
    log_flags,
)

ID = "EX01\\Relay"
DOMAIN = "contoso.com"
TLS = AuthMechanism.parse("Tls")

INTERNAL_RIGHTS = {
    "ms-Exch-SMTP-Accept-Xattr",
    "ms-Exch-SMTP-Accept-XProxyFrom",
    "ms-Exch-SMTP-Accept-XSessionParams",
    "ms-Exch-SMTP-Accept-XShadow",
    "ms-Exch-SMTP-Accept-XSysProbe",
    "ms-Exch-SMTP-Send-XMessageContext-ADRecipientCache",
    "ms-Exch-SMTP-Send-XMessageContext-ExtendedProperties",
    "ms-Exch-SMTP-Send-XMessageContext-FastIndex",
}
TRUSTED_SERVER = {
    "ms-Exch-Accept-Headers-Routing",
    "ms-Exch-Bypass-Anti-Spam",
    "ms-Exch-Bypass-Message-Size-Limit",
    "ms-Exch-SMTP-Accept-Any-Recipient",
    "ms-Exch-SMTP-Accept-Any-Sender",
    "ms-Exch-SMTP-Accept-Authentication-Flag",
    "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender",
    "ms-Exch-SMTP-Accept-Exch50",
    "ms-Exch-SMTP-Submit",
}
EXCHANGE_SERVER = (
    TRUSTED_SERVER
    | {"ms-Exch-Accept-Headers-Forest", "ms-Exch-Accept-Headers-Organization"}
    | INTERNAL_RIGHTS
)

# Each group's principals and exact rights, as semantics.md §b lists them.
GROUP_TABLE = {
    "AnonymousUsers": {
        ANONYMOUS: {
            "ms-Exch-Accept-Headers-Routing",
            "ms-Exch-SMTP-Accept-Any-Sender",
            "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender",
            "ms-Exch-SMTP-Submit",
        }
    },
    "ExchangeUsers": {
        AUTHENTICATED_USERS: {
            "ms-Exch-Accept-Headers-Routing",
            "ms-Exch-Bypass-Anti-Spam",
            "ms-Exch-SMTP-Accept-Any-Recipient",
            "ms-Exch-SMTP-Submit",
        }
    },
    "ExchangeServers": {
        "CONTOSO\\Exchange Servers": EXCHANGE_SERVER,
        EDGE_SERVERS: EXCHANGE_SERVER,
        HUB_SERVERS: EXCHANGE_SERVER,
    },
    "ExchangeLegacyServers": {"CONTOSO\\ExchangeLegacyInterop": TRUSTED_SERVER},
    "Partners": {PARTNER_SERVERS: {"ms-Exch-Accept-Headers-Routing", "ms-Exch-SMTP-Submit"}},
}


def table_of(aces: list[ACE]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for ace in aces:
        out.setdefault(ace.user, set()).add(ace.right)
    return out


@pytest.mark.parametrize("group", sorted(GROUP_TABLE))
def test_each_permission_group_grants_exactly_its_principals_and_rights(group: str) -> None:
    aces = group_aces(ID, PermissionGroups.parse(group), TLS, DOMAIN)
    assert table_of(aces) == GROUP_TABLE[group]
    assert all(a.origin == group and not a.deny and not a.inherited and a.identity == ID for a in aces)
    assert len(aces) == sum(len(r) for r in GROUP_TABLE[group].values())  # one ACE per principal and right


def test_external_authoritative_adds_externally_secured_servers_without_internal_rights() -> None:
    aces = group_aces(
        ID,
        PermissionGroups.parse("ExchangeServers"),
        AuthMechanism.parse("Tls, ExternalAuthoritative"),
        DOMAIN,
    )
    table = table_of(aces)
    assert table[EXTERNALLY_SECURED] == TRUSTED_SERVER
    assert "ms-Exch-Accept-Headers-Organization" not in table[EXTERNALLY_SECURED]
    assert table[HUB_SERVERS] == EXCHANGE_SERVER


def test_external_authoritative_without_exchange_servers_grants_nothing() -> None:
    aces = group_aces(
        ID,
        PermissionGroups.parse("AnonymousUsers"),
        AuthMechanism.parse("Tls, ExternalAuthoritative"),
        DOMAIN,
    )
    assert EXTERNALLY_SECURED not in table_of(aces)


def test_none_and_custom_groups_grant_nothing() -> None:
    assert group_aces(ID, PermissionGroups(), TLS, DOMAIN) == []
    assert group_aces(ID, PermissionGroups.parse("Custom"), TLS, DOMAIN) == []


def test_domain_principals_use_the_netbios_name() -> None:
    assert exchange_servers("contoso.com") == "CONTOSO\\Exchange Servers"
    assert legacy_interop("corp.fabrikam.local") == "CORP\\ExchangeLegacyInterop"
    assert canonical_principal("nt authority\\anonymous logon") == ANONYMOUS
    assert canonical_principal("contoso\\exchange servers", "contoso.com") == "CONTOSO\\Exchange Servers"
    assert canonical_principal("CONTOSO\\svc-scanner") == "CONTOSO\\svc-scanner"


def test_anonymous_relay_recipe_grants_relay_only_to_anonymous() -> None:
    aces = group_aces(ID, PermissionGroups.parse("AnonymousUsers"), TLS, DOMAIN)
    aces.append(ACE(ID, ANONYMOUS, canonical_right("MS-EXCH-SMTP-ACCEPT-ANY-RECIPIENT")))
    rights = effective_rights(aces, [ANONYMOUS])
    assert rights["ms-Exch-SMTP-Accept-Any-Recipient"].granted
    assert rights["ms-Exch-SMTP-Accept-Any-Recipient"].origin == "Explicit"
    assert rights["ms-Exch-SMTP-Submit"].origin == "AnonymousUsers"
    assert "ms-Exch-Bypass-Anti-Spam" not in rights
    assert "ms-Exch-SMTP-Accept-Any-Recipient" not in granted_rights(aces, [AUTHENTICATED_USERS])


def test_deny_wins_over_group_allow() -> None:
    right = "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender"
    aces = group_aces(ID, PermissionGroups.parse("AnonymousUsers"), TLS, DOMAIN)
    aces.append(ACE(ID, "nt authority\\anonymous logon", right, deny=True))
    rights = effective_rights(aces, [ANONYMOUS])
    assert rights[right].granted is False
    assert rights[right].origin == "Explicit"
    assert rights["ms-Exch-SMTP-Submit"].granted
    assert right not in granted_rights(aces, [ANONYMOUS])


def test_deny_for_one_principal_does_not_affect_another() -> None:
    aces = [
        ACE(ID, ANONYMOUS, "ms-Exch-SMTP-Submit", deny=True),
        ACE(ID, AUTHENTICATED_USERS, "ms-Exch-SMTP-Submit", origin="ExchangeUsers"),
    ]
    assert effective_rights(aces, [AUTHENTICATED_USERS])["ms-Exch-SMTP-Submit"].granted
    assert not effective_rights(aces, [ANONYMOUS, AUTHENTICATED_USERS])["ms-Exch-SMTP-Submit"].granted


def test_effective_rights_lists_every_granting_origin_once() -> None:
    aces = [
        ACE(ID, HUB_SERVERS, "ms-Exch-SMTP-Submit", origin="ExchangeServers"),
        ACE(ID, EXTERNALLY_SECURED, "ms-Exch-SMTP-Submit", origin="ExchangeServers"),
        ACE(ID, EXTERNALLY_SECURED, "ms-Exch-SMTP-Submit"),
    ]
    grant = effective_rights(aces, [HUB_SERVERS, EXTERNALLY_SECURED])["ms-Exch-SMTP-Submit"]
    assert grant.granted and grant.origin == "ExchangeServers, Explicit"


def test_custom_is_derived_from_explicit_allow_aces() -> None:
    groups = PermissionGroups.parse("AnonymousUsers, ExchangeServers, ExchangeLegacyServers")
    allow = ACE(ID, ANONYMOUS, "ms-Exch-SMTP-Accept-Any-Recipient")
    deny = ACE(ID, ANONYMOUS, "ms-Exch-SMTP-Submit", deny=True)
    assert (
        str(derived_permission_groups(groups, [allow]))
        == "AnonymousUsers, ExchangeServers, ExchangeLegacyServers, Custom"
    )
    assert derived_permission_groups(groups, []) == groups
    assert derived_permission_groups(groups, [deny]) == groups
    assert derived_permission_groups(groups | "Custom", []) == groups  # Custom on input is a no-op


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Ms-Exch-SMTP-Accept-Any-Recipient", "ms-Exch-SMTP-Accept-Any-Recipient"),
        ("ms-exch-bypass-anti-spam", "ms-Exch-Bypass-Anti-Spam"),
        ("ms-Exch-Accept-Exch50", "ms-Exch-SMTP-Accept-Exch50"),
        (" send-as ", "Send-As"),
    ],
)
def test_canonical_right_is_case_insensitive(typed: str, canonical: str) -> None:
    assert canonical_right(typed) == canonical


def test_unknown_right_is_rejected() -> None:
    with pytest.raises(ValueError, match="is not a valid extended right"):
        canonical_right("ms-Exch-SMTP-Accept-Everything")


def test_every_right_has_a_log_flag_and_flags_print_in_canonical_order() -> None:
    assert set(LOG_FLAG_NAMES) == set(EXTENDED_RIGHTS)
    assert log_flags(
        ["ms-Exch-Accept-Headers-Routing", "ms-Exch-SMTP-Submit", "ms-exch-smtp-accept-any-sender"]
    ) == ("SMTPSubmit SMTPAcceptAnySender AcceptRoutingHeaders")


def test_ace_record_round_trip_and_matching() -> None:
    ace = ACE(ID, ANONYMOUS, "ms-Exch-SMTP-Accept-Any-Recipient", deny=True)
    assert ACE.from_record(ID, ace.to_record()) == ace
    assert ace.matches("NT AUTHORITY\\Anonymous Logon", "MS-EXCH-SMTP-ACCEPT-ANY-RECIPIENT", True)
    assert not ace.matches(ANONYMOUS, "ms-Exch-SMTP-Accept-Any-Recipient", False)
    assert ace.is_explicit


def test_unauthenticated_principal_is_externally_secured_only_with_exchange_servers() -> None:
    from exshell.model.connector import ReceiveConnector
    from exshell.model.permissions import unauthenticated_principal

    base = ReceiveConnector.new(
        "Relay",
        "EX01",
        "Custom",
        bindings=["0.0.0.0:25"],
        remote_ip_ranges=["10.0.0.1"],
        permission_groups="AnonymousUsers",
    )
    trusted = base.with_changes(
        permission_groups="ExchangeServers", auth_mechanism="Tls, ExternalAuthoritative"
    )
    assert unauthenticated_principal(base) == ANONYMOUS
    assert unauthenticated_principal(trusted) == EXTERNALLY_SECURED
    assert unauthenticated_principal(base.with_changes(permission_groups="ExchangeServers")) == ANONYMOUS
