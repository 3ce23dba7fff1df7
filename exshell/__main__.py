"""`python -m exshell` = the `exshell` command."""

from __future__ import annotations

from exshell.cli import main

raise SystemExit(main())
