"""The configuration history cmdlets: Get-ConfigVersion, Compare-ConfigVersion, Restore-ConfigVersion.

Exchange keeps no history of connector edits (admins dump RemoteIPRanges to a file before each change); every
exshell change is a store version, and these cmdlets read, compare and roll back those versions. Approved
verbs (Get, Compare, Restore) as PowerShell requires; objects carry a type name and the output layer formats
them through the views registered below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.cmdlets.progress import LoopProgress
from exshell.cmdlets.exchange_support import history_text, report_model_error
from exshell.model.errors import ModelError
from exshell.output.views import Column, TableView, register_view
from exshell.runtime.values import PSObject, to_string
from exshell.runtime.wildcard import WildcardPattern
from exshell.store import StoreError, collection_label

if TYPE_CHECKING:  # pragma: no cover
    from exshell.store.base import Store
    from exshell.store.history import ObjectChange, VersionInfo

CONFIG_VERSION_TYPE = "Exshell.ConfigVersion"
CONFIG_DIFFERENCE_TYPE = "Exshell.ConfigVersionDifference"
OBJECT_PROPERTY = "(object)"  # the Property of a row for a whole object added or removed


def _register_views() -> None:
    register_view(
        CONFIG_VERSION_TYPE,
        TableView((Column("Version", align="right"), Column("When"), Column("Who"), Column("Command"))),
    )
    register_view(
        CONFIG_DIFFERENCE_TYPE,
        TableView(
            (
                Column("Collection"),
                Column("Identity"),
                Column("Property"),
                Column("Change"),
                Column("Before"),
                Column("After"),
            )
        ),
    )


_register_views()


def _positive(value: Any) -> None:
    if value is None or int(value) < 1:
        raise ValueError(f"The {value} argument is less than the minimum allowed range of 1.")


def _psobject(props: list[tuple[str, Any]], type_name: str) -> Any:
    return PSObject(
        props, type_names=[type_name, "System.Management.Automation.PSCustomObject", "System.Object"]
    )


def _display(value: Any) -> Any:
    """Record values as shell values: tables become PSCustomObjects, tuples become arrays."""
    if isinstance(value, Mapping):
        return PSObject([(k, _display(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return [_display(v) for v in value]
    return value


def _store(cmdlet: Cmdlet) -> Store:
    return cmdlet.runtime.services.store  # type: ignore[no-any-return]


def _store_error(cmdlet: Cmdlet, e: StoreError, target: Any = None) -> None:
    """A store error as this cmdlet's terminating error (ConfigVersionNotFound, ConfigFileUnreadable, ...)."""
    rec = e.record
    cmdlet.throw_terminating(
        str(e), rec.error_id, rec.category, target=target, exception_type=rec.exception_type
    )


def version_object(info: VersionInfo) -> Any:
    objects = [o.identity or o.name or o.key for o in info.objects]
    return _psobject(
        [
            ("Version", info.version),
            ("When", info.when),
            ("Who", info.who),
            ("Command", info.command),
            ("Changes", info.summary),
            ("Objects", objects),
        ],
        CONFIG_VERSION_TYPE,
    )


def difference_objects(changes: list[ObjectChange]) -> list[Any]:
    """One object per changed property (per added/removed element of a list); whole objects as one row."""
    out: list[Any] = []
    for oc in changes:
        # The kind of object as an administrator calls it ("Receive connector"), not the store's table name.
        label = collection_label(oc.collection)
        base = [("Collection", label[:1].upper() + label[1:]), ("Identity", oc.identity), ("Key", oc.key)]
        if oc.change != "Changed":
            before = oc.name if oc.change == "Removed" else None
            after = oc.name if oc.change == "Added" else None
            rows = [(OBJECT_PROPERTY, oc.change, before, after)]
        else:
            rows = [(p.property, p.change, p.before, p.after) for p in oc.properties]
        for prop, change, before, after in rows:
            out.append(
                _psobject(
                    base
                    + [
                        ("Property", prop),
                        ("Change", change),
                        ("Before", _display(before)),
                        ("After", _display(after)),
                    ],
                    CONFIG_DIFFERENCE_TYPE,
                )
            )
    return out


