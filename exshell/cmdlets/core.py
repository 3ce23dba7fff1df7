"""The core object cmdlets: Where-Object, ForEach-Object, Select-Object,
Get-Member, Get-Date (output.md §5; InternalCommands.cs, Select-Object.cs, GetMember.cs). Sort-Object,
Group-Object and Measure-Object live in core_stats.py.
"""

from __future__ import annotations

from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.errors import Category, PipelineStopped, ExshellError
from exshell.output.objects import (
    property_names_of,
    MISSING,
    property_value,
    is_psobject,
    new_object,
    type_names_of,
)
from exshell.output.views import MEMBER_DEFINITION
from exshell.runtime import members
from exshell.runtime.members import get_member
from exshell.runtime.operators import compare_values, binary_op
from exshell.runtime.values import is_true, to_string, enumerate_value
from exshell.runtime.wildcard import WildcardPattern, has_wildcards

# --------------------------------------------------------------------------- shared helpers


def _invoker(cmdlet: Cmdlet):
    """(script block, $_) -> output list, running in the caller's scope."""

    def invoke(block: Any, obj: Any) -> list:
        return list(cmdlet.runtime.invoke_scriptblock(block, dollar_under=obj))

    return invoke


def property_specs(cmdlet: Cmdlet, value: Any, allowed: tuple[str, ...]):
    # Lazy: only this command's formatting uses it.
    from exshell.output.properties import PropertySpecError, parse_property_args

    try:
        return parse_property_args(value, _invoker(cmdlet), allowed)
    except PropertySpecError as e:
        cmdlet.throw_terminating(e.message, f"{e.error_id},{cmdlet.error_source}", Category.InvalidArgument)
        raise  # unreachable: throw_terminating raises


def compare_for_sort(a: Any, b: Any, case_sensitive: bool = False) -> int:
    """Sort-Object/Group-Object comparison: $null first, then the language's comparison rules
    (IComparable after converting to the first operand's type, ToString as the fallback)."""
    if a is None and b is None:
        return 0
    if a is None:
        return -1
    if b is None:
        return 1

    try:
        return compare_values(a, b, case_sensitive=case_sensitive)
    except Exception:  # incomparable values fall back to their ToString (ObjectCommandComparer)
        x, y = to_string(a), to_string(b)
        if not case_sensitive:
            x, y = x.lower(), y.lower()
        return (x > y) - (x < y)


# --------------------------------------------------------------------------- Where-Object

# (switch name, set name, language operator, aliases)
_WHERE_OPERATORS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("EQ", "EqualSet", "-eq", ("IEQ",)),
    ("CEQ", "CaseSensitiveEqualSet", "-ceq", ()),
    ("NE", "NotEqualSet", "-ne", ("INE",)),
    ("CNE", "CaseSensitiveNotEqualSet", "-cne", ()),
    ("GT", "GreaterThanSet", "-gt", ("IGT",)),
    ("CGT", "CaseSensitiveGreaterThanSet", "-cgt", ()),
    ("LT", "LessThanSet", "-lt", ("ILT",)),
    ("CLT", "CaseSensitiveLessThanSet", "-clt", ()),
    ("GE", "GreaterOrEqualSet", "-ge", ("IGE",)),
    ("CGE", "CaseSensitiveGreaterOrEqualSet", "-cge", ()),
    ("LE", "LessOrEqualSet", "-le", ("ILE",)),
    ("CLE", "CaseSensitiveLessOrEqualSet", "-cle", ()),
    ("Like", "LikeSet", "-like", ("ILike",)),
    ("CLike", "CaseSensitiveLikeSet", "-clike", ()),
    ("NotLike", "NotLikeSet", "-notlike", ("INotLike",)),
    ("CNotLike", "CaseSensitiveNotLikeSet", "-cnotlike", ()),
    ("Match", "MatchSet", "-match", ("IMatch",)),
    ("CMatch", "CaseSensitiveMatchSet", "-cmatch", ()),
    ("NotMatch", "NotMatchSet", "-notmatch", ("INotMatch",)),
    ("CNotMatch", "CaseSensitiveNotMatchSet", "-cnotmatch", ()),
    ("Contains", "ContainsSet", "-contains", ("IContains",)),
    ("CContains", "CaseSensitiveContainsSet", "-ccontains", ()),
    ("NotContains", "NotContainsSet", "-notcontains", ("INotContains",)),
    ("CNotContains", "CaseSensitiveNotContainsSet", "-cnotcontains", ()),
    ("In", "InSet", "-in", ("IIn",)),
    ("CIn", "CaseSensitiveInSet", "-cin", ()),
    ("NotIn", "NotInSet", "-notin", ("INotIn",)),
    ("CNotIn", "CaseSensitiveNotInSet", "-cnotin", ()),
    ("Is", "IsSet", "-is", ()),
    ("IsNot", "IsNotSet", "-isnot", ()),
    ("Not", "Not", "", ()),
)
_OPERATOR_SETS = tuple(s for _, s, _, _ in _WHERE_OPERATORS)


