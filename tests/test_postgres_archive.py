"""The PostgreSQL archive: the model's tables, the same as an SQLite archive's, built by the Alembic
history, opened read-write (migrated, by one process at a time) and read-only (checked)."""

from __future__ import annotations

import gzip
import hashlib

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from crawler.archive import schema
from crawler.archive.captures import checked_body
from crawler.archive.connection import ArchiveError, CorruptOriginal
from crawler.archive.model import POSTGRES_ONLY_TABLES, metadata, raw_bodies
from crawler.archive.postgres.connection import PostgresArchive, engine_url
from tests.helpers import archive_tables
from tests.loopback import refused_port
from tests.test_import_races import importer, until_waiting_for_locks
from tests.test_startup import heavy_modules_imported_by

# What an SQLite archive has that the model does not: the history's record of its revision, and the
# FTS5 search index with its bookkeeping (PostgreSQL search has a table of its own).
SQLITE_ONLY = r"alembic_version|(article|post)_search"


def test_the_postgresql_model_names_the_tables_and_columns_of_a_new_sqlite_archive(tmp_path):
    sqlite_tables = archive_tables(tmp_path / "archive.db", leave_out=SQLITE_ONLY)
    postgres_tables = {
        table.name: {column.name for column in table.columns}
        for table in metadata.tables.values()
        if table.name not in POSTGRES_ONLY_TABLES
    }
    assert postgres_tables == sqlite_tables


def test_the_alembic_history_builds_exactly_the_model(postgres_url):
    PostgresArchive(postgres_url).close()
    engine = create_engine(engine_url(postgres_url))
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": schema.compared("postgresql")}
        )
        assert compare_metadata(context, metadata) == []
        assert schema.current(connection) == schema.HEAD
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert tables == {*metadata.tables, schema.VERSION_TABLE}


def test_a_raw_original_is_kept_as_the_same_gzip_bytes_and_checked_on_read(postgres_url):
    body = "<p>臺灣新聞</p>".encode()
    sha256 = hashlib.sha256(body).hexdigest()
    compressed = gzip.compress(body, mtime=0)
    with PostgresArchive(postgres_url) as archive, archive.engine.begin() as connection:
        connection.execute(
            raw_bodies.insert(),
            {"sha256": sha256, "size_bytes": len(body), "compression": "gzip", "compressed": compressed},
        )
        stored = connection.execute(raw_bodies.select()).one()
        assert bytes(stored.compressed) == compressed
        assert checked_body(sha256, stored.compressed, stored.compression, archive.where) == body
        with pytest.raises(CorruptOriginal, match="does not match its sha256"):
            checked_body("0" * 64, stored.compressed, stored.compression, archive.where)


def test_read_only_refuses_an_empty_database_and_read_write_builds_the_schema(postgres_url):
    with pytest.raises(ArchiveError, match="no sourcevault archive in this database"):
        PostgresArchive(postgres_url, readonly=True)
    PostgresArchive(postgres_url).close()
    PostgresArchive(postgres_url, readonly=True).close()


def test_an_archive_of_a_newer_sourcevault_is_refused_in_one_line(postgres_url):
    PostgresArchive(postgres_url).close()
    engine = create_engine(engine_url(postgres_url))
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {schema.VERSION_TABLE} SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(ArchiveError, match=r"newer sourcevault \(schema 9999 is unknown"):
        PostgresArchive(postgres_url)


def test_a_server_that_does_not_answer_is_one_line(tmp_path):
    refused = pytest.raises(ArchiveError, match="cannot use the PostgreSQL archive")
    with refused_port() as port, refused as raised:
        PostgresArchive(f"postgresql://nobody@127.0.0.1:{port}/none")
    assert "\n" not in str(raised.value)


def test_an_archive_at_an_earlier_revision_is_brought_up_with_its_rows(postgres_url):
    engine = create_engine(engine_url(postgres_url))
    with engine.begin() as connection:
        command.upgrade(schema.config(connection), "0006")
        connection.execute(
            text(
                "INSERT INTO crawl_runs (started_at, status, outlets, sourcevault_version)"
                " VALUES ('2026-12-01T00:00:00+00:00', 'finished', '[]', 'synthetic')"
            )
        )
    engine.dispose()
    PostgresArchive(postgres_url).close()
    engine = create_engine(engine_url(postgres_url))
    with engine.connect() as connection:
        assert schema.current(connection) == schema.HEAD
        runs = connection.execute(text("SELECT status, crawl_worker FROM crawl_runs")).all()
    engine.dispose()
    assert [tuple(run) for run in runs] == [("finished", None)]


def test_three_processes_opening_one_new_database_at_once_all_find_its_schema_built_once(
    postgres_url, tmp_path
):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    engine = create_engine(engine_url(postgres_url))
    with engine.connect() as holding:
        # The version table made here, uncommitted: the first migration waits at its first CREATE TABLE
        # until every process waits, then all go on at once.
        holding.execute(text(f"CREATE TABLE {schema.VERSION_TABLE} (version_num varchar(32) NOT NULL)"))
        openers = [importer(empty, postgres_url) for _ in range(3)]
        until_waiting_for_locks(engine, openers)
        holding.rollback()
    for opener in openers:
        out, err = opener.communicate(timeout=300)
        assert (opener.returncode, err) == (0, "")
        assert out == f"imported {empty}: 0 new, 0 updated, 0 unchanged, 0 rejected\n"
    with engine.connect() as connection:
        assert schema.current(connection) == schema.HEAD
        assert connection.execute(text(f"SELECT count(*) FROM {schema.VERSION_TABLE}")).scalar_one() == 1
    engine.dispose()


def test_an_archive_at_head_is_opened_read_write_without_alembic_its_revision_read_as_alembic_reads_it(
    postgres_url,
):
    engine = create_engine(engine_url(postgres_url))
    opening = (
        "from crawler.archive.postgres.connection import PostgresArchive\n"
        f"PostgresArchive({postgres_url!r}).close()\n"
    )
    read = []
    with engine.begin() as connection:
        read.append((schema.postgres_revision(connection), schema.current(connection)))
        command.upgrade(schema.config(connection), "0006")
        read.append((schema.postgres_revision(connection), schema.current(connection)))
    # Behind HEAD: brought up by Alembic; at HEAD, the next opens leave Alembic unimported.
    assert "alembic" in heavy_modules_imported_by(opening)
    assert "alembic" not in heavy_modules_imported_by(opening)
    with engine.connect() as connection:
        read.append((schema.postgres_revision(connection), schema.current(connection)))
    engine.dispose()
    assert read == [(None, None), ("0006", "0006"), (schema.HEAD, schema.HEAD)]
