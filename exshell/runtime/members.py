"""Member access, method calls and indexing (grammar.md §3.2, §4.6).

Non-strict mode throughout: a missing property is $null. A collection without the member enumerates its
elements (member-access enumeration, PS3+). Python objects from the model answer to their attributes matched
case-insensitively with underscores ignored (`remote_ip_ranges` answers `RemoteIPRanges`). This module is the
public face of that API; the parts live in exshell.runtime.properties (get/set member, reflection),
exshell.runtime.methods (instance methods), exshell.runtime.static_members (`[type]::Member`) and
exshell.runtime.indexing (`obj[index]`).
"""

from __future__ import annotations

from exshell.runtime.indexing import get_index, set_index
from exshell.runtime.methods import invoke_method
from exshell.runtime.properties import get_member, get_type, property_names, set_member, type_names
from exshell.runtime.static_members import get_static_member, invoke_static_method

__all__ = [
    "get_member",
    "set_member",
    "invoke_method",
    "property_names",
    "type_names",
    "get_type",
    "get_index",
    "set_index",
    "get_static_member",
    "invoke_static_method",
]
