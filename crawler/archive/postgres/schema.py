"""The PostgreSQL archive's migrations: Alembic's history in crawler/archive/postgres/migrations/.

A new revision is written with Alembic's autogenerate against crawler/archive/postgres/tables.py
(`alembic -x ... revision --autogenerate`, or `schema.config` in Python) and never edited once
applied; tests/test_postgres_archive.py checks that the history builds exactly that model.
Alembic records the revision an archive is at in its `alembic_version` table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration of this history, running on `connection`."""
    from alembic.config import Config

    settings = Config()
    settings.set_main_option("script_location", str(MIGRATIONS))
    settings.attributes["connection"] = connection
    return settings


def head() -> str:
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None
    return revision


def known(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(config()).get_revision(revision) is not None
    except CommandError:
        return False


def current(connection: Connection) -> str | None:
    """The revision an archive is at (None: no archive yet)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> None:
    """Apply every revision the archive lacks, in the caller's transaction."""
    from alembic import command

    command.upgrade(config(connection), "head")