def _where_switch(name: str, set_name: str, aliases: tuple[str, ...]) -> Parameter:
    # -EQ is the default set's switch and optional there (`where Enabled`); every other switch is mandatory
    # in its own set, which is how the binder picks the set (InternalCommands.cs WhereObjectCommand).
    return Parameter(
        name,
        T.SWITCH,
        sets=(set_name,),
        mandatory=name != "EQ",
        aliases=aliases,
        help=f"Uses the -{name.lower()} comparison: property value {name} -Value." if name != "Not"
        else "Emits the objects whose property value is false (or missing).",
    )


class WhereObject(Cmdlet):
    name = "Where-Object"
    aliases = ("where", "?")
    synopsis = "Selects objects from a collection based on their property values."
    description = (
        "Passes on the input objects for which the filter script block returns a true value, or whose "
        "property compares true with -Value using the chosen operator switch."
    )
    error_source = "Microsoft.PowerShell.Commands.WhereObjectCommand"
    default_set = "EqualSet"
    parameters = (
        Parameter("InputObject", T.PSOBJECT, pipeline=True, help="The objects to filter."),
        Parameter(
            "FilterScript", T.SCRIPTBLOCK, position=0, mandatory=True, sets=("ScriptBlockSet",),
            help="A script block evaluated for each object ($_); the object passes when it returns true.",
        ),
        Parameter(
            "Property", T.STRING, position=0, mandatory=True, sets=_OPERATOR_SETS, completer="property",
            help="The property of the input objects to test.",
        ),
        Parameter(
            "Value", T.OBJECT, position=1, sets=tuple(s for s in _OPERATOR_SETS if s != "Not"),
            help="The value the property is compared with.",
        ),
        *(_where_switch(n, s, a) for n, s, _, a in _WHERE_OPERATORS),
    )
    examples = (
        Example("Get-ReceiveConnector | Where-Object Enabled", "Connectors whose Enabled property is true."),
        Example("Get-ReceiveConnector | where { $_.Bindings -like '*:25' }", "Script block syntax."),
        Example("Get-AcceptedDomain | ? DomainType -eq Authoritative", "Simplified syntax with an operator."),
    )
    related = ("ForEach-Object", "Select-Object")

    def begin(self) -> None:
        self._op: str | None = None
        self._negate = False
        if self.params.is_bound("FilterScript"):
            return
        for switch, _set, op, _aliases in _WHERE_OPERATORS:
            if self.params.is_bound(switch) and self.params[switch]:
                if switch == "Not":
                    self._negate = True
                else:
                    self._op = op
        has_value = self.params.is_bound("Value")
        if self._op is not None and not has_value:
            self.throw_terminating(
                "The specified operator requires both the -Property and -Value parameters. Provide values for "
                "both parameters, and then try the command again.",
                f"ValueNotSpecifiedForWhereObject,{self.error_source}",
                Category.InvalidOperation,
            )
        if self._op is None and has_value and not self._negate:
            self.throw_terminating(
                "An operator is required to compare the two specified values. Include a valid operator in the "
                "command, and then try the command again. For example, Get-Process | Where-Object -Property "
                "Name -eq Idle",
                f"OperatorNotSpecified,{self.error_source}",
                Category.InvalidOperation,
            )

    def process(self) -> None:
        obj = self.params.get("InputObject")
        if not self.runtime.expecting_input and not self.params.is_bound("InputObject"):
            return
        if self.params.is_bound("FilterScript"):
            out = self.runtime.invoke_scriptblock(self.params["FilterScript"], dollar_under=obj)
            if is_true(list(out)):
                self.write_object(obj)
            return
        value = self._property(obj, self.params["Property"])
        if self._op is None:
            keep = is_true(value)
            if self._negate:
                keep = not keep
        else:
            keep = is_true(binary_op(self._op, value, self.params["Value"]))
        if keep:
            self.write_object(obj)

    @staticmethod
    def _property(obj: Any, name: str) -> Any:
        if obj is None:
            return None
        v = property_value(obj, name)
        if v is not MISSING:
            return v
        if has_wildcards(name):
            pattern = WildcardPattern(name)
            hits = [n for n in property_names_of(obj) if pattern.match(n)]
            if len(hits) == 1:
                return property_value(obj, hits[0])
        try:
            return get_member(obj, name)
        except Exception:  # a missing member reads as $null (no strict mode)
            return None


