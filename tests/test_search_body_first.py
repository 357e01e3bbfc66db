"""The search index body first (columns body, title, filters; `schema.SQLITE_SCHEMA_REVISION`): an
archive brought up from the revision before answers every query as a new archive does, bit for bit
(the same matches, order and bm25 scores, articles and posts); an upgrade cut short, by an error or a
kill, leaves the archive at the revision before, intact; and the index is smaller than before.

The archive: the real fixture articles, articles recombined from their paragraphs (every other one
turned Traditional) and the posts of the synthetic post answers (tests/fixtures/posts/).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import URL, create_engine

from crawler.archive import Archive, schema
from crawler.archive.connection import ArchiveError
from crawler.archive.post_index import PostIndex
from crawler.posts.post import Endpoint
from crawler.search import results
from crawler.search.query import Filters, parse_query
from crawler.search.tokens import WORD_RUN
from tests.helpers import store_fixture_articles, store_recombined_articles
from tests.post_fixtures import fetched, fixture_manifest
from tests.test_schema_history import built_by_history, sqlite_schema

# The revision an archive is upgraded from: the one before the last that changes SQLite's schema.
PREVIOUS = schema.REVISIONS[schema.REVISIONS.index(schema.SQLITE_SCHEMA_REVISION) - 1]
RECOMBINED = 40
NOTICE = "sourcevault: upgrading the search index of {articles:,} articles and {posts:,} posts;"
INDEX_TABLES = ("article_search", "post_search")


def built_archive(path: Path, registry) -> None:
    with Archive(path) as archive:
        archive.sync_outlets(registry)
        archive.posts.register_platforms(list(registry.platforms.values()))
        store_fixture_articles(archive, registry)
        store_recombined_articles(archive, registry, RECOMBINED, seed=11, first=3000)
        for response in fixture_manifest():
            if response["outcome"] == "ok" and response["endpoint"] in ("weibo_status", "x_syndication"):
                endpoint = Endpoint(response["endpoint"])
                archive.posts.record(fetched(response["cited_url"], response["file"], endpoint))


def queries_of(path: Path) -> list[str]:
    """Queries cut from the archive's own texts (1, 2 and 4 characters and phrases, at random
    places), and a few written here: Latin, both scripts, several words."""
    connection = sqlite3.connect(path)
    texts = [
        text
        for (text,) in connection.execute(
            "SELECT coalesce(body_simplified, body) FROM articles UNION ALL"
            " SELECT coalesce(text_simplified, text) FROM posts WHERE text IS NOT NULL"
        )
    ]
    connection.close()
    rng = random.Random(5)
    written = ["的", "臺灣", "台湾", "Apple", "中国 政府", "微博", '"海燕"']
    return [*written, *cut_queries(rng.sample(texts, 30), rng)]


def cut_queries(texts: list[str], rng: random.Random) -> list[str]:
    """Pieces of each text at random places: 1, 2 and 4 characters, and 7 as a phrase."""
    queries: list[str] = []
    for text in texts:
        for length in (1, 2, 4, 7):
            start = rng.randrange(max(len(text) - length, 1))
            piece = text[start : start + length].strip()
            if WORD_RUN.search(piece) and '"' not in piece:
                queries.append(f'"{piece}"' if length == 7 else piece)
    return queries


def index_answers(connection: sqlite3.Connection, table: str, query: str) -> list[tuple[int, str]]:
    """Every match of the index table with its rank, best first: bm25 as its exact bits."""
    rows = connection.execute(
        f"SELECT rowid, rank FROM {table} WHERE {table} MATCH ? ORDER BY rank, rowid DESC",
        [parse_query(query).expression()],
    ).fetchall()
    return [(rowid, rank.hex()) for rowid, rank in rows]


def search_answers(connection: sqlite3.Connection, query: str) -> list[object]:
    """What `sourcevault search` answers for the query (and narrowed by outlet and date), and the
    posts search."""
    parsed = parse_query(query)
    answers: list[object] = []
    for filters in (Filters(), Filters(outlets=("cna", "udn"), since=date(2018, 1, 1), language="zh")):
        found = results.search(connection, parsed, filters, limit=50)
        answers.append((found.total, found.ranked, [hit.to_dict() for hit in found.hits]))
        answers.append(list(results.matching_article_ids(connection, parsed, filters)))
    answers.append(PostIndex(connection).search(query, limit=50))
    return answers


def everything_answered(path: Path, queries: list[str]) -> list[object]:
    connection = sqlite3.connect(path)
    answered = [
        (
            search_answers(connection, query),
            [index_answers(connection, table, query) for table in INDEX_TABLES],
        )
        for query in queries
    ]
    connection.close()
    return answered


@pytest.fixture(scope="module")
def new_archive(tmp_path_factory, registry) -> tuple[Path, list[str], list[object]]:
    """An archive made at HEAD: its file, the queries, and its answers to them."""
    path = tmp_path_factory.mktemp("body-first") / "new.db"
    built_archive(path, registry)
    queries = queries_of(path)
    return path, queries, everything_answered(path, queries)


def older_copy(new: Path, path: Path) -> Path:
    """A copy of the new archive taken down to the revision before, as an older sourcevault left it."""
    shutil.copy(new, path)
    engine = create_engine(URL.create("sqlite", database=str(path)))
    with engine.begin() as connection:
        command.downgrade(schema.config(connection), PREVIOUS)
    engine.dispose()
    return path


def counts(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    (articles,) = connection.execute("SELECT count(*) FROM articles").fetchone()
    (posts,) = connection.execute("SELECT count(*) FROM posts").fetchone()
    connection.close()
    return {"articles": articles, "posts": posts}


def columns_and_rank(path: Path, table: str) -> tuple[list[str], list[tuple[str, str]]]:
    connection = sqlite3.connect(path)
    columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
    rank = connection.execute(f"SELECT k, v FROM {table}_config WHERE k = 'rank'").fetchall()
    connection.close()
    return columns, rank


def index_bytes(path: Path, table: str) -> int:
    connection = sqlite3.connect(path)
    (size,) = connection.execute(
        "SELECT sum(pgsize) FROM dbstat WHERE name IN (?, ?, ?, ?)",
        [f"{table}_{part}" for part in ("data", "idx", "docsize", "config")],
    ).fetchone()
    connection.close()
    return size


def index_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the search indexes' own tables and of the pending articles, as stored."""
    connection = sqlite3.connect(path)
    tables = [f"{table}_{part}" for table in INDEX_TABLES for part in ("data", "idx", "docsize", "config")]
    rows = {
        table: connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        for table in [*tables, "article_search_pending"]
    }
    connection.close()
    return rows


