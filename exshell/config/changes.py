"""The changes of one cmdlet invocation, committed as one version (issue 3: one invocation = one version).

    changes = ConfigChanges(store, command_text)
    result = changes.add(Update(RECEIVE_CONNECTORS, rc.guid, {"RemoteIPRanges": ListEdit(add=(r,))}))
    ...                                   # more input objects: each sees the changes before it
    committed = changes.commit()          # one version; the operations re-applied to the newest version

`add` applies the operation to the invocation's preview at once, so a broken rule is reported for the input
object that broke it; `commit` re-applies every operation inside `store.commit`, under the writer lock, to
the newest version, runs the rules there again and returns what was committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exshell.config.apply import Applied, ConcurrentChangeError, apply
from exshell.config.cache import config_of, decoded_for
from exshell.config.operations import Restore
from exshell.config.working import Working
from exshell.model.errors import ModelError
from exshell.store.records import freeze, thaw


class ConfigChanges:
    def __init__(self, store: Any, command: str = "") -> None:
        self.store = store
        self.command = command
        self._ops: list[Any] = []
        self._view: Working | None = None
        self.info: Any = None  # the VersionInfo of the committed version, or None
        self.committed: list[Applied] = []

    # ------------------------------------------------------------------ what the invocation sees

    @property
    def view(self) -> Working:
        """The configuration as this invocation sees it: the newest version when it first looked, plus
        its own changes so far."""
        if self._view is None:
            snap = self.store.snapshot()
            self._view = Working.over_data(snap.data, config_of(snap), snap.version)
        return self._view

    @property
    def config(self) -> Any:
        return self.view.config

    def preview(self, op: Any) -> Applied:
        """What `op` would do on the invocation's view (nothing is queued). Raises ModelError."""
        return apply(self.view, op, commit=False)

    def add(self, op: Any) -> Applied:
        """Queue `op` after checking it on the view (raises ModelError and queues nothing when it fails)."""
        result = Applied(None, None) if isinstance(op, Restore) else apply(self.view, op)
        self._ops.append(op)
        return result

    @property
    def pending(self) -> bool:
        return bool(self._ops)

    # ------------------------------------------------------------------ the commit

    def commit(self, progress: Callable[[int, int], None] | None = None) -> list[Applied]:
        """One version for every queued operation, applied to the newest version under the writer lock.
        Returns what each operation committed (empty when nothing was queued or nothing changed).
        `progress(done, total)` is called before each operation is re-applied (a bulk change's progress)."""
        if not self._ops:
            return []
        ops, self._ops = list(self._ops), []
        targets = {op.version: self.store.snapshot(op.version) for op in ops if isinstance(op, Restore)}
        results: list[Applied] = []

        def mutate(doc: Any) -> None:
            results.clear()
            working = _working(doc)
            for done, op in enumerate(ops):
                if progress is not None and not isinstance(op, Restore):  # a restore reports its objects
                    progress(done, len(ops))
                if isinstance(op, Restore):
                    working.write(doc)
                    _restore(doc, targets[op.version], op, getattr(self.store, "validate", None), progress)
                    working = _working(doc)
                    results.append(Applied(None, None))
                else:
                    results.append(apply(working, op))
            working.write(doc)

        self.info = self.store.commit(mutate, command=self.command)
        self.committed = results
        self._view = None
        return results


def _working(doc: Any) -> Working:
    base = getattr(doc, "base", None)
    prior = decoded_for(base) if base is not None else None
    return Working(doc.view, prior, doc.version)


def _restore(doc: Any, target: Any, op: Restore, validate: Any,
             progress: Callable[[int, int], None] | None = None) -> None:
    """The restore's content replaces the newest version's, if the store's check accepts every object (the
    one a hand edit passes: validation.validate_records for a store opened by the shell or the engine) and
    the newest version is the one whose differences the administrator confirmed."""
    from exshell.store.history import diff_data  # lazy: the history types load only with a restore

    if validate is None:
        problems = []
    elif progress is not None:  # the store's validator is exshell.config.validate_records, which reports
        problems = validate(target.data, progress=progress)
    else:
        problems = validate(target.data)
    if problems:
        raise ModelError(
            f"Version {target.version} can't be restored: {problems[0]}", "InvalidConfigVersion"
        )
    current = freeze(doc.data)
    if op.expected is not None and tuple(diff_data(current, target.data)) != tuple(op.expected):
        raise ConcurrentChangeError(
            f"The configuration was changed by another command after Restore-ConfigVersion read it, so "
            f"restoring version {target.version} would now make other changes than the ones shown. Nothing "
            "was changed; run the command again to review them.",
            "ConfigurationChangedMeanwhile",
        )
    doc.data = thaw(target.data)
