"""The settings table covers every parameter of every configuration cmdlet in the registry, each enforced one
names a test that exists, and Get-Help says so of the informational ones."""

from __future__ import annotations

import re
from pathlib import Path

from exshell.cmdlets.exchange_support import ConfigCmdlet
from exshell.cmdlets.registry import default_registry
from exshell.config import settings_table as st

ROOT = Path(__file__).resolve().parents[2]


def configuration_parameters() -> list[tuple[str, str]]:
    registry = default_registry()
    out = []
    for entry in registry.entries():
        cls = registry.load(entry)
        if issubclass(cls, ConfigCmdlet):
            out += [(cls.name, p.name) for p in cls.parameters]
    return out


def test_every_parameter_of_every_configuration_cmdlet_has_a_row():
    params = configuration_parameters()
    assert len(params) > 100  # the registry really was enumerated
    missing = [f"{c} -{p}" for c, p in params if st.lookup(c, p) is None]
    assert not missing, ("parameters neither enforced (with a test) nor declared informational or identity in "
                         "exshell/config/settings_table.py: " + ", ".join(missing))


def test_every_enforced_row_names_a_test_that_exists_and_code_that_exists():
    problems = []
    for entry in st.TABLE.values():
        if entry.status != st.ENFORCED:
            continue
        path, _, name = entry.test.partition("::")
        file = ROOT / path
        if not name or not file.is_file() or not re.search(rf"^def {re.escape(name)}\(", file.read_text(), re.M):
            problems.append(f"{entry.cmdlet} -{entry.parameter}: no test {entry.test}")
        if not (ROOT / "exshell" / entry.where).is_file():
            problems.append(f"{entry.cmdlet} -{entry.parameter}: no module exshell/{entry.where}")
    assert not problems, "\n".join(problems)


def test_rows_name_real_parameters():
    real = {(c.lower(), p.lower()) for c, p in configuration_parameters()}
    stale = [f"{e.cmdlet} -{e.parameter}" for k, e in st.TABLE.items() if k not in real]
    assert not stale, "rows for parameters that no longer exist: " + ", ".join(stale)


def test_get_help_says_informational_parameters_have_no_effect():
    from exshell.runtime.host import BufferHost
    from exshell.runtime.session import Services, Session

    session = Session(default_registry(), Services(ROOT / "state-not-used", "EX01"), host := BufferHost())
    for entry in st.TABLE.values():
        if entry.status != st.INFORMATIONAL:
            continue
        host._out.clear()
        assert session.run(f"Get-Help {entry.cmdlet} -Parameter {entry.parameter}").success
        assert st.NO_EFFECT in " ".join(host.output.split()), (entry.cmdlet, entry.parameter, host.output)


def test_the_generated_page_is_current():
    assert (ROOT / "docs" / "settings.md").read_text() == st.render_markdown(), (
        "docs/settings.md is stale: python -m exshell.config.settings_table > docs/settings.md")
