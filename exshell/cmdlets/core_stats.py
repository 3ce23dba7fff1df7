"""Sorting, grouping and statistics: Sort-Object, Group-Object, Measure-Object (output.md §5.4–§5.6;
ObjectCommandComparer.cs, Group-Object.cs, Measure-Object.cs)."""

from __future__ import annotations

import functools
from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.cmdlets.core import compare_for_sort as _compare
from exshell.cmdlets.core import has_property as _has_property
from exshell.cmdlets.core import property_specs as _specs
from exshell.errors import Category
from exshell.output.objects import new_object
from exshell.output.views import GROUP_INFO, GROUP_INFO_NO_ELEMENT, MEASURE_INFO, TEXT_MEASURE_INFO
from exshell.runtime.values import PSHashtable, to_string


def _equal_keys(a: Any, b: Any, case_sensitive: bool) -> bool:
    return _compare(a, b, case_sensitive) == 0


# --------------------------------------------------------------------------- Sort-Object


class SortObject(Cmdlet):
    name = "Sort-Object"
    aliases = ("sort",)
    synopsis = "Sorts objects by property values."
    description = (
        "Sorts the input objects by one or more properties (names, script blocks or "
        "@{Expression=...; Descending=$true} hashtables), or by the objects themselves."
    )
    error_source = "Microsoft.PowerShell.Commands.SortObjectCommand"
    default_set = "Default"
    parameters = (
        Parameter("InputObject", T.PSOBJECT, pipeline=True, help="The objects to sort."),
        Parameter("Property", T.OBJECTS, position=0, completer="property",
                  help="Sort keys: property names, script blocks or hashtables."),
        Parameter("Descending", T.SWITCH, help="Sorts in descending order."),
        Parameter("Unique", T.SWITCH, help="Keeps only the first of equal objects."),
        Parameter("CaseSensitive", T.SWITCH, help="Compares strings case-sensitively."),
        # PowerShell puts -Stable/-Top/-Bottom in sets of their own; here they are plain parameters and the
        # cmdlet rejects combinations itself, so the default set needs no parameter of its own.
        Parameter("Stable", T.SWITCH, help="Keeps equal objects in input order (always true here)."),
        Parameter("Top", T.INT, help="Outputs only the first N objects after sorting."),
        Parameter("Bottom", T.INT, help="Outputs only the last N objects after sorting."),
        Parameter("Culture", T.STRING, help="Accepted for compatibility; comparisons use en-US rules."),
    )
    examples = (
        Example("Get-ReceiveConnector | Sort-Object Identity", "Sorts by identity."),
        Example("1,3,2 | sort -Descending", "3, 2, 1."),
    )
    related = ("Group-Object",)

    def begin(self) -> None:
        from exshell.output.properties import SORT_KEYS  # lazy: only this command's formatting uses it

        self._items: list[Any] = []
        self._specs = _specs(self, self.params["Property"], SORT_KEYS) if self.params.is_bound("Property") else []
        if sum(self.params.is_bound(p) for p in ("Stable", "Top", "Bottom")) > 1:
            self.throw_terminating(
                "Parameter set cannot be resolved using the specified named parameters. One or more parameters "
                "issued cannot be used together or an insufficient number of parameters were provided.",
                "AmbiguousParameterSet", Category.InvalidArgument, exception_type="ParameterBindingException",
            )

    def process(self) -> None:
        if not self.runtime.expecting_input and not self.params.is_bound("InputObject"):
            return
        self._items.append(self.params.get("InputObject"))

    def end(self) -> None:
        from exshell.output.properties import expand_specs  # lazy: only this command's formatting uses it

        items = self._items
        if not items:
            return
        case = bool(self.params.get("CaseSensitive"))
        descending = bool(self.params.get("Descending"))
        specs = expand_specs(self._specs, items[0]) if self._specs else []
        if specs:
            keyed = [([s.value(o) for s in specs], o) for o in items]
            orders = [s.descending if s.descending is not None else descending for s in specs]
        else:
            keyed = [([o], o) for o in items]
            orders = [descending]

        def cmp(a: tuple[list[Any], Any], b: tuple[list[Any], Any]) -> int:
            for x, y, desc in zip(a[0], b[0], orders):
                c = _compare(x, y, case)
                if c:
                    return -c if desc else c
            return 0

        keyed.sort(key=functools.cmp_to_key(cmp))  # list.sort is stable: equal objects keep input order
        if self.params.get("Unique"):
            unique: list[tuple[list[Any], Any]] = []
            for entry in keyed:
                if not unique or cmp(unique[-1], entry) != 0:
                    unique.append(entry)
            keyed = unique
        result = [o for _, o in keyed]
        if self.params.is_bound("Top"):
            result = result[: max(self.params["Top"], 0)]
        elif self.params.is_bound("Bottom"):
            n = max(self.params["Bottom"], 0)
            result = result[len(result) - n :] if n else []
        for o in result:
            self.write_object(o)


