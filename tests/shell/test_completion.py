"""The pure half of completion: buffer text before the cursor -> what kind of thing is being typed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exshell.shell.completion import Kind, detect

CASES = [
    # (text before cursor, kind, word, command, parameter)
    ("", Kind.COMMAND, "", None, None),
    ("Get-Rec", Kind.COMMAND, "Get-Rec", None, None),
    ("  get-rec", Kind.COMMAND, "get-rec", None, None),
    ("Get-ReceiveConnector | Se", Kind.COMMAND, "Se", None, None),
    ("Get-ReceiveConnector | ", Kind.COMMAND, "", None, None),
    ("$a = 1; Get-", Kind.COMMAND, "Get-", None, None),
    ("if ($x) { Set-Rec", Kind.COMMAND, "Set-Rec", None, None),
    ("$(Get-Rec", Kind.COMMAND, "Get-Rec", None, None),
    ("Get-ReceiveConnector -", Kind.PARAMETER, "-", "Get-ReceiveConnector", None),
    ("Get-ReceiveConnector -Ide", Kind.PARAMETER, "-Ide", "Get-ReceiveConnector", None),
    ("Get-ReceiveConnector Relay -Se", Kind.PARAMETER, "-Se", "Get-ReceiveConnector", None),
    ("Set-ReceiveConnector -AuthMechanism ", Kind.VALUE, "", "Set-ReceiveConnector", "AuthMechanism"),
    ("Set-ReceiveConnector -AuthMechanism Tl", Kind.VALUE, "Tl", "Set-ReceiveConnector", "AuthMechanism"),
    ("Set-ReceiveConnector -AuthMechanism:Ex", Kind.VALUE, "Ex", "Set-ReceiveConnector", "AuthMechanism"),
    ("Set-ReceiveConnector -AuthMechanism Tls,Ex", Kind.VALUE, "Ex", "Set-ReceiveConnector", "AuthMechanism"),
    (
        "Set-ReceiveConnector -AuthMechanism 'Tls, Ex",
        Kind.VALUE,
        "Ex",
        "Set-ReceiveConnector",
        "AuthMechanism",
    ),
    ("Get-ReceiveConnector Rel", Kind.ARGUMENT, "Rel", "Get-ReceiveConnector", None),
    ("Get-ReceiveConnector 'Default Fr", Kind.ARGUMENT, "Default Fr", "Get-ReceiveConnector", None),
    ("Get-ReceiveConnector -Server EX01 ", Kind.ARGUMENT, "", "Get-ReceiveConnector", None),
    ("Set-ReceiveConnector -RemoteIPRanges a,\n  b ", Kind.ARGUMENT, "", "Set-ReceiveConnector", None),
    ("Get-ReceiveConnector `\n  -Ser", Kind.PARAMETER, "-Ser", "Get-ReceiveConnector", None),
    ("$rc", Kind.VARIABLE, "$rc", None, None),
    ("Get-ReceiveConnector $r", Kind.VARIABLE, "$r", None, None),
    ("1 + 2 -", Kind.NONE, "-", None, None),
    ("'text' -", Kind.NONE, "-", None, None),
    ("Get-ReceiveConnector # a comment", Kind.NONE, "", None, None),
    ("<# open block comment", Kind.NONE, "", None, None),
    ("Set-ReceiveConnector -RemoteIPRanges @{Add=", Kind.NONE, "Add=", None, None),
    ("'unterminated", Kind.NONE, "unterminated", None, None),
]


@pytest.mark.parametrize("text,kind,word,command,parameter", CASES)
def test_completion_kind_for_buffer(
    text: str, kind: str, word: str, command: str | None, parameter: str | None
):
    ctx = detect(text)
    assert (ctx.kind, ctx.word, ctx.command, ctx.parameter) == (kind, word, command, parameter), ctx


def test_open_quote_is_reported_so_candidates_keep_it():
    ctx = detect("Get-ReceiveConnector 'Def")
    assert ctx.quote == "'"


def test_quoted_flags_list_keeps_the_items_already_typed():
    ctx = detect("Set-ReceiveConnector -AuthMechanism 'Tls, Ex")
    assert (ctx.list_prefix, ctx.word, ctx.quote) == ("Tls, ", "Ex", "'")


def test_finished_arguments_are_kept_for_positional_counting():
    ctx = detect("Set-ReceiveConnector Relay -Force -Name x ")
    assert [t.kind for t in ctx.args] == ["word", "param", "param", "word"]


def test_closed_group_counts_as_one_argument():
    ctx = detect("Get-ReceiveConnector (Get-Thing) -")
    assert ctx.kind == Kind.PARAMETER
    assert [t.kind for t in ctx.args] == ["group"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab -$'\"`{}()|;,:#<>@\n\t")), max_size=40))
def test_detect_never_raises_on_any_text(text: str):
    ctx = detect(text)
    assert ctx.kind in (Kind.COMMAND, Kind.PARAMETER, Kind.VALUE, Kind.ARGUMENT, Kind.VARIABLE, Kind.NONE)
