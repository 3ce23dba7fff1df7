"""systemd's readiness protocol (sd_notify(3)): datagrams such as `READY=1` to the socket in $NOTIFY_SOCKET.

Twenty lines instead of a dependency: the protocol is one sendto() of newline-separated KEY=VALUE pairs to an
AF_UNIX datagram socket (a leading '@' names an abstract socket). Without $NOTIFY_SOCKET every call is a no-op,
so `exshell serve` behaves the same in a terminal and under a supervisor.
"""

from __future__ import annotations

import os
import socket
import time


class Notifier:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        path = env.get("NOTIFY_SOCKET", "")
        self.address: str | None = None
        if path.startswith("@"):
            self.address = "\0" + path[1:]
        elif path.startswith("/"):
            self.address = path
        # WATCHDOG_USEC applies to us only when WATCHDOG_PID is unset or names this process (sd_watchdog_enabled).
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        self.watchdog_seconds = (
            int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 and pid in ("", str(os.getpid())) else 0.0
        )

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, **fields: str | int) -> bool:
        """notify(READY=1, STATUS="...") -> True when the datagram was sent."""
        if self.address is None:
            return False
        text = "\n".join(f"{k}={v}" for k, v in fields.items())
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
                # Never blocks: this runs on the event loop, and a supervisor that reads slowly (a full
                # socket buffer) must not stall the engine; a lost keep-alive is the supervisor's problem.
                s.sendto(text.encode("utf-8"), socket.MSG_DONTWAIT, self.address)
            return True
        except OSError:
            return False  # the supervisor went away, or is not reading: nothing useful to do about it here

    def ready(self, status: str) -> bool:
        return self.send(READY=1, STATUS=status, MAINPID=os.getpid())

    def reloading(self) -> bool:
        # Type=notify-reload wants MONOTONIC_USEC with RELOADING=1 (systemd 253+); older versions ignore it.
        return self.send(RELOADING=1, MONOTONIC_USEC=int(time.monotonic() * 1e6))

    def stopping(self) -> bool:
        return self.send(STOPPING=1, STATUS="stopping: finishing sessions in progress")

    def watchdog(self) -> bool:
        return self.send(WATCHDOG=1)

    def status(self, text: str) -> bool:
        return self.send(STATUS=text)
