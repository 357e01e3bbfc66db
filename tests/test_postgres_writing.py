"""The write path on a real PostgreSQL server: `crawl --db postgresql://…` archives what the same
crawl archives into SQLite, row for row, and `search`, `stats` and `show` answer alike on both."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from crawler import exit_status
from crawler.archive import Archive, story_index
from crawler.archive.lock import BESIDE_CRAWLS, WHOLE
from crawler.archive.postgres.lock import PostgresWriteLock
from crawler.archive.postgres.rooms import PostgresConnection, driver_sql
from crawler.cli import DEMO_SNAPSHOT
from crawler.search import postgres as search
from tests.helpers import run_sourcevault, text_capture
from tests.postgres_databases import copied_database, drop_database, new_database, server_url
from tests.test_archive_moves import QUERIES, SEARCH_SHADOW_TABLES
from tests.test_dedup import BUDGET

ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\+00:00)?")
WRITTEN_NOW = "<written now>"


def crawl_twice(db: str) -> list[str]:
    """The demo snapshot replayed into `db`, and again (what a nightly crawl's second night does)."""
    printed = []
    for _ in range(2):
        result = run_sourcevault("crawl", "--replay", str(DEMO_SNAPSHOT), "--db", db)
        assert result.returncode == 0, result.stderr
        printed.append(re.sub(r"archived in \S+:", "archived in DB:", result.stdout))
    return printed


def every_row(path: Path, since: datetime) -> dict[str, list[tuple]]:
    """Every row of every table but the FTS5 index's own, in key order; the times the crawl wrote
    (since `since`, unlike the pages' own times) alike."""
    connection = sqlite3.connect(path)

    def normalised(value: object) -> object:
        if isinstance(value, str) and ISO_TIME.fullmatch(value):
            written = datetime.fromisoformat(value)
            if written.tzinfo is not None and written >= since:
                return WRITTEN_NOW
        return value

    names = [
        name
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if name not in (*SEARCH_SHADOW_TABLES, "_sqlite_migrations", "alembic_version")
    ]
    rows = {
        name: [
            tuple(normalised(value) for value in row)
            for row in connection.execute(f'SELECT * FROM "{name}" ORDER BY 1, 2')
        ]
        for name in names
    }
    connection.close()
    return rows


def what_commands_say(cli, db: str) -> list[str]:
    said = [cli("search", query, "--db", db, "--json").output for query in QUERIES]
    said += [cli("stats", "--db", db, "--json").output, cli("show", "3", "--db", db).output]
    return said


@pytest.fixture(scope="module")
def sqlite_crawled(tmp_path_factory) -> tuple[Path, list[str], datetime]:
    """The crawl into SQLite: its file, what it printed, and when it began."""
    started = datetime.now(UTC).replace(microsecond=0)
    path = tmp_path_factory.mktemp("sqlite") / "crawled.db"
    return path, crawl_twice(str(path)), started


@pytest.fixture(scope="module")
def postgres_crawled(sqlite_crawled) -> Iterator[tuple[str, list[str]]]:
    """The same crawls into a PostgreSQL database (after the SQLite one's, which began first): its
    URL and what they printed. Nothing connects to it: each test takes a copy, `crawled_copy`."""
    server = server_url()
    url = new_database(server)
    yield url, crawl_twice(url)
    drop_database(server, url)


@pytest.fixture
def crawled_copy(postgres_crawled) -> Iterator[str]:
    """A copy of the crawled PostgreSQL database of the test's own, to read or write freely."""
    server = server_url()
    url = copied_database(server, postgres_crawled[0])
    yield url
    drop_database(server, url)


def test_a_crawl_into_postgresql_archives_what_it_archives_into_sqlite(
    sqlite_crawled, postgres_crawled, crawled_copy, tmp_path, cli
):
    sqlite_path, sqlite_printed, started = sqlite_crawled
    postgres_url = crawled_copy
    assert postgres_crawled[1] == sqlite_printed
    copied = tmp_path / "copied.db"
    back = cli("migrate-archive", postgres_url, str(copied))
    assert back.exit_code == 0, back.output
    on_sqlite, on_postgres = every_row(sqlite_path, started), every_row(copied, started)
    assert on_postgres.keys() == on_sqlite.keys()
    assert len(on_sqlite["crawl_runs"]) == 2 and len(on_sqlite["articles"]) > 10
    for table in on_sqlite:
        assert on_postgres[table] == on_sqlite[table], table
    said = what_commands_say(cli, str(sqlite_path))
    assert all(output.strip() for output in said)
    assert what_commands_say(cli, postgres_url) == said
    # The originals as fetched, sha256 checked on read, from PostgreSQL itself.
    with Archive(postgres_url, readonly=True) as archive:
        stored = archive.connection.execute("SELECT body_sha256 FROM captures WHERE body_sha256 IS NOT NULL")
        for (sha256,) in stored.fetchall():
            assert archive.captures.raw_body(sha256)


def test_writers_in_two_sessions_index_articles_without_waiting_on_each_other(crawled_copy):
    postgres_url = crawled_copy
    sessions = [PostgresConnection(postgres_url)]
    # Two sessions whose writes to the index's totals go to rows of their own.
    while len(sessions) < 2 or len({slot(session) for session in sessions[-2:]}) < 2:
        sessions.append(PostgresConnection(postgres_url))
    first, second = sessions[-2:]
    articles = [row[0] for row in first.execute("SELECT id FROM articles ORDER BY id LIMIT 2").fetchall()]
    with first.atomic():
        search.index_articles(first.sa, [articles[0]])
        with second.atomic():
            # Waiting on the first session's open transaction would fail at once, not hang.
            second.execute("SET LOCAL lock_timeout = '1ms'")
            search.index_articles(second.sa, [articles[1]])
    indexed = first.execute("SELECT count(*), sum(token_count) FROM article_search").fetchone()
    assert search.index_totals(first.sa) == tuple(indexed)
    for session in sessions:
        session.close()


def slot(session: PostgresConnection) -> int:
    return session.sa.execute(text(f"SELECT pg_backend_pid() % {search.TOTALS_SLOTS}")).scalar_one()


def test_a_crawl_runs_beside_an_import_both_exit_75_naming_a_reextract_holding_the_archive_whole(
    postgres_url, tmp_path
):
    Archive(postgres_url).close()
    beside = PostgresWriteLock(postgres_url, BESIDE_CRAWLS)
    with beside.held("import"):
        crawled = run_sourcevault("crawl", "cna", "--replay", str(DEMO_SNAPSHOT), "--db", postgres_url)
    assert crawled.returncode == exit_status.OK, crawled.stderr
    records = tmp_path / "records.jsonl"
    records.write_bytes(b"")
    whole = PostgresWriteLock(postgres_url, WHOLE)
    with whole.held("reextract"):
        refused = [
            run_sourcevault("crawl", "cna", "--replay", str(DEMO_SNAPSHOT), "--db", postgres_url),
            run_sourcevault("import", str(records), "--db", postgres_url),
        ]
    for result in refused:
        assert result.returncode == exit_status.ARCHIVE_BUSY
        assert "busy, another sourcevault writes to it (reextract, pid" in result.stderr
        assert "Traceback" not in result.stderr
    assert not whole.is_taken()


COPIES = [
    "https://www.cna.com.tw/news/aipl/202612030001.aspx",
    "https://udn.com/news/story/7315/9100001",
    "https://news.ltn.com.tw/news/politics/breakingnews/9100002",
    "https://www.cna.com.tw/news/aipl/202612030002.aspx",
]
SECOND = "2026-12-03T03:00:00+00:00"
NEXT_SECOND = "2026-12-03T03:00:01+00:00"


def store_copy(archive: Archive, registry, url: str) -> None:
    capture = text_capture(registry, url, "預算三讀", BUDGET)
    archive.store(capture, run_id=None, outlet=registry.get(capture.outlet))


def cluster_row(archive: Archive) -> tuple[str, ...]:
    """The one cluster's row version (PostgreSQL's xmin: the transaction that last wrote it) and times."""
    rows = archive.connection.execute("SELECT xmin::text, created_at, updated_at FROM clusters").fetchall()
    assert len(rows) == 1
    return tuple(rows[0])


def test_an_article_joining_its_story_in_the_second_the_cluster_last_changed_leaves_its_row_unwritten(
    postgres_url, tmp_path, registry, monkeypatch
):
    # The cluster's time is to the second; the clock is held so that stores fall in one second.
    clock = [SECOND]
    monkeypatch.setattr(story_index, "utc_now", lambda: clock[0])
    with Archive(postgres_url) as archive:
        archive.sync_outlets(registry)
        for url in COPIES[:2]:
            store_copy(archive, registry, url)
        written = cluster_row(archive)
        store_copy(archive, registry, COPIES[2])
        assert cluster_row(archive) == written
        clock[0] = NEXT_SECOND
        store_copy(archive, registry, COPIES[3])
        rewritten = cluster_row(archive)
        assert rewritten[0] != written[0] and rewritten[1:] == (SECOND, NEXT_SECOND)
        on_postgres = archive.queries.clusters()
    with Archive(tmp_path / "archive.db") as archive:
        archive.sync_outlets(registry)
        for url in COPIES:
            clock[0] = NEXT_SECOND if url == COPIES[-1] else SECOND
            store_copy(archive, registry, url)
        on_sqlite = archive.queries.clusters()
    assert len(on_postgres) == 1 and len(on_postgres[0]["articles"]) == len(COPIES)
    assert on_postgres == on_sqlite


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SELECT ? WHERE a LIKE 'x%'", "SELECT %s WHERE a LIKE 'x%%'"),
        ("SELECT :run, '?', \"a?\" WHERE b = :run", "SELECT %(run)s, '?', \"a?\" WHERE b = %(run)s"),
        ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', %s"),
        ("SELECT 'a:b' WHERE c LIKE '%:d'", "SELECT 'a:b' WHERE c LIKE '%%:d'"),
    ],
)
def test_sqlite_parameter_marks_become_psycopgs_outside_quotes(statement, expected):
    assert driver_sql(statement, returning_id=False) == expected