# --------------------------------------------------------------------------- ForEach-Object


class ForEachObject(Cmdlet):
    name = "ForEach-Object"
    aliases = ("foreach", "%")
    synopsis = "Performs an operation against each item in a collection of input objects."
    description = (
        "Runs the -Process script block once per input object ($_ is the object), -Begin before the first and "
        "-End after the last; or reads a property / calls a method of each object (-MemberName)."
    )
    error_source = "Microsoft.PowerShell.Commands.ForEachObjectCommand"
    default_set = "ScriptBlockSet"
    parameters = (
        Parameter("InputObject", T.PSOBJECT, pipeline=True, help="The objects to process."),
        Parameter("Begin", T.SCRIPTBLOCK, sets=("ScriptBlockSet",), help="Runs once before the first object."),
        Parameter(
            "Process", T.SCRIPTBLOCKS, position=0, mandatory=True, sets=("ScriptBlockSet",),
            help="Runs once per input object.",
        ),
        Parameter("End", T.SCRIPTBLOCK, sets=("ScriptBlockSet",), help="Runs once after the last object."),
        Parameter(
            "RemainingScripts", T.SCRIPTBLOCKS, remaining=True, sets=("ScriptBlockSet",),
            help="Further positional script blocks: with two blocks the first is -Begin; with three or more the "
            "first is -Begin and the last -End.",
        ),
        Parameter(
            "MemberName", T.STRING, position=0, mandatory=True, sets=("PropertyAndMethodSet",),
            completer="property", help="The property to read or the method to call on each object.",
        ),
        Parameter(
            "ArgumentList", T.OBJECTS, remaining=True, sets=("PropertyAndMethodSet",), aliases=("Args",),
            help="Arguments for the method named by -MemberName.",
        ),
    )
    examples = (
        Example("'a','b' | ForEach-Object { $_.ToUpper() }", "Upper-cases each string."),
        Example("Get-ReceiveConnector | % Identity", "Emits the Identity of each connector."),
        Example("1..3 | % -Begin { $t = 0 } -Process { $t += $_ } -End { $t }", "Sums the numbers."),
    )
    related = ("Where-Object",)

    def begin(self) -> None:
        self._begin = self._process_blocks = self._end = None
        if self.params.is_bound("MemberName"):
            return
        blocks = list(self.params.get("Process") or []) + list(self.params.get("RemainingScripts") or [])
        begin = self.params.get("Begin")
        end = self.params.get("End")
        if self.params.is_bound("RemainingScripts") and blocks and begin is None and end is None:
            # InternalCommands.cs: 2 blocks → begin, process; 3+ → begin, process…, end.
            if len(blocks) == 2:
                begin, blocks = blocks[0], blocks[1:]
            elif len(blocks) >= 3:
                begin, end, blocks = blocks[0], blocks[-1], blocks[1:-1]
        self._process_blocks = blocks
        self._end = end
        if begin is not None:
            self._emit(self.runtime.invoke_scriptblock(begin))

    def _emit(self, out: Any) -> None:
        for item in out:
            self.write_object(item)

    def process(self) -> None:
        obj = self.params.get("InputObject")
        if self.params.is_bound("MemberName"):
            self._member(obj, self.params["MemberName"], list(self.params.get("ArgumentList") or []))
            return
        for block in self._process_blocks or []:
            self._emit(self.runtime.invoke_scriptblock(block, dollar_under=obj))

    def end(self) -> None:
        if self._end is not None:
            self._emit(self.runtime.invoke_scriptblock(self._end))

    def _member(self, obj: Any, name: str, args: list[Any]) -> None:
        if obj is None:
            self.write_object(None)
            return
        if not args:
            v = property_value(obj, name)
            if v is not MISSING:
                self.write_object(v, enumerate_collection=True)
                return

        try:
            if not args and has_property(obj, name):
                self.write_object(members.get_member(obj, name), enumerate_collection=True)
                return
            result = members.invoke_method(obj, name, args)
        except ExshellError:
            self.write_error(
                f'The input name "{name}" cannot be resolved to a member.',
                f"PropertyOrMethodNotFound,{self.error_source}",
                Category.InvalidArgument,
                target=obj,
            )
            return
        self.write_object(result, enumerate_collection=True)


