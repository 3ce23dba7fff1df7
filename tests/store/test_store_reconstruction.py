"""Any old version rebuilt from the nearest snapshot plus replayed change records equals what was committed."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exshell.store.files import FileStore
from exshell.store.records import thaw

scalars = st.one_of(
    st.text(max_size=8),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(min_size=1, max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
records = st.dictionaries(st.sampled_from(["Name", "A", "B", "C", "Path\\x"]), values, max_size=4)
ops = st.lists(
    st.tuples(
        st.sampled_from(["put", "delete", "put_many"]),
        st.sampled_from(["receive_connectors", "accepted_domains", "c3"]),
        st.sampled_from(["k1", "k2", "k3", "00000000-aaaa-bbbb-cccc-000000000001"]),
        records,
    ),
    min_size=1,
    max_size=15,
)


def _model_apply(data: dict[str, Any], op: str, coll: str, key: str, rec: dict[str, Any]) -> dict[str, Any]:
    """The expected data after one op, computed without the store."""
    out = thaw(data)
    if op == "delete":
        out.get(coll, {}).pop(key, None)
    elif op == "put":
        out.setdefault(coll, {})[key] = thaw(rec)
    else:
        for k in ("k1", "k2"):
            out.setdefault(coll, {})[k] = dict(thaw(rec), Name=k)
    return {c: objs for c, objs in out.items() if objs}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops, every=st.integers(min_value=1, max_value=6))
def test_every_version_rebuilds_to_what_was_committed(
    ops: list[tuple[str, str, str, Any]], every: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "s"
        store = FileStore(state, lambda: {"c0": {"k": {"Name": "first"}}}, snapshot_every=every)
        expected = {1: {"c0": {"k": {"Name": "first"}}}}
        for op, coll, key, rec in ops:

            def mutate(doc, op=op, coll=coll, key=key, rec=rec):  # type: ignore[no-untyped-def]
                if op == "delete":
                    doc.delete(coll, key)
                elif op == "put":
                    doc.put(coll, key, rec)
                else:
                    for k in ("k1", "k2"):
                        doc.put(coll, k, dict(rec, Name=k))

            info = store.commit(mutate)
            if info is not None:
                expected[info.version] = _model_apply(expected[info.version - 1], op, coll, key, rec)
        fresh = FileStore(state, None, snapshot_every=every)  # empty cache: everything from disk
        assert fresh.current_version() == max(expected)
        for version in sorted(expected, reverse=True):
            assert thaw(fresh.snapshot(version).data) == expected[version], version
        # Rebuilt from history, not from config.toml: compare to the current file's data too.
        assert thaw(fresh.snapshot().data) == expected[max(expected)]
