"""Files named by a user or a manifest, read within bounds.

A name in a manifest stays inside the manifest's folder (no absolute path, no `..` or symlink
leading out); only regular files are read (a FIFO would hang the reader, /dev/zero never end);
and no more than a given size is read, before and after gunzipping.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import zlib
from pathlib import Path

from crawler.exit_status import BadInput

GZIP_MAGIC = b"\x1f\x8b"


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


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; FIFOs, devices and folders refused.

    Opened without blocking, so a FIFO is refused rather than waited on, and checked once open,
    so the file read is the file checked.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as stream:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise FileRefused(f"{path}: not a regular file")
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
