"""Writing a new file durably: the one way the spool, the queue state and Maildir delivery put bytes on disk.

Create it exclusively (never over another file), write every byte, fsync; on any failure the partial file is
removed. Renaming it into place and syncing the directory (`fsync_directory`) stays with the caller, whose layout
decides where.
"""

from __future__ import annotations

import os
from collections.abc import Iterable


def fsync_directory(path: str | os.PathLike[str]) -> None:
    """Make a directory's entries (a file created, linked or renamed in it) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def unlink_quietly(path: str | os.PathLike[str]) -> None:
    """Remove a file that may be gone already (a cleanup that must not raise)."""
    try:
        os.unlink(path)
    except OSError:
        pass


def write_new_file(path: str | os.PathLike[str], chunks: Iterable[bytes], *, fsync: bool = True,
                   copy_from: str | None = None) -> None:
    """`copy_from`: a file whose whole content follows the chunks, copied inside the kernel (a streamed
    message body: never read into memory)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
        if copy_from is not None:
            append_file(fd, copy_from)
        if fsync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        try:
            os.unlink(path)
        except OSError:
            pass
        raise
    os.close(fd)


def append_file(fd: int, source: str) -> int:
    """Copy the whole of `source` to `fd` (inside the kernel where it can); return the bytes copied."""
    src = os.open(source, os.O_RDONLY)
    try:
        remaining = total = os.fstat(src).st_size
        while remaining > 0:
            try:
                n = os.copy_file_range(src, fd, min(remaining, 1 << 30))
            except (AttributeError, OSError):  # no copy_file_range here (or across file systems): 1 MB at a time
                n = os.write(fd, os.read(src, min(remaining, 1 << 20)))
            if n <= 0:
                raise OSError(f"short copy from {source}")
            remaining -= n
    finally:
        os.close(src)
    return total
