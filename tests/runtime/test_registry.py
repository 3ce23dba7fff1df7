"""The command registry and its generated manifest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from exshell.cmdlets import registry as registry_mod
from exshell.cmdlets.base import Cmdlet
from exshell.cmdlets.registry import CommandEntry, CommandRegistry, default_registry

ROOT = Path(registry_mod.__file__).resolve().parents[2]


def test_committed_manifest_equals_fresh_generation():
    current = Path(registry_mod.__file__).with_name("manifest.py").read_text(encoding="utf-8")
    fresh = registry_mod.render_manifest(registry_mod.collect_entries())
    assert current == fresh, "run: python -m exshell.cmdlets.registry regenerate"


def test_resolve_is_case_insensitive_and_follows_aliases():
    reg = default_registry()
    assert reg.resolve("write-output").name == "Write-Output"
    assert reg.resolve("ECHO").name == "Write-Output"
    assert reg.resolve_alias("echo") == "Write-Output"
    assert reg.resolve("No-Such") is None


def test_load_imports_the_class_lazily():
    reg = default_registry()
    cls = reg.load(reg.resolve("Write-Host"))
    assert issubclass(cls, Cmdlet) and cls.name == "Write-Host"


def test_add_class_for_tests():
    class GetZ(Cmdlet):
        name = "Get-Z"
        aliases = ("gz",)

    reg = CommandRegistry([CommandEntry("Write-Host", "exshell.cmdlets.utility", "WriteHost")])
    reg.add_class(GetZ)
    assert reg.load(reg.resolve("gz")) is GetZ
    assert [e.name for e in reg.entries()] == ["Get-Z", "Write-Host"]


def test_copy_does_not_share_additions():
    reg = default_registry()
    copy = reg.copy()

    class GetQ(Cmdlet):
        name = "Get-Q"

    copy.add_class(GetQ)
    assert reg.resolve("Get-Q") is None and copy.resolve("Get-Q") is not None


def test_listing_commands_imports_no_cmdlet_module():
    code = (
        "import sys\n"
        "from exshell.cmdlets.registry import default_registry\n"
        "names = [e.name for e in default_registry().entries()]\n"
        "assert 'Write-Output' in names\n"
        "loaded = [m for m in sys.modules if m.startswith('exshell.cmdlets.') and m.rsplit('.', 1)[1] "
        "not in ('registry', 'manifest', 'base')]\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
