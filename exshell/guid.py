"""New object GUIDs. `uuid` is imported on first use: it imports `platform` (and on some systems ctypes), a
cost every one-shot command that only reads the configuration would otherwise pay."""

from __future__ import annotations


def new_guid() -> str:
    """A random (version 4) GUID in Exchange's lower-case text form."""
    import uuid

    return str(uuid.uuid4())
