"""Opening an archive file: the connection, its pragmas, the schema check and the migrations.

WAL mode lets researchers read while a crawl writes. Opening read-write applies any revision of
the schema's history the archive lacks (crawler/archive/schema.py); opening read-only refuses an
archive whose schema is older or newer than this sourcevault. Either way, articles that another
SQLite tool edited since sourcevault last wrote are indexed for search again first
(`crawler.search.index.catch_up`).
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sized
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from crawler import __version__
from crawler.archive import schema
from crawler.archive.postgres import is_postgres_url
from crawler.exit_status import BadInput

if TYPE_CHECKING:
    from sqlite_utils import Database

DEFAULT_ARCHIVE_PATH = Path("data/archive.db")
BUSY_TIMEOUT_MS = 60_000
# SQLite's page cache per connection (negative: KiB). Its default of 2 MB makes the indexed
# lookups of deduplication and the fetch queue read from the OS cache once the archive is
# gigabytes large; bench/dedup.py measured 3.1 against 2.4 ms per article at 100,000 articles.
PAGE_CACHE_KIB = 65_536
# Rows read per query when reading many by id.
RECORD_BATCH = 500
# SQLite's primary result codes saying that the archive's file or disk failed, not the statement:
# full, I/O error, read-only, cannot open, corrupt, not a database, no permission, busy, locked,
# too large for the file system.
STORAGE_FAILURE_CODES = frozenset({13, 10, 8, 14, 11, 26, 3, 5, 6, 22})
# PostgreSQL's SQLSTATE classes saying that the server, not the statement, failed: the connection
# lost (08), no room, memory or connections left (53), the server shut down (57), a system error
# such as an I/O error (58).
STORAGE_FAILURE_SQLSTATE_CLASSES = frozenset({"08", "53", "57", "58"})


class ArchiveError(BadInput, RuntimeError):
    """The archive file cannot be used (not SQLite, corrupt, unwritable)."""


class CorruptOriginal(ArchiveError):
    """A stored body no longer matches its sha256."""


def storage_failure(error: BaseException) -> str | None:
    """Why the archive cannot be written, when `error` says its file or disk failed (or, for a
    PostgreSQL archive, its server or the connection to it); else None."""
    if postgres_server_failed(error):
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return f"the archive cannot be written: {reason}"
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in STORAGE_FAILURE_CODES:
            return f"the archive cannot be written: {error}"
        return None
    if isinstance(error, OSError):
        return f"the archive cannot be written: {error.strerror or error}"
    return None


def postgres_server_failed(error: BaseException) -> bool:
    """Whether `error`, raised by SQLAlchemy, says the PostgreSQL server or the connection failed."""
    if not type(error).__module__.startswith("sqlalchemy."):
        return False
    if getattr(error, "connection_invalidated", False):
        return True
    original = getattr(error, "orig", None)
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is None:
        # psycopg's errors without a SQLSTATE are the client's: connecting failed, or the connection.
        return type(original).__name__ == "OperationalError"
    return sqlstate[:2] in STORAGE_FAILURE_SQLSTATE_CLASSES


def beside_archive(archive_path: Path | str, suffix: str) -> Path:
    """A file of the archive's (its lock, its reserve) in the archive's real folder, named after its
    real path: the same archive reached through a symlink or another relative path has the same one."""
    return Path(os.path.realpath(archive_path) + suffix)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def marks(values: Sized) -> str:
    """One SQL parameter mark per value: `IN ({marks(ids)})`. None for no value: `IN (NULL)` holds
    for no row, as SQLite's `IN ()` (which PostgreSQL refuses)."""
    return ", ".join("?" * len(values)) or "NULL"


def rows_by_id(connection: sqlite3.Connection, select: str, ids: Iterable[int]) -> Iterator[dict[str, Any]]:
    """Rows (with an `id`) of `select`, its `{ids}` filled, for these ids in their order, in batches."""
    remaining = iter(ids)
    while batch := list(itertools.islice(remaining, RECORD_BATCH)):
        cursor = connection.execute(select.format(ids=marks(batch)), batch)
        names = [column[0] for column in cursor.description]
        rows = {row["id"]: row for row in (dict(zip(names, values, strict=True)) for values in cursor)}
        yield from (rows[wanted] for wanted in batch if wanted in rows)


def on_postgres(connection: object) -> bool:
    """Whether a room's connection is a PostgreSQL archive's (crawler/archive/postgres/rooms.py),
    not sqlite3's: where the two need different SQL, the room picks by it."""
    return getattr(connection, "on_postgres", False)


