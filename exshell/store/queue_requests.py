"""Queue requests across a fleet, through the shared PostgreSQL store: how a shell on any machine reads and acts
on another server's queue (Get-Queue / Get-Message / Retry-Queue / Suspend-, Resume-, Remove-Message -Server).

A server's queue stays on its own disk, owned by its engine. Each engine's queue agent (transport/queue_agent.py)
keeps a row in `exshell_queue_agents` fresh (its heartbeat) and LISTENs on this store's queue channel. A shell
inserts its request into `exshell_queue_requests` and NOTIFYs the channel with the server's name; the agent
takes the row (`FOR UPDATE SKIP LOCKED`: one taker), answers it with what its engine answered (the queue view,
or the delivery service's acknowledgement through the local request files of delivery/control.py), and
NOTIFYs the answer channel; the shell reads the answer and removes the row. A request nobody took within the
wait is withdrawn, so it never runs after the shell reported a failure; an agent ignores requests older than
REQUEST_TTL_S.

Why the database and not a management port on each engine: the database already authenticates every party
(its roles, scram, TLS with `sslmode`), and whoever may write the configuration can already take a relay over,
so no second set of credentials, certificates or firewall openings is needed and an engine listens on no new
port; engines behind NAT are reached as well. The price is a round trip through the database (milliseconds)
and that a server whose engine can't reach the database can't be managed remotely, which the shell says.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from exshell.errors import ExshellError
from exshell.store.files import os_user

AGENT_STALE_S = 15.0  # an agent whose heartbeat is older than this is not running
HEARTBEAT_S = 5.0
REQUEST_TTL_S = 30.0  # an agent never acts on a request older than this (its shell gave up long ago)
ANSWER_TIMEOUT_S = 10.0
_BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)
_log = logging.getLogger("exshell.store")


class QueueRequestError(ExshellError):
    """The server's engine can't be asked: not running, not connected to the store, or no answer in time.
    `reason`: 'not-running' or 'no-answer'."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _channels(schema: str) -> tuple[sql.Identifier, sql.Identifier]:
    return sql.Identifier(f"exshell_queue.{schema}"), sql.Identifier(f"exshell_queue_done.{schema}")


def ask(store: Any, server: str, action: str, args: dict[str, Any], timeout: float = ANSWER_TIMEOUT_S) -> Any:
    """Send `action` to `server`'s engine and return its answer (JSON). Raises QueueRequestError when its engine
    isn't there or doesn't answer in `timeout` seconds; StoreError when the database can't be reached."""
    requests_channel, done_channel = _channels(store.schema)
    key = server.lower()
    try:
        with psycopg.connect(store.url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(done_channel))
            row = conn.execute(
                "SELECT seen, now() - seen, host FROM exshell_queue_agents WHERE server = %s", (key,)
            ).fetchone()
            if row is None or row[1].total_seconds() > AGENT_STALE_S:
                seen = "never" if row is None else f"last at {row[0].astimezone():%Y-%m-%d %H:%M:%S} from {row[2]}"
                raise QueueRequestError(
                    f"The transport engine of {server} isn't connected to the configuration store (its queue "
                    f"agent reported {seen}); start it with exshell serve --server {server}, or run the command "
                    "on that server.", "not-running")
            with conn.transaction():
                (req_id,) = conn.execute(  # type: ignore[misc]
                    "INSERT INTO exshell_queue_requests (server, action, args, who) VALUES (%s, %s, %s, %s)"
                    " RETURNING id",
                    (key, action, json.dumps(args), os_user()),
                ).fetchone()
                conn.execute(sql.SQL("NOTIFY {}, {}").format(requests_channel, sql.Literal(key)))
            deadline = time.monotonic() + timeout
            while True:
                answer = conn.execute(
                    "SELECT result FROM exshell_queue_requests WHERE id = %s AND answered IS NOT NULL", (req_id,)
                ).fetchone()
                if answer is not None:
                    conn.execute("DELETE FROM exshell_queue_requests WHERE id = %s", (req_id,))
                    return json.loads(answer[0])
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                for _note in conn.notifies(timeout=min(left, 1.0), stop_after=1):
                    pass
            withdrawn = conn.execute(
                "DELETE FROM exshell_queue_requests WHERE id = %s AND answered IS NULL RETURNING id", (req_id,)
            ).fetchone()
            conn.execute("DELETE FROM exshell_queue_requests WHERE id = %s", (req_id,))
    except psycopg.Error as e:
        raise store.error(e) from None
    what = "didn't answer" if withdrawn else "took the request but didn't confirm it"
    raise QueueRequestError(f"The transport engine of {server} {what} within {timeout:g} seconds.", "no-answer")


