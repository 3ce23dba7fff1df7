"""Whatever is typed, Session.run returns a RunResult and never shows a Python traceback or an internal error
(token soups over the binder and evaluator paths)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TOKENS = [
    "Set-Thing", "Get-Thing", "Remove-Thing", "Fail-Thing", "soft", "hard", "X", "-Name", "-Force", "-Port", "25",
    "abc", "|", ";", "$x", "=", "@(", ")", "(", "{", "}", "$_", "1", ",", "'s'", "-eq", "+", "foreach", "if",
    "($true)", "@{a=1}", "$null", "-WhatIf", "%", "where", "Write-Output", "@p", "$p", ".Name", "[int]",
    "-Confirm:$false", "2>&1", "> $null", "throw", "return", "break", "continue", "function f", "f", "$args",
    "-Rem", "..", "-and", "!", "[0]", "$sb", "&", ".", "-ErrorAction", "Stop", "try", "catch", "finally", "exit",
]


# make_shell is a factory: each example builds a fresh session, so sharing the fixture is safe.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=10))
def test_token_soup_never_escapes(make_shell, tokens):
    shell = make_shell()
    shell.run("$p = @{Name='n'}; $sb = { 'sb' }")
    result = shell.session.run(" ".join(tokens))
    assert isinstance(result.success, bool)
    assert not any("internal error" in e for e in shell.host.errors), shell.host.errors
    assert "Traceback" not in shell.host.output + shell.host.error_text
