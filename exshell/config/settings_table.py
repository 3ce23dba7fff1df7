"""One table of settings: every parameter of every configuration cmdlet, and what becomes of it.

Each parameter is exactly one of:
- **enforced** — the engine, delivery or the shell acts on it; `where` names the code and `test` the test that
  proves it (`tests/...py::test_name`; tests/config/test_settings_table.py checks that the test exists);
- **informational** — stored and shown for compatibility with Exchange scripts, with no effect here; Get-Help
  says so ("Stored for compatibility; has no effect here.");
- **identity** — names or selects the object, or controls the command itself (Identity, Name, Force, ...).
A security setting that cannot be honoured must be refused by its cmdlet instead of being listed here as
informational.

tests/config/test_settings_table.py enumerates the command registry: a parameter of a configuration cmdlet
(a ConfigCmdlet) without a row here fails it. Adding a parameter = adding one line below, e.g.

    E(RECEIVE, "MaxHopCount", "transport/limits.py", "tests/transport/delivery/test_x.py::test_y"),
    I(SEND, "ConnectionInactivityTimeOut"),

`python -m exshell.config.settings_table > docs/settings.md` regenerates the documentation page.
"""

from __future__ import annotations

from dataclasses import dataclass

ENFORCED = "enforced"
INFORMATIONAL = "informational"
IDENTITY = "identity"
NO_EFFECT = "Stored for compatibility; has no effect here."


@dataclass(frozen=True, slots=True)
class Entry:
    cmdlet: str
    parameter: str
    status: str
    where: str = ""
    test: str = ""


_ROWS: list[Entry] = []


def E(cmdlets: tuple[str, ...] | str, parameter: str, where: str, test: str) -> None:
    """Enforced in `where` (a path under exshell/), proven by `test`."""
    for c in (cmdlets,) if isinstance(cmdlets, str) else cmdlets:
        _ROWS.append(Entry(c, parameter, ENFORCED, where, test))


def I(cmdlets: tuple[str, ...] | str, parameter: str) -> None:  # noqa: E743 - one letter, like E
    """Informational: stored for compatibility, no effect."""
    for c in (cmdlets,) if isinstance(cmdlets, str) else cmdlets:
        _ROWS.append(Entry(c, parameter, INFORMATIONAL))


def N(cmdlets: tuple[str, ...] | str, *parameters: str) -> None:
    """Identity / command control."""
    for c in (cmdlets,) if isinstance(cmdlets, str) else cmdlets:
        for p in parameters:
            _ROWS.append(Entry(c, p, IDENTITY))


RECEIVE = ("New-ReceiveConnector", "Set-ReceiveConnector")
SEND = ("New-SendConnector", "Set-SendConnector")
DOMAIN = ("New-AcceptedDomain", "Set-AcceptedDomain")
MAILBOX = ("New-Mailbox", "Set-Mailbox")
ACE = ("Add-ADPermission", "Remove-ADPermission")
CONFIG = ("Set-TransportConfig",)
REMOVE = ("Remove-ReceiveConnector", "Remove-SendConnector", "Remove-AcceptedDomain", "Remove-Mailbox",
          "Remove-ExchangeServer")

ENGINE = "tests/transport/test_engine.py::"
POLICY = "tests/transport/test_policy.py::"
LIMITS = "tests/transport/test_limits.py::"
TLS = "tests/transport/test_starttls_auth.py::"
SERVICE = "tests/transport/delivery/test_service.py::"
LOOPS = "tests/transport/delivery/test_loops_and_identity.py::"

# ---- receive connectors (cmdlets.md §1; tls-auth.md §5)
N(RECEIVE, "Name", "DomainController")
N("Set-ReceiveConnector", "Identity", "Force")
N("New-ReceiveConnector", "Usage", "Custom", "Internet", "Partner", "Internal", "Client")
E("New-ReceiveConnector", "Server", "transport/policy.py", "tests/transport/test_cli.py::"
  "test_serve_exits_nonzero_when_the_named_server_has_no_connector")
