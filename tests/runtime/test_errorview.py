"""PS5 NormalView rendering of error records (binding.md §12.2) and the host classes."""

from __future__ import annotations

import io

from exshell.errors import ErrorRecord, ParseError
from exshell.lang.position import Source, Span
from exshell.runtime.errorview import format_error, format_verbose, format_warning, position_message
from exshell.runtime.host import BufferHost, TextHost, choice_prompt_text


def span_of(text: str, piece: str, name: str | None = None) -> Span:
    src = Source.of(text, name)
    start = text.index(piece)
    return Span(src, start, start + len(piece))


def test_record_with_command_prefix_and_position():
    rec = ErrorRecord("msg", "Id,Set-Thing", "InvalidArgument", command="Set-Thing", activity="Set-Thing",
                      exception_type="ParameterBindingException", span=span_of("Set-Thing -Foo 1", "-Foo"))
    assert format_error(rec).split("\n") == [
        "Set-Thing : msg",
        "At line:1 char:11",
        "+ Set-Thing -Foo 1",
        "+           ~~~~",
        "    + CategoryInfo          : InvalidArgument: (:) [Set-Thing], ParameterBindingException",
        "    + FullyQualifiedErrorId : Id,Set-Thing",
        " ",
    ]


def test_script_file_position_uses_path_and_line():
    text = "'a'\n'b'\nSet-Thing -Foo 1\n"
    lines = position_message(span_of(text, "-Foo", "/x/relay.ps1"))
    assert lines == ["At /x/relay.ps1:3 char:11", "+ Set-Thing -Foo 1", "+           ~~~~"]


def test_long_line_is_cut_around_the_error():
    text = "Write-Output " + "a" * 80 + " -Bad 1"
    lines = position_message(span_of(text, "-Bad"))
    assert lines[1].startswith("+ ... ")
    assert len(lines[1]) <= 2 + 4 + 69 + 4
    caret_col = lines[2].index("~")
    assert lines[1][caret_col:caret_col + 4] == "-Bad"


def test_parse_error_has_no_prefix_and_message_after_position():
    err = ParseError("Missing closing ')' in expression.", "MissingEndParenthesisInExpression",
                     span_of("Write-Output (1", "("), incomplete=True)
    assert format_error(err.to_record()).split("\n") == [
        "At line:1 char:14",
        "+ Write-Output (1",
        "+              ~",
        "Missing closing ')' in expression.",
        "    + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordException",
        "    + FullyQualifiedErrorId : MissingEndParenthesisInExpression",
        " ",
    ]


def test_warning_and_verbose_prefixes():
    assert format_warning("x") == "WARNING: x"
    assert format_verbose("y") == "VERBOSE: y"


def test_text_host_writes_streams():
    out, err = io.StringIO(), io.StringIO()
    h = TextHost(out, err)
    h.write_line("hello")
    h.write_error_text("bad")
    assert out.getvalue() == "hello\n" and err.getvalue() == "bad\n"
    assert h.width == 120 and h.interactive is False


def test_text_host_prompt_reads_input_when_interactive():
    out = io.StringIO()
    h = TextHost(out, io.StringIO(), interactive=True, input=io.StringIO("answer\n"))
    assert h.prompt_line("Name: ") == "answer"
    assert out.getvalue() == "Name: "


def test_buffer_host_raises_eof_when_answers_run_out():
    h = BufferHost(answers=["one"], interactive=True)
    assert h.prompt_line("A: ") == "one"
    try:
        h.prompt_line("B: ")
    except EOFError:
        pass
    else:  # pragma: no cover
        raise AssertionError("expected EOFError")


def test_choice_help_then_answer():
    h = BufferHost(answers=["?", "n"], interactive=True)
    idx = h.choose("Confirm", "Sure?", [("&Yes", "do it"), ("&No", "skip it")], 0)
    assert idx == 1
    assert "Y - do it" in h.lines and "N - skip it" in h.lines
    assert choice_prompt_text([("&Yes", ""), ("&No", "")], 1) == '[Y] Yes  [N] No  [?] Help (default is "N"): '
