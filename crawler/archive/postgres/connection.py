"""Opening a PostgreSQL archive: the engine, the schema check and the migrations.

Opening read-write applies any Alembic revision the archive lacks (crawler/archive/schema.py);
opening read-only refuses an archive whose schema is older or newer than this sourcevault, as the
SQLite archive does. Processes opening one new (or older) archive at once migrate it one at a time:
each would otherwise make the same tables, and all but one fail on PostgreSQL's catalog (a
duplicate key of pg_type). The one that migrates holds a transaction-scoped advisory lock until its
revisions commit; the others wait for it, then find the archive at HEAD.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from crawler import __version__
from crawler.archive.connection import ArchiveError
from crawler.archive.postgres import require_extra

if TYPE_CHECKING:
    from sqlalchemy import URL, Connection, Engine

# The migrations' advisory lock's key ("svmigr"), beside the write locks' (crawler/archive/postgres/lock.py).
MIGRATION_LOCK_KEY = 0x73_76_6D_69_67_72


def engine_url(location: str) -> URL:
    """The SQLAlchemy URL of a `postgresql://` location, on the psycopg 3 driver."""
    from sqlalchemy import make_url

    return make_url(location).set(drivername="postgresql+psycopg")


def shown(location: str) -> str:
    """A location as messages give it: without its password."""
    from sqlalchemy import make_url

    return make_url(location).render_as_string(hide_password=True)


class PostgresArchive:
    """A PostgreSQL archive, connected to (and created or migrated) on construction."""

    def __init__(self, location: str, *, readonly: bool = False):
        require_extra()
        from sqlalchemy import create_engine
        from sqlalchemy.exc import ArgumentError, SQLAlchemyError

        try:
            self.where = shown(location)
            self.engine: Engine = create_engine(engine_url(location))
        except ArgumentError as error:
            raise ArchiveError(f"{location}: not a PostgreSQL URL ({error})") from None
        try:
            with self.engine.begin() as connection:
                self._check_schema(connection, readonly)
        except SQLAlchemyError as error:
            self.engine.dispose()
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise ArchiveError(f"{self.where}: cannot use the PostgreSQL archive ({reason})") from None
        except ArchiveError:
            self.engine.dispose()
            raise

    def _check_schema(self, connection: Connection, readonly: bool) -> None:
        from sqlalchemy import text

        from crawler.archive import schema

        revision = self._revision(connection)
        if not readonly:
            if revision != schema.HEAD:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                # Asked again under the lock: another process may have migrated it meanwhile.
                if self._revision(connection) != schema.HEAD:
                    schema.upgrade(connection)
        elif revision is None:
            raise ArchiveError(f"{self.where}: no sourcevault archive in this database")
        elif revision != schema.HEAD:
            raise ArchiveError(
                f"{self.where}: archive schema is older than this sourcevault; open it once read-write"
            )

    def _revision(self, connection: Connection) -> str | None:
        """The archive's revision (None: no archive yet); ArchiveError for one of a newer sourcevault."""
        from crawler.archive import schema

        revision = schema.postgres_revision(connection)
        if revision is not None and revision not in schema.REVISIONS:
            raise ArchiveError(
                f"{self.where}: written by a newer sourcevault (schema {revision} is unknown to"
                f" sourcevault {__version__}): upgrade sourcevault to use it"
            )
        return revision

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