def has_property(obj: Any, name: str) -> bool:
    return name.lower() in {n.lower() for n in property_names_of(obj)}


# --------------------------------------------------------------------------- Select-Object


class SelectObject(Cmdlet):
    name = "Select-Object"
    aliases = ("select",)
    synopsis = "Selects objects or object properties."
    description = (
        "Creates new objects holding only the chosen properties (names, wildcards or calculated properties), "
        "expands one property, or picks objects by position (-First, -Last, -Skip, -Index) or uniqueness."
    )
    error_source = "Microsoft.PowerShell.Commands.SelectObjectCommand"
    default_set = "DefaultParameter"
    parameters = (
        Parameter("InputObject", T.PSOBJECT, pipeline=True, help="The objects to select from."),
        Parameter(
            "Property", T.OBJECTS, position=0, sets=("DefaultParameter", "SkipLastParameter"),
            completer="property",
            help="Properties to keep: names, wildcards, or @{Name=...; Expression={...}} hashtables.",
        ),
        Parameter("ExcludeProperty", T.STRINGS, sets=("DefaultParameter", "SkipLastParameter"),
                  help="Properties to leave out (wildcards allowed)."),
        Parameter("ExpandProperty", T.STRING, sets=("DefaultParameter", "SkipLastParameter"),
                  completer="property", help="Outputs the value of this property instead of a new object."),
        Parameter("Unique", T.SWITCH, help="Drops objects equal to one already output."),
        Parameter("CaseInsensitive", T.SWITCH, help="With -Unique, compares strings case-insensitively."),
        Parameter("Last", T.INT, sets=("DefaultParameter",), help="Outputs only the last N objects."),
        Parameter("First", T.INT, sets=("DefaultParameter",),
                  help="Outputs only the first N objects, then stops the commands before it."),
        Parameter("Skip", T.INT, sets=("DefaultParameter",), help="Skips the first N objects (with -Last: the last N)."),
        Parameter("SkipLast", T.INT, sets=("SkipLastParameter",), help="Skips the last N objects."),
        Parameter("Wait", T.SWITCH, sets=("DefaultParameter", "IndexParameter"), dont_show=True),
        Parameter("Index", T.INT.of_array(), sets=("IndexParameter",), help="Outputs the objects at these positions."),
    )
    examples = (
        Example("Get-ReceiveConnector | Select-Object Identity, Bindings", "New objects with two properties."),
        Example("1..10 | Select-Object -First 3", "The first three numbers."),
        Example("Get-ReceiveConnector | Select-Object @{n='Name';e={$_.Identity}}", "A calculated property."),
    )
    related = ("Where-Object", "Sort-Object")

    def begin(self) -> None:
        from exshell.output.properties import SELECT_KEYS  # lazy: only this command's formatting uses it

        self._specs = property_specs(self, self.params["Property"], SELECT_KEYS) if self.params.is_bound("Property") else []
        self._count = 0
        self._emitted = 0
        self._buffer: list[Any] = []
        self._seen: list[Any] = []
        self._index = set(self.params.get("Index") or [])
        first = self.params.get("First")
        self._first = first if self.params.is_bound("First") else None
        self._skip = self.params.get("Skip") or 0
        # -Last, -SkipLast and -Unique need every object before they can decide.
        self._buffering = any(self.params.is_bound(p) for p in ("Last", "SkipLast", "Unique"))

    def process(self) -> None:
        obj = self.params.get("InputObject")
        if obj is None:  # $null input objects are ignored
            return
        if self._buffering:
            self._buffer.append(obj)
            return
        position = self._count
        self._count += 1
        if self.params.is_bound("Index"):
            if position in self._index:
                self._output(obj)
            return
        if position < self._skip:
            return
        if self._first is not None and self._emitted >= self._first:
            raise PipelineStopped()
        self._output(obj)
        self._emitted += 1
        if self._first is not None and self._emitted >= self._first:
            # binding.md §9.6: enough objects — stop the upstream commands (their end blocks are skipped).
            raise PipelineStopped()

    def end(self) -> None:
        if not self._buffering:
            return
        items = self._buffer
        if self.params.is_bound("Unique"):
            items = self._unique(items)
        if self.params.is_bound("SkipLast"):
            n = self.params["SkipLast"]
            items = items[: max(len(items) - n, 0)]
        if self.params.is_bound("Last"):
            if self._skip:
                items = items[: max(len(items) - self._skip, 0)]
            n = self.params["Last"]
            items = items[max(len(items) - n, 0) :] if n > 0 else []
        else:
            items = items[self._skip :]
            if self._first is not None:
                items = items[: self._first]
        for obj in items:
            self._output(obj)

    def _unique(self, items: list[Any]) -> list[Any]:
        case_sensitive = not self.params.get("CaseInsensitive")
        out: list[Any] = []
        keys: list[Any] = []
        for obj in items:
            key = self._unique_key(self._select(obj) if self._specs else obj, case_sensitive)
            if key not in keys:
                keys.append(key)
                out.append(obj)
        return out

    @staticmethod
    def _unique_key(obj: Any, case_sensitive: bool) -> Any:
        def norm(v: Any) -> Any:
            text = to_string(v)
            return text if case_sensitive else text.lower()

        if is_psobject(obj):
            return tuple((n.lower(), norm(v)) for n, v in obj.items())
        return norm(obj)

    def _select(self, obj: Any) -> Any:
        from exshell.output.properties import expand_specs  # lazy: only this command's formatting uses it

        excludes = [WildcardPattern(p) for p in (self.params.get("ExcludeProperty") or [])]
        pairs: list[tuple[str, Any]] = []
        names: set[str] = set()
        for spec in expand_specs(self._specs, obj):
            if any(p.match(spec.name) for p in excludes):
                continue
            if spec.name.lower() in names:
                self.write_error(
                    f'The property cannot be processed because the property "{spec.name}" already exists.',
                    f"AlreadyExistingUserSpecifiedPropertyNoExpand,{self.error_source}",
                    Category.InvalidOperation,
                    target=obj,
                )
                continue
            names.add(spec.name.lower())
            pairs.append((spec.name, spec.value(obj)))
        base = type_names_of(obj)
        return new_object(
            pairs,
            [f"Selected.{base[0] if base else 'System.Object'}", "System.Management.Automation.PSCustomObject",
             "System.Object"],
        )

    def _output(self, obj: Any) -> None:
        if self.params.is_bound("ExpandProperty"):
            self._expand(obj)
            return
        if self._specs or self.params.is_bound("ExcludeProperty"):
            if not self._specs:
                # Lazy: only this command's formatting uses it.
                from exshell.output.properties import PropertySpec

                self._specs = [PropertySpec("*", is_wildcard=True)]
            self.write_object(self._select(obj))
            return
        self.write_object(obj)

    def _expand(self, obj: Any) -> None:
        name = self.params["ExpandProperty"]
        value = property_value(obj, name)
        if value is MISSING:
            self.write_error(
                f'Property "{name}" cannot be found.',
                f"ExpandPropertyNotFound,{self.error_source}",
                Category.InvalidArgument,
                target=obj,
            )
            return
        items = enumerate_value(value)
        for item in items if items is not None else [value]:
            if item is None:
                continue
            if self._specs and is_psobject(item):
                # -Property with -ExpandProperty: the selected properties are added to each expanded object.
                item = item.copy()
                for n, v in self._select(obj).items():
                    if item.has(n):
                        self.write_error(
                            f'The property cannot be processed because the property "{n}" already exists.',
                            f"AlreadyExistingUserSpecifiedPropertyExpand,{self.error_source}",
                            Category.InvalidOperation,
                            target=obj,
                        )
                        continue
                    item.set(n, v)
            self.write_object(item)


