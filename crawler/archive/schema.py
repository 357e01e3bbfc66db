"""The archive's schema history, one for both backends: Alembic's revisions in
crawler/archive/history/, built from the model (crawler/archive/model/), make and migrate an SQLite
file and a PostgreSQL database alike. Alembic records the revision an archive is at in its
`alembic_version` table.

A new revision is written with Alembic's autogenerate against the model (`schema.config` in Python)
and never edited once applied; tests check that the history builds exactly the model on both. An
SQLite archive made before the history (by the sqlite-utils migrations of crawler/archive/legacy.py) is
brought up to their last and adopted at BASELINE.

An SQLite archive's revision is read here with sqlite3 and compared with HEAD: a command that opens
an archive already at HEAD imports neither Alembic nor SQLAlchemy, so the quick commands start as
fast as before (a test checks that HEAD and REVISIONS are Alembic's). A PostgreSQL archive's is read
with one query, so opening one at HEAD read-write imports no Alembic either (a crawl worker is a
process of its own each time it starts).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection, Engine
    from sqlite_utils import Database

HISTORY = Path(__file__).with_name("history")
VERSION_TABLE = "alembic_version"
# Every revision of the history, oldest first: an archive at another one was written by a newer sourcevault.
REVISIONS = ("0001", "0002", "0004", "0005", "0006", "0007", "0008", "0009", "0010")
HEAD = REVISIONS[-1]
# The revision whose SQLite schema is the one the legacy migrations left (m012_stored_fingerprints).
BASELINE = "0001"
# The last revision that changes an SQLite archive (those after it are PostgreSQL's alone): an archive
# at it or later has every table and column this sourcevault reads, and read-only commands read it;
# an older one (one the legacy migrations made included) is brought up by the next read-write open.
# A test checks that the history builds the same SQLite schema up to it as up to HEAD.
SQLITE_SCHEMA_REVISION = "0010"
# An SQLite archive's FTS5 search index and its bookkeeping, which the model does not hold (the
# revisions make them in SQLite's own DDL), and the legacy migrations' record.
SQLITE_ONLY_TABLES = ("article_search", "post_search", "_sqlite_migrations")


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration of the history, running on `connection`."""
    from alembic.config import Config

    settings = Config()
    settings.set_main_option("script_location", str(HISTORY))
    settings.attributes["connection"] = connection
    return settings


def compared(dialect: str) -> Callable[..., bool]:
    """Alembic's include_object comparing an archive of `dialect` with the model: the tables of the
    other backend alone left out."""
    from crawler.archive.model import on_dialect

    def include_object(thing: Any, name: str, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ != "table":
            return True
        if reflected and dialect == "sqlite" and name.startswith(SQLITE_ONLY_TABLES):
            return False
        modelled = compare_to if reflected else thing
        return modelled is None or on_dialect(modelled.info, dialect)

    return include_object


def current(connection: Connection) -> str | None:
    """The revision an archive is at (None: no archive yet, or an SQLite one the history has not adopted)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def postgres_revision(connection: Connection) -> str | None:
    """The revision a PostgreSQL archive is at (None: no archive yet), read without Alembic."""
    from sqlalchemy import text

    if connection.execute(text("SELECT to_regclass(:table)"), {"table": VERSION_TABLE}).scalar() is None:
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def upgrade(connection: Connection) -> None:
    """Apply every revision the archive lacks, in the caller's transaction."""
    from alembic import command

    command.upgrade(config(connection), "head")


def readable_on_sqlite(revision: str) -> bool:
    """Whether an SQLite archive at `revision` holds the schema of HEAD: read-only commands read it."""
    return REVISIONS.index(revision) >= REVISIONS.index(SQLITE_SCHEMA_REVISION)


def recorded_revision(connection: sqlite3.Connection) -> str | None:
    """The revision an SQLite archive is at, read without Alembic (None: none recorded)."""
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [VERSION_TABLE]
    ).fetchone()
    if not has_table:
        return None
    row = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
    return row[0] if row else None


def upgrade_sqlite(path: Path, db: Database, busy_timeout_ms: int) -> None:
    """Bring an SQLite archive (new, older, or made by the legacy migrations) to HEAD.

    The legacy migrations run on the archive's own connection (`db`); the revisions on one of
    SQLAlchemy's to the same file, all of them in one transaction that takes the write lock first.
    SQLite's own error is raised, as the archive's connection would raise it.
    """
    from alembic import command
    from sqlalchemy.exc import DBAPIError

    from crawler.archive import legacy

    made_by_legacy = bool(legacy.applied(db.conn))
    if made_by_legacy and recorded_revision(db.conn) is None:
        legacy.apply(db)
    engine = _sqlite_engine(path, busy_timeout_ms)
    try:
        with engine.begin() as connection:
            # Asked again under the write lock: another process may have adopted it meanwhile.
            if made_by_legacy and current(connection) is None:
                command.stamp(config(connection), BASELINE)
            command.upgrade(config(connection), "head")
    except DBAPIError as error:
        raise error.orig from None
    finally:
        engine.dispose()


def _sqlite_engine(path: Path, busy_timeout_ms: int) -> Engine:
    from sqlalchemy import URL, create_engine, event
    from sqlalchemy.pool import NullPool

    engine = create_engine(URL.create("sqlite", database=str(path)), poolclass=NullPool)

    # SQLAlchemy's recipe for transactional DDL on sqlite3, which would otherwise commit before
    # each CREATE: a build cut short leaves no half-made archive.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
