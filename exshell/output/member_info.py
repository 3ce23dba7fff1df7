"""Get-Member's view of an object: members with their MemberType and Definition text (GetMember.cs,
MshMemberInfo.cs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exshell.output.objects import get_or_none, is_dictionary, is_psobject, property_names_of
from exshell.runtime.properties import exchange_members
from exshell.runtime.values import to_string, type_name

# C# keyword aliases PowerShell uses in definitions (`string`, `int`, `bool`, ...).
_SHORT = {
    "System.String": "string",
    "System.Int32": "int",
    "System.Int64": "long",
    "System.Boolean": "bool",
    "System.Double": "double",
    "System.Decimal": "decimal",
    "System.Char": "char",
    "System.Object": "System.Object",
    "System.DateTime": "datetime",
    "System.Object[]": "Object[]",
    "System.Collections.Hashtable": "hashtable",
    "System.Management.Automation.ScriptBlock": "scriptblock",
    "System.Management.Automation.PSCustomObject": "System.Management.Automation.PSCustomObject",
}

_OBJECT_METHODS = (
    ("Equals", "bool Equals(System.Object obj)"),
    ("GetHashCode", "int GetHashCode()"),
    ("GetType", "type GetType()"),
    ("ToString", "string ToString()"),
)

_STRING_METHODS = (
    ("Clone", "System.Object Clone(), System.Object ICloneable.Clone()"),
    ("CompareTo", "int CompareTo(System.Object value), int CompareTo(string strB)"),
    ("Contains", "bool Contains(string value), bool Contains(char value)"),
    ("EndsWith", "bool EndsWith(string value), bool EndsWith(char value)"),
    ("Equals", "bool Equals(System.Object obj), bool Equals(string value)"),
    ("GetHashCode", "int GetHashCode()"),
    ("GetType", "type GetType()"),
    ("IndexOf", "int IndexOf(char value), int IndexOf(string value)"),
    ("Insert", "string Insert(int startIndex, string value)"),
    ("LastIndexOf", "int LastIndexOf(char value), int LastIndexOf(string value)"),
    ("PadLeft", "string PadLeft(int totalWidth), string PadLeft(int totalWidth, char paddingChar)"),
    ("PadRight", "string PadRight(int totalWidth), string PadRight(int totalWidth, char paddingChar)"),
    ("Remove", "string Remove(int startIndex, int count), string Remove(int startIndex)"),
    ("Replace", "string Replace(string oldValue, string newValue)"),
    ("Split", "string[] Split(char[] separator), string[] Split(string separator)"),
    ("StartsWith", "bool StartsWith(string value), bool StartsWith(char value)"),
    ("Substring", "string Substring(int startIndex), string Substring(int startIndex, int length)"),
    ("ToLower", "string ToLower()"),
    ("ToString", "string ToString()"),
    ("ToUpper", "string ToUpper()"),
    ("Trim", "string Trim(), string Trim(char trimChar)"),
    ("TrimEnd", "string TrimEnd(), string TrimEnd(char trimChar)"),
    ("TrimStart", "string TrimStart(), string TrimStart(char trimChar)"),
)

_INT_METHODS = (
    ("CompareTo", "int CompareTo(System.Object value), int CompareTo(int value)"),
    ("Equals", "bool Equals(System.Object obj), bool Equals(int obj)"),
    ("GetHashCode", "int GetHashCode()"),
    ("GetType", "type GetType()"),
    ("ToString", "string ToString(), string ToString(string format)"),
)


@dataclass(frozen=True, slots=True)
class MemberInfo:
    name: str
    member_type: str
    definition: str


def short_type(value: Any) -> str:
    if value is None:
        return "object"
    full = type_name(value)
    return _SHORT.get(full, full)


def members_of(obj: Any) -> list[MemberInfo]:
    """Members of one object, sorted by MemberType name then member name (GetMember.cs)."""
    members: list[MemberInfo] = []
    if isinstance(obj, str):
        members.append(MemberInfo("Length", "Property", "int Length {get;}"))
        members.extend(MemberInfo(n, "Method", d) for n, d in _STRING_METHODS)
    elif isinstance(obj, int) and not isinstance(obj, bool):
        members.extend(MemberInfo(n, "Method", d) for n, d in _INT_METHODS)
    elif is_dictionary(obj):
        members.append(MemberInfo("Count", "Property", "int Count {get;}"))
        members.append(MemberInfo("Keys", "Property", "System.Collections.ICollection Keys {get;}"))
        members.append(MemberInfo("Values", "Property", "System.Collections.ICollection Values {get;}"))
        members.extend(
            MemberInfo(n, "Method", d)
            for n, d in _OBJECT_METHODS
            + (("Add", "void Add(System.Object key, System.Object value)"),
               ("ContainsKey", "bool ContainsKey(System.Object key)"),
               ("Remove", "void Remove(System.Object key)"))
        )
    elif (table := exchange_members(obj)) is not None:
        # Exchange value types: their .NET properties (read-only) and methods (exshell.runtime.exchange_members).
        members.extend(MemberInfo(m.name, "Method", m.definition) for m in table.methods)
        if not any(m.name == "GetType" for m in table.methods):
            members.append(MemberInfo("GetType", "Method", "type GetType()"))
        members.extend(
            MemberInfo(p.name, "Property", f"{_SHORT.get(p.type_name, p.type_name)} {p.name} {{get;}}")
            for p in table.properties
        )
    else:
        members.extend(MemberInfo(n, "Method", d) for n, d in _OBJECT_METHODS)
        note = is_psobject(obj)
        for name in property_names_of(obj):
            value = get_or_none(obj, name)
            if note:
                text = "null" if value is None else to_string(value) if not isinstance(value, (list, tuple)) \
                    else "System.Object[]"
                members.append(MemberInfo(name, "NoteProperty", f"{short_type(value)} {name}={text}"))
            else:
                members.append(MemberInfo(name, "Property", f"{short_type(value)} {name} {{get;set;}}"))
        if note:
            for mname in getattr(obj, "methods", {}) or {}:
                members.append(MemberInfo(mname, "ScriptMethod", f"System.Object {mname}();"))
    return sorted(members, key=lambda m: (m.member_type, m.name.lower()))