E(RECEIVE, "Bindings", "transport/listeners.py", ENGINE + "test_listeners_follow_the_configuration")
E(RECEIVE, "RemoteIPRanges", "transport/policy.py", POLICY + "test_most_specific_remote_range_wins")
E(RECEIVE, "AuthMechanism", "transport/smtp_security.py",
  TLS + "test_ehlo_advertises_what_the_auth_mechanism_says_before_and_after_starttls")
E(RECEIVE, "PermissionGroups", "model/permissions.py", POLICY + "test_rcpt_rejected_when_relay_not_granted")
E(RECEIVE, "Enabled", "transport/policy.py", POLICY + "test_disabled_connectors_do_not_serve")
E(RECEIVE, "Fqdn", "transport/session.py", ENGINE + "test_greeting_and_ehlo_follow_exchange")
E(RECEIVE, "Banner", "transport/policy.py", POLICY + "test_custom_banner_is_the_greeting")
I(RECEIVE, "Comment")
E(RECEIVE, "MaxMessageSize", "transport/policy.py", ENGINE + "test_oversized_data_is_refused_after_streaming_and_session_continues")
E(RECEIVE, "MaxRecipientsPerMessage", "transport/policy.py", ENGINE + "test_recipients_beyond_limit_get_452")
E(RECEIVE, "MaxHeaderSize", "transport/data_reader.py",
  LIMITS + "test_header_over_max_header_size_is_refused_while_reading_and_closed")
E(RECEIVE, "MaxInboundConnection", "transport/policy.py", POLICY + "test_connection_limits_at_connect")
E(RECEIVE, "MaxInboundConnectionPerSource", "transport/policy.py", ENGINE + "test_connection_limit_per_source")
I(RECEIVE, "MaxInboundConnectionPercentagePerSource")
E(RECEIVE, "ConnectionTimeout", "transport/session.py",
  LIMITS + "test_connection_timeout_cuts_a_client_that_trickles_forever")
E(RECEIVE, "ConnectionInactivityTimeout", "transport/session.py",
  LIMITS + "test_slow_but_steady_client_is_served_and_idle_clients_are_cut_off")
E(RECEIVE, "MessageRateLimit", "transport/limits.py", LIMITS + "test_message_rate_limit_per_source_per_minute")
E(RECEIVE, "MaxLogonFailures", "transport/smtp_security.py",
  TLS + "test_wrong_password_is_tarpitted_and_the_connection_closed_at_max_logon_failures")
E(RECEIVE, "MaxProtocolErrors", "transport/session.py",
  LIMITS + "test_protocol_errors_past_the_limit_close_the_connection")
E(RECEIVE, "MaxHopCount", "transport/limits.py", LIMITS + "test_hop_counts_refuse_with_5_4_6")
E(RECEIVE, "MaxLocalHopCount", "transport/limits.py",
  LOOPS + "test_a_loop_between_two_paths_ends_with_5_4_6_in_the_tracking_log_not_a_storm")
E(RECEIVE, "TarpitInterval", "transport/session.py", ENGINE + "test_tarpit_delays_failures_only")
E(RECEIVE, "ProtocolLoggingLevel", "transport/protocol_log.py",
  ENGINE + "test_protocol_log_records_permissions_and_tarpit")
E(RECEIVE, "RequireTLS", "transport/smtp_security.py",
  TLS + "test_require_tls_refuses_mail_until_starttls_but_allows_the_session_verbs")
