"""`exshell install-service`: the packaged systemd unit, filled in for this installation and put in place."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

UNIT_NAME = "exshell.service"
SOCKET_NAME = "exshell.socket"


@dataclass(frozen=True, slots=True)
class UnitPlan:
    unit: str  # the unit file's text
    path: Path
    socket_path: Path | None
    user: str
    state: Path
    warnings: tuple[str, ...] = ()


def template(name: str) -> str:
    return resources.files("exshell.service").joinpath(name).read_text(encoding="utf-8")


def exec_command() -> str:
    """This interpreter running this package: right for a venv, pipx or a system install alike."""
    return f"{shlex.quote(sys.executable)} -m exshell"


def plan(user: str, state: Path, unit_dir: Path, with_socket: bool = False) -> UnitPlan:
    warnings = []
    if not state.is_absolute() or state.parent != Path("/var/lib"):
        warnings.append(f"StateDirectory= manages folders under /var/lib only; create {state} owned by {user} "
                        "with mode 0700 yourself")
        state_dir_name = ""
    else:
        state_dir_name = state.name
    exe = Path(sys.executable)
    if any(str(exe).startswith(p) for p in ("/root/", "/home/")):
        warnings.append(f"the interpreter {exe} is under a home folder, which the service user may not be "
                        "able to read; install with `pipx install --global` or into a venv under /opt")
    text = (template(UNIT_NAME).replace("@EXEC@", exec_command()).replace("@STATE@", shlex.quote(str(state)))
            .replace("@USER@", user).replace("@STATEDIR@", state_dir_name or "exshell"))
    if not state_dir_name:
        text = "\n".join(line for line in text.splitlines() if not line.startswith("StateDirectory")) + "\n"
    return UnitPlan(text, unit_dir / UNIT_NAME, unit_dir / SOCKET_NAME if with_socket else None, user, state,
                    tuple(warnings))


def ensure_user(user: str) -> str | None:
    """Create the system account when missing (useradd --system); the message to show, or None."""
    import pwd

    try:
        pwd.getpwnam(user)
        return None
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if useradd is None:
        raise OSError(f"there is no user '{user}' and no useradd to create it")
    nologin = shutil.which("nologin") or "/usr/sbin/nologin"
    subprocess.run([useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                    "--shell", nologin, user], check=True)
    return f"created the system user {user}"


def install(p: UnitPlan) -> list[str]:
    """Write the unit (and socket) files; return what was done, for the user."""
    done = []
    p.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.path.with_name(p.path.name + ".tmp")
    tmp.write_text(p.unit, encoding="utf-8")
    os.chmod(tmp, 0o644)
    os.replace(tmp, p.path)
    done.append(f"wrote {p.path}")
    if p.socket_path is not None:
        p.socket_path.write_text(template(SOCKET_NAME), encoding="utf-8")
        os.chmod(p.socket_path, 0o644)
        done.append(f"wrote {p.socket_path} (edit ListenStream= to your connectors' bindings)")
    return done
