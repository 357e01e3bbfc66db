"""The ends of a copy opened by location (an SQLite file or a postgresql:// URL), and the read-only
SQLite copy of an archive that `export --format sqlite` writes for `serve`.

The copy itself is crawler/archive/transfer.py; each backend's end is crawler/archive/transfer_sqlite.py
and crawler/archive/postgres/end.py (imported only for a PostgreSQL location).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.archive.connection import ArchiveConnection
from crawler.archive.postgres import is_postgres_url

if TYPE_CHECKING:
    from crawler.archive.transfer import End, Summary

# An exported copy is for reading: nobody's tool writes to it by mistake.
READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


@contextmanager
def source_end(location: str | Path) -> Iterator[End]:
    """The archive to copy from, opened read-only (PostgreSQL: one consistent snapshot)."""
    if is_postgres_url(location):
        from crawler.archive.postgres.connection import PostgresArchive
        from crawler.archive.postgres.end import PostgresEnd

        with PostgresArchive(str(location), readonly=True) as archive:
            end = PostgresEnd(archive, snapshot=True)
            try:
                yield end
            finally:
                end.close()
        return
    from crawler.archive.transfer_sqlite import SQLiteEnd

    with ArchiveConnection(location, readonly=True) as sqlite_archive:
        yield SQLiteEnd(sqlite_archive)


@contextmanager
def destination_end(location: str | Path) -> Iterator[End]:
    """The archive to copy into, created or migrated to this sourcevault's schema."""
    if is_postgres_url(location):
        from crawler.archive.postgres.connection import PostgresArchive
        from crawler.archive.postgres.end import PostgresEnd

        with PostgresArchive(str(location)) as archive:
            yield PostgresEnd(archive)
        return
    from crawler.archive.transfer_sqlite import SQLiteEnd

    with ArchiveConnection(location) as sqlite_archive:
        yield SQLiteEnd(sqlite_archive)


def export_sqlite(
    location: str | Path, output: Path, progress: Callable[[int], None] = lambda rows: None
) -> Summary | None:
    """Write a consistent, read-only SQLite copy of an archive to `output` (replaced whole, never
    seen half-written): from SQLite with its backup API, from PostgreSQL with the copy of
    `migrate-archive` out of one snapshot (its summary returned)."""
    partial = output.with_name(f"{output.name}.part")
    partial.unlink(missing_ok=True)
    summary = None
    try:
        if is_postgres_url(location):
            from crawler.archive.transfer import copy_archive

            with source_end(location) as source, destination_end(partial) as copy:
                summary = copy_archive(source, copy, progress=progress)
        else:
            with ArchiveConnection(location, readonly=True) as archive:
                copy_connection = sqlite3.connect(partial)
                archive.connection.backup(copy_connection)
                copy_connection.close()
        # Without WAL, a reader needs no -shm file beside the copy: it opens read-only anywhere.
        finished = sqlite3.connect(partial)
        finished.execute("PRAGMA journal_mode = DELETE")
        finished.close()
        partial.chmod(READ_ONLY)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            partial.with_name(partial.name + suffix).unlink(missing_ok=True)
    return summary