E(RECEIVE, "RequireEHLODomain", "transport/limits.py", LIMITS + "test_require_ehlo_domain_closes_a_session_without_one")
I(RECEIVE, "DomainSecureEnabled")
E(RECEIVE, "EnhancedStatusCodesEnabled", "transport/session.py", LIMITS + "test_ehlo_extensions_follow_the_connector")
E(RECEIVE, "PipeliningEnabled", "transport/session.py", LIMITS + "test_ehlo_extensions_follow_the_connector")
E(RECEIVE, "EightBitMimeEnabled", "transport/session.py", LIMITS + "test_ehlo_extensions_follow_the_connector")
E(RECEIVE, "DeliveryStatusNotificationEnabled", "transport/session.py",
  LIMITS + "test_ehlo_extensions_follow_the_connector")
I(RECEIVE, "TransportRole")

# ---- send connectors (cmdlets.md §6)
N(SEND, "Name")
N("Set-SendConnector", "Identity")
N("New-SendConnector", "Usage", "Internet", "Internal", "Custom")
E(SEND, "AddressSpaces", "transport/delivery/router.py",
  SERVICE + "test_external_recipient_arrives_at_smart_host_with_headers_and_send_is_tracked")
E(SEND, "SmartHosts", "transport/delivery/smtp_client.py", SERVICE + "test_smart_hosts_fail_over_in_order")
E(SEND, "Port", "transport/delivery/smtp_client.py",
  SERVICE + "test_connector_fqdn_is_used_for_ehlo_and_smart_host_port_wins")
E(SEND, "DNSRoutingEnabled", "transport/delivery/smtp_client.py",
  "tests/transport/delivery/test_mx_routing.py::test_mx_hosts_come_in_preference_order")
E(SEND, "Enabled", "transport/delivery/router.py",
  SERVICE + "test_unreachable_message_is_resubmitted_after_a_connector_is_added")
E(SEND, "MaxMessageSize", "transport/delivery/smtp_delivery.py",
  "tests/transport/delivery/test_queue_cmdlets.py::test_message_over_connector_size_limit_is_bounced")
I(SEND, "SourceTransportServers")
E(SEND, "Fqdn", "transport/delivery/smtp_client.py",
  SERVICE + "test_connector_fqdn_is_used_for_ehlo_and_smart_host_port_wins")
E(SEND, "RequireTLS", "transport/delivery/smtp_client.py",
  SERVICE + "test_require_tls_without_starttls_defers_instead_of_sending_in_clear")
E(SEND, "IgnoreSTARTTLS", "transport/delivery/smtp_client.py", SERVICE + "test_ignore_starttls_sends_in_clear")
I(SEND, "Comment")

# ---- accepted domains (semantics.md §f)
N(DOMAIN, "Name", "DomainController")
N("Set-AcceptedDomain", "Identity")
E("New-AcceptedDomain", "DomainName", "transport/policy.py", POLICY + "test_accepted_domain_recipients_are_not_relay")
E(DOMAIN, "DomainType", "transport/delivery/router.py",
  SERVICE + "test_unknown_authoritative_recipient_gets_ndr_in_local_senders_mailbox")
E("Set-AcceptedDomain", "MakeDefault", "model/domain.py",
  "tests/cmdlets/test_exchange_accepted_domain.py::test_make_default_keeps_exactly_one_default")
E("Set-AcceptedDomain", "AddressBookEnabled", "transport/policy.py",
  "tests/transport/test_recipient_validation.py::test_known_recipient_and_other_domains_pass_validation")
E("Set-AcceptedDomain", "MatchSubDomains", "model/domain.py",
  "tests/model/test_accepted_domain.py::test_match_subdomains_extends_an_exact_entry")

# ---- mailboxes
N(MAILBOX, "Name")
N("Set-Mailbox", "Identity")
E(MAILBOX, "DisplayName", "transport/headers.py",
  "tests/transport/test_headers.py::test_sender_resolved_to_display_name_only_with_authentication_flag")
E("New-Mailbox", "Alias", "transport/delivery/maildir.py",
  SERVICE + "test_local_recipient_lands_in_maildir_and_deliver_is_tracked")
