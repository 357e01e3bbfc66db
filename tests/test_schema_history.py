"""One schema history for both backends, on SQLite: the Alembic history builds the schema the legacy
sqlite-utils migrations built, exactly the model, and adopts an archive those migrations made."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, create_engine
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from crawler.archive import Archive, legacy, schema
from crawler.archive.connection import ArchiveError
from crawler.archive.model import metadata
from crawler.search.query import parse_query
from crawler.search.results import matching_article_ids
from tests.helpers import store_article

# SQLite's own tables, and the records of which migrations made an archive (compared apart).
BOOKKEEPING = ("sqlite_sequence", legacy.MIGRATIONS_TABLE, schema.VERSION_TABLE)


def sqlite_schema(path: Path) -> dict[str, object]:
    """Every table, index, trigger and FTS5 table of an archive, as SQLite's pragmas give them: per
    table its columns (name, declared type, NOT NULL, default, key position), foreign keys, indexes
    (columns, unique, origin, partial condition) and rowid options; triggers and virtual tables by
    their SQL, whitespace folded; the FTS5 indexes' configuration."""
    connection = sqlite3.connect(path)
    found: dict[str, object] = {}
    objects = connection.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND type != 'index'"
    ).fetchall()
    for kind, name, sql in objects:
        if name in BOOKKEEPING:
            continue
        if kind == "trigger" or sql.startswith("CREATE VIRTUAL TABLE"):
            found[name] = re.sub(r"\s+", " ", sql)
            continue
        indexes = set()
        for _, index, unique, origin, partial in connection.execute(f'PRAGMA index_list("{name}")'):
            columns = tuple(row[2] for row in connection.execute(f'PRAGMA index_info("{index}")'))
            index_sql = connection.execute("SELECT sql FROM sqlite_master WHERE name = ?", [index]).fetchone()
            condition = index_sql[0].partition(" WHERE ")[2] if index_sql and index_sql[0] else ""
            # SQLite names the indexes of UNIQUE and PRIMARY KEY constraints by their order alone.
            named = index if origin == "c" else origin
            indexes.add((named, columns, unique, partial, re.sub(r"\s+", " ", condition)))
        found[name] = {
            "columns": [tuple(row) for row in connection.execute(f'PRAGMA table_xinfo("{name}")')],
            "foreign_keys": sorted(
                tuple(row[2:]) for row in connection.execute(f'PRAGMA foreign_key_list("{name}")')
            ),
            "indexes": indexes,
            "without_rowid": "WITHOUT ROWID" in sql,
            "autoincrement": "AUTOINCREMENT" in sql,
        }
    for index in ("article_search", "post_search"):
        found[f"{index}_config"] = connection.execute(
            f"SELECT k, v FROM {index}_config ORDER BY k"
        ).fetchall()
    connection.close()
    return found


def without_not_null_on_primary_keys(found: dict[str, object]) -> dict[str, object]:
    """A schema with NOT NULL taken off its one-column primary keys: SQLAlchemy declares it there, the
    legacy migrations did not. An INTEGER one (the rowid) numbers a NULL as before; a TEXT one, such
    as `outlets.slug`, refuses a NULL that SQLite allowed and PostgreSQL refuses."""
    relaxed: dict[str, object] = {}
    for name, table in found.items():
        relaxed[name] = table
        if isinstance(table, dict) and sum(column[5] > 0 for column in table["columns"]) == 1:
            columns = [
                (*column[:3], 0 if column[5] else column[3], *column[4:]) for column in table["columns"]
            ]
            relaxed[name] = {**table, "columns": columns}
    return relaxed


def built_by_legacy_migrations(path: Path, last: str) -> None:
    """An archive as the legacy sqlite-utils migrations made it, up to `last`."""
    migrations = Migrations(legacy.MIGRATION_SET)
    for step in legacy.MIGRATIONS[: legacy.names().index(last) + 1]:
        migrations()(step)
    database = Database(path)
    migrations.apply(database)
    database.close()


@pytest.fixture(scope="module")
def legacy_schema(tmp_path_factory) -> dict[str, object]:
    path = tmp_path_factory.mktemp("legacy") / "m012.db"
    built_by_legacy_migrations(path, legacy.names()[-1])
    return sqlite_schema(path)


def built_by_history(path: Path, revision: str) -> dict[str, object]:
    """The schema the history builds up to `revision` on a new SQLite file."""
    engine = create_engine(URL.create("sqlite", database=str(path)))
    with engine.begin() as connection:
        command.upgrade(schema.config(connection), revision)
    engine.dispose()
    return sqlite_schema(path)


def test_the_history_builds_the_sqlite_schema_the_legacy_migrations_built(tmp_path, legacy_schema):
    built = built_by_history(tmp_path / "archive.db", schema.BASELINE)
    assert built != legacy_schema
    assert without_not_null_on_primary_keys(built) == legacy_schema


