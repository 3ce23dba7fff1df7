"""The receive connectors of a working set indexed for the conflict rules: by server and name, and by server and
port, kept current as the change puts and deletes connectors.

Two connectors can only conflict when they share a name or a port on one server (a binding overlaps another
only on the same port), so a connector is compared with those alone instead of every connector of its server:
a bulk change, a restore or an adopted hand edit over N connectors costs about N checks, not N squared. The
candidates come back in the working set's order, so the first conflict found, and its message, are the ones a
check over every connector would give."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class ReceiveConnectorIndex:
    def __init__(self, objects: Mapping[str, Any]) -> None:
        self._objects = objects  # the working set's own dict: candidates are read from it
        # Position of each key in the dict's order: a new key goes last, a replaced one keeps its place.
        self._order: dict[str, int] = {}
        self._next = 0
        self._by_name: dict[tuple[str, str], set[str]] = {}
        self._by_port: dict[tuple[str, int], set[str]] = {}
        self._slots: dict[str, tuple[tuple[str, str], list[tuple[str, int]]]] = {}  # key -> where it is filed
        for key, rc in objects.items():
            self.put(key, rc)

    def put(self, key: str, rc: Any) -> None:
        """Record `rc` under `key` (call before or after the dict changes: only the key's place is kept here)."""
        self._unlink(key)
        if key not in self._order:
            self._order[key] = self._next
            self._next += 1
        server = rc.server.lower()
        name = (server, rc.name.lower())
        ports = [(server, b.port) for b in rc.bindings]
        self._by_name.setdefault(name, set()).add(key)
        for port in ports:
            self._by_port.setdefault(port, set()).add(key)
        self._slots[key] = (name, ports)

    def delete(self, key: str) -> None:
        self._unlink(key)
        self._order.pop(key, None)  # a key put again later comes last, as in the dict

    def _unlink(self, key: str) -> None:
        slots = self._slots.pop(key, None)
        if slots is None:
            return
        name, ports = slots
        _discard(self._by_name, name, key)
        for port in ports:
            _discard(self._by_port, port, key)

    def same_name(self, rc: Any) -> list[Any]:
        """The other connectors of rc's server with its name (case-insensitive), in the working set's order."""
        return self._in_order(self._by_name.get((rc.server.lower(), rc.name.lower()), ()), rc)

    def sharing_a_port(self, rc: Any) -> list[Any]:
        """The other connectors of rc's server with a binding on one of its ports, in the working set's order."""
        server = rc.server.lower()
        keys: set[str] = set()
        for b in rc.bindings:
            keys |= self._by_port.get((server, b.port), set())
        return self._in_order(keys, rc)

    def _in_order(self, keys: Iterable[str], rc: Any) -> list[Any]:
        found = [(self._order[k], self._objects[k]) for k in keys if k in self._objects]
        found.sort(key=lambda pair: pair[0])
        return [obj for _, obj in found if obj.guid != rc.guid]


def _discard(table: dict[Any, set[str]], slot: Any, key: str) -> None:
    keys = table.get(slot)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del table[slot]