E(MAILBOX, "PrimarySmtpAddress", "transport/delivery/router.py",
  SERVICE + "test_local_recipient_lands_in_maildir_and_deliver_is_tracked")
E(MAILBOX, "EmailAddresses", "model/mailbox.py",
  "tests/cmdlets/test_exchange_mailbox_send_connector.py::test_proxy_address_in_use_is_refused")
E(MAILBOX, "Password", "transport/auth.py", TLS + "test_auth_login_prompts_are_exchanges")
E("New-Mailbox", "UserPrincipalName", "transport/auth.py", TLS + "test_auth_plain_with_initial_response_and_cancel")
I("Set-Mailbox", "HiddenFromAddressListsEnabled")

# ---- permissions (semantics.md §b, §k)
N(ACE, "Identity", "DomainController")
N("Add-ADPermission", "Force")
E(ACE, "User", "model/permissions.py", POLICY + "test_explicit_ace_grants_relay_for_every_address_of_the_range")
E(ACE, "ExtendedRights", "model/permissions.py",
  ENGINE + "test_anonymous_relay_refused_until_ace_committed_then_relays_without_restart")
I(ACE, "AccessRights")
E(ACE, "Deny", "model/permissions.py", POLICY + "test_deny_ace_wins_over_group_grant")
I(ACE, "InheritanceType")
I(ACE, "Instance")

# ---- servers
N("New-ExchangeServer", "Name", "DomainController")
E("New-ExchangeServer", "Fqdn", "transport/policy.py",
  "tests/e2e/test_fleet.py::test_relay_recipe_works_on_both_servers_with_local_spools")

# ---- removal: identity only
N(REMOVE, "Identity")
N(("Remove-ReceiveConnector", "Remove-AcceptedDomain", "Remove-ExchangeServer"), "DomainController")

# ---- organization (cmdlets.md §8; tls-auth.md §4)
N(CONFIG, "DomainController")
E(CONFIG, "RelayReplyStyle", "transport/policy.py", POLICY + "test_relay_reply_follows_the_2016_style_setting")
E(CONFIG, "TarpitEnabled", "transport/policy.py", POLICY + "test_tarpit_applies_only_to_failures_of_anonymous_sessions")
E(CONFIG, "RecipientValidationEnabled", "transport/policy.py",
  "tests/transport/test_recipient_validation.py::test_unknown_recipient_is_rejected_at_rcpt_when_validation_is_on")
E(CONFIG, "DelayNotificationTimeout", "transport/delivery/retry_policy.py",
  SERVICE + "test_one_delay_notification_after_delay_notification_timeout")
E(CONFIG, "MessageTrackingLogEnabled", "transport/delivery/tracker.py", SERVICE + "test_tracking_log_can_be_turned_off")
E(CONFIG, "MessageRetryInterval", "transport/delivery/retry_policy.py",
  SERVICE + "test_down_smart_host_defers_then_retry_delivers")
E(CONFIG, "TransientFailureRetryInterval", "transport/delivery/retry_policy.py",
  SERVICE + "test_down_smart_host_defers_then_retry_delivers")
E(CONFIG, "TransientFailureRetryCount", "transport/delivery/retry_policy.py",
  SERVICE + "test_down_smart_host_defers_then_retry_delivers")
E(CONFIG, "MessageExpirationTimeout", "transport/delivery/retry_policy.py",
  SERVICE + "test_expired_message_is_bounced_with_queue_expired")
E(CONFIG, "ExternalPostmasterAddress", "transport/delivery/bounces.py",
  SERVICE + "test_unknown_authoritative_recipient_gets_ndr_in_local_senders_mailbox")
I(CONFIG, "InternalSMTPServers")
E(CONFIG, "MaxReceiveSize", "transport/policy.py", LIMITS + "test_organization_limits_apply_when_lower_than_the_connectors")
E(CONFIG, "MaxSendSize", "transport/delivery/smtp_delivery.py",
  SERVICE + "test_organization_max_send_size_bounces_a_message_the_send_connector_would_take")