@pytest.fixture
def older(new_archive, tmp_path) -> tuple[Path, object]:
    """A copy of the new archive taken down to the revision before, and its schema and index rows."""
    path = older_copy(new_archive[0], tmp_path / "older.db")
    return path, (sqlite_schema(path), index_rows(path))


def test_a_new_archive_is_made_body_first_without_a_word(tmp_path, capsys):
    Archive(tmp_path / "archive.db").close()
    assert capsys.readouterr().err == ""
    for table in INDEX_TABLES:
        assert columns_and_rank(tmp_path / "archive.db", table) == (
            ["body", "title", "filters"],
            [("rank", "bm25(1.0, 3.0, 0.0)")],
        )


def test_an_upgraded_archive_answers_every_query_as_a_new_one_bit_for_bit(
    new_archive, older, tmp_path, capsys
):
    (new, queries, expected), (older, _) = new_archive, older
    assert columns_and_rank(older, "article_search") == (
        ["title", "body", "filters"],
        [("rank", "bm25(3.0, 1.0, 0.0)")],
    )
    assert columns_and_rank(older, "post_search") == (["title", "body", "filters"], [])
    # The revision before builds the same schema as the copy taken down to it.
    assert sqlite_schema(older) == built_by_history(tmp_path / "before.db", PREVIOUS)
    with pytest.raises(ArchiveError, match="archive schema is older than this sourcevault; open it once"):
        Archive(older, readonly=True)
    shown = counts(older)
    assert shown["articles"] >= 50 and shown["posts"] >= 3
    capsys.readouterr()
    Archive(older).close()
    notice = capsys.readouterr().err.splitlines()
    assert notice == [f"{NOTICE.format(**shown)} this can take several minutes"]
    with Archive(older, readonly=True) as reader:
        assert schema.recorded_revision(reader.connection) == schema.HEAD
    assert sqlite_schema(older) == sqlite_schema(new)
    assert everything_answered(older, queries) == expected
    assert sum(bool(indexes[0]) for _, indexes in expected) > 0.9 * len(queries)
    # Posts are few next to articles: a fifth of the queries, cut from both, find one.
    assert sum(bool(indexes[1]) for _, indexes in expected) > 0.15 * len(queries)


