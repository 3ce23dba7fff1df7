"""Format-Table/-List/-Wide, Out-String, Out-Host and the plain/terminal renderers (output.md §1–§3, §7)."""

from __future__ import annotations

import re

import pytest

from _output_harness import make_session, run
from exshell.output import out_default
from exshell.runtime.values import PSObject

ANSI = re.compile(r"\x1b\[")


def out(tmp_path, text, width=120):
    output, errors = run(tmp_path, text, width)
    assert errors == [], errors
    return output


@pytest.mark.parametrize(
    "text, expected",
    [
        # output.md §7 quick reference and tests.md 50-54, 56, written as Out-Default shows them
        ("'a'", "a\n"),
        ("1,2", "1\n2\n"),
        ("$null", ""),
        ("@()", ""),
        ("''", "\n"),
        ("$true", "True\n"),
        ("[pscustomobject]@{a='abc';b=123}", "\na     b\n-     -\nabc 123\n\n"),
        ("[pscustomobject]@{a=123;b=123}", "\n  a   b\n  -   -\n123 123\n\n"),
        ("[pscustomobject]@{a=123;b='abc'}", "\n  a b\n  - -\n123 abc\n\n"),
        ("[pscustomobject]@{a=1;b=2} | ft -HideTableHeaders", "\n1 2\n\n"),
        ("[pscustomobject]@{a=1;b=2;c=3;d=4;e=5}", "\na : 1\nb : 2\nc : 3\nd : 4\ne : 5\n\n"),
        ("[pscustomobject]@{x=1,2,3,4,5}", "\nx\n-\n{1, 2, 3, 4…}\n\n"),
        (
            "[pscustomobject]@{abc='1234';bcd='123'},[pscustomobject]@{abc='1';bcd='1234'}",
            "\nabc  bcd\n---  ---\n1234 123\n1    1234\n\n",
        ),
        ("[pscustomobject]@{a=1},[pscustomobject]@{b=2}", "\na\n-\n1\n\n\n"),
        (
            "@{Name='x'}",
            "\nName                           Value\n----                           -----\nName                           x\n\n",
        ),
    ],
)
def test_console_output_exact_text(tmp_path, text, expected):
    assert out(tmp_path, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "[pscustomobject]@{abc='1234';bcd='123'},[pscustomobject]@{abc='1';bcd='1234'} | Format-Table | Out-String",
            "\nabc  bcd\n---  ---\n1234 123\n1    1234\n\n\n",
        ),
        ("[pscustomobject]@{a=1;b=2} | fl", "\na : 1\nb : 2\n\n"),
        ("[pscustomobject]@{a=1;b=2} | fl b", "\nb : 2\n\n"),
        ("[pscustomobject]@{Name='x';Port=25} | ft Port", "\nPort\n----\n  25\n\n"),
        ("[pscustomobject]@{Name='x';Port=25} | ft P*, Name", "\nPort Name\n---- ----\n  25 x\n\n"),
        (
            "[pscustomobject]@{Name='x';Port=25} | ft @{n='Double';e={$_.Port*2}}, @{n='N';e='Name';Alignment='Right';Width=5}",
            "\nDouble     N\n------     -\n    50     x\n\n",
        ),
        ("[pscustomobject]@{n=5} | ft { $_.n + 1 }", "\n $_.n + 1\n----------\n         6\n\n"),
        (
            "[pscustomobject]@{g='a';v=1},[pscustomobject]@{g='a';v=2},[pscustomobject]@{g='b';v=3} | ft v -GroupBy g",
            "\n   g: a\n\nv\n-\n1\n2\n\n   g: b\n\nv\n-\n3\n\n",
        ),
        ("'abc' | ft", "\nLength\n------\n     3\n\n"),
        ("'abc' | fl", "\nLength : 3\n\n"),
        ("1 | ft", "1\n"),
        ("@{a=1} | fl", "\nName  : a\nKey   : a\nValue : 1\n\n"),
        ("('x' | Out-String) -eq \"x`n\"", "True\n"),
        ("'x' | Out-String", "x\n\n"),
        ("1,2 | Out-String -Stream | % { \"[$_]\" }", "[1]\n[2]\n"),
        ("'a','b' | fw", "\na                                                           b\n\n"),
        ("'a','b','c' | fw -Column 3 | Out-String -Width 12", "\na   b   c\n\n\n"),
    ],
)
def test_format_cmdlets_exact_text(tmp_path, text, expected):
    assert out(tmp_path, text) == expected


