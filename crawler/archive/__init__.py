"""The SQLite archive: raw originals and the articles extracted from them.

A capture, its raw body and its article are written in one transaction, so a crash never
leaves an article without its original or the reverse. WAL mode lets researchers read
while a crawl writes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from crawler import __version__
from crawler.archive import fetch_queue
from crawler.archive.fetch_queue import QueueEntry
from crawler.archive.run_records import write_run_records
from crawler.archive.schema import migrations
from crawler.items import Capture
from crawler.pages import LANGUAGE_FIELDS, Article
from crawler.registry import Registry

DEFAULT_ARCHIVE_PATH = Path("data/archive.db")
BUSY_TIMEOUT_MS = 60_000
# What an extraction produces, as opposed to bookkeeping (ids, capture, time of extraction).
ARTICLE_CONTENT_COLUMNS = (
    "url",
    "canonical_url",
    "title",
    "body",
    "published_at",
    "modified_at",
    "authors",
    "editors",
    "source",
    "section",
    "tags",
    "image",
    "bylines",
    "partial_reason",
    "declared_language",
    "field_methods",
    *LANGUAGE_FIELDS,
)
ARTICLE_JSON_COLUMNS = frozenset({"authors", "editors", "tags", "bylines", "field_methods"})
# An article is one per outlet, article id and edition; a newer capture updates the rest.
ARTICLE_IDENTITY_COLUMNS = ("outlet", "article_id", "edition")
# What a reader would call an edit: a revisit that changes one of these makes the article "updated".
EDITED_COLUMNS = ("title", "body", "authors", "editors")
# Revisits of a new article, in hours after it was first archived: edits and takedowns come early.
DEFAULT_REVISIT_AFTER_HOURS = (1.0, 24.0, 168.0)


class ArchiveError(RuntimeError):
    """The archive file cannot be used (not SQLite, corrupt, unwritable)."""


class CorruptOriginal(ArchiveError):
    """A stored body no longer matches its sha256."""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def next_revisit(first_archived_at: str, now: str, after_hours: tuple[float, ...]) -> str | None:
    """The first revisit of the schedule still ahead of `now` (ISO 8601 UTC), or None once it is over."""
    first, current = datetime.fromisoformat(first_archived_at), datetime.fromisoformat(now)
    for hours in after_hours:
        due = first + timedelta(hours=hours)
        if due > current:
            return due.isoformat(timespec="seconds")
    return None


@dataclass(frozen=True)
class StoredCapture:
    """A capture read back from the archive, enough to extract it again."""

    id: int
    outlet: str
    url: str
    final_url: str | None
    fetched_at: datetime
    content_type: str | None
    body: bytes


class Archive:
    """An archive file, opened (and created or migrated) on construction."""

    def __init__(
        self,
        path: Path | str = DEFAULT_ARCHIVE_PATH,
        *,
        readonly: bool = False,
        revisit_after_hours: tuple[float, ...] = DEFAULT_REVISIT_AFTER_HOURS,
    ):
        self.path = Path(path)
        self.revisit_after_hours = revisit_after_hours
        if readonly:
            if not self.path.exists():
                raise ArchiveError(f"{self.path}: no archive here (run `sourcevault crawl` or `demo` first)")
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path)
        self.db = Database(connection)
        try:
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                self.db.enable_wal()
                self.db.execute("PRAGMA synchronous = NORMAL")
                migrations.apply(self.db)
            elif migrations.pending(self.db):
                raise ArchiveError(
                    f"{self.path}: archive schema is older than this sourcevault; open it once read-write"
                )
        except sqlite3.DatabaseError as error:
            connection.close()
            raise ArchiveError(f"{self.path}: not a usable SQLite archive ({error})") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- outlets and runs --------------------------------------------------------------------

    def sync_outlets(self, registry: Registry) -> None:
        """Mirror the registry into the `outlets` table, for joins in any SQLite tool."""
        with self.db.atomic():
            for outlet in registry:
                self.db.execute(
                    """INSERT INTO outlets
                        (slug, name, native_name, home, domains, language, script, timezone)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(slug) DO UPDATE SET name=excluded.name, native_name=excluded.native_name,
                        home=excluded.home, domains=excluded.domains, language=excluded.language,
                        script=excluded.script, timezone=excluded.timezone""",
                    [
                        outlet.slug,
                        outlet.name,
                        outlet.native_name,
                        outlet.home,
                        _json(outlet.domains),
                        outlet.language,
                        outlet.script,
                        outlet.timezone,
                    ],
                )

    def start_run(self, outlets: list[str], replay_snapshot: str | None) -> int:
        """Record a new run and queue its revisits; only while holding the archive's CrawlLock."""
        now = utc_now()
        with self.db.atomic():
            self._close_interrupted_runs(now)
            fetch_queue.prepare_run(self.db, outlets, now)
            cursor = self.db.execute(
                """INSERT INTO crawl_runs (started_at, status, outlets, replay_snapshot, sourcevault_version)
                VALUES (?, 'running', ?, ?, ?)""",
                [now, _json(outlets), replay_snapshot, __version__],
            )
        return int(cursor.lastrowid or 0)

    def _close_interrupted_runs(self, now: str) -> None:
        # The lock says no other crawl runs: a run still "running" lost its process (SIGKILL, power).
        interrupted = [
            row[0] for row in self.db.execute("SELECT id FROM crawl_runs WHERE status = 'running'")
        ]
        for run_id in interrupted:
            self.db.execute(
                "UPDATE crawl_runs SET status = 'interrupted', finish_reason = ? WHERE id = ?",
                [f"its process ended without closing the run (found at {now})", run_id],
            )
            write_run_records(self.db, run_id)

    def finish_run(self, run_id: int, status: str, finish_reason: str | None, exit_status: int) -> None:
        with self.db.atomic():
            self.db.execute(
                """UPDATE crawl_runs SET finished_at = ?, status = ?, finish_reason = ?, exit_status = ?
                WHERE id = ?""",
                [utc_now(), status, finish_reason, exit_status, run_id],
            )
            write_run_records(self.db, run_id)

    # --- writing ----------------------------------------------------------------------------

    def store(self, capture: Capture, run_id: int | None) -> int:
        """Write a capture, its raw body, its article, and what it means for the fetch queue, at once.

        One transaction: a crawl killed at any moment leaves either all of it or none, so the
        next run neither loses a page (it is still queued) nor archives it twice (it is done).
        """
        outcome, reason = capture.outcome
        extraction = capture.extraction
        article = extraction.article if extraction and outcome == "article" else None
        now = utc_now()
        with self.db.atomic():
            body_sha256 = self._store_body(capture.body) if capture.body else None
            change = self._article_change(article) if article else None
            links_new = (
                fetch_queue.enqueue(self.db, capture.outlet, capture.article_links, run_id, now)
                if capture.article_links
                else None
            )
            cursor = self.db.execute(
                """INSERT INTO captures (crawl_run_id, outlet, page_kind, request_method, request_body, url,
                    final_url, http_status, response_headers, fetched_at, replayed_from, body_sha256,
                    body_size_bytes, text_encoding, fetch_error, outcome, outcome_reason, revisit,
                    article_change, article_links_listed, article_links_new)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    run_id,
                    capture.outlet,
                    capture.page_kind,
                    capture.request_method,
                    capture.request_body or None,
                    capture.url,
                    capture.final_url,
                    capture.http_status,
                    _json(capture.response_headers),
                    capture.fetched_at.isoformat(timespec="seconds"),
                    capture.replayed_from,
                    body_sha256,
                    len(capture.body),
                    extraction.encoding if extraction else None,
                    capture.fetch_error,
                    outcome,
                    reason,
                    int(capture.revisit),
                    change,
                    len(capture.article_links) if capture.article_links else None,
                    links_new,
                ],
            )
            capture_id = int(cursor.lastrowid or 0)
            if article:
                self._store_article(capture_id, article, archived_at=now)
            if capture.page_kind != "article":
                self._keep_validators(capture, capture_id, now)
            if capture.fetch_queue_id is not None:
                self._settle_fetch(capture, outcome, reason, now)
        return capture_id

    def _article_change(self, article: Article) -> str:
        """How an article about to be stored differs from the archived one: new, updated or unchanged."""
        row = self.db.execute(
            f"SELECT {', '.join(EDITED_COLUMNS)} FROM articles"
            " WHERE outlet = ? AND article_id = ? AND edition = ?",
            [article.outlet, article.article_id, article.edition],
        ).fetchone()
        if row is None:
            return "new"
        edited = (article.title, article.body, _json(article.authors), _json(article.editors))
        return "unchanged" if tuple(row) == edited else "updated"

    def _keep_validators(self, capture: Capture, capture_id: int, now: str) -> None:
        """Remember a discovery document's ETag / Last-Modified for the next conditional GET."""
        if capture.http_status == 304:
            return
        etag, last_modified = capture.header("ETag"), capture.header("Last-Modified")
        if capture.conditional_get and (etag or last_modified):
            self.db.execute(
                """INSERT INTO discovery_validators (url, etag, last_modified, capture_id, stored_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
                    capture_id = excluded.capture_id, stored_at = excluded.stored_at""",
                [capture.url, etag, last_modified, capture_id, now],
            )
        else:
            self.db.execute("DELETE FROM discovery_validators WHERE url = ?", [capture.url])

    def _settle_fetch(self, capture: Capture, outcome: str, reason: str | None, now: str) -> None:
        assert capture.fetch_queue_id is not None
        entry = fetch_queue.settle(self.db, capture.fetch_queue_id, reason if outcome == "failed" else None)
        if entry is None:
            return
        identity = [entry.outlet, entry.article_id, entry.edition]
        if outcome == "removed":
            # The first time a revisit saw it gone; the article and its originals stay.
            self.db.execute(
                """UPDATE articles
                SET removed_at = coalesce(removed_at, ?), removed_reason = coalesce(removed_reason, ?)
                WHERE outlet = ? AND article_id = ? AND edition = ?""",
                [capture.fetched_at.isoformat(timespec="seconds"), reason, *identity],
            )
        if entry.purpose == "revisit" and entry.finished:
            row = self.db.execute(
                "SELECT first_archived_at FROM articles WHERE outlet = ? AND article_id = ? AND edition = ?",
                identity,
            ).fetchone()
            due = next_revisit(row[0], now, self.revisit_after_hours) if row and row[0] else None
            self.db.execute(
                """UPDATE articles SET revisits_done = revisits_done + 1, revisit_due_at = ?
                WHERE outlet = ? AND article_id = ? AND edition = ?""",
                [due, *identity],
            )

    def _store_body(self, body: bytes) -> str:
        sha256 = hashlib.sha256(body).hexdigest()
        self.db.execute(
            "INSERT OR IGNORE INTO raw_bodies (sha256, size_bytes, compression, compressed)"
            " VALUES (?, ?, 'gzip', ?)",
            [sha256, len(body), gzip.compress(body, compresslevel=6, mtime=0)],
        )
        return sha256

    def _store_article(self, capture_id: int, article: Article, archived_at: str | None = None) -> None:
        """Insert the article, or point the existing one at this newer capture.

        `archived_at` (a crawl storing it, not a re-extraction) plans a new article's revisits.
        """
        now = archived_at or utc_now()
        columns = (
            "capture_id",
            *ARTICLE_IDENTITY_COLUMNS,
            *ARTICLE_CONTENT_COLUMNS,
            "extractor",
            "extracted_at",
        )
        content = [
            _json(getattr(article, name)) if name in ARTICLE_JSON_COLUMNS else getattr(article, name)
            for name in ARTICLE_CONTENT_COLUMNS
        ]
        updates = ", ".join(
            f"{name}=excluded.{name}" for name in columns if name not in ARTICLE_IDENTITY_COLUMNS
        )
        if archived_at:
            # A page a revisit found taken down and a crawl then finds back is live again (the capture
            # that saw it gone stays on record); re-extracting an old capture says nothing about that.
            updates += ", removed_at=NULL, removed_reason=NULL"
        # Set on insert only: an article's revisits are planned from when it was first archived.
        inserted = (*columns, "first_archived_at", "revisit_due_at")
        first_revisit = next_revisit(now, now, self.revisit_after_hours) if archived_at else None
        self.db.execute(
            f"INSERT INTO articles ({', '.join(inserted)}) VALUES ({', '.join('?' for _ in inserted)})"
            f" ON CONFLICT({', '.join(ARTICLE_IDENTITY_COLUMNS)}) DO UPDATE SET {updates}",
            [
                capture_id,
                article.outlet,
                article.article_id,
                article.edition,
                *content,
                article.extractor,
                now,
                now,
                first_revisit,
            ],
        )

    def record_reextraction(
        self,
        capture: StoredCapture,
        outcome: str,
        reason: str | None,
        encoding: str | None,
        article: Article | None,
    ) -> None:
        """Replace what an earlier extraction made of a stored capture."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE captures SET outcome = ?, outcome_reason = ?, text_encoding = ? WHERE id = ?",
                [outcome, reason, encoding, capture.id],
            )
            if article is not None:
                self._store_article(capture.id, article)
            else:
                self.db.execute("DELETE FROM articles WHERE capture_id = ?", [capture.id])

    # --- reading ----------------------------------------------------------------------------

    def raw_body(self, sha256: str) -> bytes:
        """The exact bytes fetched, checked against their sha256."""
        row = self.db.execute(
            "SELECT compressed, compression FROM raw_bodies WHERE sha256 = ?", [sha256]
        ).fetchone()
        if row is None:
            raise ArchiveError(f"{self.path}: no raw body {sha256}")
        compressed, compression = row
        if compression != "gzip":
            raise ArchiveError(f"{self.path}: raw body {sha256} uses unknown compression {compression!r}")
        body = gzip.decompress(compressed)
        if hashlib.sha256(body).hexdigest() != sha256:
            raise CorruptOriginal(f"{self.path}: raw body {sha256} does not match its sha256")
        return body

    def article_captures(self, outlets: list[str] | None = None) -> Iterator[StoredCapture]:
        """Successful fetches of article pages, oldest first: the input of re-extraction."""
        # A capture judged a takedown of an archived article, or a block page, is not judged again.
        where = (
            "page_kind = 'article' AND http_status BETWEEN 200 AND 299 AND body_sha256 IS NOT NULL"
            " AND outcome NOT IN ('removed', 'failed')"
        )
        params: list[Any] = []
        if outlets:
            where += f" AND outlet IN ({', '.join('?' for _ in outlets)})"
            params += outlets
        rows = self.db.execute(
            f"SELECT id, outlet, url, final_url, fetched_at, response_headers, body_sha256 FROM captures "
            f"WHERE {where} ORDER BY fetched_at, id",
            params,
        ).fetchall()
        for capture_id, outlet, url, final_url, fetched_at, headers, sha256 in rows:
            content_type = next(
                (value for name, value in json.loads(headers) if name.lower() == "content-type"), None
            )
            yield StoredCapture(
                capture_id,
                outlet,
                url,
                final_url,
                datetime.fromisoformat(fetched_at),
                content_type,
                self.raw_body(sha256),
            )

    def article_digests(self, outlets: list[str] | None = None) -> dict[tuple[str, str, str], str]:
        """A digest of each article's extracted fields, keyed by (outlet, article_id, edition)."""
        where, params = "", []
        if outlets:
            where = f"WHERE outlet IN ({', '.join('?' for _ in outlets)})"
            params = list(outlets)
        rows = self.db.execute(
            f"SELECT outlet, article_id, edition, {', '.join(ARTICLE_CONTENT_COLUMNS)} FROM articles {where}",
            params,
        )
        return {
            (outlet, article_id, edition): hashlib.sha1(_json(content).encode()).hexdigest()
            for outlet, article_id, edition, *content in rows
        }

    def stats(self, registry: Registry) -> dict[str, Any]:
        """Counts of articles, captures and script mismatches, overall and per registered outlet."""
        counted = ("articles", "captures", "script_mismatches")
        outlets: dict[str, dict[str, int]] = {slug: dict.fromkeys(counted, 0) for slug in registry.slugs}
        queries = {
            "captures": "SELECT outlet, count(*) FROM captures GROUP BY outlet",
            "articles": "SELECT outlet, count(*) FROM articles GROUP BY outlet",
            "script_mismatches": (
                "SELECT outlet, count(*) FROM articles WHERE script_mismatch = 1 GROUP BY outlet"
            ),
        }
        for name, query in queries.items():
            for outlet, count in self.db.execute(query):
                outlets.setdefault(outlet, dict.fromkeys(counted, 0))[name] = count
        return {name: sum(counts[name] for counts in outlets.values()) for name in counted} | {
            "outlets": outlets
        }

    def discovery_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """The ETag and Last-Modified the last full fetch of a discovery document returned."""
        row = self.db.execute(
            "SELECT etag, last_modified FROM discovery_validators WHERE url = ?", [url]
        ).fetchone()
        return (row[0], row[1]) if row else None

    def waiting_fetches(self, outlet: str, after_id: int, limit: int) -> list[QueueEntry]:
        """Queued article pages of an outlet still to fetch in this run, in queue order."""
        return fetch_queue.waiting_entries(self.db, outlet, after_id, limit)

    def run(self, run_id: int | None = None) -> dict[str, Any] | None:
        """One crawl run (the latest when `run_id` is None), as a dict of its `crawl_runs` columns."""
        where, params = ("WHERE id = ?", [run_id]) if run_id is not None else ("", [])
        cursor = self.db.execute(f"SELECT * FROM crawl_runs {where} ORDER BY id DESC LIMIT 1", params)
        row = cursor.fetchone()
        if row is None:
            return None
        run = dict(zip((column[0] for column in cursor.description), row, strict=True))
        run["outlets"] = json.loads(run["outlets"])
        return run