def test_the_articles_rank_the_same_title_first_and_body_first(new_archive, older):
    (_, queries, expected), (older, _) = new_archive, older
    connection = sqlite3.connect(older)
    answered = [index_answers(connection, "article_search", query) for query in queries]
    connection.close()
    assert answered == [indexes[0] for _, indexes in expected]


def test_the_index_is_smaller_body_first(older, tmp_path):
    older, _ = older
    upgraded = shutil.copy(older, tmp_path / "upgraded.db")
    Archive(upgraded).close()
    # Both indexes written by the same code in one go, from the same articles.
    assert index_bytes(upgraded, "article_search") < 0.85 * index_bytes(older, "article_search")


def add_trigger(path: Path, sql: str) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(sql)
    connection.close()


def left_as_it_was(path: Path, before: object, queries: list[str], expected: list[object]) -> None:
    """After an upgrade cut short: the archive at the revision before, its schema and index rows as
    they were (once the trigger that cut it short is taken off), and brought up by the next open."""
    connection = sqlite3.connect(path)
    assert schema.recorded_revision(connection) == PREVIOUS
    with connection:
        connection.execute("DROP TRIGGER synthetic_cut")
    connection.close()
    assert (sqlite_schema(path), index_rows(path)) == before
    Archive(path).close()
    assert everything_answered(path, queries) == expected


# Indexed anew, an article is taken off the pending ones: the 31st fails, with 30 in the new index.
FAILING = (
    "CREATE TRIGGER synthetic_cut BEFORE DELETE ON article_search_pending"
    " WHEN old.article = (SELECT id FROM articles ORDER BY id LIMIT 1 OFFSET 30)"
    " BEGIN SELECT RAISE(ABORT, 'synthetic failure'); END"
)
# Each article noted for the new index waits on a count that never ends: the upgrade, past its
# notice, is under way until it is killed.
STALLING = (
    "CREATE TRIGGER synthetic_cut BEFORE INSERT ON article_search_pending BEGIN"
    " SELECT count(*) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)"
    " SELECT i FROM n); END"
)
KILLED_UPGRADE = """
import sys
from crawler.archive import Archive
Archive(sys.argv[1])
"""


def failed_open(path: Path) -> None:
    with pytest.raises(ArchiveError, match=r"not a usable SQLite archive \(synthetic failure\)$"):
        Archive(path)


def killed_open(path: Path) -> None:
    upgrading = subprocess.Popen(
        [sys.executable, "-c", KILLED_UPGRADE, str(path)], stderr=subprocess.PIPE, text=True
    )
    try:
        assert upgrading.stderr is not None
        assert upgrading.stderr.readline().startswith(NOTICE.format(**counts(path)))
    finally:
        upgrading.kill()
        upgrading.wait()


@pytest.mark.parametrize(("trigger", "cut_short"), [(FAILING, failed_open), (STALLING, killed_open)])
def test_an_upgrade_cut_short_leaves_the_archive_at_the_revision_before(
    new_archive, older, trigger, cut_short
):
    (_, queries, expected), (path, before) = new_archive, older
    add_trigger(path, trigger)
    cut_short(path)
    left_as_it_was(path, before, queries, expected)