# --------------------------------------------------------------------------- Get-Member


class GetMember(Cmdlet):
    name = "Get-Member"
    aliases = ("gm",)
    synopsis = "Gets the properties and methods of objects."
    description = "Lists, for each distinct type among the input objects, its members with their definitions."
    error_source = "Microsoft.PowerShell.Commands.GetMemberCommand"
    output_type = "Microsoft.PowerShell.Commands.MemberDefinition"
    parameters = (
        Parameter("InputObject", T.PSOBJECT, pipeline=True, help="The objects whose members are listed."),
        Parameter("Name", T.STRINGS, position=0, help="Only members whose names match (wildcards allowed)."),
        Parameter("MemberType", T.flags(
            "System.Management.Automation.PSMemberTypes",
            ("AliasProperty", "CodeProperty", "Property", "NoteProperty", "ScriptProperty", "Properties",
             "PropertySet", "Method", "CodeMethod", "ScriptMethod", "Methods", "ParameterizedProperty",
             "MemberSet", "Event", "Dynamic", "All"),
            display="PSMemberTypes",
        ), aliases=("Type",), help="Only members of these kinds (Properties = every property kind)."),
        Parameter("Static", T.SWITCH, help="Accepted for compatibility; static members are not listed."),
        Parameter("Force", T.SWITCH, help="Accepted for compatibility."),
    )
    examples = (
        Example("Get-ReceiveConnector | Get-Member", "The connector's properties and methods."),
        Example("$x | gm -MemberType NoteProperty", "Only note properties."),
    )

    def begin(self) -> None:
        self._types: list[str] = []
        self._any = False

    def process(self) -> None:
        if not self.runtime.expecting_input and not self.params.is_bound("InputObject"):
            return
        obj = self.params.get("InputObject")
        if obj is None:
            return
        self._any = True
        from exshell.output.member_info import members_of  # lazy: only this command's formatting uses it

        names = type_names_of(obj)
        type_name = names[0] if names else "System.Object"
        if type_name in self._types:
            return
        self._types.append(type_name)
        patterns = [WildcardPattern(n) for n in (self.params.get("Name") or [])]
        kinds = self._kinds()
        for m in members_of(obj):
            if patterns and not any(p.match(m.name) for p in patterns):
                continue
            if kinds is not None and m.member_type.lower() not in kinds:
                continue
            self.write_object(
                new_object(
                    [("TypeName", type_name), ("Name", m.name), ("MemberType", m.member_type),
                     ("Definition", m.definition)],
                    [MEMBER_DEFINITION, "System.Object"],
                )
            )

    def _kinds(self) -> set[str] | None:
        if not self.params.is_bound("MemberType"):
            return None
        raw = self.params["MemberType"]
        text = to_string(raw)
        kinds: set[str] = set()
        for part in text.replace(",", " ").split():
            k = part.lower()
            if k == "all":
                return None
            if k == "properties":
                kinds |= {"aliasproperty", "codeproperty", "property", "noteproperty", "scriptproperty"}
            elif k == "methods":
                kinds |= {"method", "codemethod", "scriptmethod"}
            else:
                kinds.add(k)
        return kinds

    def end(self) -> None:
        if not self._any:
            self.write_error(
                "You must specify an object for the Get-Member cmdlet.",
                f"NoObjectInGetMember,{self.error_source}",
                Category.InvalidArgument,
            )


