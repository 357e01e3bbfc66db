"""The archive's fetch queue: article pages waiting to be fetched, kept across runs.

Discovery puts every article URL the archive lacks (as an article, or as a page judged not
one) here, in the same transaction as the feed or sitemap that listed it (and that document's
ETag), and the spider reads the queue in id order a few entries per outlet ahead of its
downloads. So the requests held in memory stay
bounded whatever the number of pages, one article listed by several documents is fetched once,
and a crawl killed at any moment leaves its unfinished fetches for the next run, even when the
documents that listed them answer "304 not modified" by then.

An entry's state: `waiting` to be fetched; `done` once a fetch settled it in this run (kept
until the next run, so the run does not queue the page again); `failed` when its fetch failed
in this run, waiting again from the next run until MAX_FAILED_ATTEMPTS runs have failed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from crawler.archive.connection import marks

if TYPE_CHECKING:
    from crawler.registry import ArticleUrl

# Runs in which an article's fetch may fail before it is given up (its failed captures stay).
MAX_FAILED_ATTEMPTS = 3

Purpose = Literal["new", "revisit"]


@dataclass(frozen=True)
class QueueEntry:
    id: int
    outlet: str
    url: str
    purpose: Purpose


@dataclass(frozen=True)
class SettledEntry:
    """An entry a fetch settled: which article, why it was fetched, and whether it is finished with."""

    outlet: str
    article_id: str
    edition: str
    purpose: Purpose
    finished: bool


class FetchQueue:
    """The `article_fetch_queue` table of one archive; writes join the caller's transaction."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def prepare_run(self, outlets: list[str], now: str, revisits: int | None = None) -> None:
        """At the start of a run of `outlets`: drop what their earlier runs settled, retry what failed,
        queue due revisits (the `revisits` due first; all when None). Other outlets' entries are left
        as they are: crawl workers may be crawling them (crawler/workers.py)."""
        these = f"outlet IN ({marks(outlets)})"
        self.connection.execute(f"DELETE FROM article_fetch_queue WHERE state = 'done' AND {these}", outlets)
        self.connection.execute(
            f"UPDATE article_fetch_queue SET state = 'waiting' WHERE state = 'failed' AND {these}", outlets
        )
        if revisits == 0:
            return
        bounded = ("", []) if revisits is None else ("LIMIT ?", [revisits])
        self.connection.execute(
            f"""INSERT INTO article_fetch_queue (outlet, article_id, edition, url, purpose, state, queued_at)
            SELECT outlet, article_id, edition, url, 'revisit', 'waiting', ? FROM articles
            WHERE revisit_due_at <= ? AND {these}
            ORDER BY revisit_due_at {bounded[0]}
            ON CONFLICT (outlet, article_id, edition) DO NOTHING""",
            [now, now, *outlets, *bounded[1]],
        )

    def enqueue(self, outlet: str, links: Iterable[ArticleUrl], run_id: int | None, now: str) -> int:
        """Queue the article URLs the archive lacks; return how many were not yet listed in this run."""
        first_listed = 0
        for link in links:
            # A page judged not an article is not fetched again either: its original is kept, and
            # `sourcevault reextract` makes an article of it if a corrected parser finds one.
            # The URL aliases know articles under another id: where an earlier fetch was redirected.
            (known,) = self.connection.execute(
                """SELECT EXISTS (SELECT 1 FROM articles
                        WHERE outlet = ? AND article_id = ? AND edition = ?)
                    OR EXISTS (SELECT 1 FROM article_urls u
                        JOIN articles a USING (outlet, article_id, edition)
                        WHERE u.canonical_url = ? AND u.outlet = ?)
                    OR EXISTS (SELECT 1 FROM captures WHERE url = ? AND outcome = 'not_article')""",
                [outlet, link.article_id, link.edition, link.url, outlet, link.url],
            ).fetchone()
            if known:
                continue
            cursor = self.connection.execute(
                """INSERT INTO article_fetch_queue
                    (outlet, article_id, edition, url, purpose, state, queued_at, listed_in_run)
                VALUES (?, ?, ?, ?, 'new', 'waiting', ?, ?)
                ON CONFLICT (outlet, article_id, edition) DO UPDATE SET listed_in_run = excluded.listed_in_run
                WHERE article_fetch_queue.listed_in_run IS DISTINCT FROM excluded.listed_in_run""",
                [outlet, link.article_id, link.edition, link.url, now, run_id],
            )
            first_listed += cursor.rowcount
        return first_listed

    def waiting(
        self, outlet: str, after_id: int, limit: int, purposes: tuple[Purpose, ...] = ("new", "revisit")
    ) -> list[QueueEntry]:
        """Queued article pages of an outlet still to fetch in this run, in queue order."""
        rows = self.connection.execute(
            f"""SELECT id, url, purpose FROM article_fetch_queue
            WHERE outlet = ? AND state = 'waiting' AND id > ? AND purpose IN ({marks(purposes)})
            ORDER BY id LIMIT ?""",
            [outlet, after_id, *purposes, limit],
        )
        return [QueueEntry(entry_id, outlet, url, purpose) for entry_id, url, purpose in rows]

    def settle(self, entry_id: int, failure: str | None) -> SettledEntry | None:
        """Record the fetch of a queued page: done, or failed with why (given up after the last try)."""
        row = self.connection.execute(
            "SELECT outlet, article_id, edition, purpose, failed_attempts FROM article_fetch_queue"
            " WHERE id = ?",
            [entry_id],
        ).fetchone()
        if row is None:
            return None
        outlet, article_id, edition, purpose, failed_attempts = row
        if failure is None:
            self.connection.execute("UPDATE article_fetch_queue SET state = 'done' WHERE id = ?", [entry_id])
            return SettledEntry(outlet, article_id, edition, purpose, finished=True)
        given_up = failed_attempts + 1 >= MAX_FAILED_ATTEMPTS
        self.connection.execute(
            """UPDATE article_fetch_queue
            SET state = ?, failed_attempts = failed_attempts + 1, last_failure = ? WHERE id = ?""",
            ["done" if given_up else "failed", failure, entry_id],
        )
        return SettledEntry(outlet, article_id, edition, purpose, finished=given_up)
