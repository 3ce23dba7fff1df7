"""Socket activation (sd_listen_fds(3)): listening sockets handed over by systemd (or the privileged parent).

systemd passes them as file descriptors 3, 4, ... with $LISTEN_FDS (how many) and $LISTEN_PID (for whom). The
engine serves each one whose address is a binding of an enabled receive connector, as if it had bound it.
"""

from __future__ import annotations

import os
import socket

FIRST_FD = 3  # SD_LISTEN_FDS_START


def listen_fds(environ: dict[str, str] | None = None, unset: bool = True) -> list[socket.socket]:
    """The sockets passed to this process; [] without socket activation. Unsets the variables (as
    sd_listen_fds(1) does) so that child processes don't take them for their own."""
    env = os.environ if environ is None else environ
    count, pid = env.get("LISTEN_FDS", ""), env.get("LISTEN_PID", "")
    if not count.isdigit() or pid != str(os.getpid()):
        return []
    if unset:
        for name in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
            env.pop(name, None)
    out = []
    for fd in range(FIRST_FD, FIRST_FD + int(count)):
        os.set_inheritable(fd, False)
        s = socket.socket(fileno=fd)
        if s.type == socket.SOCK_STREAM:
            s.setblocking(False)
            out.append(s)
        else:
            s.detach()
    return out


def socket_key(sock: socket.socket) -> tuple[str, int]:
    """(address, port) as the listener manager names a binding."""
    name = sock.getsockname()
    return str(name[0]), int(name[1])
