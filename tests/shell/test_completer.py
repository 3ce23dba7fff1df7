"""Completion candidates: cmdlet names, parameter names, enum/flag values, object names from a NameSource."""

from __future__ import annotations

from exshell.shell.completer import Candidate, candidates, make_completer, quote_if_needed
from exshell.shell.completion import detect
from exshell.shell.sources import StaticCatalog, StaticNameSource, StoreNameSource

from .fakes import CLASSES

CATALOG = StaticCatalog(CLASSES)
NAMES = StaticNameSource(
    {
        "receive_connector": ("Relay", "Default Frontend EX01", "Client Frontend EX01"),
        "server": ("EX01", "EX02"),
    }
)


def texts(buffer: str) -> list[str]:
    return [c.text for c in candidates(detect(buffer), CATALOG, NAMES)]


def test_command_names_complete_by_prefix_case_insensitively():
    assert texts("get-rec") == ["Get-ReceiveConnector"]
    assert texts("Set-") == ["Set-ReceiveConnector"]


def test_command_names_complete_by_wildcard():
    assert texts("*-ReceiveConnector") == ["Get-ReceiveConnector", "Set-ReceiveConnector"]


def test_aliases_are_offered_after_commands_with_their_target():
    found = candidates(detect("wh"), CATALOG, NAMES)
    assert found == [
        Candidate("Where-Object", "Where-Object", ""),
        Candidate("where", "where", "-> Where-Object"),
    ]


def test_parameters_after_dash_include_declared_and_common_ones():
    found = texts("Set-ReceiveConnector -")
    assert found[:3] == ["-Identity", "-AuthMechanism", "-Enabled"]
    assert "-ErrorAction" in found and "-Verbose" in found
    assert "-WhatIf" in found and "-Confirm" in found  # SupportsShouldProcess adds them


def test_parameters_without_should_process_have_no_whatif():
    assert "-WhatIf" not in texts("Get-ReceiveConnector -")


def test_parameter_prefix_filters_and_hidden_parameters_are_not_offered():
    assert texts("Set-ReceiveConnector -Ena") == ["-Enabled"]
    assert texts("Set-ReceiveConnector -Hid") == []


def test_parameters_already_given_are_not_offered_again():
    assert "-Force" not in texts("Set-ReceiveConnector -Force -")


def test_parameters_of_an_alias_are_those_of_its_command():
    assert texts("where -F") == ["-FilterScript"]


def test_enum_values_after_flags_parameter():
    assert texts("Set-ReceiveConnector -AuthMechanism ") == [
        "None",
        "Tls",
        "Integrated",
        "BasicAuth",
        "BasicAuthRequireTLS",
        "ExchangeServer",
        "ExternalAuthoritative",
    ]
    assert texts("Set-ReceiveConnector -AuthMechanism basic") == ["BasicAuth", "BasicAuthRequireTLS"]


def test_enum_values_for_a_parameter_typed_by_prefix():
    assert texts("Set-ReceiveConnector -Usa Int") == ["Internet", "Internal"]


def test_flag_values_continue_a_comma_list():
    assert texts("Set-ReceiveConnector -AuthMechanism Tls,Ext") == ["ExternalAuthoritative"]


def test_flag_values_inside_a_quoted_list_keep_earlier_items_and_the_quote():
    assert texts("Set-ReceiveConnector -AuthMechanism 'Tls, Ext") == ["'Tls, ExternalAuthoritative'"]


def test_bool_parameter_offers_true_and_false():
    assert texts("Set-ReceiveConnector -Enabled ") == ["$true", "$false"]


def test_object_names_for_a_named_parameter_come_from_the_name_source():
    assert texts("Get-ReceiveConnector -Server ") == ["EX01", "EX02"]


def test_object_names_for_the_positional_identity_are_quoted_when_they_hold_spaces():
    assert texts("Get-ReceiveConnector ") == ["Relay", "'Default Frontend EX01'", "'Client Frontend EX01'"]
    assert texts("Get-ReceiveConnector def") == ["'Default Frontend EX01'"]


def test_object_names_inside_an_open_quote_close_it():
    assert texts("Get-ReceiveConnector 'Cli") == ["'Client Frontend EX01'"]


