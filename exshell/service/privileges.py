"""Starting as root and running as an unprivileged user (`exshell serve --user NAME`).

The order is the point: as root, only what needs root: the configuration is read (to know the bindings), the
state folder is handed to the user (as systemd's StateDirectory= does: everything in it, including what that
read created, becomes the user's) and the listening sockets are bound (ports below 1024). Then the process
becomes the user for good (groups, gid, uid: no way back) before the first connection is accepted, so no
byte from a client is ever read by root.
"""

from __future__ import annotations

import grp
import os
import pwd
from dataclasses import dataclass
from pathlib import Path


class PrivilegeError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    uid: int
    gid: int


def find_account(name: str) -> Account:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        if name.isdigit():
            return Account(name, int(name), int(name))
        raise PrivilegeError(f"there is no user named '{name}'") from None
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)


def hand_over(folder: Path, account: Account) -> None:
    """chown -R the folder to the account (what StateDirectory= does for User=); never follows symlinks."""
    folder.mkdir(parents=True, exist_ok=True)
    for root, dirs, files in os.walk(folder):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            st = os.lstat(name)
            if (st.st_uid, st.st_gid) != (account.uid, account.gid):
                os.lchown(name, account.uid, account.gid)


def drop_to(account: Account) -> None:
    """Become the account for good: supplementary groups, then gid, then uid (the order that leaves no root
    group behind). Verified: getting root back must fail."""
    try:
        names = [g.gr_name for g in grp.getgrall() if account.name in g.gr_mem]
        os.setgroups(sorted({account.gid, *(grp.getgrnam(n).gr_gid for n in names)}))
    except (KeyError, OSError):
        os.setgroups([account.gid])
    os.setgid(account.gid)
    os.setuid(account.uid)
    if account.uid != 0:
        try:
            os.setuid(0)
        except PermissionError:
            return
        raise PrivilegeError("the privilege drop could be undone; refusing to serve")
