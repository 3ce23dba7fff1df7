"""The configuration seam between the cmdlets and the store (architecture.md: "Cmdlets are thin").

A cmdlet says WHAT changes, as operation values (operations.py): create an object, set properties, add or
remove list elements, remove an object, add or remove ACEs, restore a version. `ConfigChanges` (changes.py)
collects the operations of one invocation and commits them as one version: inside `store.commit(mutate)`,
under the writer lock, on the newest version, where every operation is applied to the objects actually
committed and the model's validation and conflict rules run on them (apply.py, kinds.py). Reading goes
through `current_config(store)` (cache.py): one decoded model per version per process, decoded per
collection on first use. `validate_records(data)` (validation.py) is what a hand edit must pass.

Importing this package is cheap: the operations and the model are imported by the modules that need them.
"""

from __future__ import annotations

from typing import Any

_OPERATIONS = ("AddAces", "Create", "Delete", "Guard", "ListEdit", "RemoveAces", "Restore", "Update")


def __getattr__(name: str) -> Any:
    """The operation classes, imported when first used (a command that only reads needs none of them)."""
    if name in _OPERATIONS:
        from exshell.config import operations

        return getattr(operations, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")



def validate_records(data: Any, progress: Any = None) -> list[Any]:
    """The problems that keep `data` (a whole configuration) from becoming a version: what a hand edit of
    config.toml must pass (`open_store(..., validate=validate_records)`). Imports the model on first use.
    `progress(done, total)`: called per object checked (Restore-ConfigVersion's progress)."""
    from exshell.config.validation import validate_records as check

    return check(data, progress)


__all__ = [
    "AddAces",
    "Create",
    "Delete",
    "Guard",
    "ListEdit",
    "RemoveAces",
    "Restore",
    "Update",
    "validate_records",
]
