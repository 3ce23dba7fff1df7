"""What `exshell serve` does around the engine when run as a service: inherited sockets, the privilege drop,
readiness/reload/stop notifications, the watchdog, and SIGHUP.

    before_start()  socket activation; as root with --user: hand over the state folder, bind, drop
    started()       READY=1 with a status line; the watchdog keep-alive; SIGHUP -> reload()
    reload()        RELOADING=1, re-read the configuration now, retry failed bindings, reopen the log files,
                    READY=1
    stopping()      STOPPING=1
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from exshell.service import activation
from exshell.service.notify import Notifier
from exshell.service.privileges import Account, drop_to, hand_over
from exshell.transport.listeners import ListenKey, bind_socket, desired_listeners

log = logging.getLogger("exshell.service")

# Imported before the privilege drop: after it, the interpreter's own files may be out of the user's reach
# (an interpreter under /root, say), and a lazy import in the middle of a delivery would then fail.
PRELOAD = (
    # the engine's and delivery's own lazy imports
    "exshell.transport.delivery.service",
    "exshell.transport.delivery.outcome",
    "exshell.transport.delivery.smtp_client",
    "exshell.transport.delivery.maildir",
    "exshell.transport.delivery.dsn",
    "exshell.transport.delivery.router",
    "exshell.transport.delivery.actions",
    "exshell.transport.delivery.control",
    "exshell.transport.protocol_log",
    "exshell.transport.metrics",
    "exshell.store.files",
    "exshell.model.config",
    "exshell.model.defaults",
    "exshell.model.connector",
    "exshell.model.mailbox",
    "exshell.model.send_connector",
    "exshell.model.errors",
    "exshell.runtime.wildcard",
    "exshell.runtime.session",
    # third-party and standard library modules they reach
    "exshell.transport.delivery.smtp_wire",
    "tomlkit",
    "tomllib",
    "dns.resolver",
    "dns.asyncresolver",
    "dns.exception",
    "dns.rdtypes.ANY.MX",
    "dns.rdtypes.IN.A",
    "dns.rdtypes.IN.AAAA",
    "ssl",
    "mailbox",
    "json",
    "subprocess",
    "email.parser",
    "email.feedparser",
    "email.message",
    "email.generator",
    "email.policy",
    "email.utils",
    "email.headerregistry",
    "email.charset",
    "email.encoders",
    "email.base64mime",
    "email.quoprimime",
    "email.mime.multipart",
    "email.mime.text",
    "email.mime.base",
    "email.mime.message",
    "encodings.idna",
    "encodings.punycode",
    "encodings.ascii",
    "encodings.latin_1",
    "encodings.utf_8_sig",
    "concurrent.futures.thread",
    "decimal",
    "fractions",
    "statistics",
    "uuid",
    "secrets",
    "hmac",
    "base64",
    "quopri",
    "zlib",
)


def preload() -> None:
    """Import what the engine and delivery import lazily, while still root (see PRELOAD)."""
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


class ServiceHooks:
    def __init__(self, engine: Any, *, account: Account | None = None, reuse_port: bool = False,
                 reopen_logs: Callable[[], None] | None = None, notifier: Notifier | None = None,
                 inherited: list[Any] | None = None) -> None:
        self.engine = engine
        self.account = account
        self.reuse_port = reuse_port
        self.reopen_logs = reopen_logs
        self.notifier = notifier or Notifier()
        self.inherited = inherited
        self._watchdog: asyncio.Task[None] | None = None
        self._reloading: asyncio.Task[None] | None = None

    # ---- before the first byte
    def before_start(self) -> None:
        sockets = activation.listen_fds() if self.inherited is None else self.inherited
        for sock in sockets:
            address, port = activation.socket_key(sock)
            self.engine.listeners.inherited[ListenKey(address, port)] = sock
        if sockets:
            log.info("socket activation: %d listening socket(s) passed in (%s)", len(sockets),
                     ", ".join(str(k) for k in self.engine.listeners.inherited))
        if self.account is None:
            return
        account = self.account
        if os.geteuid() != 0:
            if os.geteuid() == account.uid:
                return  # already that user (e.g. systemd's User=): nothing to drop
            raise PermissionError(f"--user {account.name} needs root to switch users")
        # As root: the imports the engine will need (after the drop the interpreter's files may be unreadable),
        # the configuration (its first read may create store files), then the whole state folder handed to the
        # user, so everything created so far is the user's too.
        preload()
        bindings = self.engine.current_bindings()
        hand_over(self.engine.state_dir, account)
        for key in desired_listeners(bindings):
            if key in self.engine.listeners.inherited:
                continue
            try:
                self.engine.listeners.inherited[key] = bind_socket(key, self.reuse_port)
            except OSError:
                pass  # the listener manager tries again and reports it with the connector's name
        drop_to(account)
        log.info("running as %s (uid %d, gid %d); listening sockets were bound as root", account.name,
                 account.uid, account.gid)

    # ---- serving
    def started(self) -> None:
        engine = self.engine
        self.notifier.ready(self.status_line())
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
        if self.notifier.watchdog_seconds > 0:
            self._watchdog = loop.create_task(self._keepalive(self.notifier.watchdog_seconds / 2))
        log.debug("service hooks active for %s", engine.server_name)

    def status_line(self) -> str:
        index = self.engine.index
        where = ", ".join(self.engine.listeners.addresses) or "no address"
        return f"serving configuration version {index.version} on {where}"

    def _on_sighup(self) -> None:
        if self._reloading is None or self._reloading.done():
            self._reloading = asyncio.get_running_loop().create_task(self.reload())

    async def reload(self) -> None:
        self.notifier.reloading()
        try:
            if self.reopen_logs is not None:
                self.reopen_logs()
            changed = await self.engine.reload_if_changed()
            if not changed:  # same version: still retry the bindings that could not be opened
                await self.engine.listeners.apply(self.engine.index.bindings())
            log.info("SIGHUP: configuration version %d in effect; log files reopened", self.engine.index.version)
        except Exception:  # a failed reload keeps the running configuration
            log.exception("reload on SIGHUP failed")
        finally:
            self.notifier.ready(self.status_line())

    async def _keepalive(self, every: float) -> None:
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(every)

    async def stopping(self) -> None:
        self.notifier.stopping()
        for task in (self._watchdog, self._reloading):
            if task is not None and not task.done():
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
