"""Text files the way PowerShell 7's file cmdlets write them: encodings by PowerShell name, UTF-8 without a
BOM by default (Out-File, Set-Content, Export-Csv), paths relative to the current directory."""

from __future__ import annotations

import os
from pathlib import Path

# PowerShell -Encoding names → (Python codec, byte-order mark written at the start of a new file).
ENCODINGS: dict[str, tuple[str, bytes]] = {
    "utf8": ("utf-8", b""),
    "utf8nobom": ("utf-8", b""),
    "utf8bom": ("utf-8", b"\xef\xbb\xbf"),
    "ascii": ("ascii", b""),
    "unicode": ("utf-16-le", b"\xff\xfe"),
    "bigendianunicode": ("utf-16-be", b"\xfe\xff"),
    "utf32": ("utf-32-le", b"\xff\xfe\x00\x00"),
    "bigendianutf32": ("utf-32-be", b"\x00\x00\xfe\xff"),
    "oem": ("utf-8", b""),
    "default": ("utf-8", b""),
    "latin1": ("latin-1", b""),
    "utf7": ("utf-7", b""),
}
ENCODING_NAMES = ("ASCII", "BigEndianUnicode", "BigEndianUTF32", "OEM", "Unicode", "UTF7", "UTF8", "UTF8BOM",
                  "UTF8NoBOM", "UTF32", "Default", "Latin1")


def codec_for(name: str | None) -> tuple[str, bytes]:
    if not name:
        return ENCODINGS["utf8nobom"]
    return ENCODINGS.get(str(name).lower().replace("-", ""), ENCODINGS["utf8nobom"])


def resolve_path(text: str) -> Path:
    p = Path(os.path.expanduser(str(text)))
    return p if p.is_absolute() else Path.cwd() / p


def write_text(path: Path, text: str, encoding: str | None = None, append: bool = False) -> None:
    codec, bom = codec_for(encoding)
    data = text.encode(codec, errors="replace")
    new_file = not append or not path.exists() or path.stat().st_size == 0
    with open(path, "ab" if append else "wb") as fh:
        if new_file and bom:
            fh.write(bom)
        fh.write(data)


def read_text(path: Path, encoding: str | None = None) -> str:
    """Reads with the BOM deciding the encoding when there is one (as .NET's StreamReader does)."""
    raw = path.read_bytes()
    for codec, bom in (("utf-8", b"\xef\xbb\xbf"), ("utf-32-le", b"\xff\xfe\x00\x00"), ("utf-16-le", b"\xff\xfe"),
                       ("utf-16-be", b"\xfe\xff")):
        if raw.startswith(bom):
            return raw[len(bom):].decode(codec, errors="replace")
    codec = codec_for(encoding)[0] if encoding else "utf-8"
    return raw.decode(codec, errors="replace")
