from __future__ import annotations

import pytest

from exshell.store import MutableConfig, Store, StoreError, VersionNotFoundError
from exshell.store.memory import MemoryStore


def test_memory_store_follows_the_store_contract() -> None:
    s = MemoryStore(lambda: {"c": {"k": {"Name": "one", "L": [1]}}})
    assert isinstance(s, Store)
    assert s.current_version() == 1 and s.snapshot().command == "(initial configuration)"

    def boom(doc: MutableConfig) -> None:
        doc.delete("c", "k")
        raise StoreError("no")

    with pytest.raises(StoreError):
        s.commit(boom)
    assert s.commit(lambda d: None) is None
    info = s.commit(lambda d: d.get("c", "k")["L"].append(2), command="Set-X", who="carol")
    assert info is not None and (info.version, info.who, info.command) == (2, "carol", "Set-X")
    assert s.snapshot(1).get("c", "k") == {"Name": "one", "L": (1,)}
    assert [(p.property, p.change, p.after) for p in s.diff(1, 2)[0].properties] == [("L", "Added", 2)]
    assert [h.version for h in s.history("c", "k", last=1)] == [2]
    with pytest.raises(VersionNotFoundError):
        s.snapshot(3)
    with pytest.raises(TypeError):
        s.snapshot().data["c"]["k"]["Name"] = "x"  # type: ignore[index]
