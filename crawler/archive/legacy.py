"""Archives made before the Alembic history: the sqlite-utils migrations m001 … m012
(`crawler/archive/migrations/`) that built every SQLite archive until then.

They are kept only to bring such an archive up to their last, m012_stored_fingerprints; the archive is
then adopted into the Alembic history at its baseline revision (crawler/archive/schema.py), whose
SQLite schema is the one m012 left. sqlite-utils records each migration applied in
`_sqlite_migrations`, which an adopted archive keeps. Never edit or add one: a schema change is an
Alembic revision.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from crawler.archive.migrations.m001_initial import m001_initial
from crawler.archive.migrations.m002_language import m002_language
from crawler.archive.migrations.m003_run_records import m003_run_records
from crawler.archive.migrations.m003b_incremental_crawls import m003b_incremental_crawls
from crawler.archive.migrations.m004_identity_and_versions import m004_identity_and_versions
from crawler.archive.migrations.m004b_story_clusters import m004b_story_clusters
from crawler.archive.migrations.m005_search import m005_search
from crawler.archive.migrations.m006_search_without_sql_functions import m006_search_without_sql_functions
from crawler.archive.migrations.m007_article_key_source import m007_article_key_source
from crawler.archive.migrations.m008_off_policy_requests import m008_off_policy_requests
from crawler.archive.migrations.m009_wayback_captures import m009_wayback_captures
from crawler.archive.migrations.m010_posts import m010_posts
from crawler.archive.migrations.m011_briefings import m011_briefings
from crawler.archive.migrations.m012_stored_fingerprints import m012_stored_fingerprints

if TYPE_CHECKING:
    from sqlite_utils import Database

MIGRATION_SET = "sourcevault"
# Where sqlite-utils records each applied migration (migration_set, name, applied_at).
MIGRATIONS_TABLE = "_sqlite_migrations"

# In the order they apply; a migration's name (its function's) is what `_sqlite_migrations` records.
MIGRATIONS: tuple[Callable[[Database], None], ...] = (
    m001_initial,
    m002_language,
    m003_run_records,
    m003b_incremental_crawls,
    m004_identity_and_versions,
    m004b_story_clusters,
    m005_search,
    m006_search_without_sql_functions,
    m007_article_key_source,
    m008_off_policy_requests,
    m009_wayback_captures,
    m010_posts,
    m011_briefings,
    m012_stored_fingerprints,
)


def names() -> list[str]:
    return [step.__name__ for step in MIGRATIONS]


def apply(db: Database) -> None:
    """Apply the migrations an archive of an older sourcevault lacks, each in its own transaction."""
    from sqlite_utils.migrations import Migrations

    steps = Migrations(MIGRATION_SET)
    for step in MIGRATIONS:
        steps()(step)
    steps.apply(db)


def applied(connection: sqlite3.Connection) -> list[str]:
    """The migrations applied to an archive, in order (none for an archive Alembic built, or no archive)."""
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [MIGRATIONS_TABLE]
    ).fetchone()
    if not has_table:
        return []
    rows = connection.execute(
        f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET]
    )
    return [name for (name,) in rows]
