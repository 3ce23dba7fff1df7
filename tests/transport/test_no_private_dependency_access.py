"""The package uses its dependencies through their public API only (issue 13): no access to a private
attribute (`obj._name`) that asyncio, ssl or aiosmtpd define, no private module attribute (`asyncio._x`), no
assignment into another module's namespace (monkeypatching), and no import of aiosmtpd or aiosmtplib at all (the
engine's protocol core is its own, exshell/transport/smtp_core.py, and so is delivery's outbound client,
exshell/transport/delivery/smtp_wire.py; both are tests' and benchmarks' tools only)."""

from __future__ import annotations

import ast
import asyncio
import asyncio.selector_events
import asyncio.sslproto
import importlib
import inspect
import ssl
from pathlib import Path

import exshell

PACKAGE = Path(exshell.__file__).parent


def _private_names_of_dependencies() -> set[str]:
    classes: list[type] = [
        asyncio.StreamReader, asyncio.StreamWriter, asyncio.StreamReaderProtocol, asyncio.Transport,
        asyncio.BaseTransport, asyncio.Protocol, asyncio.Server, asyncio.Task, asyncio.Future,
        asyncio.TimerHandle, asyncio.Handle, asyncio.BaseEventLoop, asyncio.sslproto.SSLProtocol,
        asyncio.sslproto._SSLProtocolTransport, asyncio.selector_events._SelectorSocketTransport,  # noqa: SLF001
        asyncio.selector_events.BaseSelectorEventLoop, ssl.SSLContext, ssl.SSLObject, ssl.SSLSocket,
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
PROTOCOL_DEPENDENCIES = {"asyncio", "ssl", "aiosmtpd", "uvloop", "logging"}
TEST_ONLY = ("aiosmtpd", "aiosmtplib")  # the test extra's SMTP server and client: never imported by the package


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _inherited_private(cls: type) -> set[str]:
    """The private names a class inherits from the protocol layer's dependencies (asyncio.Protocol for the SMTP
    core): `self._x` inside it is then a dependency's internal, not the class's own field."""
    names: set[str] = set()
    for base in cls.__mro__[1:]:
        if base.__module__.split(".")[0] not in PROTOCOL_DEPENDENCIES:
            continue
        names |= {n for n in vars(base) if n.startswith("_") and not n.startswith("__")}
        code = getattr(vars(base).get("__init__"), "__code__", None)
        if code is not None:
            names |= {n for n in code.co_names if n.startswith("_") and not n.startswith("__")}
    return names


def _class_findings(path: Path, tree: ast.AST, module: object) -> list[str]:
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(module, node.name, None)
        if not inspect.isclass(cls):
            continue
        inherited = _inherited_private(cls)
        for sub in ast.walk(node):
            if (isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id in ("self", "cls")
                    and sub.attr in inherited):
                out.append(f"{path.name}:{sub.lineno}: self.{sub.attr} is private to a base class of {node.name}")
    return out


# Module attributes a library documents as settings to assign: the logging HOWTO's "Optimization" section
# tells an application to set these to skip gathering what no formatter shows.
DOCUMENTED_SWITCHES = {("logging", "logThreads"), ("logging", "logProcesses"), ("logging", "logMultiprocessing"),
                       ("logging", "logAsyncioTasks")}


def _findings(path: Path, module: object = None) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    modules: set[str] = set()  # names bound to imported modules in this file
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                modules.add(alias.asname or alias.name.split(".")[0])
                if alias.name.split(".")[0] in TEST_ONLY:
                    out.append(f"{path.name}:{node.lineno}: imports {alias.name.split('.')[0]}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in TEST_ONLY:
            out.append(f"{path.name}:{node.lineno}: imports {(node.module or '').split('.')[0]}")
    # aiosmtpd's SMTP internals (`self._reader`, ...) only mean something where aiosmtpd is imported (flagged
    # above already); elsewhere the same names are a class's own fields.
    uses_aiosmtpd = any("imports aiosmtpd" in f for f in out)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if (isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in modules
                        and (t.value.id, t.attr) not in DOCUMENTED_SWITCHES):
                    out.append(f"{path.name}:{node.lineno}: assigns {t.value.id}.{t.attr} (monkeypatching)")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in modules:
                out.append(f"{path.name}:{node.lineno}: private module attribute {owner.id}.{node.attr}")
            elif (node.attr in SUBCLASS_PRIVATE and uses_aiosmtpd) or (
                    node.attr in PRIVATE and not (isinstance(owner, ast.Name) and owner.id in ("self", "cls"))):
                out.append(f"{path.name}:{node.lineno}: {ast.unparse(owner)}.{node.attr} is private to a dependency")
    if module is not None:
        out += _class_findings(path, tree, module)
    return out


def test_the_package_uses_no_private_attribute_of_a_dependency():
    findings = []
    for path in _modules():
        # The class-aware check (classes derived from asyncio's or logging's) needs the module imported: the
        # engine's and the service's modules only, so that the test stays cheap; every other module gets the
        # source checks.
        deep = path.is_relative_to(PACKAGE / "transport") or path.is_relative_to(PACKAGE / "service")
        findings += _findings(path, importlib.import_module(_module_name(path)) if deep else None)
    assert findings == []


def test_the_protocol_layer_is_checked_as_a_subclass_of_asyncio_protocol():
    """The SMTP core and the session are in the scan, as classes derived from asyncio.Protocol: what they read
    through `self` is checked against what asyncio's classes define."""
    from exshell.transport.session import ExchangeSMTP
    from exshell.transport.smtp_core import SMTPProtocol

    scanned = {_module_name(p) for p in _modules()}
    assert {"exshell.transport.smtp_core", "exshell.transport.session", "exshell.transport.smtp_security"} <= scanned
    assert issubclass(SMTPProtocol, asyncio.Protocol) and issubclass(ExchangeSMTP, SMTPProtocol)
    assert "import aiosmtpd" not in (PACKAGE / "transport" / "smtp_core.py").read_text(encoding="utf-8")


def test_the_outbound_client_is_checked_as_a_subclass_of_asyncio_protocol():
    """Delivery's SMTP client is scanned the same way: its wire protocol derives from asyncio.Protocol, and
    nothing in the package imports aiosmtplib (a tests' and benchmarks' client only)."""
    from exshell.transport.delivery import smtp_wire

    scanned = {_module_name(p) for p in _modules()}
    assert {"exshell.transport.delivery.smtp_wire", "exshell.transport.delivery.smtp_client"} <= scanned
    assert issubclass(smtp_wire._Wire, asyncio.Protocol)  # noqa: SLF001 - our own class, named by the test
    assert not [f for p in _modules() for f in _findings(p) if "imports aiosmtplib" in f]


def test_the_check_finds_a_subclass_reaching_into_its_base(tmp_path):
    bad = tmp_path / "reader_protocol.py"
    bad.write_text(
        "import asyncio\n"
        "class P(asyncio.StreamReaderProtocol):\n"
        "    def data_received(self, data):\n        self._stream_reader.feed_data(data)\n",
        encoding="utf-8",
    )
    namespace: dict[str, object] = {}
    exec(compile(bad.read_text(encoding="utf-8"), str(bad), "exec"), namespace)  # noqa: S102 - the fixture above

    class Module:
        P = namespace["P"]

    found = _findings(bad, Module)
    assert any("self._stream_reader is private to a base class of P" in f for f in found), found


def test_the_check_finds_what_the_old_engine_did(tmp_path):
    bad = tmp_path / "old_session.py"
    bad.write_text(
        "import aiosmtpd.smtp as s\nimport inspect\nfrom aiosmtplib import SMTP\n"
        "s.inspect = object()\n"
        "def f(self, reader):\n    reader._buffer\n    self._handler_coroutine.cancel()\n",
        encoding="utf-8",
    )
    found = _findings(bad)
    assert any("imports aiosmtpd" in f for f in found)
    assert any("imports aiosmtplib" in f for f in found)
    assert any("monkeypatching" in f for f in found)
    assert any("reader._buffer" in f for f in found)
    assert any("self._handler_coroutine" in f for f in found)
