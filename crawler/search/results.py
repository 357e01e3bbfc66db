"""Searching the index: how many articles match, which ones, and the best ones ranked, with snippets.

**Ranking.** bm25 (title weighted 3, body 1). Ranking costs a few microseconds per matching
article, so a query matching more than `RANK_WINDOW` articles (a common single character) is
ranked among the most recently archived `RANK_WINDOW` of them; the count stays exact.

**Budget.** A query's terms are de-duplicated and capped (`crawler.search.query`), and whatever
SQLite does for a search runs under `time_limit`: past it, SearchTimeout (a one-line QueryError)
instead of a search that holds the archive (and a `serve` thread) for minutes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crawler.date_span import FIRST_DAY, LAST_DAY, leading_date
from crawler.search.index import INDEX_TABLE
from crawler.search.query import NO_FILTERS, Filters, QueryError, SearchQuery, match_expression
from crawler.search.snippets import Snippet, make_snippet

# bm25 ranks this many matches at most: at ~4 µs each, 5,000 keep a search near 20 ms.
RANK_WINDOW = 5_000
# The SQL function SQL users match with: `article_search MATCH sourcevault_match('臺灣')`.
MATCH_FUNCTION = "sourcevault_match"
# published_at strings that start with a digit, for the archive's date span (index range scan).
DATED_RANGE = ("0", ":")
# How long the SQLite side of one search may take, unless the caller gives its own limit.
SEARCH_TIME_LIMIT_SECONDS = 10.0
# SQLite virtual-machine steps between two looks at the clock (a look costs well under a
# microsecond, 1,000 steps tens of them). FTS5 does much of its work inside one step: a search is
# stopped at the first step past its limit.
PROGRESS_STEPS = 1_000
SQLITE_INTERRUPT = 9
# The columns of articles a hit is made of (`make_hits`).
HIT_COLUMNS = "id, outlet, published_at, title, url, language_tag, title_simplified, body, body_simplified"


class SearchTimeout(QueryError):
    """A search that took longer than its time limit."""

    @classmethod
    def after(cls, seconds: float) -> SearchTimeout:
        return cls(
            f"search stopped after {seconds:g} s: narrow it (more characters, fewer single-character"
            " words, --outlet, --since, --lang)"
        )


@contextmanager
def time_limit(connection: sqlite3.Connection, seconds: float) -> Iterator[None]:
    """Interrupt whatever SQLite runs on `connection` for longer than `seconds`: SearchTimeout."""
    deadline = time.monotonic() + seconds
    connection.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
    try:
        yield
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorcode", None) != SQLITE_INTERRUPT:
            raise
        raise SearchTimeout.after(seconds) from None
    finally:
        connection.set_progress_handler(None, 0)


def register_functions(connection: sqlite3.Connection) -> None:
    """`sourcevault_match`, for SQL typed by hand (in Datasette, say), on one connection."""
    connection.create_function(MATCH_FUNCTION, 1, match_expression, deterministic=True)


@dataclass(frozen=True)
class Hit:
    id: int
    outlet: str
    published_at: str | None
    title: str | None
    url: str
    language_tag: str | None
    # bm25, higher is better.
    score: float
    snippet: Snippet

    FIELDS = ("id", "outlet", "published_at", "title", "url", "language_tag", "score", "snippet")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "outlet": self.outlet,
            "published_at": self.published_at,
            "title": self.title,
            "url": self.url,
            "language_tag": self.language_tag,
            "score": round(self.score, 6),
            "snippet": self.snippet.marked(),
        }


@dataclass(frozen=True)
class SearchResults:
    total: int
    # How many of the matches bm25 ranked: all, or the newest RANK_WINDOW.
    ranked: int
    hits: list[Hit] = field(default_factory=list)


def archive_date_span(connection: sqlite3.Connection) -> tuple[date, date]:
    """The first and last publication dates in the archive, read off its published_at index."""
    # Two queries: SQLite reads a lone min() or max() straight off the index.
    earliest, latest = (
        connection.execute(
            f"SELECT {bound}(published_at) FROM articles WHERE published_at >= ? AND published_at < ?",
            DATED_RANGE,
        ).fetchone()[0]
        for bound in ("min", "max")
    )
    return date_span_between(earliest, latest)


def date_span_between(earliest: str | None, latest: str | None) -> tuple[date, date]:
    """The span dated filters cover, from the earliest and latest published_at archived."""
    # Dates outside the archive's span (another SQLite tool may have written 9999-12-31) stay out.
    today = date.today()
    first = max(leading_date(earliest) or FIRST_DAY, FIRST_DAY)
    return first, min(max(leading_date(latest) or today, today), LAST_DAY)


def _full_expression(
    connection: sqlite3.Connection, query: SearchQuery | None, filters: Filters
) -> str | None:
    filter_expression = filters.expression(archive_date_span(connection) if filters.dated else None)
    if filter_expression is None:
        return None
    parts = [query.expression()] if query else []
    if filter_expression:
        parts.append(filter_expression)
    return " AND ".join(parts)


def count_matches(connection: sqlite3.Connection, query: SearchQuery, filters: Filters = NO_FILTERS) -> int:
    expression = _full_expression(connection, query, filters)
    if expression is None:
        return 0
    return connection.execute(
        f"SELECT count(*) FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ?", [expression]
    ).fetchone()[0]


def matching_article_ids(
    connection: sqlite3.Connection, query: SearchQuery | None, filters: Filters = NO_FILTERS
) -> Iterator[int]:
    """Ids of every article the query (all articles when None) and filters match, ascending."""
    if query is None and filters.empty:
        rows = connection.execute("SELECT id FROM articles ORDER BY id")
    else:
        expression = _full_expression(connection, query, filters)
        if expression is None:
            return
        rows = connection.execute(
            f"SELECT rowid FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ? ORDER BY rowid", [expression]
        )
    for (article_id,) in rows:
        yield article_id


def search(
    connection: sqlite3.Connection, query: SearchQuery, filters: Filters = NO_FILTERS, limit: int = 20
) -> SearchResults:
    """The best `limit` matches by bm25, each with a snippet of its own text marking the match."""
    expression = _full_expression(connection, query, filters)
    if expression is None:
        return SearchResults(0, 0)
    total = connection.execute(
        f"SELECT count(*) FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ?", [expression]
    ).fetchone()[0]
    window, parameters = "", [expression]
    if total > RANK_WINDOW:
        (oldest_ranked,) = connection.execute(
            f"SELECT rowid FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ?"
            " ORDER BY rowid DESC LIMIT 1 OFFSET ?",
            [expression, RANK_WINDOW - 1],
        ).fetchone()
        window, parameters = "AND rowid >= ?", [expression, oldest_ranked]
    ranked = connection.execute(
        f"SELECT rowid, rank FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ? {window} "
        "ORDER BY rank, rowid DESC LIMIT ?",
        [*parameters, limit],
    ).fetchall()
    if not ranked:
        return SearchResults(total, min(total, RANK_WINDOW))
    rows = {
        row[0]: row
        for row in connection.execute(
            f"SELECT {HIT_COLUMNS} FROM articles WHERE id IN ({', '.join('?' for _ in ranked)})",
            [article_id for article_id, _ in ranked],
        )
    }
    return SearchResults(
        total, min(total, RANK_WINDOW), make_hits(rows, [(id_, -rank) for id_, rank in ranked], query)
    )


def make_hits(
    rows: dict[int, Sequence[Any]], ranked: list[tuple[int, float]], query: SearchQuery
) -> list[Hit]:
    """The hits of (article id, score) pairs, from their rows: id, outlet, published_at, title,
    url, language_tag, title_simplified, body, body_simplified."""
    highlighter = query.highlighter()
    hits = []
    for article_id, score in ranked:
        _, outlet, published_at, title, url, language_tag, title_simplified, body, body_simplified = rows[
            article_id
        ]
        text = body or ""
        found = make_snippet(text, body_simplified, highlighter)
        if not any(match for _, match in found.parts) and title:
            found = make_snippet(title, title_simplified, highlighter)
        hits.append(Hit(article_id, outlet, published_at, title, url, language_tag, score, found))
    return hits
