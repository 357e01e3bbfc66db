"""Who writes an archive at once: on a file, one writer at a time (an exclusive flock on a lock
file beside the archive); on PostgreSQL, what each writer's `Holding` lets in beside it.

SQLite lets one writer in at a time anyway, so a crawl, a re-extraction and an import each hold
the file's lock while they write. A PostgreSQL archive has two locks (crawler/archive/postgres/
lock.py): the crawls' (a single crawl holds it alone, crawl workers together) and the writers'
(every writer shares it, a re-extraction holds it alone): imports, briefings and posts are
written beside any crawl, their transactions run again when they lose a race for a row
(crawler/archive/postgres/races.py).

The kernel releases a flock when its process dies, so a crawl killed with SIGKILL never leaves
a stale lock behind (only an empty file, which the next writer takes over). Two descriptors of
one file conflict even inside one process, so a process keeps one descriptor per lock file and
counts how often it took it: `sourcevault crawl` takes the lock before Scrapy starts (to exit at
once when busy) and the archive pipeline takes it again, which also covers a crawl started as
`scrapy crawl outlets`.

The holder removes the file when it releases the lock, while still holding it. A process that
opened the file just before that and then got the lock holds a file no longer in the folder: it
sees that (the path names another file, or none) and opens the path again.

The lock file lies in the archive's real folder, named after its real path (`beside_archive`):
the same archive reached through a symlink or another relative path is one lock. It is opened
without following a symlink and must be a regular file: a symlink, FIFO or device planted at
its place is refused, never truncated or written through.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from crawler.archive.connection import ArchiveError, beside_archive, utc_now
from crawler.archive.postgres import is_postgres_url

if TYPE_CHECKING:
    from crawler.archive.postgres.lock import PostgresWriteLock

LOCK_SUFFIX = ".lock"
# Never through a symlink; a FIFO is opened without waiting for a writer (and then refused).
OPEN_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class ArchiveBusy(RuntimeError):
    """Another process is crawling, re-extracting or importing into this archive."""


ALONE, SHARED = "alone", "shared"


@dataclass(frozen=True)
class Holding:
    """What a writer holds of a PostgreSQL archive's two locks: the crawls' (`crawls`, None: not
    taken) and the writers' (`writes`), each alone or shared. A file's one lock is held alone."""

    crawls: str | None
    writes: str


# A single crawl: no other crawl (its outlets are leased to no one), any writer beside it.
CRAWL = Holding(ALONE, SHARED)
# Crawl workers: together (each outlet leased to one of them), any writer beside them.
WORKER = Holding(SHARED, SHARED)
# Imports, briefings, posts: beside any crawl and each other (their races: postgres/races.py).
BESIDE_CRAWLS = Holding(None, SHARED)
# A re-extraction or a copy of the archive: nothing else writes meanwhile.
WHOLE = Holding(ALONE, ALONE)


def lock_path(archive_path: Path | str) -> Path:
    return beside_archive(archive_path, LOCK_SUFFIX)


def write_lock(archive: Path | str, holding: Holding = CRAWL) -> CrawlLock | PostgresWriteLock:
    """The write lock of an archive: a file's flock, or a PostgreSQL archive's advisory locks as
    `holding` takes them (crawler/archive/postgres/lock.py)."""
    if is_postgres_url(archive):
        from crawler.archive.postgres.lock import PostgresWriteLock

        return PostgresWriteLock(str(archive), holding)
    return CrawlLock(archive)


class WriteLock(ABC):
    """What every archive's write lock does with its `acquire` and `release`."""

    @abstractmethod
    def acquire(self, purpose: str = "crawl") -> None: ...

    @abstractmethod
    def release(self) -> None: ...

    @property
    @abstractmethod
    def crawls_alone(self) -> bool:
        """Whether this process, holding the lock, knows no other crawl runs beside it."""

    @contextmanager
    def held(self, purpose: str = "crawl") -> Iterator[None]:
        self.acquire(purpose)
        try:
            yield
        finally:
            self.release()


class CrawlLock(WriteLock):
    """The lock of one archive file, held by this process while `depth` > 0."""

    _held: ClassVar[dict[Path, tuple[int, int]]] = {}  # lock file -> (descriptor, depth)

    def __init__(self, archive_path: Path | str):
        self.archive_path = Path(archive_path)
        self.path = lock_path(archive_path)

    def acquire(self, purpose: str = "crawl") -> None:
        """Take the lock for `purpose`, or raise ArchiveBusy naming the process that holds it."""
        if self.path in self._held:
            descriptor, depth = self._held[self.path]
            self._held[self.path] = (descriptor, depth + 1)
            return
        try:
            descriptor = self._open_locked()
        except OSError as error:
            why = "a symbolic link, not followed" if error.errno == errno.ELOOP else error.strerror or error
            raise ArchiveError(
                f"{self.archive_path}: cannot take the write lock {self.path} ({why})"
            ) from None
        try:
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, f"{purpose}, pid {os.getpid()}, since {utc_now()}\n".encode(), 0)
        except OSError as error:
            # As a release does: the file goes while still locked.
            with suppress(FileNotFoundError):
                os.unlink(self.path)
            os.close(descriptor)
            raise ArchiveError(
                f"{self.archive_path}: cannot take the write lock {self.path} ({error.strerror or error})"
            ) from None
        self._held[self.path] = (descriptor, 1)

    def _open_locked(self) -> int:
        """A descriptor of the lock file, locked; ArchiveBusy when another process has it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | OPEN_FLAGS, 0o644)
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                os.close(descriptor)
                raise ArchiveError(
                    f"{self.archive_path}: cannot take the write lock {self.path} (not a regular file)"
                )
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(descriptor, 200, 0).decode("utf-8", "replace").strip() or "another process"
                os.close(descriptor)
                raise ArchiveBusy(
                    f"{self.archive_path}: busy, another sourcevault writes to it ({holder})"
                ) from None
            if self._names(descriptor):
                return descriptor
            # The previous holder removed this file as it let go: lock the one at the path now.
            os.close(descriptor)

    def _names(self, descriptor: int) -> bool:
        """Whether the lock file's path still names the file open on `descriptor`."""
        try:
            at_path = os.lstat(self.path)
        except FileNotFoundError:
            return False
        opened = os.fstat(descriptor)
        return (at_path.st_dev, at_path.st_ino) == (opened.st_dev, opened.st_ino)

    def release(self) -> None:
        descriptor, depth = self._held[self.path]
        if depth > 1:
            self._held[self.path] = (descriptor, depth - 1)
            return
        del self._held[self.path]
        with suppress(FileNotFoundError):
            os.unlink(self.path)
        os.close(descriptor)

    @property
    def crawls_alone(self) -> bool:
        return self.path in self._held

    def is_taken(self) -> bool:
        """Whether some process (this one included) holds the lock now; takes nothing."""
        if self.path in self._held:
            return True
        try:
            descriptor = os.open(self.path, os.O_RDONLY | OPEN_FLAGS)
        except OSError:
            # None, or a symlink planted there: no sourcevault holds a lock through either.
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(descriptor)
        return False
