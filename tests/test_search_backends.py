"""Search on both backends: an SQLite archive copied into PostgreSQL answers every query the same
(the same article ids in the same order, the same bm25 scores and snippets), and `search`, `show`
and `stats` print the same on both. The PostgreSQL tests need a server (tests/postgres_databases.py).

The corpus is test_search.py's: the real fixture articles, articles recombined from their
paragraphs (half Traditional) and a few written there (synthetic), copied into PostgreSQL by
`sourcevault migrate-archive` (which builds the search index there).
"""

from __future__ import annotations

import random
import re
import sqlite3
import unicodedata
from datetime import date

import pytest
from alembic.command import downgrade
from sqlalchemy import Connection, create_engine, inspect, text

from crawler.archive import Archive, schema
from crawler.archive.postgres.connection import PostgresArchive, engine_url
from crawler.search import postgres, results
from crawler.search.matching import fold
from crawler.search.query import Filters, parse_query
from tests.helpers import invoke
from tests.loopback import refused_port
from tests.postgres_databases import drop_database, new_database, server_url
from tests.test_search import corpus  # noqa: F401 (the fixture)

QUERIES_PER_CLASS = 12
CJK_RUN = re.compile(r"^[\u3400-\u9fff]+$")
PHRASE = re.compile(r"^[\u3400-\u9fff]+[^\w\s]+[\u3400-\u9fff]+$")
# Single characters, phrases, Traditional input, mixed Latin, repeated and overlapping text.
WRITTEN_QUERIES = [
    "的",
    "中",
    "a",
    "e",
    "1",
    "的 是",
    "臺灣",
    "台湾",
    "中國 美國",
    "颱風 海燕",
    '"颱風 海燕"',
    "“海燕”",
    "Apple 发布会",
    '"Apple 今天"',
    "iPhone",
    "ＡＩ",
    "ai 晶片",
    "NEAR(x)",
    "WHO Geneva",
    "哈哈",
    "台湾 臺灣",
    "没有这样的文字",
]
FILTERS = [
    Filters(),
    Filters(outlets=("cna", "udn")),
    Filters(language="zh-Hant"),
    Filters(since=date(2018, 1, 1), until=date(2021, 6, 30)),
    Filters(outlets=("sina",), language="zh", since=date(2016, 1, 1)),
]


def test_folding_is_fts5s_unicode61_character_by_character():
    """What FTS5's tokenizer makes of every letter and digit `normalise` leaves, `fold` makes too
    (but of the few SQLite's older Unicode tables do not count as letters: never a token there)."""
    word = re.compile(r"[^\W_]")
    chars = [
        char
        for char in map(chr, range(0x80, 0x30000))
        if word.match(char) and unicodedata.normalize("NFKC", char).lower() == char
    ]
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE t USING fts5(x, tokenize=\"unicode61 categories 'L* N* Co Cn'\")"
    )
    connection.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
    connection.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", enumerate(chars))
    tokens = dict(connection.execute("SELECT doc, term FROM v").fetchall())
    assert len(tokens) > 0.999 * len(chars)
    assert {chars[doc]: fold(chars[doc]) for doc in tokens} == {
        chars[doc]: term for doc, term in tokens.items()
    }
    assert fold("café ς") == "cafe σ"


@pytest.fixture(scope="module")
def both(corpus):  # noqa: F811
    """The corpus archive and a PostgreSQL copy of it: (archive, URL)."""
    server = server_url()
    url = new_database(server)
    copied = invoke("migrate-archive", str(corpus.path), url)
    assert copied.exit_code == 0, copied.stderr
    yield corpus, url
    drop_database(server, url)


@pytest.fixture
def on_postgres(both):
    engine = create_engine(engine_url(both[1]))
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def sampled_queries(archive: Archive) -> list[str]:
    """bench/search.py's query classes, cut at random from the articles' Simplified text."""
    rng = random.Random(3)
    texts = [body for (body,) in archive.db.execute("SELECT body_simplified FROM articles") if body]
    wanted = {"1-char": (1, CJK_RUN), "2-char": (2, CJK_RUN), "4-char": (4, CJK_RUN), "phrase": (0, PHRASE)}
    queries = []
    for length, pattern in wanted.values():
        found = 0
        while found < QUERIES_PER_CLASS:
            text_ = rng.choice(texts)
            size = length or rng.randint(5, 8)
            start = rng.randrange(max(len(text_) - size, 1))
            piece = text_[start : start + size]
            if len(piece) == size and pattern.match(piece):
                queries.append(f'"{piece}"' if length == 0 else piece)
                found += 1
    return queries


def answers(found: results.SearchResults) -> tuple:
    return found.total, found.ranked, [(hit.id, hit.score, hit.snippet.marked()) for hit in found.hits]


