"""The one source of exshell's version: the installed distribution's metadata.

pyproject.toml's ``[project].version`` is the only place the number is written; this module reads it
back from the installed distribution (``pip install -e .`` included), so ``exshell --version``,
``$PSVersionTable`` and Get-Help never disagree with the package.
"""

from __future__ import annotations

import functools
import os
import sys

# pyproject.toml's [project].name: the distribution whose metadata holds the version.
DISTRIBUTION = "exshell-relay"

# Reported when the package runs from a source tree that was never installed (no metadata).
UNKNOWN_VERSION = "0+unknown"


def version() -> str:
    """The installed distribution's version string, e.g. ``0.1.0`` (read once per process)."""
    return _version_of(DISTRIBUTION)


@functools.cache
def _version_of(distribution: str) -> str:
    found = _version_from_dist_info(distribution)
    if found is not None:
        return found
    # Other layouts (zipped, egg-info): importlib.metadata, which costs ~20 ms of imports (email, zipfile,
    # csv): Get-Command asks for the version of every command it lists.
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as distribution_version

    try:
        return distribution_version(distribution)
    except PackageNotFoundError:
        return UNKNOWN_VERSION


def _version_from_dist_info(distribution: str) -> str | None:
    """The `Version:` header of the first `<name>-*.dist-info/METADATA` on sys.path, the entry
    importlib.metadata would find first (its search order), or None."""
    prefix = distribution.replace("-", "_") + "-"
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as it:
                names = sorted(e.name for e in it if e.name.startswith(prefix) and e.name.endswith(".dist-info"))
        except OSError:
            continue
        for name in names:
            try:
                with open(os.path.join(entry or ".", name, "METADATA"), encoding="utf-8") as f:
                    for line in f:
                        if not line.strip():
                            break  # the headers end at the first blank line
                        if line.startswith("Version:"):
                            return line.split(":", 1)[1].strip()
            except OSError:
                continue
    return None
