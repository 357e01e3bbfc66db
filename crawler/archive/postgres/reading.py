"""The read side of a PostgreSQL archive, for `search`, `show` and `stats`: the SQLite archive's
answers (`crawler.archive.queries`, `crawler.search.results`), from the same SQL where both
backends run it and from crawler/search/postgres.py for search.

Everything runs on one connection in one read-only transaction: a search's statement_timeout
(`SET LOCAL`) ends with it. A failure of the server half-way is one line naming the archive.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from crawler.archive.captures import checked_body
from crawler.archive.connection import ArchiveError
from crawler.archive.postgres.connection import PostgresArchive
from crawler.archive.queries import (
    ARTICLE_RECORDS,
    STATS_QUERIES,
    TEXT_VERSIONS,
    counted_stats,
    decoded_record,
)
from crawler.search import postgres as search
from crawler.search.query import Filters, SearchQuery
from crawler.search.results import SearchResults


class PostgresReader:
    """Read-only queries over one connection to a PostgreSQL archive."""

    def __init__(self, connection: Connection, where: str):
        self.connection = connection
        self.where = where

    def article_record(self, article_id: int) -> dict[str, Any] | None:
        """An article as `show --json` gives it (`Queries.article_records`), or None."""
        row = self.connection.execute(text(ARTICLE_RECORDS + " WHERE a.id = :id"), {"id": article_id})
        found = row.mappings().one_or_none()
        return None if found is None else decoded_record(dict(found))

    def raw_body(self, sha256: str) -> bytes:
        """The exact bytes fetched, checked against their sha256."""
        row = self.connection.execute(
            text("SELECT compressed, compression FROM raw_bodies WHERE sha256 = :sha256"), {"sha256": sha256}
        ).one_or_none()
        if row is None:
            raise ArchiveError(f"{self.where}: no raw body {sha256}")
        compressed, compression = row
        return checked_body(sha256, bytes(compressed), compression, self.where)

    def text_versions(self, article: int, version: int) -> dict[int, tuple[str | None, str | None]]:
        rows = self.connection.execute(text(TEXT_VERSIONS), {"article": article, "version": version})
        return {number: (title, body) for number, title, body in rows}

    def stats(self, registered: list[str]) -> dict[str, Any]:
        return counted_stats(
            registered,
            {name: self.connection.execute(text(sql)).all() for name, sql in STATS_QUERIES.items()},
        )

    def search(self, query: SearchQuery, filters: Filters, limit: int, seconds: float) -> SearchResults:
        with search.time_limit(self.connection, seconds):
            return search.search(self.connection, query, filters, limit)

    def count(self, query: SearchQuery, filters: Filters, seconds: float) -> int:
        with search.time_limit(self.connection, seconds):
            return search.count_matches(self.connection, query, filters)


@contextmanager
def reading(location: str) -> Iterator[PostgresReader]:
    """The archive at a `postgresql://` location, opened read-only (its schema checked)."""
    archive = PostgresArchive(location, readonly=True)
    try:
        with archive.engine.connect() as connection:
            connection.execute(text("SET TRANSACTION READ ONLY"))
            yield PostgresReader(connection, archive.where)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise ArchiveError(f"{archive.where}: cannot read the PostgreSQL archive ({reason})") from None
    finally:
        archive.close()
