"""exshell: an SMTP relay administered with the Exchange Management Shell's own language."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # exshell.__version__ stays available, read from the one source (exshell.version) on first use.
    if name == "__version__":
        from exshell.version import version

        return version()
    raise AttributeError(f"module 'exshell' has no attribute {name!r}")
