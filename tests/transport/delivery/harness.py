"""Delivery test helpers: a shell over a store in tmp_path, a recording smart host (aiosmtpd on loopback),
the delivery service on its own event-loop thread, and spooling a message the way the engine does."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from exshell.cmdlets.registry import default_registry
from exshell.model.defaults import initial_config
from exshell.runtime.host import BufferHost
from exshell.app import Services
from exshell.runtime.session import Session
from exshell.store import open_store
from exshell.transport.spool import Spool

SERVER = "EX01"
FQDN = "ex01.contoso.com"
DOMAIN = "contoso.com"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Result:
    success: bool
    output: str
    errors: str


class Shell:
    def __init__(self, state: Path, fqdn: str = FQDN) -> None:
        self.state = state
        self.services = Services(state, SERVER)
        self.services._store = open_store(state, initial=lambda: initial_config(SERVER, fqdn))
        self.host = BufferHost()
        self.session = Session(default_registry(), self.services, self.host)

    @property
    def store(self) -> Any:
        return self.services.store

    def run(self, text: str) -> Result:
        self.host._out.clear()
        self.host.errors.clear()
        self.host.warnings.clear()
        r = self.session.run(text)
        return Result(r.success, self.host.output, self.host.error_text)

    def ok(self, text: str) -> str:
        r = self.run(text)
        assert r.success and not r.errors, f"{text!r} failed:\n{r.errors}"
        return r.output

    def values(self, text: str) -> list[str]:
        return [line.strip() for line in self.ok(text).splitlines() if line.strip()]


@dataclass
class Recorded:
    sender: str
    recipients: list[str]
    data: bytes
    helo: str
    tls: bool = False


@dataclass
class SmartHostHandler:
    messages: list[Recorded] = field(default_factory=list)
    rcpt_reply: dict[str, str] = field(default_factory=dict)  # address → reply (e.g. '550 5.1.1 ...')
    data_reply: str | None = None
    mail_reply: str | None = None  # e.g. '550 5.7.1 Sender refused'
    mail_from: list[str] = field(default_factory=list)  # every MAIL FROM address, as sent
    delay: float = 0.0
    pipelining: bool = True  # offered, as Exchange, Postfix and Office 365 do (aiosmtpd itself doesn't)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
                          ) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        self.mail_from.append(address)
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        reply = self.rcpt_reply.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Recipient OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.data_reply:
            return self.data_reply
        self.messages.append(
            Recorded(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                bytes(envelope.content),
                str(session.host_name),
                session.ssl is not None,
            )
        )
        return "250 2.0.0 OK queued"


class SmartHost:
    """An aiosmtpd server on 127.0.0.1 that records what it receives; stop() and start() keep the port."""

    def __init__(self, port: int | None = None, tls_context: Any = None) -> None:
        self.port = port or free_port()
        self.handler = SmartHostHandler()
        self.controller: Any = None
        self.tls_context = tls_context  # set: STARTTLS is offered

    def start(self) -> SmartHost:
        from aiosmtpd.controller import Controller

        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, tls_context=self.tls_context
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[Recorded]:
        return self.handler.messages


class ServiceThread:
    """The real DeliveryService on its own event-loop thread."""

    def __init__(self, state: Path, store: Any, poll_interval: float = 0.05) -> None:
        from exshell.transport.delivery.service import DeliveryService

        self.loop = asyncio.new_event_loop()
        self.service = DeliveryService(state, store, SERVER, poll_interval=poll_interval)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def run(self, coro: Any, timeout: float = 15.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> ServiceThread:  # noqa: PYI034
        self.thread.start()
        self.run(self.service.start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self.service.stop(grace=2.0), timeout=20.0)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


def make_message(
    sender: str,
    recipients: list[str],
    subject: str,
    body: str = "Scanned document attached.\n",
    message_id: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender or "MAILER-DAEMON"
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{message_id or f'{time.time_ns()}@copier.contoso.com'}>"
    msg["Received"] = f"from copier ([127.0.0.60]) by {FQDN} with Microsoft SMTP Server"
    msg.set_content(body)
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def spool_message(
    state: Path,
    sender: str,
    recipients: list[str],
    subject: str = "Scan",
    received: dt.datetime | None = None,
    **extra: Any,
) -> str:
    """What the receiving engine writes: an envelope line and the raw message, durably."""
    data = make_message(sender, recipients, subject)
    mid = data.split(b"Message-ID: <", 1)[1].split(b">", 1)[0].decode()
    envelope = {
        "message_id": mid,
        "sender": sender,
        "recipients": recipients,
        "connector": f"{SERVER}\\Copier Relay",
        "local": "127.0.0.17:25",
        "remote": "127.0.0.60:40000",
        "helo": "copier",
        "received": (received or dt.datetime.now(dt.UTC)).isoformat(),
        "size": len(data),
        **extra,
    }
    # One Spool per folder, as in the engine: its id counter keeps two messages in one millisecond apart.
    spool = _spools.get(state)
    if spool is None:
        spool = _spools[state] = Spool(state / "spool")
    return spool.store_blocking(envelope, data)


_spools: dict[Path, Spool] = {}


def configure(
    shell: Shell, smart_host_port: int | None, *, retry: str = "00:00:01", expiration: str = "00:10:00"
) -> None:
    """The copier-relay organization: contoso.com authoritative with two mailboxes, fabrikam.com internal
    relay, a send connector for everything else to the test smart host, short retry intervals."""
    shell.ok("New-Mailbox -Name alice -PrimarySmtpAddress alice@contoso.com")
    shell.ok("New-Mailbox -Name scanner -PrimarySmtpAddress scanner@contoso.com")
    shell.ok("New-AcceptedDomain -Name Fabrikam -DomainName fabrikam.com -DomainType InternalRelay")
    if smart_host_port is not None:
        shell.ok(
            f"New-SendConnector -Name 'To SmartHost' -AddressSpaces '*' -SmartHosts '[127.0.0.1]:{smart_host_port}'"
        )
    shell.ok(
        f"Set-TransportConfig -MessageRetryInterval {retry} -TransientFailureRetryInterval {retry} "
        f"-MessageExpirationTimeout {expiration}"
    )


class CountingSmartHost:
    """A minimal SMTP server on 127.0.0.1 (one or more ports, one set of counters) that counts what a relay's
    outbound side does: connections open at once (`peak`), connections made, messages, RSETs. It answers DATA
    after `delay` seconds, so concurrent deliveries overlap. Its own event loop on a thread."""

    def __init__(self, ports: int = 1, delay: float = 0.0) -> None:
        self.delay = delay
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.servers: list[asyncio.base_events.Server] = []
        self.ports: list[int] = []
        self.lock = threading.Lock()
        self.open = 0
        self.peak = 0
        self.connections = 0
        self.messages = 0
        self.resets = 0
        self._count = ports

    def __enter__(self) -> CountingSmartHost:  # noqa: PYI034
        self.thread.start()
        for _ in range(self._count):
            server = asyncio.run_coroutine_threadsafe(
                asyncio.start_server(self._session, "127.0.0.1", 0), self.loop).result(10)
            self.servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        async def close() -> None:
            for server in self.servers:
                server.close()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def reset_peak(self) -> None:
        with self.lock:
            self.peak = self.open

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self.lock:
            self.open += 1
            self.connections += 1
            self.peak = max(self.peak, self.open)
        closed = False

        def close_count() -> None:
            nonlocal closed
            if not closed:
                closed = True
                with self.lock:
                    self.open -= 1

        try:
            writer.write(b"220 counting.example ESMTP\r\n")
            while True:
                line = await reader.readline()
                if not line:
                    break
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    writer.write(b"250-counting.example\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go ahead\r\n")
                    await writer.drain()
                    while (await reader.readline()) not in (b".\r\n", b""):
                        pass
                    if self.delay:
                        await asyncio.sleep(self.delay)
                    with self.lock:
                        self.messages += 1
                    writer.write(b"250 2.0.0 OK\r\n")
                elif verb == b"RSET":
                    with self.lock:
                        self.resets += 1
                    writer.write(b"250 2.0.0 OK\r\n")
                elif verb == b"QUIT":
                    close_count()  # before the reply: the client frees its slot only after reading it
                    writer.write(b"221 2.0.0 Bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"250 2.0.0 OK\r\n")
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            close_count()
            writer.close()
