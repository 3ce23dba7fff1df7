"""Highlighting uses pygments' PowerShell lexer through prompt_toolkit."""

from __future__ import annotations

from prompt_toolkit.document import Document

from exshell.shell.highlight import powershell_lexer


def test_cmdlet_parameter_and_string_get_distinct_styles():
    get_line = powershell_lexer().lex_document(
        Document("Get-ReceiveConnector -Identity 'Relay' | Where-Object")
    )
    fragments = get_line(0)
    styles = {text.strip(): style for style, text, *_ in fragments if text.strip()}
    assert (
        "".join(text for _, text, *_ in fragments) == "Get-ReceiveConnector -Identity 'Relay' | Where-Object"
    )
    assert "string" in styles["'Relay'"].lower()
    assert styles["'Relay'"] != styles.get("-Identity")
