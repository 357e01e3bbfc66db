"""One writer per PostgreSQL archive at a time, as crawler/archive/lock.py is for a file: a session
advisory lock of PostgreSQL's, held on a connection of its own for as long as the writer runs.

The server lets go of it when that connection ends, so a writer killed with SIGKILL leaves no
stale lock behind. The holder names itself in its connection's `application_name`, which a writer
refused reads back (`pg_stat_activity`) to say who holds it. As CrawlLock does, a process counts
how often it took the lock: `sourcevault crawl` takes it, and the archive pipeline again.
"""

from __future__ import annotations

import os
from contextlib import suppress
from typing import ClassVar

import psycopg

from crawler.archive.connection import ArchiveError, utc_now
from crawler.archive.lock import ArchiveBusy, WriteLock

# The advisory lock's key: any number no other tool on the archive's database uses for one.
WRITE_LOCK_KEY = 0x73_76_61_75_6C_74  # "svault"
HOLDER_PREFIX = "sourcevault "


class PostgresWriteLock(WriteLock):
    """The write lock of one PostgreSQL archive, held by this process while `depth` > 0."""

    _held: ClassVar[dict[str, tuple[psycopg.Connection, int]]] = {}  # location -> (connection, depth)

    def __init__(self, location: str, *, shared: bool = False):
        from crawler.archive.postgres.connection import shown

        self.location = location
        self.where = shown(location)
        # Crawl workers hold it shared, together: a single writer, which holds it alone, waits for
        # none of them, and they for none of it (crawler/workers.py).
        self.shared = shared
        self._try, self._unlock = (
            ("pg_try_advisory_lock_shared", "pg_advisory_unlock_shared")
            if shared
            else ("pg_try_advisory_lock", "pg_advisory_unlock")
        )

    def acquire(self, purpose: str = "crawl") -> None:
        """Take the lock for `purpose`, or raise ArchiveBusy naming the process that holds it."""
        if self.location in self._held:
            connection, depth = self._held[self.location]
            self._held[self.location] = (connection, depth + 1)
            return
        holder = f"{HOLDER_PREFIX}{purpose}, pid {os.getpid()}, since {utc_now()}"
        try:
            connection = self._connect(application_name=holder[:63])
            taken = connection.execute(f"SELECT {self._try}(%s)", [WRITE_LOCK_KEY]).fetchone()
        except psycopg.Error as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ArchiveError(f"{self.where}: cannot take the write lock ({reason})") from None
        if not (taken and taken[0]):
            found = connection.execute(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.objid = %s AND l.database ="
                " (SELECT oid FROM pg_database WHERE datname = current_database())",
                [WRITE_LOCK_KEY & 0xFFFFFFFF],
            ).fetchone()
            connection.close()
            named = found[0].removeprefix(HOLDER_PREFIX) if found and found[0] else "another process"
            raise ArchiveBusy(f"{self.where}: busy, another sourcevault writes to it ({named})")
        self._held[self.location] = (connection, 1)

    def _connect(self, **options: str) -> psycopg.Connection:
        from crawler.archive.postgres.connection import engine_url

        url = engine_url(self.location).set(drivername="postgresql")
        return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True, **options)

    def release(self) -> None:
        connection, depth = self._held[self.location]
        if depth > 1:
            self._held[self.location] = (connection, depth - 1)
            return
        del self._held[self.location]
        # Let go before closing: the server ends a closed session's locks only as its process exits.
        with suppress(psycopg.Error):
            connection.execute(f"SELECT {self._unlock}(%s)", [WRITE_LOCK_KEY])
        connection.close()

    def is_taken(self) -> bool:
        """Whether some process (this one included) holds the lock now; takes nothing."""
        if self.location in self._held:
            return True
        with self._connect() as connection:
            row = connection.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = %s"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                [WRITE_LOCK_KEY & 0xFFFFFFFF],
            ).fetchone()
        return bool(row and row[0])
