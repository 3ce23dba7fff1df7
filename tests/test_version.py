"""The version comes from the installed distribution's metadata: one source of truth."""

from __future__ import annotations

import tomllib
from importlib.metadata import version as distribution_version
from pathlib import Path

import exshell
from exshell import version as version_module

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_distribution_name_is_pyprojects_project_name() -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    assert project["name"] == version_module.DISTRIBUTION


def test_version_is_the_installed_metadata_version() -> None:
    assert version_module.version() == distribution_version(version_module.DISTRIBUTION)
    assert exshell.__version__ == version_module.version()


def test_version_without_installed_metadata_is_marked_unknown(monkeypatch) -> None:
    monkeypatch.setattr(version_module, "DISTRIBUTION", "exshell-not-installed-anywhere")
    assert version_module.version() == version_module.UNKNOWN_VERSION
