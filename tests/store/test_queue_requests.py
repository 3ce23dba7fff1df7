"""Queue requests through the shared store: an agent answers its own server's requests only, an engine that
isn't connected is reported at once, and a request nobody answers is withdrawn so it never runs later."""

from __future__ import annotations

import threading

import psycopg
import pytest

from exshell.store import open_store
from exshell.store.queue_requests import QueueRequestError

pytestmark = pytest.mark.timeout(60)


def test_an_agent_answers_requests_for_its_server_and_a_missing_one_is_reported(pg_url: str) -> None:
    store = open_store(pg_url)
    seen: list[tuple[str, dict[str, object]]] = []
    answered = threading.Event()

    def handler(action: str, args: dict[str, object]) -> object:
        seen.append((action, args))
        answered.set()
        return {"ok": True, "count": 1}

    agent = store.queue_agent("EX02", handler)  # type: ignore[attr-defined]
    agent.start()
    try:
        deadline_ok = False
        for _ in range(100):  # the agent's first heartbeat: bounded wait
            try:
                assert store.ask_queue("ex02", "retry-queue", {"queue": "q"}, 5) == {"ok": True, "count": 1}  # type: ignore[attr-defined]
                deadline_ok = True
                break
            except QueueRequestError as e:
                assert e.reason == "not-running"
                answered.wait(0.1)
        assert deadline_ok and seen == [("retry-queue", {"queue": "q"})]
        with pytest.raises(QueueRequestError, match="The transport engine of EX03 isn't connected .* reported never"):
            store.ask_queue("EX03", "queues", {})  # type: ignore[attr-defined]
    finally:
        agent.stop()
    with pytest.raises(QueueRequestError, match="EX02 isn't connected"):  # a stopped agent leaves at once
        store.ask_queue("EX02", "queues", {})  # type: ignore[attr-defined]
    assert len(seen) == 1
    store.close()  # type: ignore[attr-defined]


def test_a_request_nobody_takes_is_withdrawn(pg_url: str) -> None:
    store = open_store(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # an agent that reported, then hung
        conn.execute("INSERT INTO exshell_queue_agents VALUES ('ex04', now(), 'h', 1)")
    with pytest.raises(QueueRequestError, match="The transport engine of EX04 didn't answer within 0.3 seconds") as e:
        store.ask_queue("EX04", "retry-queue", {}, 0.3)  # type: ignore[attr-defined]
    assert e.value.reason == "no-answer"
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM exshell_queue_requests").fetchone() == (0,)
    store.close()  # type: ignore[attr-defined]