E(CONFIG, "MaxRecipientEnvelopeLimit", "transport/policy.py",
  LIMITS + "test_organization_limits_apply_when_lower_than_the_connectors")

# ---- one server's transport service (tls-auth.md §4)
SERVICE_CMDLETS = ("Set-TransportService", "Set-TransportServer")
TSVC = "tests/cmdlets/test_transport_service.py::"
N(SERVICE_CMDLETS, "Identity", "DomainController")
for _name in ("MessageTrackingLogPath", "ReceiveProtocolLogPath", "SendProtocolLogPath"):
    E(SERVICE_CMDLETS, _name, "cmdlets/transport_service.py", TSVC + "test_log_paths_are_refused")
E(SERVICE_CMDLETS, "MessageTrackingLogEnabled", "transport/delivery/tracker.py",
  TSVC + "test_tracking_log_turned_off_on_this_server_only")
for _name in ("MessageTrackingLogMaxAge", "MessageTrackingLogMaxDirectorySize", "ReceiveProtocolLogMaxAge",
              "ReceiveProtocolLogMaxDirectorySize"):
    E(SERVICE_CMDLETS, _name, "transport/log_retention.py", TSVC + "test_log_limits_set_on_the_server_prune_its_logs")
for _name in ("SendProtocolLogMaxAge", "SendProtocolLogMaxDirectorySize", "OutboundConnectionFailureRetryInterval"):
    I(SERVICE_CMDLETS, _name)
POOL = "tests/transport/delivery/test_connection_pool.py::"
E(SERVICE_CMDLETS, "MaxOutboundConnections", "transport/delivery/connection_pool.py",
  POOL + "test_max_outbound_connections_caps_connections_to_all_destinations_together")
E(SERVICE_CMDLETS, "MaxPerDomainOutboundConnections", "transport/delivery/connection_pool.py",
  POOL + "test_limit_set_by_exshell_applies_after_reload_and_closes_connections_over_it")
for _name in ("MessageRetryInterval", "TransientFailureRetryCount", "TransientFailureRetryInterval",
              "MessageExpirationTimeout", "DelayNotificationTimeout"):
    E(SERVICE_CMDLETS, _name, "transport/delivery/retry_policy.py", TSVC + "test_server_timers_override_the_organizations")

# ---- receive/send connector TLS and authentication (tls-auth.md §1, §3)
E(RECEIVE, "AuthTarpitInterval", "transport/smtp_security.py",
  TLS + "test_wrong_password_is_tarpitted_and_the_connection_closed_at_max_logon_failures")
E(RECEIVE, "TlsCertificateName", "transport/tls.py", TLS + "test_expired_mismatched_or_unreadable_certificates_mean_no_starttls")
HOSTAUTH = "tests/transport/delivery/test_smart_host_auth.py::"
E(SEND, "SmartHostAuthMechanism", "transport/delivery/smtp_client.py",
  HOSTAUTH + "test_office365_style_relay_logs_on_after_starttls_and_keeps_the_password_secret")
E(SEND, "AuthenticationCredential", "transport/delivery/smtp_client.py",
  HOSTAUTH + "test_a_wrong_password_leaves_the_message_queued_with_the_hosts_reply")
E(SEND, "TlsAuthLevel", "transport/delivery/smtp_client.py",
  HOSTAUTH + "test_a_certificate_that_fails_the_level_leaves_the_message_queued")
E(SEND, "TlsDomain", "transport/delivery/smtp_client.py", HOSTAUTH + "test_settings_that_cannot_be_in_force_are_refused")

# ---- certificates (tls-auth.md §2)
CERT = "tests/cmdlets/test_certificate_cmdlets.py::"
CERT_ALL = ("New-ExchangeCertificate", "Import-ExchangeCertificate", "Enable-ExchangeCertificate",
            "Remove-ExchangeCertificate")
