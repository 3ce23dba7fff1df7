"""The package uses its dependencies through their public API only (issue 13): no access to a private
attribute (`obj._name`) that asyncio, ssl or aiosmtpd define, no private module attribute (`asyncio._x`), no
assignment into another module's namespace (monkeypatching), and no import of aiosmtpd at all (the engine's
protocol core is its own: exshell/transport/smtp_core.py)."""

from __future__ import annotations

import ast
import asyncio
import asyncio.sslproto
import ssl
from pathlib import Path

import exshell

PACKAGE = Path(exshell.__file__).parent


def _private_names_of_dependencies() -> set[str]:
    classes: list[type] = [
        asyncio.StreamReader, asyncio.StreamWriter, asyncio.StreamReaderProtocol, asyncio.Transport,
        asyncio.BaseTransport, asyncio.Protocol, asyncio.Server, asyncio.Task, asyncio.Future,
        asyncio.TimerHandle, asyncio.Handle, asyncio.BaseEventLoop, asyncio.sslproto.SSLProtocol,
        ssl.SSLContext, ssl.SSLObject, ssl.SSLSocket,
    ]
    names = {n for cls in classes for n in vars(cls) if n.startswith("_") and not n.startswith("__")}
    # instance attributes set in __init__ (StreamReader._buffer, SSLProtocol._app_transport, ...)
    for cls in classes:
        init = vars(cls).get("__init__")
        code = getattr(init, "__code__", None)
        if code is not None:
            names |= {n for n in code.co_names if n.startswith("_") and not n.startswith("__")}
    return names | SUBCLASS_PRIVATE


# aiosmtpd.smtp.SMTP's internals the old engine reached through `self` as its subclass
SUBCLASS_PRIVATE = {"_handler_coroutine", "_set_rset_state", "_reset_timeout", "_timeout_cb", "_reader", "_writer",
                    "_smtp_methods", "_tls_protocol", "_original_transport", "_timeout_duration", "_auth_methods"}
PRIVATE = _private_names_of_dependencies()


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _findings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    modules: set[str] = set()  # names bound to imported modules in this file
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                modules.add(alias.asname or alias.name.split(".")[0])
                if alias.name.split(".")[0] == "aiosmtpd":
                    out.append(f"{path.name}:{node.lineno}: imports aiosmtpd")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "aiosmtpd":
            out.append(f"{path.name}:{node.lineno}: imports aiosmtpd")
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in modules:
                    out.append(f"{path.name}:{node.lineno}: assigns {t.value.id}.{t.attr} (monkeypatching)")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in modules:
                out.append(f"{path.name}:{node.lineno}: private module attribute {owner.id}.{node.attr}")
            elif node.attr in SUBCLASS_PRIVATE or (
                    node.attr in PRIVATE and not (isinstance(owner, ast.Name) and owner.id in ("self", "cls"))):
                out.append(f"{path.name}:{node.lineno}: {ast.unparse(owner)}.{node.attr} is private to a dependency")
    return out


def test_the_package_uses_no_private_attribute_of_a_dependency():
    findings = [f for path in _modules() for f in _findings(path)]
    assert findings == []


def test_the_check_finds_what_the_old_engine_did(tmp_path):
    bad = tmp_path / "old_session.py"
    bad.write_text(
        "import aiosmtpd.smtp as s\nimport inspect\n"
        "s.inspect = object()\n"
        "def f(self, reader):\n    reader._buffer\n    self._handler_coroutine.cancel()\n",
        encoding="utf-8",
    )
    found = _findings(bad)
    assert any("imports aiosmtpd" in f for f in found)
    assert any("monkeypatching" in f for f in found)
    assert any("reader._buffer" in f for f in found)
    assert any("self._handler_coroutine" in f for f in found)