class QueueAgent:
    """The engine side: answers its server's requests with `handler(action, args) -> JSON`, in a thread of its
    own with a connection of its own; reconnects with backoff when the database goes away."""

    def __init__(self, store: Any, server: str, handler: Callable[[str, dict[str, Any]], Any]) -> None:
        self.store = store
        self.server = server.lower()
        self.handler = handler
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.host = socket.gethostname()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="exshell-queue-agent", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            with psycopg.connect(self.store.url, autocommit=True, connect_timeout=2) as conn:
                conn.execute("DELETE FROM exshell_queue_agents WHERE server = %s AND pid = %s",
                             (self.server, os.getpid()))
        except psycopg.Error:
            pass  # its heartbeat goes stale instead

    def _run(self) -> None:
        attempt = 0
        requests_channel, _ = _channels(self.store.schema)
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.store.url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(requests_channel))
                    attempt = 0
                    beat = 0.0
                    while not self._stop.is_set():
                        if time.monotonic() - beat >= HEARTBEAT_S:
                            self._heartbeat(conn)
                            beat = time.monotonic()
                        while self._take_one(conn):
                            pass
                        for _note in conn.notifies(timeout=0.5, stop_after=1):
                            pass
            except psycopg.Error as e:
                if attempt == 0:
                    _log.warning("queue requests from other machines wait for the configuration store (%s)",
                                 str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__)
                self._stop.wait(_BACKOFF_S[min(attempt, len(_BACKOFF_S) - 1)])
                attempt += 1

    def _heartbeat(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(
            "INSERT INTO exshell_queue_agents (server, seen, host, pid) VALUES (%s, now(), %s, %s)"
            " ON CONFLICT (server) DO UPDATE SET seen = now(), host = excluded.host, pid = excluded.pid",
            (self.server, self.host, os.getpid()),
        )

    def _take_one(self, conn: psycopg.Connection[Any]) -> bool:
        _, done_channel = _channels(self.store.schema)
        with conn.transaction():
            row = conn.execute(
                "SELECT id, action, args, now() - requested FROM exshell_queue_requests"
                " WHERE server = %s AND answered IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                (self.server,),
            ).fetchone()
            if row is None:
                return False
            req_id, action, args, age = row
            if age.total_seconds() > REQUEST_TTL_S:
                conn.execute("DELETE FROM exshell_queue_requests WHERE id = %s", (req_id,))
                return True
            try:
                result = self.handler(str(action), json.loads(args))
            except Exception as e:  # a handler's bug is the shell's error message, never the agent's end
                _log.exception("queue request %s %s failed", action, args)
                result = {"ok": False, "message": f"The transport engine failed to {action}: {e}"}
            conn.execute(
                "UPDATE exshell_queue_requests SET answered = %s, result = %s WHERE id = %s",
                (datetime.now(UTC), json.dumps(result), req_id),
            )
            conn.execute(sql.SQL("NOTIFY {}, {}").format(done_channel, sql.Literal(str(req_id))))
        return True


__all__ = ["QueueAgent", "QueueRequestError", "ask"]
