"""Delivery's stages meet through public APIs: no module of the delivery package, and no queue cmdlet, reads or
writes a private attribute of another object (`other._name`; only `self._name` and `cls._name`)."""

from __future__ import annotations

import ast
from pathlib import Path

import exshell

PACKAGE = Path(exshell.__file__).parent
FILES = sorted((PACKAGE / "transport" / "delivery").glob("*.py")) + [PACKAGE / "cmdlets" / "queue.py"]


def test_no_private_attribute_of_another_object_is_touched() -> None:
    found = []
    for path in FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute) or not node.attr.startswith("_") or node.attr.startswith("__"):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {ast.unparse(node)}")
    assert len(FILES) > 10 and found == []