# --------------------------------------------------------------------------- Group-Object


class GroupObject(Cmdlet):
    name = "Group-Object"
    aliases = ("group",)
    synopsis = "Groups objects that contain the same value for specified properties."
    description = (
        "Emits one GroupInfo (Count, Name, Group, Values) per distinct key; groups are sorted by key when all "
        "keys have the same type (PowerShell 6.1+)."
    )
    error_source = "Microsoft.PowerShell.Commands.GroupObjectCommand"
    output_type = "Microsoft.PowerShell.Commands.GroupInfo"
    parameters = (
        Parameter("InputObject", T.PSOBJECT, pipeline=True, help="The objects to group."),
        Parameter("Property", T.OBJECTS, position=0, completer="property",
                  help="Grouping keys: property names or script blocks."),
        Parameter("NoElement", T.SWITCH, help="Omits the Group (member objects) from the output."),
        Parameter("AsHashTable", T.SWITCH, aliases=("AHT",), help="Returns a hashtable of key → group."),
        Parameter("AsString", T.SWITCH, help="With -AsHashTable, converts the keys to strings."),
        Parameter("CaseSensitive", T.SWITCH, help="Compares keys case-sensitively."),
        Parameter("Culture", T.STRING, help="Accepted for compatibility."),
    )
    examples = (
        Example("'a','b','a' | Group-Object", "Two groups: a (2) and b (1)."),
        Example("Get-ReceiveConnector | Group-Object Enabled -NoElement", "Counts of enabled/disabled connectors."),
    )
    related = ("Sort-Object", "Measure-Object")

    def begin(self) -> None:
        from exshell.output.properties import GROUP_KEYS  # lazy: only this command's formatting uses it

        self._items: list[Any] = []
        self._specs = _specs(self, self.params["Property"], GROUP_KEYS) if self.params.is_bound("Property") else []

    def process(self) -> None:
        if not self.runtime.expecting_input and not self.params.is_bound("InputObject"):
            return
        self._items.append(self.params.get("InputObject"))

    def end(self) -> None:
        from exshell.output.properties import expand_specs  # lazy: only this command's formatting uses it

        case = bool(self.params.get("CaseSensitive"))
        groups: list[tuple[list[Any], list[Any]]] = []
        for obj in self._items:
            specs = expand_specs(self._specs, obj) if self._specs else []
            key = [s.value(obj) for s in specs] if specs else [obj]
            for g in groups:
                if len(g[0]) == len(key) and all(_equal_keys(a, b, case) for a, b in zip(g[0], key)):
                    g[1].append(obj)
                    break
            else:
                groups.append((key, [obj]))
        # PS 6.1+: sort groups by key (stable) when every key has the same type; else first appearance.
        kinds = {tuple(type(v) for v in g[0]) for g in groups}
        if len(kinds) == 1:

            def cmp(a: tuple[list[Any], list[Any]], b: tuple[list[Any], list[Any]]) -> int:
                for x, y in zip(a[0], b[0]):
                    c = _compare(x, y, case)
                    if c:
                        return c
                return 0

            groups.sort(key=functools.cmp_to_key(cmp))
        if self.params.get("AsHashTable"):
            table = PSHashtable()
            for key, members in groups:
                k: Any = key[0] if len(key) == 1 else ", ".join(to_string(v) for v in key)
                if self.params.get("AsString") or isinstance(k, (list, tuple)):
                    k = to_string(k)
                table[k] = members
            self.write_object(table)
            return
        for key, members in groups:
            name = ", ".join(to_string(v) for v in key)
            if self.params.get("NoElement"):
                self.write_object(
                    new_object(
                        [("Values", list(key)), ("Count", len(members)), ("Name", name)],
                        [GROUP_INFO_NO_ELEMENT, GROUP_INFO, "System.Object"],
                    )
                )
            else:
                self.write_object(
                    new_object(
                        [("Name", name), ("Count", len(members)), ("Group", list(members)), ("Values", list(key))],
                        [GROUP_INFO, "System.Object"],
                    )
                )