def describe_changes(changes: list[ObjectChange]) -> list[str]:
    """Text lines for -WhatIf: what applying `changes` would do."""
    lines: list[str] = []
    for oc in changes:
        label = collection_label(oc.collection)
        if oc.change != "Changed":
            lines.append(f"  {oc.change} {label} '{oc.identity}'")
            continue
        for p in oc.properties:
            if p.change == "Changed":
                lines.append(
                    f"  {label} '{oc.identity}': {p.property} {to_string(_display(p.before))} -> "
                    f"{to_string(_display(p.after))}"
                )
            else:
                value = p.after if p.change == "Added" else p.before
                lines.append(
                    f"  {label} '{oc.identity}': {p.property} {p.change} {to_string(_display(value))}"
                )
    return lines


class GetConfigVersion(Cmdlet):
    name = "Get-ConfigVersion"
    synopsis = "Lists the versions of the configuration: who changed what, when, with which command."
    description = (
        "Every command that changes the configuration stores one new version, recording the time (UTC), the "
        "OS user, the command as typed and the objects it touched. Hand edits of config.toml appear as "
        "'(manual edit of config.toml)'. Versions are listed oldest first."
    )
    output_type = CONFIG_VERSION_TYPE
    parameters = (
        Parameter("Version", T.INT, position=0, validate=_positive, help="Shows only this version."),
        Parameter(
            "Identity",
            T.STRING,
            completer="receive_connector",
            help="Shows only the versions that touched this object (name, identity or GUID; wildcards allowed).",
        ),
        Parameter("Last", T.INT, validate=_positive, help="Shows only the newest N versions."),
    )
    examples = (
        Example("Get-ConfigVersion -Last 5", "The five most recent changes."),
        Example(
            "Get-ConfigVersion -Identity 'Relay*'",
            "Every change to the connectors whose name starts with Relay.",
        ),
        Example("Get-ConfigVersion 12 | Format-List", "Everything recorded for version 12."),
    )
    related = ("Compare-ConfigVersion", "Restore-ConfigVersion")

    def process(self) -> None:
        store = _store(self)
        last = self.params.get("Last")
        try:
            if self.params.is_bound("Version"):
                infos = [store.version_info(int(self.params["Version"]))]
            elif self.params.is_bound("Identity"):
                infos = self._matching(store, str(self.params["Identity"]))
                if last is not None:
                    infos = infos[-int(last) :]
            else:
                infos = store.history(last=None if last is None else int(last))
        except StoreError as e:
            _store_error(self, e, self.params.get("Version"))
            return
        for info in infos:
            self.write_object(version_object(info))

    @staticmethod
    def _matching(store: Store, identity: str) -> list[VersionInfo]:
        pattern = WildcardPattern(identity)
        # Objects renamed since: match today's names too, by key.
        keys = set()
        for objs in store.snapshot().data.values():
            for key, rec in objs.items():
                if any(pattern.match(str(x)) for x in (key, rec.get("Name", ""), rec.get("Identity", ""))):
                    keys.add(key)
        return [
            info
            for info in store.history()
            if any(
                o.key in keys or pattern.match(o.name) or pattern.match(o.identity) or pattern.match(o.key)
                for o in info.objects
            )
        ]


