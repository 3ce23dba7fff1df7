"""Deep and long input: parsed and evaluated in time linear in its size, or stopped with PowerShell's own
errors; never an internal error, never a hang (docs/limits.md). Each case is bounded in time."""

from __future__ import annotations

import time

import pytest

from exshell.cmdlets.registry import default_registry
from exshell.lang.parser import parse
from exshell.runtime.host import BufferHost
from exshell.runtime.session import Services, Session


@pytest.fixture
def run(tmp_path):
    def go(text: str) -> tuple[bool, list[str], str]:
        host = BufferHost()
        result = Session(default_registry(), Services(tmp_path / "state", "EX01"), host).run(text)
        assert "internal error" not in host.error_text, host.error_text
        return result.success, host.lines, host.error_text

    return go


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!" * 5000 + "1", "True"),
        ("!" * 4999 + "1", "False"),
        ("-not " * 3000 + "$true", "True"),
        ("+".join(["1"] * 5000), "5000"),
        (" -and ".join(["1"] * 3000), "True"),
        ("+".join(["'a'"] * 3000) + " | % Length", "3000"),
    ],
)
def test_long_operator_chains_evaluate(run, text, expected):
    ok, lines, errors = run(text)
    assert ok, errors
    assert lines == [expected]


@pytest.mark.timeout(120)
def test_parse_time_grows_linearly_with_a_long_sum():
    def parse_seconds(n: int) -> float:
        text = "+".join(["1"] * n)
        start = time.perf_counter()
        parse(text)
        return time.perf_counter() - start

    parse_seconds(500)  # warm the parser's code paths
    small, large = min(parse_seconds(2000) for _ in range(2)), min(parse_seconds(16000) for _ in range(2))
    # 8x the input: linear is ~8x; the quadratic scanner this replaced was ~60x. Generous for a loaded machine.
    assert large < small * 20, (small, large)


@pytest.mark.timeout(120)
def test_forty_thousand_term_sum(run):
    ok, lines, errors = run("+".join(["1"] * 40000))
    assert ok, errors
    assert lines == ["40000"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("text", "message", "error_id"),
    [
        ("'ab' * 2e9", "Exception of type 'System.OutOfMemoryException' was thrown.", "System.OutOfMemoryException"),
        ("@(1) * 1e8", "Exception of type 'System.OutOfMemoryException' was thrown.", "System.OutOfMemoryException"),
        ("1..1e9", "Exception of type 'System.OutOfMemoryException' was thrown.", "System.OutOfMemoryException"),
        ("$s = 'x' * 6e7; $s + $s", "Exception of type 'System.OutOfMemoryException' was thrown.",
         "System.OutOfMemoryException"),
        ("'x'.PadLeft(2e9)", 'Exception calling "PadLeft" with "1" argument(s): "Exception of type '
         "'System.OutOfMemoryException' was thrown.\"", "OutOfMemoryException"),
        ("'{0,2000000000}' -f 1", "Error formatting a string: Input string was not in a correct format..",
         "FormatError"),
    ],
)
def test_absurd_allocations_fail_at_once_with_dotnets_error(run, text, message, error_id):
    started = time.perf_counter()
    ok, _, errors = run(text + "; 'next statement runs'")
    assert time.perf_counter() - started < 30
    assert message in errors
    assert f"FullyQualifiedErrorId : {error_id}" in errors
    assert not ok


@pytest.mark.timeout(60)
def test_runaway_recursion_is_call_depth_overflow(run):
    ok, _, errors = run("function f { f }; f")
    assert not ok
    assert "The script failed due to call depth overflow." in errors
    assert "ScriptCallDepthException" in errors


@pytest.mark.timeout(60)
def test_nesting_deeper_than_the_stack_is_call_depth_overflow(run):
    ok, _, errors = run("," * 20000 + "1")
    assert not ok
    assert "The script failed due to call depth overflow." in errors


@pytest.mark.timeout(60)
def test_deep_parentheses_are_a_parse_error(run):
    ok, _, errors = run("(" * 5000 + "1" + ")" * 5000)
    assert not ok
    assert "The script is nested too deeply to be parsed." in errors