E(CERT_ALL, "Server", "cmdlets/certificate.py", CERT + "test_server_parameter_and_identity_name_another_servers_certificates")
N(("Enable-ExchangeCertificate", "Remove-ExchangeCertificate"), "Thumbprint", "Identity")
N(("New-ExchangeCertificate", "Enable-ExchangeCertificate"), "Force")
E("New-ExchangeCertificate", "DomainName", "cmdlets/certificate.py", CERT + "test_new_import_enable_export_and_remove")
E(("New-ExchangeCertificate", "Enable-ExchangeCertificate"), "Services", "transport/tls.py",
  CERT + "test_new_import_enable_export_and_remove")
E(("New-ExchangeCertificate", "Import-ExchangeCertificate"), "PrivateKeyExportable", "cmdlets/certificate.py",
  CERT + "test_new_import_enable_export_and_remove")
E("New-ExchangeCertificate", "KeySize", "cmdlets/certificate.py", CERT + "test_bad_input_is_a_powershell_error_and_changes_nothing")
E("New-ExchangeCertificate", "GenerateRequest", "cmdlets/certificate.py",
  CERT + "test_bad_input_is_a_powershell_error_and_changes_nothing")  # refused: no CSR workflow here
for _name in ("SubjectName", "IncludeServerFQDN", "IncludeServerNetBIOSName", "IncludeAcceptedDomains"):
    E("New-ExchangeCertificate", _name, "cmdlets/certificate.py",
      CERT + "test_subject_friendly_name_and_included_names_are_in_the_new_certificate")
E(("New-ExchangeCertificate", "Import-ExchangeCertificate"), "FriendlyName", "cmdlets/certificate.py",
  CERT + "test_subject_friendly_name_and_included_names_are_in_the_new_certificate")
E("Import-ExchangeCertificate", "FileData", "cmdlets/certificate.py", CERT + "test_new_import_enable_export_and_remove")
E("Import-ExchangeCertificate", "Password", "cmdlets/certificate.py", CERT + "test_new_import_enable_export_and_remove")
E("Import-ExchangeCertificate", "FileName", "cmdlets/certificate.py",
  CERT + "test_pem_import_by_file_name_and_bad_files")
I("Enable-ExchangeCertificate", "DoNotRequireSsl")
I("Enable-ExchangeCertificate", "NetworkServiceAllowed")

TABLE: dict[tuple[str, str], Entry] = {(r.cmdlet.lower(), r.parameter.lower()): r for r in _ROWS}


def lookup(cmdlet: str, parameter: str) -> Entry | None:
    return TABLE.get((cmdlet.lower(), parameter.lower()))


def is_informational(cmdlet: str, parameter: str) -> bool:
    e = lookup(cmdlet, parameter)
    return e is not None and e.status == INFORMATIONAL


def render_markdown() -> str:
    """docs/settings.md."""
    out = [
        "# Settings: where each configuration parameter takes effect",
        "",
        "Generated by `python -m exshell.config.settings_table` from exshell/config/settings_table.py;",
        "tests/config/test_settings_table.py fails when a configuration cmdlet has a parameter missing here, or",
        "when the test named for an enforced parameter does not exist. *Informational* parameters are stored",
        f"and shown for compatibility with Exchange scripts: \"{NO_EFFECT}\" (Get-Help says so too).",
        "",
        "| Cmdlet | Parameter | Status | Enforced in | Proven by |",
        "|---|---|---|---|---|",
    ]
    for r in sorted(_ROWS, key=lambda r: (r.cmdlet.lower(), r.status != ENFORCED, r.parameter.lower())):
        test = f"`{r.test.split('::', 1)[-1]}`" if r.test else ""
        where = f"exshell/{r.where}" if r.where else ""
        out.append(f"| {r.cmdlet} | {r.parameter} | {r.status} | {where} | {test} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