# --------------------------------------------------------------------------- Get-Date


class GetDate(Cmdlet):
    name = "Get-Date"
    synopsis = "Gets the current date and time."
    description = "Returns the current (or the given) date, as a DateTime or, with -Format/-UFormat, as a string."
    error_source = "Microsoft.PowerShell.Commands.GetDateCommand"
    default_set = "net"
    output_type = "System.DateTime"
    parameters = (
        Parameter("Date", T.DATETIME, position=0, pipeline=True, by_property_name=True,
                  aliases=("LastWriteTime",), help="The date to use instead of now."),
        Parameter("Format", T.STRING, sets=("net",), help=".NET format string, e.g. 'yyyy-MM-dd HH:mm' or 'o'."),
        Parameter("UFormat", T.STRING, sets=("UFormat",), help="Unix format string, e.g. '%Y-%m-%d'."),
        Parameter("AsUTC", T.SWITCH, help="Converts the date to UTC."),
    )
    examples = (
        Example("Get-Date -Format 'yyyy-MM-dd'", "Today's date as text."),
        Example("Get-Date -UFormat '%Y%m%d'", "Unix-style format."),
    )

    def process(self) -> None:
        import datetime as _dt

        # Lazy: only this command's formatting uses it.
        from exshell.output.dateformat import format_datetime, uformat_datetime

        when = self.params.get("Date") if self.params.is_bound("Date") else _dt.datetime.now()
        if self.params.get("AsUTC"):
            when = when.astimezone(_dt.UTC)
        # -Format $null / -UFormat $null: the DateTime itself, as without the parameter (PowerShell tests for null)
        if self.params.get("Format") is not None:
            self.write_object(format_datetime(when, self.params["Format"]))
        elif self.params.get("UFormat") is not None:
            self.write_object(uformat_datetime(when, self.params["UFormat"]))
        else:
            self.write_object(when)
