"""Writing a new file durably: the one way the spool, the queue state and Maildir delivery put bytes on disk.

Create it exclusively (never over another file), write every byte, fsync; on any failure the partial file is
removed. Renaming it into place and syncing the directory stays with the caller, whose layout decides where.
"""

from __future__ import annotations

import os
from collections.abc import Iterable


def write_new_file(path: str | os.PathLike[str], chunks: Iterable[bytes], *, fsync: bool = True) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
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
