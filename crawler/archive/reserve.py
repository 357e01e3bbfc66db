"""Room kept beside the archive, so that a crawl that fills the disk can still record how it ended.

On a full disk SQLite cannot write even a one-row update: the write-ahead log must grow first. A
crawl therefore keeps `RESERVE_BYTES` allocated in a file beside the archive while it runs, and
when the archive cannot be written any more it frees that room and records its run as failed,
with the reason, in it. A crawl killed before that leaves the file, which the next one takes over.
"""

from __future__ import annotations

import os
import stat
from contextlib import suppress
from pathlib import Path

from crawler.archive.connection import ArchiveError, beside_archive

RESERVE_SUFFIX = ".reserve"
# A crawl's last writes (its run record and per-outlet records) take a few dozen pages of the log.
RESERVE_BYTES = 1 << 20


class SpaceReserve:
    """The reserve file of one archive: `hold` allocates it, `free` gives its room back."""

    def __init__(self, archive_path: Path | str, size: int = RESERVE_BYTES):
        self.archive_path = Path(archive_path)
        self.path = beside_archive(archive_path, RESERVE_SUFFIX)
        self.size = size

    def hold(self) -> None:
        """Allocate the reserve (blocks on disk, not a sparse file); ArchiveError if there is no room."""
        try:
            descriptor = os.open(
                self.path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600
            )
        except OSError as error:
            raise ArchiveError(
                f"{self.archive_path}: cannot keep room beside the archive in {self.path}"
                f" ({error.strerror or error})"
            ) from None
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise ArchiveError(f"{self.archive_path}: {self.path} is not a regular file")
            os.posix_fallocate(descriptor, 0, self.size)
        except OSError as error:
            self.free()
            raise ArchiveError(
                f"{self.archive_path}: no room for the archive: cannot keep {self.size:,} bytes free"
                f" beside it ({error.strerror or error})"
            ) from None
        finally:
            os.close(descriptor)

    def free(self) -> None:
        with suppress(FileNotFoundError):
            os.unlink(self.path)
