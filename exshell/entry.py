"""The entry point of the `exshell` command and of `python -m exshell`: loads the shell with the garbage
collector paused, then runs exshell.cli.main.

Loading the shell creates tens of thousands of objects that live as long as the process (modules, classes,
functions, the parser's tables) and almost no garbage, yet the collector would walk them some 25 times before
the first command runs: ~5% of a one-shot `exshell -c` (bench/startup.py). They are frozen into the
permanent generation once loaded, and collection resumes for everything the command itself creates.
"""

from __future__ import annotations

import gc


def main() -> int:
    gc.disable()
    try:
        # Lazy on purpose: the whole shell is imported here, with the collector paused.
        from exshell.cli import main as cli_main
    finally:
        gc.freeze()
        gc.enable()
    return cli_main()
