"""The command-line options, declared once: the fast parser (exshell.shell.runner.parse_fast) and the click
group (exshell.cli) both read this table, so both accept the same spellings."""

from __future__ import annotations


class Option:
    # A row of the table below: a plain slotted class, not a dataclass (generating one costs about a
    # millisecond of every start-up, and this module is on every one).
    __slots__ = ("names", "dest", "help", "metavar", "envvar")

    def __init__(self, names: tuple[str, ...], dest: str, help: str, metavar: str, envvar: str | None = None) -> None:
        self.names = names  # every accepted spelling; matched case-insensitively (pwsh's -Command / -command)
        self.dest = dest
        self.help = help
        self.metavar = metavar
        self.envvar = envvar


OPTIONS: tuple[Option, ...] = (
    Option(("-c", "-Command", "--command"), "command", "Run TEXT as exshell commands and exit.", "TEXT"),
    Option(
        ("-f", "-File", "--file"),
        "file",
        "Run the .ps1 script PATH; the arguments after it become $args.",
        "PATH",
    ),
    Option(
        ("--state",),
        "state",
        "The state folder (configuration store, history, logs). Default: ./state in a checkout, else "
        "$XDG_STATE_HOME/exshell.",
        "DIR",
        envvar="EXSHELL_STATE",
    ),
    Option(
        ("--store",),
        "store",
        "The configuration store: a postgresql:// URL that a fleet of servers shares (default: the state "
        "folder's own store).",
        "URL",
        envvar="EXSHELL_STORE",
    ),
    Option(
        ("--server",),
        "server",
        "The server name this shell administers (default: the store's first).",
        "NAME",
    ),
)

_BY_NAME = {n.lower(): o for o in OPTIONS for n in o.names}


def find_option(name: str) -> Option | None:
    return _BY_NAME.get(name.lower())
