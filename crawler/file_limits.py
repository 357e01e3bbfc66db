"""Files named by a user or a manifest, read within bounds.

A name in a manifest stays inside the manifest's folder (no absolute path, no `..` or symlink
leading out). Only regular files are read: reading a FIFO waits for a writer that may never come,
a device (/dev/zero, /dev/urandom) never ends, a directory holds no bytes to read; each is refused
up front, in one line naming the path and what it is. The decision is made on the descriptor
opened (without waiting, O_NONBLOCK), so nothing put in the file's place between a check and the
read is read either. And no more than a given size is read, before and after gunzipping.
"""

from __future__ import annotations

import fcntl
import gzip
import io
import os
import stat
import zlib
from pathlib import Path
from typing import BinaryIO

from crawler.exit_status import BadInput

GZIP_MAGIC = b"\x1f\x8b"
KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class FileRefused(BadInput, ValueError):
    """A file that is not read: outside its folder, not a regular file, or too large."""


def inside_folder(folder: Path, name: str, within: Path | None = None) -> Path:
    """`folder / name`, refused if `name` is absolute or leads (by `..` or a symlink) out of
    `within` (default: `folder`)."""
    within = within or folder
    if Path(name).is_absolute():
        raise FileRefused(f"{name}: an absolute path; give a path relative to {folder}")
    path = folder / name
    if not path.resolve().is_relative_to(within.resolve()):
        raise FileRefused(f"{name}: leads out of {within}")
    return path


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
    """`path` opened for reading in binary; FileRefused if it is no regular file (or the OSError of
    opening it)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if problem := _problem(path, os.fstat(descriptor).st_mode):
            raise FileRefused(problem)
        flags = fcntl.fcntl(descriptor, fcntl.F_GETFL)
        fcntl.fcntl(descriptor, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
    except BaseException:
        os.close(descriptor)
        raise
    return os.fdopen(descriptor, "rb")


def read_regular_file(path: Path | str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; FIFOs, devices and folders refused."""
    with open_regular(path) as stream:
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileRefused(f"{path}: larger than {max_bytes:,} bytes")
    return data


def gunzip_at_most(data: bytes, max_bytes: int, what: str) -> bytes:
    """`data` gunzipped, refused if it is not gzip or would be larger than `max_bytes` decompressed."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            plain = stream.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise FileRefused(f"{what}: not a readable gzip file ({error})") from None
    if len(plain) > max_bytes:
        raise FileRefused(f"{what}: larger than {max_bytes:,} bytes once decompressed")
    return plain
