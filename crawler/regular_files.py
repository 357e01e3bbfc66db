"""Files a user or a manifest names: read only when they are regular files.

Reading a FIFO waits for a writer that may never come, a device (/dev/zero, /dev/urandom) never
ends, a directory holds no bytes to read: each is refused up front, in one line naming the path
and what it is. `open_regular` decides on the descriptor it opened (without waiting, O_NONBLOCK),
so nothing put in the file's place between a check and the read is read either.
"""

from __future__ import annotations

import fcntl
import os
import stat
from pathlib import Path
from typing import BinaryIO

from crawler.exit_status import BadInput

KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotARegularFile(BadInput, OSError):
    """A path naming a directory, FIFO, device or socket where a file is read."""


def _problem(path: Path | str, mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in KINDS if test(mode)), "not a file")
    return f"{path}: {kind}, not a regular file"


def not_a_regular_file(path: Path | str) -> str | None:
    """Why `path` cannot be read as a file (following symlinks); None for a regular file or nothing there."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return _problem(path, mode)


def open_regular(path: Path | str) -> BinaryIO:
    """`path` opened for reading in binary; NotARegularFile (or the OSError of opening) otherwise."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if problem := _problem(path, os.fstat(descriptor).st_mode):
            raise NotARegularFile(problem)
        flags = fcntl.fcntl(descriptor, fcntl.F_GETFL)
        fcntl.fcntl(descriptor, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
    except BaseException:
        os.close(descriptor)
        raise
    return os.fdopen(descriptor, "rb")


def read_regular(path: Path | str, limit: int = -1) -> bytes:
    """The bytes of a regular file (at most `limit` when not -1)."""
    with open_regular(path) as stream:
        return stream.read(limit)
