"""Many captures per transaction: a crawl's archive writes, committed every so many pages or milliseconds.

Each capture is still stored atomically (`Archive.store` runs in a savepoint inside the batch),
and a commit makes a whole batch durable at once. A crawl killed between two commits loses the
captures of the open batch, and nothing else: their fetch-queue entries are still waiting in the
archive, so the next run fetches those pages again.
"""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crawler.archive.postgres.rooms import PostgresConnection


class WriteBatch:
    """The open transaction of a crawl's archive writes, and when it is due for its commit."""

    def __init__(
        self, connection: sqlite3.Connection | PostgresConnection, max_pages: int, max_milliseconds: float
    ):
        self.connection = connection
        self.max_pages = max_pages
        self.max_seconds = max_milliseconds / 1000
        self.pages = 0
        self.started = 0.0

    @property
    def enabled(self) -> bool:
        """Batches of one are no batches: each capture commits in its own transaction, as `store` does
        (always on PostgreSQL, whose connection is then never asked to begin or end one here)."""
        return self.max_pages > 1

    def join(self) -> None:
        """Before a capture is stored: open the batch's transaction if none is open."""
        if self.enabled and not self.connection.in_transaction:
            self.connection.execute("BEGIN IMMEDIATE")
            self.pages = 0
            self.started = time.monotonic()

    def stored(self) -> None:
        self.pages += 1

    @property
    def due(self) -> bool:
        return self.pages >= self.max_pages or time.monotonic() - self.started >= self.max_seconds

    def commit(self) -> None:
        if self.enabled and self.connection.in_transaction:
            self.connection.execute("COMMIT")
        self.pages = 0

    def rollback(self) -> None:
        """Give the open batch up (the archive cannot be written): its pages stay queued."""
        if self.enabled and self.connection.in_transaction:
            self.connection.execute("ROLLBACK")
        self.pages = 0
