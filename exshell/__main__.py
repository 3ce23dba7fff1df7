"""`python -m exshell` = the `exshell` command."""

from __future__ import annotations

from exshell.entry import main

raise SystemExit(main())