def test_format_table_wrap_puts_long_values_on_more_lines(tmp_path):
    text = "[pscustomobject]@{a='x';b='one two three four'} | ft -Wrap | Out-String -Width 10"
    assert out(tmp_path, text) == "\na b\n- -\nx one two\n  three\n  four\n\n\n"


def test_format_table_truncates_to_out_string_width(tmp_path):
    text = "[pscustomobject]@{a='x';b='one two three four'} | ft | Out-String -Width 10"
    assert out(tmp_path, text) == "\na b\n- -\nx one two…\n\n\n"


def test_format_table_autosize_ignores_view_widths(tmp_path):
    assert out(tmp_path, "'a','a' | group | ft -AutoSize") == "\nCount Name Group\n----- ---- -----\n    2 a    {a, a}\n\n"


def test_format_output_piped_onward_is_format_data_not_the_objects(tmp_path):
    output, _ = run(tmp_path, "([pscustomobject]@{a=1} | ft | select -First 1).GetType().FullName")
    assert "Format" in output
    _, errors = run(tmp_path, "[pscustomobject]@{a=1} | ft | ConvertTo-Csv")
    assert "is not valid or not in the correct sequence" in errors[0]


def test_out_host_and_out_default_write_to_the_host(tmp_path):
    assert out(tmp_path, "$x = 'a' | Out-Host; $null -eq $x") == "a\nTrue\n"
    assert out(tmp_path, "[pscustomobject]@{a=1} | Out-Default") == "\na\n-\n1\n\n"


def test_narrow_host_width_drops_columns(tmp_path):
    text = "[pscustomobject]@{a='xxxxxxxxxx';b='yyyyyyyyyy';c='zz'}"
    assert out(tmp_path, text, width=12) == "\na          b\n-          -\nxxxxxxxxxx …\n\n"


class _Recorder:
    def __init__(self, terminal: bool) -> None:
        self.is_terminal = terminal
        self.width = 80
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def write_line(self, text: str = "") -> None:
        self.parts.append(text + "\n")


def test_plain_host_output_has_no_ansi_escapes(tmp_path):
    session, host = make_session(tmp_path)
    session.run("[pscustomobject]@{a=1;b='x'}; [pscustomobject]@{a=1;b=2;c=3;d=4;e=5}; 'a','b' | group")
    assert host.output and not ANSI.search(host.output)
    plain = _Recorder(terminal=False)
    out_default([PSObject([("a", 1)])], plain)
    assert "".join(plain.parts) == "\na\n-\n1\n\n"


def test_terminal_host_colours_table_headers_but_keeps_the_text():
    term = _Recorder(terminal=True)
    out_default([PSObject([("a", 1), ("b", "x")])], term)
    written = "".join(term.parts)
    assert ANSI.search(written)
    assert re.sub(r"\x1b\[[0-9;]*m", "", written) == "\na b\n- -\n1 x\n\n"


def test_format_enumeration_limit_variable_controls_cells(tmp_path):
    text = "$FormatEnumerationLimit = 2; [pscustomobject]@{x=1,2,3} | ft | Out-String"
    assert out(tmp_path, text) == "\nx\n-\n{1, 2…}\n\n\n"
    text = "$FormatEnumerationLimit = -1; [pscustomobject]@{x=1,2,3,4,5,6} | Out-String"
    assert out(tmp_path, text) == "\nx\n-\n{1, 2, 3, 4, 5, 6}\n\n\n"
