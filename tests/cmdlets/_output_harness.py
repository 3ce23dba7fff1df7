"""Shared helper for the output-layer cmdlet tests: run PowerShell text through a real Session with a
BufferHost and return what the user would see."""

from __future__ import annotations

from pathlib import Path

from exshell.cmdlets import core, core_stats, files, format as fmt


def make_session(tmp_path: Path, width: int = 120):
    from exshell.cmdlets.base import Cmdlet
    from exshell.cmdlets.registry import default_registry
    from exshell.runtime.host import BufferHost
    from exshell.app import Services
    from exshell.runtime.session import Session

    registry = default_registry()
    for module in (core, core_stats, fmt, files):
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Cmdlet) and obj.__module__ == module.__name__ and obj.name:
                registry.add_class(obj)
    host = BufferHost(width=width)
    return Session(registry, Services(tmp_path / "state"), host), host


def run(tmp_path: Path, text: str, width: int = 120) -> tuple[str, list[str]]:
    """(output text, error texts)."""
    session, host = make_session(tmp_path, width)
    session.run(text)
    return host.output, host.errors