@pytest.mark.parametrize("rank_window", [results.RANK_WINDOW, 7])
def test_every_query_finds_the_same_articles_in_the_same_order_on_both(
    both, on_postgres, monkeypatch, rank_window
):
    archive, _ = both
    monkeypatch.setattr(results, "RANK_WINDOW", rank_window)
    compared = 0
    for query_text in sampled_queries(archive) + WRITTEN_QUERIES:
        query = parse_query(query_text)
        for filters in FILTERS:
            on_sqlite = results.search(archive.connection, query, filters, limit=30)
            assert answers(postgres.search(on_postgres, query, filters, limit=30)) == answers(on_sqlite), (
                query_text,
                filters,
            )
            assert postgres.count_matches(on_postgres, query, filters) == on_sqlite.total
            assert list(postgres.matching_article_ids(on_postgres, query, filters)) == list(
                results.matching_article_ids(archive.connection, query, filters)
            )
            compared += on_sqlite.total > 0
    assert compared > 100


def test_the_index_follows_an_article_written_again_and_one_taken_out(both, on_postgres):
    article, other = on_postgres.execute(text("SELECT id FROM articles ORDER BY id LIMIT 2")).scalars()
    indexed_before = postgres.index_totals(on_postgres)[0]
    on_postgres.execute(
        text("UPDATE articles SET title = '柚子茶', title_simplified = NULL, body = '做法' WHERE id = :id"),
        {"id": article},
    )
    postgres.index_articles(on_postgres, [article])
    assert list(postgres.matching_article_ids(on_postgres, parse_query("柚子茶"))) == [article]
    postgres.unindex_articles(on_postgres, [other])
    assert other not in set(postgres.matching_article_ids(on_postgres, parse_query("的")))
    recounted = on_postgres.execute(text("SELECT count(*), sum(token_count) FROM article_search")).one()
    assert postgres.index_totals(on_postgres) == tuple(recounted)
    assert recounted[0] == indexed_before - 1
    found = postgres.search(on_postgres, parse_query("柚"), limit=1_000)
    assert article in {hit.id for hit in found.hits}
    assert {hit.id for hit in found.hits} == set(
        postgres.matching_article_ids(on_postgres, parse_query("柚"))
    )
    on_postgres.rollback()


def test_an_index_of_revision_0007_keeps_its_texts_and_answers_when_brought_up(both, on_postgres):
    """Revision 0008 moves the search texts out of the index's rows into a table of their own, and
    counts their characters."""
    archive, _ = both
    queries = [parse_query(query_text) for query_text in ("的", "臺灣", '"颱風 海燕"', "“海燕”")]
    expected = [answers(results.search(archive.connection, query)) for query in queries]
    texts = "SELECT article, title_text, body_text FROM {} ORDER BY article"
    counts = "SELECT article, title_counts, body_counts FROM article_search_counts ORDER BY article"
    before = on_postgres.execute(text(texts.format("article_search_texts"))).all()
    counted = on_postgres.execute(text(counts)).all()
    downgrade(schema.config(on_postgres), "0007")
    assert on_postgres.execute(text(texts.format("article_search"))).all() == before
    schema.upgrade(on_postgres)
    assert on_postgres.execute(text(texts.format("article_search_texts"))).all() == before
    # Counted in SQL by the revision as index_articles counts them in Python.
    assert on_postgres.execute(text(counts)).all() == counted
    assert len(before) == postgres.index_totals(on_postgres)[0] > 0
    columns = {column["name"] for column in inspect(on_postgres).get_columns("article_search")}
    assert columns == {"article", "lexemes", "token_count"}
    options = "SELECT relname, reloptions FROM pg_class WHERE relname IN (:texts, :counts)"
    names = {"texts": "article_search_texts", "counts": "article_search_counts"}
    assert dict(on_postgres.execute(text(options), names).all()) == {
        "article_search_texts": ["toast_tuple_target=8160"],
        "article_search_counts": ["toast_tuple_target=8160"],
    }
    assert [answers(postgres.search(on_postgres, query)) for query in queries] == expected
    on_postgres.rollback()


# Revision 0009's columns: the search texts and their characters' counts.
COMPRESSED_COLUMNS = {
    "article_search_texts": ("title_text", "body_text"),
    "article_search_counts": ("title_counts", "body_counts"),
    "post_search_texts": ("title_text", "body_text"),
    "post_search_counts": ("title_counts", "body_counts"),
}