class CompareConfigVersion(Cmdlet):
    name = "Compare-ConfigVersion"
    synopsis = "Shows what changed between two configuration versions, property by property."
    description = (
        "Emits one object per changed property: Collection, Identity, Property, Change (Added, Removed, "
        "Changed), Before and After. Multi-valued properties (RemoteIPRanges, Bindings, permissions) are "
        "compared element by element: one row per added or removed element. An object added or removed as a "
        "whole is one row with Property '(object)'."
    )
    output_type = CONFIG_DIFFERENCE_TYPE
    parameters = (
        Parameter(
            "ReferenceVersion",
            T.INT,
            position=0,
            mandatory=True,
            by_property_name=True,
            aliases=("Version",),  # `Get-ConfigVersion 12 | Compare-ConfigVersion`: 12 against the current
            validate=_positive,
            help="The version to compare from (Before).",
        ),
        Parameter(
            "DifferenceVersion",
            T.INT,
            position=1,
            validate=_positive,
            help="The version to compare to (After). Default: the current version.",
        ),
    )
    examples = (
        Example("Compare-ConfigVersion 10", "What changed since version 10."),
        Example("Compare-ConfigVersion -ReferenceVersion 3 -DifferenceVersion 4", "What version 4 changed."),
        Example(
            "Get-ConfigVersion -Last 1 | Compare-ConfigVersion", "What changed since the newest version."
        ),
    )
    related = ("Get-ConfigVersion", "Restore-ConfigVersion")

    def process(self) -> None:
        store = _store(self)
        a = int(self.params["ReferenceVersion"])
        try:
            b = (
                int(self.params["DifferenceVersion"])
                if self.params.is_bound("DifferenceVersion")
                else (store.current_version())
            )
            changes = store.diff(a, b)
        except StoreError as e:
            _store_error(self, e, a)
            return
        for obj in difference_objects(changes):
            self.write_object(obj)


class RestoreConfigVersion(Cmdlet):
    name = "Restore-ConfigVersion"
    synopsis = "Makes an earlier configuration version current again, as a new version."
    description = (
        "Commits a new version whose content equals the given version; nothing in the history is lost (the "
        "restore itself can be undone by restoring the version before it). -WhatIf lists the changes it would "
        "apply and changes nothing."
    )
    supports_should_process = True
    confirm_impact = "High"
    parameters = (
        Parameter(
            "Version",
            T.INT,
            position=0,
            mandatory=True,
            by_property_name=True,  # `Get-ConfigVersion 12 | Restore-ConfigVersion`
            validate=_positive,
            help="The version whose content becomes current.",
        ),
    )
    examples = (
        Example("Restore-ConfigVersion 41 -WhatIf", "Shows what restoring version 41 would change."),
        Example("Restore-ConfigVersion 41 -Confirm:$false", "Restores version 41 without asking."),
    )
    related = ("Get-ConfigVersion", "Compare-ConfigVersion")

    def process(self) -> None:
        store = _store(self)
        version = int(self.params["Version"])
        # A large store takes a while: reading the version, comparing, and above all checking every object
        # of it against the model's rules before it is committed. The bar appears only if it does.
        progress = LoopProgress(self, "Restore-ConfigVersion")
        try:
            self._restore(store, version, progress)
        finally:
            progress.done()

    def _restore(self, store: Any, version: int, progress: Any) -> None:
        try:
            current = store.current_version()
            progress.phase(f"Reading version {version}")
            store.snapshot(version)  # raises when the version does not exist
            progress.phase(f"Comparing version {version} with version {current}")
            changes = store.diff(current, version)
        except StoreError as e:
            _store_error(self, e, version)
            return
        if not changes:
            self.write_warning(
                f"The current configuration (version {current}) already equals version {version}. "
                "No version was created."
            )
            return
        desc = "\n".join(
            [
                (
                    f'Performing the operation "Restore-ConfigVersion" on target "version {version}". '
                    f"Changes to version {current}:"
                )
            ]
            + describe_changes(changes)
        )
        if not self.should_process(f"version {version}", "Restore-ConfigVersion", desc):
            return

        # Lazy: only a change builds operations; a Get- never imports them.
        from exshell.config.changes import ConfigChanges
        from exshell.config.operations import Restore

        def checking(done: int, total: int) -> None:
            if done + 1 < total:
                progress.step(done, total, "checking its objects")
            else:
                progress.phase(f"Saving version {version}'s content as version {current + 1}", 100)

        changes_ = ConfigChanges(store, history_text(self))
        changes_.add(Restore(version, expected=tuple(changes)))
        try:
            changes_.commit(checking)
        except StoreError as e:
            _store_error(self, e, version)
            return
        except ModelError as e:  # the version breaks a rule, or the configuration changed meanwhile
            report_model_error(self, e, version, terminating=True)
            return
        info = changes_.info
        if info is not None:
            self.write_verbose(f"Restored the content of version {version} as version {info.version}.")
