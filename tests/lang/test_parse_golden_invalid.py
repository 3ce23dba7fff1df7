"""Golden invalid scripts: tests/data/invalid/*.ps1, each starting with `# expect: <ErrorId> <line>:<col>
[incomplete]` (positions count that comment line, as a script file would)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from exshell.errors import ParseError
from exshell.lang.parser import parse

INVALID_DIR = Path(__file__).resolve().parent.parent / "data" / "invalid"
_HEADER = re.compile(r"# expect: (\w+) (\d+):(\d+)( incomplete)?")
SCRIPTS = sorted(INVALID_DIR.glob("*.ps1"))


def test_golden_invalid_scripts_exist() -> None:
    assert len(SCRIPTS) >= 15


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_invalid_script_reports_expected_error_and_position(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    header = _HEADER.match(text)
    assert header is not None, f"{path.name} lacks an '# expect:' header"
    error_id, line, col, incomplete = (
        header.group(1),
        int(header.group(2)),
        int(header.group(3)),
        bool(header.group(4)),
    )
    with pytest.raises(ParseError) as caught:
        parse(text, str(path))
    error = caught.value
    assert (error.error_id, error.span.line, error.span.col, error.incomplete) == (
        error_id,
        line,
        col,
        incomplete,
    ), error.message
    assert error.span.source.name == str(path)