def compressions(connection: Connection) -> tuple[dict[str, str], dict[str, set[str]]]:
    """How the search texts and counts are compressed: each column's method as the catalog has it
    ('l' lz4, '' the server's default), and the methods of the articles' stored values."""
    declared = connection.execute(
        text(
            "SELECT attrelid::regclass || '.' || attname, attcompression FROM pg_attribute"
            " WHERE attrelid = ANY(CAST(:tables AS regclass[])) AND attname = ANY(:columns)"
        ),
        {
            "tables": list(COMPRESSED_COLUMNS),
            "columns": [name for names in COMPRESSED_COLUMNS.values() for name in names],
        },
    )
    stored = {
        f"{table}.{column}": set(
            connection.execute(
                text(
                    f"SELECT DISTINCT pg_column_compression({column}) FROM {table}"
                    f" WHERE pg_column_compression({column}) IS NOT NULL"
                )
            ).scalars()
        )
        for table, names in COMPRESSED_COLUMNS.items()
        if table.startswith("article")
        for column in names
    }
    return dict(declared.all()), stored


def test_the_search_texts_and_counts_are_compressed_with_lz4_since_revision_0009(both, on_postgres):
    """Revision 0009 compresses them with lz4, the values already stored included; a new archive's
    (this one, written at 0009) are too, and revision 0008's the server's default (pglz)."""
    queries = [parse_query(query_text) for query_text in ("的", "臺灣", "海燕", '"颱風 海燕"', "“海燕”")]
    expected = [answers(postgres.search(on_postgres, query)) for query in queries]
    texts = "SELECT * FROM article_search_texts ORDER BY article"
    counts = "SELECT * FROM article_search_counts ORDER BY article"
    before = on_postgres.execute(text(texts)).all(), on_postgres.execute(text(counts)).all()
    declared, stored = compressions(on_postgres)
    assert set(declared.values()) == {"l"} and len(declared) == 8
    # Titles are too short to be compressed; a long body's text and counts are.
    assert stored["article_search_texts.body_text"] == stored["article_search_counts.body_counts"] == {"lz4"}
    assert set().union(*stored.values()) == {"lz4"}

    downgrade(schema.config(on_postgres), "0008")
    default = on_postgres.execute(text("SHOW default_toast_compression")).scalar_one()
    declared, stored = compressions(on_postgres)
    assert set(declared.values()) == {""}
    assert stored["article_search_counts.body_counts"] == set().union(*stored.values()) == {default}
    assert [answers(postgres.search(on_postgres, query)) for query in queries] == expected

    schema.upgrade(on_postgres)
    declared, stored = compressions(on_postgres)
    assert set(declared.values()) == {"l"}
    assert stored["article_search_counts.body_counts"] == set().union(*stored.values()) == {"lz4"}
    assert (on_postgres.execute(text(texts)).all(), on_postgres.execute(text(counts)).all()) == before
    assert [answers(postgres.search(on_postgres, query)) for query in queries] == expected
    on_postgres.rollback()


def _commands(archive: Archive, article: int) -> list[list[str]]:
    return [
        ["show", str(article)],
        ["show", str(article), "--json"],
        ["show", str(article), "--diff-from", "1"],
        ["show", "999999"],
        ["search", "臺灣"],
        ["search", "颱風 海燕", "--json"],
        ["search", "的", "--outlet", "cna", "--since", "2018-01-01", "--csv"],
        ["search", "中国", "--count"],
        ["search", '"unbalanced'],
        ["search", "的 是 在"],
        ["search", "—"],
        ["stats"],
        ["stats", "--json"],
    ]


def test_search_show_and_stats_print_the_same_on_both(both):
    archive, url = both
    (article,) = archive.db.execute("SELECT id FROM articles ORDER BY id DESC LIMIT 1").fetchone()
    for command in _commands(archive, article):
        on_sqlite = invoke(*command, "--db", str(archive.path))
        on_postgres = invoke(*command, "--db", url)
        assert on_postgres.exit_code == on_sqlite.exit_code, command
        assert on_postgres.stdout == on_sqlite.stdout, command
        # Errors name the archive: its path, or its URL without password.
        where = PostgresArchive(url, readonly=True).where
        assert on_postgres.stderr == on_sqlite.stderr.replace(str(archive.path), where), command
    raw = invoke("show", str(article), "--raw", "--db", url)
    assert raw.stdout_bytes == invoke("show", str(article), "--raw", "--db", str(archive.path)).stdout_bytes


def test_a_server_that_is_not_there_is_one_line(tmp_path):
    with refused_port() as port:
        found = invoke("search", "臺灣", "--db", f"postgresql://nobody@127.0.0.1:{port}/none")
    assert found.exit_code == 1
    assert found.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in found.stderr


def test_a_search_past_its_time_limit_is_stopped_in_one_line(on_postgres):
    stopped = pytest.raises(results.SearchTimeout, match=r"^search stopped after 0.05 s: narrow it")
    with stopped, postgres.time_limit(on_postgres, 0.05):
        on_postgres.execute(text("SELECT pg_sleep(30)"))
