"""The output layer's one seam onto runtime values: type names, property lists and property reads.

Everything the formatter needs to know about an object goes through these four functions, so the layout code
never depends on how PSObject stores its members (exshell.runtime.values / members own that).
"""

from __future__ import annotations

from typing import Any
from collections.abc import Iterable

from exshell.runtime.members import get_member, property_names, type_names
from exshell.runtime.values import PSHashtable, PSObject

MISSING = object()


def is_dictionary(obj: Any) -> bool:
    return isinstance(obj, (PSHashtable, dict))


def is_psobject(obj: Any) -> bool:
    return isinstance(obj, PSObject)


def type_names_of(obj: Any) -> list[str]:
    if isinstance(obj, PSObject):
        return list(obj.type_names)
    return list(type_names(obj))


def property_names_of(obj: Any) -> list[str]:
    """The object's displayable properties, in declaration order (a hashtable: its keys)."""
    if is_dictionary(obj):
        return [str(k) for k in obj.keys()]

    if isinstance(obj, PSObject):
        return obj.names()
    return list(property_names(obj))


def property_value(obj: Any, name: str) -> Any:
    """The value of `name` on `obj`, or MISSING when the object has no such member (hashtable key first)."""
    if obj is None:
        return MISSING
    if is_dictionary(obj):
        for k in obj.keys():
            if str(k).lower() == name.lower():
                return obj[k]
        return MISSING

    if isinstance(obj, PSObject):
        return obj.get(name) if obj.has(name) else MISSING
    names = {n.lower() for n in property_names_of(obj)}
    if name.lower() not in names:
        return MISSING

    return get_member(obj, name)


def get_or_none(obj: Any, name: str) -> Any:
    v = property_value(obj, name)
    return None if v is MISSING else v


def new_object(pairs: Iterable[tuple[str, Any]], type_names: Iterable[str] | None = None) -> Any:
    """A PSCustomObject with the given NoteProperties in order."""
    if type_names:
        return PSObject(list(pairs), list(type_names))
    return PSObject(list(pairs))
