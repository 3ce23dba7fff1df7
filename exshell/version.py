"""The one source of exshell's version: the installed distribution's metadata.

pyproject.toml's ``[project].version`` is the only place the number is written; this module reads it
back from the installed distribution (``pip install -e .`` included), so ``exshell --version``,
``$PSVersionTable`` and Get-Help never disagree with the package.
"""

from __future__ import annotations

# pyproject.toml's [project].name: the distribution whose metadata holds the version.
DISTRIBUTION = "exshell-relay"

# Reported when the package runs from a source tree that was never installed (no metadata).
UNKNOWN_VERSION = "0+unknown"


def version() -> str:
    """The installed distribution's version string, e.g. ``0.1.0``."""
    # Imported here: importlib.metadata costs start-up time and only --version, $PSVersionTable and
    # Get-Help ask for the version.
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as distribution_version

    try:
        return distribution_version(DISTRIBUTION)
    except PackageNotFoundError:
        return UNKNOWN_VERSION
