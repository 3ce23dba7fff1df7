"""What a whole configuration must satisfy to become a version: the check a hand edit of config.toml
passes before the store adopts it (and a restore before it is committed). The same rules as the cmdlets:
every record decodes, has no unknown key, and every object keeps its rules with the others."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from exshell.config.kinds import Kind, known_kinds
from exshell.config.working import Working
from exshell.model.errors import ModelError


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a configuration is refused: where (table and key) and why."""

    collection: str
    key: str | None
    prop: str | None
    reason: str

    @property
    def table(self) -> str:
        return f"[{self.collection}.{self.key}]" if self.key else f"[{self.collection}]"

    def __str__(self) -> str:
        where = self.table + (f" {self.prop}" if self.prop else "")
        return f"{where}: {self.reason}"


def nearest(word: str, choices: list[str]) -> str | None:
    """The known name closest to a misspelled one (case-insensitive), or None."""
    lowered = {c.lower(): c for c in choices}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[found[0]] if found else None


def validate_records(
    data: Mapping[str, Mapping[str, Mapping[str, Any]]], progress: Callable[[int, int], None] | None = None
) -> list[Problem]:
    """Every problem of a configuration's records (empty when the model accepts all of it). `progress(done,
    total)` is called before each object's rules are checked (the long part for a large configuration)."""
    kinds = known_kinds()
    problems: list[Problem] = []
    working = Working.over_data(data)
    for collection, records in data.items():
        kind = kinds.get(collection)
        if kind is None:
            guess = difflib.get_close_matches(collection, list(kinds), n=1, cutoff=0.8)
            if guess:  # a misspelled table name; collections of other parts are left to them
                problems.append(Problem(collection, None, None,
                                        f"'{collection}' isn't a known collection. Did you mean '{guess[0]}'?"))
            continue
        problems.extend(_record_problems(kind, records))
    if problems:
        return problems
    total = sum(len(records) for collection, records in data.items() if collection in kinds)
    done = 0
    for collection in data:
        kind = kinds.get(collection)
        if kind is None:
            continue
        try:
            objects = working.objects(collection)
        except ModelError as exc:
            problems.append(_from_error(collection, None, exc))
            continue
        for key, obj in objects.items():
            if progress is not None:
                progress(done, total)
            done += 1
            if kind.singleton is not None and key != kind.singleton:
                continue
            try:
                kind.check(obj, working)
            except ModelError as exc:
                problems.append(_from_error(collection, key, exc))
    return problems


def _record_problems(kind: Kind, records: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    known = kind.known_keys()
    lowered = {k.lower() for k in known}
    problems: list[Problem] = []
    for key, record in records.items():
        if kind.singleton is not None and key != kind.singleton:
            continue  # other records of a shared collection (settings) belong to other parts
        for prop in record:
            if prop.lower() not in lowered:
                guess = nearest(prop, known)
                hint = f" Did you mean '{guess}'?" if guess else ""
                problems.append(Problem(kind.collection, key, prop,
                                        f"'{prop}' isn't a property of a {kind.label.lower()}.{hint}"))
        try:
            kind.decode(key, record)
        except ModelError as exc:
            problems.append(_from_error(kind.collection, key, exc))
        except (ValueError, TypeError, KeyError) as exc:
            problems.append(Problem(kind.collection, key, None, str(exc)))
    return problems


def _from_error(collection: str, key: str | None, exc: ModelError) -> Problem:
    return Problem(collection, key, exc.property, exc.message)
