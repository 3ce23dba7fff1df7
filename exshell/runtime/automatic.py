"""The automatic variables that describe the shell itself: `$PSVersionTable` and `$Host`
(about_Automatic_Variables), and the HistoryInfo records Get-History lists.

`$PSVersionTable.PSVersion` is the language level exshell implements: Windows PowerShell 5.1, the shell the
Exchange Management Shell runs in (its error view and formatting are 5.1's); `ExshellVersion` says which
exshell this is. `$Host` is built on each read so `UI.RawUI.WindowSize.Width` follows a resized terminal.
"""

from __future__ import annotations

import datetime as _dt
import platform
import shutil
import sys
import uuid
from typing import Any

from exshell.runtime.values import PSHashtable, PSObject

VERSION_TYPE = "System.Version"
HOST_TYPE = "System.Management.Automation.Internal.Host.InternalHost"
HISTORY_TYPE = "Microsoft.PowerShell.Commands.HistoryInfo"
PS_LANGUAGE_VERSION = (5, 1)
# The console host's name: scripts test `$Host.Name -eq 'ConsoleHost'` before prompting.
HOST_NAME = "ConsoleHost"
_INSTANCE_ID = str(uuid.uuid4())


def version_object(text: str) -> PSObject:
    """A System.Version: Major, Minor, Build, Revision (-1 when absent), shown as its text."""
    parts = []
    for piece in text.split(".")[:4]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits) if digits else 0)
    parts += [-1] * (4 - len(parts))
    if parts[1] < 0:
        parts[1] = 0
    shown = ".".join(str(p) for p in parts if p >= 0)
    return PSObject(
        [("Major", parts[0]), ("Minor", parts[1]), ("Build", parts[2]), ("Revision", parts[3])],
        (VERSION_TYPE, "System.Object"),
        to_string=shown,
    )


def ps_version_table() -> PSHashtable:
    from exshell.version import version

    table = PSHashtable()
    table["PSVersion"] = version_object("%d.%d" % PS_LANGUAGE_VERSION)
    table["PSEdition"] = "Desktop"
    table["PSCompatibleVersions"] = [version_object(v) for v in ("1.0", "2.0", "3.0", "4.0", "5.0", "5.1")]
    table["ExshellVersion"] = version()
    table["PythonVersion"] = platform.python_version()
    table["OS"] = f"{platform.system()} {platform.release()}"
    table["Platform"] = "Win32NT" if sys.platform == "win32" else "Unix"
    return table


def _size(width: int, height: int) -> PSObject:
    return PSObject([("Width", width), ("Height", height)], ("System.Management.Automation.Host.Size",
                                                           "System.ValueType", "System.Object"),
                    to_string=f"{width},{height}")


def host_object(host: Any) -> PSObject:
    """`$Host`: Name, Version, InstanceId, UI.RawUI (WindowSize / BufferSize follow the host's width)."""
    from exshell.version import version

    width = int(getattr(host, "width", 120) or 120)
    height = shutil.get_terminal_size((width, 50)).lines if getattr(host, "is_terminal", False) else 50
    raw = PSObject(
        [
            ("ForegroundColor", "Gray"),
            ("BackgroundColor", "Black"),
            ("BufferSize", _size(width, height)),
            ("WindowSize", _size(width, height)),
            ("MaxWindowSize", _size(width, height)),
            ("MaxPhysicalWindowSize", _size(width, height)),
            ("WindowTitle", "exshell"),
        ],
        ("System.Management.Automation.Internal.Host.InternalHostRawUserInterface", "System.Object"),
    )
    ui = PSObject([("RawUI", raw)], ("System.Management.Automation.Internal.Host.InternalHostUserInterface",
                                     "System.Object"))
    return PSObject(
        [
            ("Name", HOST_NAME),
            ("Version", version_object(version())),
            ("InstanceId", _INSTANCE_ID),
            ("UI", ui),
            ("CurrentCulture", "en-US"),
            ("CurrentUICulture", "en-US"),
            ("PrivateData", None),
            ("DebuggerEnabled", False),
            ("IsRunspacePushed", False),
            ("Runspace", None),
        ],
        (HOST_TYPE, "System.Management.Automation.Host.PSHost", "System.Object"),
        to_string=HOST_TYPE,
    )


def history_entry(entry_id: int, command_line: str, ok: bool, start: _dt.datetime,
                  end: _dt.datetime) -> PSObject:
    """One HistoryInfo: Id, CommandLine, ExecutionStatus, StartExecutionTime, EndExecutionTime, Duration."""
    return PSObject(
        [
            ("Id", entry_id),
            ("CommandLine", command_line),
            ("ExecutionStatus", "Completed" if ok else "Failed"),
            ("StartExecutionTime", start),
            ("EndExecutionTime", end),
            ("Duration", end - start),
        ],
        (HISTORY_TYPE, "System.Object"),
        to_string=command_line,
    )