# --------------------------------------------------------------------------- Measure-Object


def _to_double(value: Any) -> float | None:
    import decimal

    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float, decimal.Decimal)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


class MeasureObject(Cmdlet):
    name = "Measure-Object"
    aliases = ("measure",)
    synopsis = "Calculates the numeric properties of objects, and the characters, words, and lines in strings."
    description = (
        "Counts the input objects; with -Property and -Sum/-Average/-Maximum/-Minimum/-StandardDeviation "
        "computes statistics over that property; with -Line/-Word/-Character measures text."
    )
    error_source = "Microsoft.PowerShell.Commands.MeasureObjectCommand"
    default_set = "GenericMeasure"
    output_type = "Microsoft.PowerShell.Commands.GenericMeasureInfo"
    parameters = (
        Parameter("InputObject", T.PSOBJECT, pipeline=True, help="The objects to measure."),
        Parameter("Property", T.OBJECTS, position=0, completer="property", help="The properties to measure."),
        Parameter("Sum", T.SWITCH, sets=("GenericMeasure",), help="Adds the values."),
        Parameter("Average", T.SWITCH, sets=("GenericMeasure",), help="Averages the values."),
        Parameter("Maximum", T.SWITCH, sets=("GenericMeasure",), help="The largest value."),
        Parameter("Minimum", T.SWITCH, sets=("GenericMeasure",), help="The smallest value."),
        Parameter("StandardDeviation", T.SWITCH, sets=("GenericMeasure",), help="The sample standard deviation."),
        Parameter("AllStats", T.SWITCH, sets=("GenericMeasure",), help="All of the statistics above."),
        Parameter("Line", T.SWITCH, sets=("TextMeasure",), help="Counts lines."),
        Parameter("Word", T.SWITCH, sets=("TextMeasure",), help="Counts words."),
        Parameter("Character", T.SWITCH, sets=("TextMeasure",), help="Counts characters."),
        Parameter("IgnoreWhiteSpace", T.SWITCH, sets=("TextMeasure",), help="Ignores white space in -Character."),
    )
    examples = (
        Example("1,2,3 | Measure-Object -Sum -Average", "Count 3, Average 2, Sum 6."),
        Example("Get-Content notes.txt | Measure-Object -Line -Word", "Lines and words of a file."),
    )
    related = ("Group-Object",)

    def begin(self) -> None:
        self._items: list[Any] = []

    def process(self) -> None:
        if not self.runtime.expecting_input and not self.params.is_bound("InputObject"):
            return
        obj = self.params.get("InputObject")
        if obj is not None:  # PS7 ignores $null input
            self._items.append(obj)

    def end(self) -> None:
        if any(self.params.get(p) for p in ("Line", "Word", "Character")):
            self._text()
            return
        from exshell.output.properties import expand_specs  # lazy: only this command's formatting uses it

        if not self.params.is_bound("Property"):
            self._emit(len(self._items), self._items, None)
            return
        specs = _specs(self, self.params["Property"], ("expression",))
        done: set[str] = set()
        for spec in specs:
            names = [spec]
            if spec.is_wildcard:
                names = []
                for obj in self._items:
                    for s in expand_specs([spec], obj):
                        if s.name.lower() not in {n.name.lower() for n in names}:
                            names.append(s)
            for s in names:
                if s.name.lower() in done:
                    continue
                done.add(s.name.lower())
                values = [s.value(o) for o in self._items if s.calculated or _has_property(o, s.name)]
                if not values and not s.calculated:
                    self.write_error(
                        f'The property "{s.name}" cannot be found in the input for any objects.',
                        f"GenericMeasurePropertyNotFound,{self.error_source}",
                        Category.InvalidArgument,
                    )
                    continue
                self._emit(len(values), values, s.name)

    def _emit(self, count: int, values: list[Any], prop: str | None) -> None:
        p = self.params
        every = bool(p.get("AllStats"))
        want = {k: every or bool(p.get(k)) for k in ("Sum", "Average", "Maximum", "Minimum", "StandardDeviation")}
        numbers: list[float] = []
        stats: dict[str, Any] = {}
        if prop is not None or any(want.values()):
            numeric_needed = want["Sum"] or want["Average"] or want["StandardDeviation"]
            raw: list[Any] = []
            for v in values:
                if v is None:
                    continue
                d = _to_double(v)
                if d is None:
                    if numeric_needed:
                        self.write_error(
                            f'Input object "{v}" is not numeric.',
                            f"NonNumericInputObject,{self.error_source}",
                            Category.InvalidType,
                            target=v,
                        )
                        continue
                    raw.append(v)
                else:
                    numbers.append(d)
                    raw.append(d)
            if want["Sum"]:
                stats["Sum"] = float(sum(numbers))
            if want["Average"]:
                stats["Average"] = float(sum(numbers) / len(numbers)) if numbers else None
            if want["StandardDeviation"]:
                if len(numbers) > 1:
                    mean = sum(numbers) / len(numbers)
                    stats["StandardDeviation"] = (sum((x - mean) ** 2 for x in numbers) / (len(numbers) - 1)) ** 0.5
                else:
                    stats["StandardDeviation"] = 0.0 if numbers else None
            for key, sign in (("Maximum", 1), ("Minimum", -1)):
                if want[key] and raw:
                    best = raw[0]
                    for v in raw[1:]:
                        if _compare(v, best) * sign > 0:
                            best = v
                    stats[key] = best
        self.write_object(
            new_object(
                [
                    ("Count", count),
                    ("Average", stats.get("Average")),
                    ("Sum", stats.get("Sum")),
                    ("Maximum", stats.get("Maximum")),
                    ("Minimum", stats.get("Minimum")),
                    ("StandardDeviation", stats.get("StandardDeviation")),
                    ("Property", prop),
                ],
                [MEASURE_INFO, "Microsoft.PowerShell.Commands.MeasureInfo", "System.Object"],
            )
        )

    def _text(self) -> None:
        lines = words = chars = 0
        for obj in self._items:
            text = to_string(obj)
            lines += len(text.splitlines()) if text else 0
            words += len(text.split())
            chars += len("".join(text.split())) if self.params.get("IgnoreWhiteSpace") else len(text)
        p = self.params
        self.write_object(
            new_object(
                [
                    ("Lines", lines if p.get("Line") else None),
                    ("Words", words if p.get("Word") else None),
                    ("Characters", chars if p.get("Character") else None),
                    ("Property", None),
                ],
                [TEXT_MEASURE_INFO, "Microsoft.PowerShell.Commands.MeasureInfo", "System.Object"],
            )
        )