def test_the_history_builds_exactly_the_model_on_sqlite(tmp_path):
    Archive(tmp_path / "archive.db").close()
    engine = create_engine(URL.create("sqlite", database=str(tmp_path / "archive.db")))
    with engine.connect() as connection:
        options = {"include_object": schema.compared("sqlite")}
        assert compare_metadata(MigrationContext.configure(connection, opts=options), metadata) == []
        assert schema.current(connection) == schema.HEAD
    engine.dispose()


def test_head_and_revisions_are_those_of_the_history():
    history = ScriptDirectory.from_config(schema.config())
    assert history.get_current_head() == schema.HEAD
    assert tuple(reversed([script.revision for script in history.walk_revisions()])) == schema.REVISIONS
    assert history.get_revision(schema.BASELINE).down_revision is None


def test_an_archive_the_legacy_migrations_made_is_brought_up_and_adopted_with_its_rows(
    tmp_path, registry, legacy_schema
):
    path = tmp_path / "m011.db"
    built_by_legacy_migrations(path, "m011_briefings")
    older = sqlite3.connect(path)
    with older:
        older.execute(
            "INSERT INTO outlets (slug, name, home, domains, language, script, timezone)"
            " VALUES ('cna', 'CNA', 'https://www.cna.com.tw/', '[]', 'zh', 'Hant', 'Asia/Taipei')"
        )
        older.execute("INSERT INTO briefings (title, added_at) VALUES ('synthetic briefing', '2026-01-01')")
    older.close()
    with pytest.raises(ArchiveError, match="archive schema is older than this sourcevault; open it once"):
        Archive(path, readonly=True)
    with Archive(path) as archive:
        assert schema.recorded_revision(archive.connection) == schema.HEAD
        assert legacy.applied(archive.connection) == legacy.names()
        assert archive.db.execute("SELECT slug FROM outlets").fetchall() == [("cna",)]
        assert archive.db.execute("SELECT title FROM briefings").fetchall() == [("synthetic briefing",)]
        archive.sync_outlets(registry)
        store_article(archive, registry, outlet="cna", number=1, title="颱風來襲", body="颱風今天登陸。")
    with Archive(path, readonly=True) as reader:
        assert len(set(matching_article_ids(reader.connection, parse_query("颱風")))) == 1
    Archive(tmp_path / "new.db").close()
    assert sqlite_schema(path) == without_not_null_on_primary_keys(sqlite_schema(tmp_path / "new.db"))


def test_the_revisions_after_the_last_that_changes_sqlite_build_the_same_sqlite_schema(tmp_path):
    partial = built_by_history(tmp_path / "partial.db", schema.SQLITE_SCHEMA_REVISION)
    Archive(tmp_path / "head.db").close()
    assert partial == sqlite_schema(tmp_path / "head.db")
    # And it is the last that changes one: the revision before it builds another SQLite schema.
    before = schema.REVISIONS[schema.REVISIONS.index(schema.SQLITE_SCHEMA_REVISION) - 1]
    assert built_by_history(tmp_path / "before.db", before) != partial


def test_an_archive_the_legacy_migrations_brought_to_m012_reads_once_opened_read_write(tmp_path):
    path = tmp_path / "m012.db"
    built_by_legacy_migrations(path, legacy.names()[-1])
    # Revision 0007 added a column since: the archive is brought up by the next command that writes.
    with pytest.raises(ArchiveError, match="archive schema is older than this sourcevault; open it once"):
        Archive(path, readonly=True)
    Archive(path).close()
    with Archive(path, readonly=True) as reader:
        assert reader.db.execute("SELECT count(*) FROM articles").fetchone() == (0,)
        assert schema.recorded_revision(reader.connection) == schema.HEAD


def test_a_database_holding_a_table_of_the_archive_is_refused_in_one_line_and_left_as_it_was(tmp_path):
    path = tmp_path / "other.db"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE post_versions (note TEXT)")
    other.close()
    with pytest.raises(
        ArchiveError, match=r"not a usable SQLite archive \(table post_versions already exists\)"
    ):
        Archive(path)
    other = sqlite3.connect(path)
    assert other.execute("SELECT name FROM sqlite_master").fetchall() == [("post_versions",)]
    other.close()


def test_an_archive_at_an_earlier_revision_is_brought_up_by_a_read_write_open_with_its_rows(tmp_path):
    path = tmp_path / "archive.db"
    built_by_history(path, "0006")
    older = sqlite3.connect(path)
    with older:
        older.execute(
            "INSERT INTO crawl_runs (started_at, status, outlets, sourcevault_version)"
            " VALUES ('2026-12-01T00:00:00+00:00', 'finished', '[]', 'synthetic')"
        )
    older.close()
    with pytest.raises(ArchiveError, match="archive schema is older than this sourcevault; open it once"):
        Archive(path, readonly=True)
    Archive(path).close()
    with Archive(path, readonly=True) as reader:
        assert schema.recorded_revision(reader.connection) == schema.HEAD
        runs = reader.db.execute("SELECT status, crawl_worker FROM crawl_runs").fetchall()
    assert runs == [("finished", None)]