def extreme(connection: object, name: str, *terms: str) -> str:
    """SQL for the larger (`name` max) or smaller (min) of `terms`: SQLite's scalar max / min,
    PostgreSQL's GREATEST / LEAST (its max and min are aggregates only)."""
    if on_postgres(connection):
        name = {"max": "GREATEST", "min": "LEAST"}[name]
    return f"{name}({', '.join(terms)})"


class ArchiveConnection:
    """An archive file (or a `postgresql://` archive), opened (and created or migrated) on construction."""

    def __init__(self, path: Path | str = DEFAULT_ARCHIVE_PATH, *, readonly: bool = False):
        self._db: Database | None = None
        # Where the archive is, as given (a PostgreSQL URL with its password; `path` hides it).
        self.location = path
        # Articles edited by another tool that a read-only open could not index again (the
        # file is not writable): `sourcevault search` does not find those edits yet.
        self.unindexed_edits = 0
        if is_postgres_url(path):
            self._open_postgres(str(path), readonly)
            return
        self.path = Path(path)
        if readonly:
            if not self.path.exists():
                raise ArchiveError(f"{self.path}: no archive here (run `sourcevault crawl` or `demo` first)")
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path)
            except (OSError, sqlite3.Error) as error:
                raise ArchiveError(f"{self.path}: cannot open the archive ({error})") from None
        self.connection = connection
        try:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
            connection.execute("PRAGMA foreign_keys = ON")
            self._check_schema(readonly)
            if readonly:
                self._index_edits_from_a_writer()
            else:
                self._open_for_writing()
        except sqlite3.DatabaseError as error:
            connection.close()
            raise ArchiveError(f"{self.path}: not a usable SQLite archive ({error})") from None
        except ArchiveError:
            connection.close()
            raise

    def _open_postgres(self, location: str, readonly: bool) -> None:
        from crawler.archive.postgres.rooms import PostgresConnection

        postgres = PostgresConnection(location, readonly=readonly)
        # A location as messages give it: without its password.
        self.path = postgres.where  # type: ignore[assignment]
        self.connection = postgres  # type: ignore[assignment]
        self._db = postgres  # type: ignore[assignment]

    def _check_schema(self, readonly: bool) -> None:
        revision = schema.recorded_revision(self.connection)
        if revision is not None and revision not in schema.REVISIONS:
            raise ArchiveError(
                f"{self.path}: written by a newer sourcevault (schema {revision} is unknown to"
                f" sourcevault {__version__}): upgrade sourcevault to use it"
            )
        if not readonly or revision == schema.HEAD:
            return
        if revision is None:
            from crawler.archive import legacy

            made_by = legacy.applied(self.connection)
            if not made_by:
                tables = self.connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                raise ArchiveError(
                    f"{self.path}: empty, no archive yet (run `sourcevault crawl` or `demo` first)"
                    if not tables
                    else f"{self.path}: not a sourcevault archive (an SQLite database without its tables)"
                )
        elif schema.readable_on_sqlite(revision):
            return
        raise ArchiveError(
            f"{self.path}: archive schema is older than this sourcevault; open it once read-write"
            " (any crawl, import or reextract does)"
        )

    def _open_for_writing(self) -> None:
        # A write undone at once: a read-only file or folder says so now, not half-way through a
        # crawl. (SQLite opens a file it may not write read-only, without a word, until a write.)
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            version = self.connection.execute("PRAGMA user_version").fetchone()[0]
            self.connection.execute(f"PRAGMA user_version = {int(version)}")
        except sqlite3.OperationalError as error:
            raise ArchiveError(f"{self.path}: cannot write to the archive ({error})") from None
        finally:
            self.connection.execute("ROLLBACK")
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = NORMAL")
        if schema.recorded_revision(self.connection) != schema.HEAD:
            schema.upgrade_sqlite(self.path, self.db, BUSY_TIMEOUT_MS)
        from crawler.search.index import catch_up

        with self.db.atomic():
            catch_up(self.connection)

    def _index_edits_from_a_writer(self) -> None:
        """Index the articles other tools edited, through a short write, if the file allows one."""
        from crawler.search.index import catch_up, unindexed_edits

        if not unindexed_edits(self.connection):
            return
        writer = sqlite3.connect(self.path)
        try:
            writer.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            writer.execute("BEGIN IMMEDIATE")
            catch_up(writer)
            writer.execute("COMMIT")
        except sqlite3.OperationalError:
            self.unindexed_edits = unindexed_edits(self.connection)
        finally:
            writer.close()

    @property
    def db(self) -> Database:
        """The archive's connection as sqlite-utils wraps it (imported when first asked for)."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.connection)
        return self._db

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