def test_switch_parameter_takes_no_value_so_the_next_word_is_positional():
    assert texts("Set-ReceiveConnector -Force Rel") == ["Relay"]


def test_second_positional_argument_has_no_candidates():
    assert texts("Get-ReceiveConnector Relay ") == []


def test_named_parameter_value_is_skipped_when_counting_positions():
    assert texts("Get-ReceiveConnector -Server EX01 Rel") == ["Relay"]


def test_unknown_command_offers_no_parameters():
    assert texts("Get-Nothing -") == []


def test_quote_if_needed_doubles_single_quotes():
    assert quote_if_needed("O'Brien Relay") == "'O''Brien Relay'"
    assert quote_if_needed("Relay") == "Relay"


def test_store_name_source_reads_name_fields_and_survives_a_broken_store():
    class Snap:
        data = {"receive_connectors": {"k1": {"name": "Relay"}, "k2": {"Name": "Default Frontend EX01"}}}

    class Store:
        def current_version(self) -> int:
            return 3

        def snapshot(self) -> Snap:
            return Snap()

    class Services:
        store = Store()

    src = StoreNameSource(Services())
    assert src.names("receive_connector") == ["Relay", "Default Frontend EX01"]
    assert src.names("accepted_domain") == []
    assert src.names("no_such_kind") == []

    class Broken:
        @property
        def store(self):
            raise OSError("no store")

    assert StoreNameSource(Broken()).names("receive_connector") == []


def test_prompt_toolkit_completer_replaces_the_typed_word():
    from prompt_toolkit.document import Document

    completer = make_completer(CATALOG, NAMES)
    found = list(completer.get_completions(Document("Get-ReceiveConnector 'Cli"), None))
    assert [(c.text, c.start_position) for c in found] == [("'Client Frontend EX01'", -4)]
    found = list(completer.get_completions(Document("get-rec"), None))
    assert [(c.text, c.start_position) for c in found] == [("Get-ReceiveConnector", -7)]


def test_command_completer_kind_offers_command_names():
    from exshell.cmdlets.base import Cmdlet, Parameter, T

    class GetHelpish(Cmdlet):
        name = "Get-Helpish"
        parameters = (Parameter("Name", T.STRING, position=0, completer="command"),)

    catalog = StaticCatalog(CLASSES + (GetHelpish,))
    found = [c.text for c in candidates(detect("Get-Helpish Set-R"), catalog, NAMES)]
    assert found == ["Set-ReceiveConnector"]


def test_path_completer_kind_lists_files_under_the_typed_folder(tmp_path):
    from exshell.cmdlets.base import Cmdlet, Parameter, T

    class ImportThing(Cmdlet):
        name = "Import-Thing"
        parameters = (Parameter("Path", T.STRING, position=0, completer="path"),)

    (tmp_path / "hosts.csv").write_text("x")
    (tmp_path / "sub").mkdir()
    catalog = StaticCatalog((ImportThing,))
    found = [c.text for c in candidates(detect(f"Import-Thing {tmp_path}/h"), catalog, NAMES)]
    assert found == [f"{tmp_path}/hosts.csv"]
    found = [c.text for c in candidates(detect(f"Import-Thing {tmp_path}/s"), catalog, NAMES)]
    assert found == [f"{tmp_path}/sub/"]


def test_principals_and_rights_come_from_the_model_without_a_store():
    class NoStore:
        @property
        def store(self):
            raise AssertionError("the store is not needed for model names")

    src = StoreNameSource(NoStore())
    assert "NT AUTHORITY\\ANONYMOUS LOGON" in src.names("principal")
    assert "ms-Exch-SMTP-Accept-Any-Recipient" in src.names("extended_right")


def test_variables_complete_from_the_session_then_automatic_ones():
    found = [c.text for c in candidates(detect("$r"), CATALOG, NAMES, ["rc", "Relays", "x"])]
    assert found == ["$rc", "$Relays"]
    found = [c.text for c in candidates(detect("Get-ReceiveConnector $t"), CATALOG, NAMES, ["true"])]
    assert found == ["$true"]  # one entry per name, whatever its case
