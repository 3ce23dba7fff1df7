"""The working set of a change: the model objects of one configuration, decoded per collection on first
use, with the objects the change puts or deletes. Built over the records of the version being committed
(a MutableConfig) or of a snapshot (the preview an invocation checks its input against)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from exshell.config.cache import unreadable
from exshell.config.connector_index import ReceiveConnectorIndex
from exshell.config.kinds import kind_of
from exshell.model.config import MODEL_COLLECTIONS, RECEIVE_CONNECTORS, Config
from exshell.model.errors import ModelDataError

Records = Mapping[str, Mapping[str, Any]]


class Working:
    def __init__(
        self,
        view: Callable[[str], Records],
        prior: tuple[Any, Config] | None = None,
        version: int = 0,
    ) -> None:
        """`view(collection)` gives the records; `prior` is (data, Config) of a version this process has
        decoded already: a record that is the very same object there is not decoded again."""
        self._view = view
        self._prior = prior
        self.version = version  # the version the records are of (for messages)
        self._objects: dict[str, dict[str, Any]] = {}
        self._indexes: dict[str, Any] = {}  # collection -> an index kept current by put/delete (receive_connectors)
        self.dirty: dict[tuple[str, str], Any] = {}  # (collection, key) -> object, or None when deleted

    @classmethod
    def over_data(cls, data: Any, config: Config | None = None, version: int = 0) -> Working:
        empty: Records = {}
        return cls(lambda c: data.get(c) or empty, (data, config) if config is not None else None, version)

    def objects(self, collection: str) -> dict[str, Any]:
        """key -> model object, as the change sees it so far (do not modify the dict: use put/delete)."""
        found = self._objects.get(collection)
        if found is None:
            try:
                found = self._objects[collection] = self._decode(collection)
            except ModelDataError as exc:  # a stored record the model can't read: say how to repair it
                raise unreadable(self.version, exc) from None
        return found

    def _decode(self, collection: str) -> dict[str, Any]:
        kind = kind_of(collection)
        records = self._view(collection)
        out: dict[str, Any] = {}
        if kind.singleton is not None:  # one record of a shared collection (settings): the others aren't ours
            record = records.get(kind.singleton)
            return {kind.singleton: kind.decode(kind.singleton, record or {})}
        if self._prior is not None:
            data, config = self._prior
            before = data.get(collection)
            if before is not None and before is records and collection in MODEL_COLLECTIONS:
                # The very records of a version this process decodes: decode through its Config, so the shell,
                # the seam's commit and the engine share one decoding (cache.py).
                out = dict(zip(before.keys(), config.decoded(collection)))
            else:
                decoded = config._decoded.get(collection)  # only what is decoded already: never decode twice
                if before is not None and decoded is not None and len(before) == len(decoded):
                    reuse = {k: (r, o) for (k, r), o in zip(before.items(), decoded)}
                    for key, record in records.items():
                        hit = reuse.get(key)
                        out[key] = hit[1] if hit is not None and hit[0] is record else kind.decode(key, record)
                else:
                    out = {key: kind.decode(key, record) for key, record in records.items()}
        else:
            out = {key: kind.decode(key, record) for key, record in records.items()}
        return out

    def get(self, collection: str, key: str) -> Any:
        return self.objects(collection).get(key)

    def put(self, collection: str, key: str, obj: Any) -> None:
        self.objects(collection)[key] = obj
        self.dirty[(collection, key)] = obj
        index = self._indexes.get(collection)
        if index is not None:
            index.put(key, obj)

    def delete(self, collection: str, key: str) -> None:
        self.objects(collection).pop(key, None)
        self.dirty[(collection, key)] = None
        index = self._indexes.get(collection)
        if index is not None:
            index.delete(key)

    def receive_connector_index(self) -> ReceiveConnectorIndex:
        """The receive connectors by server and name / port (the conflict rules' candidates), built on first
        use and kept current by put and delete."""
        index = self._indexes.get(RECEIVE_CONNECTORS)
        if index is None:
            index = self._indexes[RECEIVE_CONNECTORS] = ReceiveConnectorIndex(self.objects(RECEIVE_CONNECTORS))
        return index  # type: ignore[no-any-return]

    @property
    def config(self) -> Config:
        """A Config over the working set (lookups such as resolve_receive_connector); a new view each time,
        so it never shows a state older than the working set."""
        return Config.lazy(None, lambda c: self.objects(c).values())

    def write(self, doc: Any) -> None:
        """Put the changed objects into the store's MutableConfig as records."""
        for (collection, key), obj in self.dirty.items():
            if obj is None:
                doc.delete(collection, key)
            else:
                doc.put(collection, key, kind_of(collection).encode(obj))
