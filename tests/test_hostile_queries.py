"""Hostile searches: a query's budget (repeated terms once, at most 8 terms, 2 of them single
characters), its time limit, and dates outside 1900–2100 that another SQLite tool wrote.

How long the worst queries the budget allows take on 10,000 and 100,000 articles is measured by
bench/search_budget.py, not here: these tests count, never time. A time limit is shown to stop a
search by setting one no search can meet (a nanosecond) over an archive whose search statements
take thousands of SQLite steps.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from crawler import exit_status
from crawler.archive import Archive
from crawler.registry import Registry
from crawler.search.query import MAX_QUERY_TERMS, MAX_SINGLE_CHARACTER_TERMS, QueryError, parse_query
from crawler.search.results import SearchTimeout, time_limit
from tests.helpers import store_article

# Enough articles holding 的 that counting, listing or ranking them takes SQLite several times
# 1,000 steps (the progress handler's period): a time limit no search can meet stops each of them.
BUSY_ARTICLES = 1_000
PARAGRAPH = "市政府今天舉行年度防災演習的第{}場，動員超過兩千名人員，模擬強震後的搜救與收容。"
OUTLETS = ("cna", "udn", "ltn")


def fill(archive: Archive, registry: Registry, count: int = BUSY_ARTICLES) -> None:
    """Synthetic articles, each holding 的 and 颱風, published 2016 to 2024."""
    with archive.db.atomic():
        for number in range(count):
            store_article(
                archive,
                registry,
                outlet=OUTLETS[number % len(OUTLETS)],
                number=100 + number,
                title=f"颱風來襲第{number}報",
                body=PARAGRAPH.format(number),
                published_at=f"{2016 + number % 9}-0{1 + number % 9}-1{number % 10}T09:00:00+08:00",
            )


@pytest.fixture(scope="module")
def busy(tmp_path_factory, registry) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("busy") / "archive.db"
    with Archive(path) as archive:
        archive.sync_outlets(registry)
        fill(archive, registry)
    yield path


def test_a_repeated_term_counts_once(cli, busy):
    assert parse_query("的 " * 500).terms == parse_query("的").terms
    assert parse_query('颱風 "颱風" 颱風').terms == parse_query("颱風").terms
    repeated = cli("search", "的 " * 500, "--db", str(busy), "--count")
    assert repeated.exit_code == 0 and repeated.stdout.strip() == str(BUSY_ARTICLES)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            " ".join(f"詞{number}號" for number in range(MAX_QUERY_TERMS + 1)),
            f"too many words (9 different words or phrases; at most {MAX_QUERY_TERMS})",
        ),
        (
            "的 是 在",
            f"too many single characters (3 searched apart; at most {MAX_SINGLE_CHARACTER_TERMS})",
        ),
        (" ".join("的一是不了在人有我他这个们中来上" * 31), "too many words (16 different"),
    ],
)
def test_a_query_over_its_budget_is_one_line(cli, busy, query, message):
    with pytest.raises(QueryError, match=re.escape(message)):
        parse_query(query)
    result = cli("search", query, "--db", str(busy))
    assert result.exit_code == exit_status.FAILED and result.stdout == ""
    assert result.stderr.startswith(f"Error: {message}") and result.stderr.count("\n") == 1


def test_the_budget_allows_its_whole_allowance(cli, busy):
    words = " ".join(f"颱風來襲第{number}" for number in range(MAX_QUERY_TERMS - MAX_SINGLE_CHARACTER_TERMS))
    result = cli("search", f"{words} 的 報", "--db", str(busy), "--count")
    assert result.exit_code == 0 and result.stdout.strip() == "0"


def test_a_query_that_never_ends_is_stopped_at_its_time_limit(busy):
    never_ends = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    with closing(sqlite3.connect(busy)) as connection:
        stopped = pytest.raises(SearchTimeout, match=r"^search stopped after 0\.05 s: narrow it")
        with stopped, time_limit(connection, 0.05):
            connection.execute(never_ends).fetchone()
        # The handler is gone once the search is: the connection serves other queries as before.
        assert connection.execute("SELECT count(*) FROM articles").fetchone() == (BUSY_ARTICLES,)


@pytest.mark.parametrize(
    "command",
    [["search", "的"], ["search", "的", "--count"], ["export", "--query", "的"]],
    ids=" ".join,
)
def test_a_search_over_its_time_limit_is_one_line(cli, busy, command):
    result = cli(*command, "--db", str(busy), "--time-limit", "1e-9")
    assert result.exit_code == exit_status.FAILED and result.stdout == ""
    assert result.stderr == (
        "Error: search stopped after 1e-09 s: narrow it (more characters, fewer single-character words,"
        " --outlet, --since, --lang)\n"
    )


def test_dates_another_tool_wrote_outside_1900_2100_leave_date_filters_working(cli, busy, tmp_path):
    archive = tmp_path / "archive.db"
    with closing(sqlite3.connect(busy)) as source, closing(sqlite3.connect(archive)) as copy:
        source.backup(copy)
        # As any SQLite tool may: the index catches up when sourcevault next opens the archive.
        with copy:
            copy.execute("UPDATE articles SET published_at = '9999-12-31' WHERE id = 1")
            copy.execute("UPDATE articles SET published_at = '0001-01-01T00:00:00+08:00' WHERE id = 2")
    every = cli(
        "search", "颱風", "--db", str(archive), "--count", "--since", "1000-01-01", "--until", "9999-12-31"
    )
    assert every.exit_code == 0, every.output
    # The two dates outside the archive's span are in no date filter; the others all are.
    assert every.stdout.strip() == str(BUSY_ARTICLES - 2)
    latest = cli("search", "颱風", "--db", str(archive), "--since", "2024-01-01", "--count")
    assert latest.exit_code == 0 and latest.stdout.strip() == str(
        sum(n % 9 == 8 for n in range(BUSY_ARTICLES))
    )
    exported = cli("export", "--db", str(archive), "--since", "2020-01-01", "--until", "2100-12-31")
    assert exported.exit_code == 0, exported.output
