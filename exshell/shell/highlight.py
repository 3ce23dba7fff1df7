"""Syntax highlighting: pygments' PowerShellLexer through prompt_toolkit's PygmentsLexer (imported lazily)."""

from __future__ import annotations

from typing import Any


def powershell_lexer() -> Any:
    from prompt_toolkit.lexers import PygmentsLexer
    from pygments.lexers.shell import PowerShellLexer

    return PygmentsLexer(PowerShellLexer)
