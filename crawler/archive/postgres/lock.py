"""Who writes a PostgreSQL archive at once: two session advisory locks of PostgreSQL's, held on a
connection of its own for as long as a writer runs, each taken alone or shared as its `Holding`
says (crawler/archive/lock.py).

- The crawls' lock: a single `crawl` holds it alone, crawl workers share it. A single crawl leases
  no outlet, so it and the workers keep each other out; neither waits for the writers below.
- The writers' lock: every writer shares it (an import, a briefing, a posts run, any crawl); a
  re-extraction or a copy of the archive holds it, and the crawls' lock, alone.

A writer that cannot take what it needs at once is refused (ArchiveBusy), never made to wait. The
server lets go of the locks when their connection ends, so a writer killed with SIGKILL leaves no
stale lock behind. The holder names itself in its connection's `application_name`, which a writer
refused reads back (`pg_stat_activity`) to say who holds it. As CrawlLock does, a process counts
how often it took the locks: `sourcevault crawl` takes them, and the archive pipeline again.
"""

from __future__ import annotations

import os
from contextlib import suppress
from typing import ClassVar

import psycopg

from crawler.archive.connection import ArchiveError, utc_now
from crawler.archive.lock import ALONE, CRAWL, ArchiveBusy, Holding, WriteLock

# The advisory locks' keys: numbers no other tool on the archive's database uses for one. The
# writers' is the key of the one lock earlier versions took.
WRITE_LOCK_KEY = 0x73_76_61_75_6C_74  # "svault"
CRAWL_LOCK_KEY = 0x73_76_63_72_61_77  # "svcraw"
HOLDER_PREFIX = "sourcevault "
# A lock of one key (objsubid 1: not a run's, crawler/archive/postgres/run_holders.py), its key's
# halves given: the granted ones of this database.
KEY_LOCKS = (
    "l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 1"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
# A holder that keeps out one asking for a lock shared holds it alone; anyone keeps out one asking alone.
HOLDERS = (
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
    f" WHERE {KEY_LOCKS} AND l.pid <> pg_backend_pid() AND (l.mode = 'ExclusiveLock' OR %s)"
    " ORDER BY l.mode LIMIT 1"
)


class PostgresWriteLock(WriteLock):
    """The locks of one PostgreSQL archive, held by this process while `depth` > 0."""

    # location -> (connection, depth, what it holds)
    _held: ClassVar[dict[str, tuple[psycopg.Connection, int, Holding]]] = {}

    def __init__(self, location: str, holding: Holding = CRAWL):
        from crawler.archive.postgres.connection import shown

        self.location = location
        self.where = shown(location)
        self.holding = holding

    def acquire(self, purpose: str = "crawl") -> None:
        """Take the locks for `purpose`, or raise ArchiveBusy naming a process that holds one."""
        if self.location in self._held:
            connection, depth, holding = self._held[self.location]
            self._held[self.location] = (connection, depth + 1, holding)
            return
        holder = f"{HOLDER_PREFIX}{purpose}, pid {os.getpid()}, since {utc_now()}"
        connection = None
        try:
            connection = self._connect(application_name=holder[:63])
            refused = self._take(connection)
            named = None if refused is None else self._holder(connection, *refused)
        except psycopg.Error as error:
            # Its session ended, a lock it had taken is let go with it.
            if connection is not None:
                connection.close()
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ArchiveError(f"{self.where}: cannot take the write lock ({reason})") from None
        if refused is not None:
            connection.close()
            raise ArchiveBusy(f"{self.where}: busy, another sourcevault writes to it ({named})")
        self._held[self.location] = (connection, 1, self.holding)

    def _take(self, connection: psycopg.Connection) -> tuple[int, bool] | None:
        """Take each lock at once; the first refused, (key, alone), those taken before it let go."""
        taken: list[tuple[int, bool]] = []
        for key, alone in _locks(self.holding):
            (got,) = connection.execute(f"SELECT {_function('try', alone)}(%s)", [key]).fetchone() or (0,)
            if not got:
                for earlier, earlier_alone in taken:
                    connection.execute(f"SELECT {_function('unlock', earlier_alone)}(%s)", [earlier])
                return key, alone
            taken.append((key, alone))
        return None

    @staticmethod
    def _holder(connection: psycopg.Connection, key: int, alone: bool) -> str:
        found = connection.execute(HOLDERS, [*_halves(key), alone]).fetchone()
        return found[0].removeprefix(HOLDER_PREFIX) if found and found[0] else "another process"

    def _connect(self, **options: str) -> psycopg.Connection:
        from crawler.archive.postgres.connection import engine_url

        url = engine_url(self.location).set(drivername="postgresql")
        return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True, **options)

    def release(self) -> None:
        connection, depth, holding = self._held[self.location]
        if depth > 1:
            self._held[self.location] = (connection, depth - 1, holding)
            return
        del self._held[self.location]
        # Let go before closing: the server ends a closed session's locks only as its process exits.
        with suppress(psycopg.Error):
            for key, alone in reversed(_locks(holding)):
                connection.execute(f"SELECT {_function('unlock', alone)}(%s)", [key])
        connection.close()

    @property
    def crawls_alone(self) -> bool:
        held = self._held.get(self.location)
        return held is not None and held[2].crawls == ALONE

    def is_taken(self) -> bool:
        """Whether some process (this one included) writes the archive now; takes nothing. Every
        writer shares the writers' lock at least."""
        if self.location in self._held:
            return True
        with self._connect() as connection:
            row = connection.execute(
                f"SELECT count(*) FROM pg_locks l WHERE {KEY_LOCKS}", _halves(WRITE_LOCK_KEY)
            ).fetchone()
        return bool(row and row[0])


def _locks(holding: Holding) -> list[tuple[int, bool]]:
    """The locks `holding` takes, in the one order every writer takes them: (key, alone)."""
    crawls = [(CRAWL_LOCK_KEY, holding.crawls == ALONE)] if holding.crawls else []
    return [*crawls, (WRITE_LOCK_KEY, holding.writes == ALONE)]


def _function(verb: str, alone: bool) -> str:
    """PostgreSQL's function that tries to take (`try`) or lets go of (`unlock`) an advisory lock."""
    name = {"try": "pg_try_advisory_lock", "unlock": "pg_advisory_unlock"}[verb]
    return name if alone else f"{name}_shared"


def _halves(key: int) -> list[int]:
    """A one-key lock's key as `pg_locks` shows it: its high and low 32 bits (classid, objid)."""
    return [key >> 32, key & 0xFFFFFFFF]
