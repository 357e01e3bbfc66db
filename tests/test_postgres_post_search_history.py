"""The revisions that rewrite PostgreSQL's post search index, run on an archive holding posts: one
taken down to the revision before 0008 (texts in post_search's rows, no counts) or before 0009
(texts and counts compressed as the server's default) and brought up to HEAD holds the rows a new
archive holds, a long post's text compressed with lz4, and searches its posts as a new one does:
the same posts, order and bm25 scores bit for bit (those of SQLite's FTS5 too). The PostgreSQL
tests need a server (tests/postgres_databases.py).

The archive: tests/test_search_body_first.py's, the real fixture articles, articles recombined
from their paragraphs and the posts of the synthetic post answers (tests/fixtures/posts/), copied
into PostgreSQL by `sourcevault migrate-archive`, which indexes them there as a new archive does.
Taken down by the revisions' own downgrades: revision 0007's index_post wrote the texts 0008's
downgrade puts back (its search_row, without the counts).
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.command import downgrade
from sqlalchemy import Connection, create_engine, inspect, text

from crawler.archive import schema
from crawler.archive.postgres.connection import engine_url
from crawler.search.postgres_posts import index_post, scored_posts
from crawler.search.query import parse_query
from tests.helpers import invoke
from tests.postgres_databases import drop_database, new_database, server_url
from tests.test_search_body_first import built_archive, cut_queries

POST_TABLES = ("post_search", "post_search_texts", "post_search_counts")
# Written here: an author's name, Latin, both scripts, a lone character, several words, none.
WRITTEN_QUERIES = ["的", "记者会", "例行記者會", "example", "微博", "声明 发布", '"外事安排"', "不存在"]
# A Weibo long text runs to thousands of characters: past a page, its search text is compressed.
LONG_POST_CHARACTERS = 4_000


@pytest.fixture(scope="module")
def archived(tmp_path_factory, registry) -> Iterator[tuple[Path, str]]:
    """The archive on SQLite, and copied into a new PostgreSQL database: (path, URL)."""
    path = tmp_path_factory.mktemp("post-search-history") / "archive.db"
    built_archive(path, registry)
    server = server_url()
    url = new_database(server)
    copied = invoke("migrate-archive", str(path), url)
    assert copied.exit_code == 0, copied.stderr
    yield path, url
    drop_database(server, url)


@pytest.fixture
def on_postgres(archived) -> Iterator[Connection]:
    engine = create_engine(engine_url(archived[1]))
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def post_queries(path: Path) -> list[str]:
    """The written queries, and pieces of every post's text and author's names."""
    connection = sqlite3.connect(path)
    texts = [
        text_
        for row in connection.execute(
            "SELECT coalesce(text_simplified, text), author_name, author_screen_name FROM posts"
            " WHERE text IS NOT NULL"
        )
        for text_ in row
        if text_
    ]
    connection.close()
    return [*WRITTEN_QUERIES, *cut_queries(texts, random.Random(8))]


def answered_on_sqlite(path: Path, queries: list[str]) -> list[list[tuple[float, int]]]:
    """FTS5's answers: each match's bm25 (its rank negated) and id, best first."""
    connection = sqlite3.connect(path)
    answered = [
        [
            (-rank, post)
            for post, rank in connection.execute(
                "SELECT rowid, rank FROM post_search WHERE post_search MATCH ? ORDER BY rank, rowid DESC",
                [parse_query(query).expression()],
            )
        ]
        for query in queries
    ]
    connection.close()
    return answered


def answered(connection: Connection, queries: list[str]) -> list[list[tuple[float, int]]]:
    return [scored_posts(connection, parse_query(query)) for query in queries]


def written_long(connection: Connection) -> int:
    """The last post's text made long, from the articles' bodies, and indexed again: its id."""
    post = connection.execute(text("SELECT max(id) FROM posts WHERE text IS NOT NULL")).scalar_one()
    bodies = connection.execute(text("SELECT body FROM articles ORDER BY id")).scalars()
    long_text = "".join(bodies)[:LONG_POST_CHARACTERS]
    connection.execute(
        text("UPDATE posts SET text = :text, text_simplified = NULL WHERE id = :post"),
        {"text": long_text, "post": post},
    )
    index_post(connection, post)
    return post


def text_compression(connection: Connection, post: int) -> str | None:
    """How the post's search text is stored: 'lz4', 'pglz', None uncompressed."""
    return connection.execute(
        text("SELECT pg_column_compression(body_text) FROM post_search_texts WHERE post = :post"),
        {"post": post},
    ).scalar_one()


def index_rows(connection: Connection) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY post"))]
        for table in POST_TABLES
    }


@pytest.mark.parametrize("before", ["0007", "0008"])
def test_an_index_of_posts_brought_up_holds_and_answers_what_a_new_one_does(archived, on_postgres, before):
    path, _ = archived
    queries = post_queries(path)
    assert answered(on_postgres, queries) == answered_on_sqlite(path, queries)
    long_post = written_long(on_postgres)
    assert text_compression(on_postgres, long_post) == "lz4"
    expected = answered(on_postgres, queries)
    assert sum(bool(posts) for posts in expected) > 0.8 * len(queries)
    indexed = index_rows(on_postgres)
    (posts,) = on_postgres.execute(text("SELECT count(*) FROM posts WHERE text IS NOT NULL")).one()
    assert len(indexed["post_search"]) == len(indexed["post_search_counts"]) == posts >= 3

    downgrade(schema.config(on_postgres), before)
    if before == "0007":
        texts = on_postgres.execute(text("SELECT post, title_text, body_text FROM post_search ORDER BY post"))
        assert [tuple(row) for row in texts] == indexed["post_search_texts"]
        assert not {"post_search_texts", "post_search_counts"} & set(inspect(on_postgres).get_table_names())
    else:
        default = on_postgres.execute(text("SHOW default_toast_compression")).scalar_one()
        assert text_compression(on_postgres, long_post) == default
    schema.upgrade(on_postgres)
    # The characters counted in SQL by revision 0008 as index_post counts them in Python.
    assert index_rows(on_postgres) == indexed
    assert {column["name"] for column in inspect(on_postgres).get_columns("post_search")} == {
        "post",
        "lexemes",
        "token_count",
    }
    assert text_compression(on_postgres, long_post) == "lz4"
    assert answered(on_postgres, queries) == expected
    on_postgres.rollback()
