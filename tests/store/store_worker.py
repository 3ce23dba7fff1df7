"""A writer process for the multi-process store tests (run as a script, not collected by pytest).

Each commit adds one item of its own and increments the shared counter, so every version must satisfy
`counters.shared.Count == len(items)`: a lost update or a half-applied commit breaks that equation.

usage: store_worker.py STORE WORKER_ID COUNT      (COUNT 0 = until killed)
"""

from __future__ import annotations

import sys
from exshell.store import MutableConfig, open_store


def initial() -> dict:
    return {"counters": {"shared": {"Name": "shared", "Count": 0}}}


def main() -> None:
    state, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = open_store(state, initial)
    i = 0
    while count == 0 or i < count:
        key = f"{worker}-{i}"

        def mutate(doc: MutableConfig, key: str = key) -> None:
            doc.put("items", key, {"Name": key, "Worker": worker})
            doc.get("counters", "shared")["Count"] += 1

        store.commit(mutate, command=f"Add-Item {key}", who=f"worker{worker}")
        i += 1
    print("done", flush=True)


if __name__ == "__main__":
    main()
