"""The SQLite archive: raw originals and the articles extracted from them.

A capture, its raw body and its article are written in one transaction, so a crash never
leaves an article without its original or the reverse. WAL mode lets researchers read
while a crawl writes.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from crawler import __version__
from crawler.archive import fetch_queue, schema
from crawler.archive.run_records import write_run_records
from crawler.article_fields import ARTICLE_FIELDS
from crawler.exit_status import BadInput

if TYPE_CHECKING:
    from sqlite_utils import Database

    from crawler.archive.fetch_queue import QueueEntry
    from crawler.dedup import Fingerprint, StoryLink
    from crawler.identity import ArticleKey
    from crawler.items import Capture
    from crawler.pages import Article
    from crawler.registry import Outlet, Registry

DEFAULT_ARCHIVE_PATH = Path("data/archive.db")
BUSY_TIMEOUT_MS = 60_000
# SQLite's page cache per connection (negative: KiB). Its default of 2 MB makes the indexed
# lookups of deduplication and the fetch queue read from the OS cache once the archive is
# gigabytes large; bench/dedup.py measured 3.1 against 2.4 ms per article at 100,000 articles.
PAGE_CACHE_KIB = 65_536


@cache
def article_content_columns() -> tuple[str, ...]:
    """What an extraction produces, as opposed to bookkeeping (ids, capture, time of extraction)."""
    return tuple(f.name for f in ARTICLE_FIELDS if f.column == "content")


ARTICLE_JSON_COLUMNS = frozenset(f.name for f in ARTICLE_FIELDS if f.json_encoded)
# An article is one per outlet, article id and edition; a newer capture updates the rest.
ARTICLE_IDENTITY_COLUMNS = ("outlet", "article_id", "edition")
# Revisits of a new article, in hours after it was first seen: edits and takedowns come early.
DEFAULT_REVISIT_AFTER_HOURS = (1.0, 24.0, 168.0)
# What a stored capture did to its article: first seen, a new version, or the same content again.
ArticleChange = Literal["new", "updated", "unchanged"]
# How an article URL was met: in a feed or listing, as the URL fetched, as where a fetch was
# redirected to, or as the page's own rel=canonical / og:url.
UrlSeenAs = Literal["link", "requested", "redirect", "page_canonical"]
# Captures of articles read from another archive's export (or any JSON lines), not fetched.
IMPORT_PAGE_KIND = "import"


class ArchiveError(BadInput, RuntimeError):
    """The archive file cannot be used (not SQLite, corrupt, unwritable)."""


class CorruptOriginal(ArchiveError):
    """A stored body no longer matches its sha256."""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _seen_at(fetched_at: datetime) -> str:
    return fetched_at.isoformat(timespec="seconds")


def next_revisit(first_seen_at: str, now: str, after_hours: tuple[float, ...]) -> str | None:
    """The first revisit of the schedule still ahead of `now` (ISO 8601 UTC), or None once it is over."""
    first, current = datetime.fromisoformat(first_seen_at), datetime.fromisoformat(now)
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


@dataclass(frozen=True)
class StoreResult:
    """What `Archive.store` did: the capture's row, and its article's (if the page was one)."""

    capture_id: int
    article: int | None = None
    change: ArticleChange | None = None
    links: tuple[StoryLink, ...] = ()


@dataclass(frozen=True)
class ArchivedArticle:
    """An article already in the archive, as a URL lookup finds it."""

    id: int
    key: ArticleKey
    url: str
    current_version: int | None
    last_seen_at: str | None


@dataclass(frozen=True)
class CaptureRecord:
    """A capture row as stored: the request, the response's status and headers, its body's digest."""

    id: int
    outlet: str
    page_kind: str
    request_method: str
    request_body: bytes
    url: str
    final_url: str | None
    http_status: int | None
    response_headers: list[tuple[str, str]]
    fetched_at: datetime
    body_sha256: str | None
    text_encoding: str | None
    imported_from: str | None

    @property
    def content_type(self) -> str | None:
        return next((value for name, value in self.response_headers if name.lower() == "content-type"), None)


CAPTURE_RECORD_COLUMNS = ", ".join(CaptureRecord.__dataclass_fields__)
DISCOVERY_PAGE_KINDS = ("feed", "sitemap", "listing", "list_api")
# Where an exported article's original came from, beside the article's own columns.
ORIGIN_COLUMNS = {
    "fetched_at": "c.fetched_at",
    "original_url": "coalesce(c.final_url, c.url)",
    "original_sha256": "c.body_sha256",
    "original_kind": "c.page_kind",
    "original_size_bytes": "c.body_size_bytes",
}
RECORD_BATCH = 500
# Article pages that re-extraction reads again. A capture judged a takedown of an archived
# article, or a block page, is not judged again.
REEXTRACTABLE_CAPTURES = (
    "page_kind = 'article' AND http_status BETWEEN 200 AND 299 AND body_sha256 IS NOT NULL"
    " AND outcome NOT IN ('removed', 'failed')"
)


def _capture_record(row: dict[str, Any]) -> CaptureRecord:
    values = dict(row)
    values["request_body"] = bytes(values["request_body"] or b"")
    values["response_headers"] = [tuple(pair) for pair in json.loads(values["response_headers"])]
    values["fetched_at"] = datetime.fromisoformat(values["fetched_at"])
    return CaptureRecord(**values)


def read_raw_body(connection: sqlite3.Connection, sha256: str, where: Path | str) -> bytes:
    """The exact bytes of a stored body, checked against their sha256 (`where` names the archive)."""
    row = connection.execute(
        "SELECT compressed, compression FROM raw_bodies WHERE sha256 = ?", [sha256]
    ).fetchone()
    if row is None:
        raise ArchiveError(f"{where}: no raw body {sha256}")
    compressed, compression = row
    if compression != "gzip":
        raise ArchiveError(f"{where}: raw body {sha256} uses unknown compression {compression!r}")
    body = gzip.decompress(compressed)
    if hashlib.sha256(body).hexdigest() != sha256:
        raise CorruptOriginal(f"{where}: raw body {sha256} does not match its sha256")
    return body


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
        self._db: Database | None = None
        if readonly:
            if not self.path.exists():
                raise ArchiveError(f"{self.path}: no archive here (run `sourcevault crawl` or `demo` first)")
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path)
            except (OSError, sqlite3.Error) as error:
                raise ArchiveError(f"{self.path}: cannot open the archive ({error})") from None
        # The search index's triggers call these on every write to articles.
        from crawler.search import register_functions

        register_functions(connection)
        self.connection = connection
        try:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
            connection.execute("PRAGMA foreign_keys = ON")
            self._check_schema(readonly)
            if not readonly:
                self._open_for_writing()
        except sqlite3.DatabaseError as error:
            connection.close()
            raise ArchiveError(f"{self.path}: not a usable SQLite archive ({error})") from None
        except ArchiveError:
            connection.close()
            raise

    def _check_schema(self, readonly: bool) -> None:
        if newer := schema.unknown(self.connection):
            raise ArchiveError(
                f"{self.path}: written by a newer sourcevault (schema {newer[-1]} is unknown to"
                f" sourcevault {__version__}): upgrade sourcevault to use it"
            )
        if not readonly:
            return
        if not schema.applied(self.connection):
            tables = self.connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            raise ArchiveError(
                f"{self.path}: empty, no archive yet (run `sourcevault crawl` or `demo` first)"
                if not tables
                else f"{self.path}: not a sourcevault archive (an SQLite database without its tables)"
            )
        if schema.pending(self.connection):
            raise ArchiveError(
                f"{self.path}: archive schema is older than this sourcevault; open it once read-write"
                " (any crawl, import or reextract does)"
            )

    def _open_for_writing(self) -> None:
        # A write undone at once: a read-only file or folder says so now, not half-way through a
        # crawl. (SQLite opens a file it may not write read-only, without a word, until a write.)
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            version = self.connection.execute("PRAGMA user_version").fetchone()[0]
            self.connection.execute(f"PRAGMA user_version = {int(version)}")
        except sqlite3.OperationalError as error:
            raise ArchiveError(f"{self.path}: cannot write to the archive ({error})") from None
        finally:
            self.connection.execute("ROLLBACK")
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = NORMAL")
        schema.apply(self.db)

    @property
    def db(self) -> Database:
        """The archive's connection as sqlite-utils wraps it (imported when first asked for)."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.connection)
        return self._db

    def close(self) -> None:
        self.connection.close()

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

    def store(self, capture: Capture, run_id: int | None, *, outlet: Outlet | None = None) -> StoreResult:
        """Write a capture, its raw body, its article, and what it means for the fetch queue, at once.

        One transaction: a crawl killed at any moment leaves either all of it or none, so the
        next run neither loses a page (it is still queued) nor archives it twice (it is done).
        The article is new, updated (its content changed: a new version is stored and linked to
        the previous one) or unchanged (only its last-seen time moves); a new or changed article
        is linked to the archived copies of its story. `outlet` gives the registry rules that
        write the article's URLs canonically (without it, only generic tracking is dropped).
        """
        from crawler.identity import ArticleKey

        outcome, reason = capture.outcome
        extraction = capture.extraction
        article = extraction.article if extraction and outcome == "article" else None
        now = utc_now()
        with self.db.atomic():
            body_sha256 = self._store_body(capture.body) if capture.body else None
            links_new = (
                fetch_queue.enqueue(self.db, capture.outlet, capture.article_links, run_id, now)
                if capture.article_links
                else None
            )
            capture_id = self._insert_capture(
                {
                    "crawl_run_id": run_id,
                    "outlet": capture.outlet,
                    "page_kind": capture.page_kind,
                    "request_method": capture.request_method,
                    "request_body": capture.request_body or None,
                    "url": capture.url,
                    "final_url": capture.final_url,
                    "http_status": capture.http_status,
                    "response_headers": _json(capture.response_headers),
                    "fetched_at": _seen_at(capture.fetched_at),
                    "replayed_from": capture.replayed_from,
                    "body_sha256": body_sha256,
                    "body_size_bytes": len(capture.body),
                    "text_encoding": extraction.encoding if extraction else None,
                    "fetch_error": capture.fetch_error,
                    "outcome": outcome,
                    "outcome_reason": reason,
                    "revisit": int(capture.revisit),
                    "article_links_listed": len(capture.article_links) if capture.article_links else None,
                    "article_links_new": links_new,
                }
            )
            result = StoreResult(capture_id)
            for link in capture.article_links:
                key = ArticleKey(capture.outlet, link.article_id, link.edition)
                self._record_article_url(key, link.listed_url or link.url, link.url, "link", now)
            if article:
                result = self._store_article(
                    capture_id,
                    _seen_at(capture.fetched_at),
                    article,
                    urls=(capture.url, capture.final_url),
                    outlet=outlet,
                    dedup=capture.dedup,
                    crawled_at=now,
                )
                self.db.execute(
                    "UPDATE captures SET article_change = ? WHERE id = ?", [result.change, capture_id]
                )
            if capture.page_kind != "article":
                self._keep_validators(capture, capture_id, now)
            if capture.fetch_queue_id is not None:
                self._settle_fetch(capture, outcome, reason, now)
        return result

    def store_import(
        self, record: bytes, article: Article, fetched_at: datetime, imported_from: str, outlet: Outlet
    ) -> ArticleChange:
        """Archive an article read from a JSON-lines record, the record kept as its original.

        The article goes through the store path of a crawled one (versions, URL aliases, story
        clusters). A record imported before, or an article whose title, body and publication time
        the archive already holds, adds nothing; a changed article gets the record as its newer
        original and a new version, as a refetch would.
        """
        sha256 = hashlib.sha256(record).hexdigest()
        with self.db.atomic():
            if self.db.execute(
                "SELECT 1 FROM captures WHERE body_sha256 = ? AND page_kind = ?", [sha256, IMPORT_PAGE_KIND]
            ).fetchone():
                return "unchanged"
            existing = self.db.execute(
                "SELECT title, body, published_at FROM articles"
                " WHERE outlet = ? AND article_id = ? AND edition = ?",
                [article.outlet, article.article_id, article.edition],
            ).fetchone()
            if existing == (article.title, article.body, article.published_at):
                return "unchanged"
            capture_id = self._insert_capture(
                {
                    "outlet": article.outlet,
                    "page_kind": IMPORT_PAGE_KIND,
                    "request_method": IMPORT_PAGE_KIND.upper(),
                    "url": article.url,
                    "response_headers": _json([["Content-Type", "application/json"]]),
                    "fetched_at": _seen_at(fetched_at),
                    "body_sha256": self._store_body(record),
                    "body_size_bytes": len(record),
                    "text_encoding": "utf-8",
                    "outcome": "article",
                    "imported_from": imported_from,
                }
            )
            stored = self._store_article(
                capture_id, _seen_at(fetched_at), article, urls=(article.url,), outlet=outlet, dedup=None
            )
            self.db.execute(
                "UPDATE captures SET article_change = ? WHERE id = ?", [stored.change, capture_id]
            )
        return stored.change or "unchanged"

    def _insert_capture(self, values: dict[str, Any]) -> int:
        cursor = self.db.execute(
            f"INSERT INTO captures ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",
            list(values.values()),
        )
        return int(cursor.lastrowid or 0)

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
                "SELECT first_seen_at FROM articles WHERE outlet = ? AND article_id = ? AND edition = ?",
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

    def _store_article(
        self,
        capture_id: int,
        seen_at: str,
        article: Article,
        *,
        urls: tuple[str | None, ...],
        outlet: Outlet | None,
        dedup: Fingerprint | None,
        crawled_at: str | None = None,
    ) -> StoreResult:
        """Insert the article or update its row, version it, record its URLs and link its copies.

        `crawled_at` (a crawl storing it, not a re-extraction) plans a new article's revisits and
        marks a taken-down article live again.
        """
        from crawler.dedup import StoryIndex, fingerprint
        from crawler.identity import ArticleKey, canonical_url, content_hash

        key = ArticleKey(article.outlet or "", article.article_id or "", article.edition)
        new_hash = content_hash(article.title, article.body)
        current = self.db.execute(
            "SELECT a.id, a.current_version, v.id, v.content_hash FROM articles a"
            " LEFT JOIN article_versions v ON v.article = a.id AND v.version = a.current_version"
            " WHERE a.outlet = ? AND a.article_id = ? AND a.edition = ?",
            [key.outlet, key.article_id, key.edition],
        ).fetchone()
        columns = ("capture_id", *article_content_columns(), "extractor", "extracted_at")
        values = [
            capture_id,
            *(
                _json(getattr(article, name)) if name in ARTICLE_JSON_COLUMNS else getattr(article, name)
                for name in article_content_columns()
            ),
            article.extractor,
            utc_now(),
        ]
        change: ArticleChange
        if current is None:
            # Revisits are planned from when the article was first seen, so an old article a
            # replay or an import brings in is not revisited.
            first_revisit = (
                next_revisit(seen_at, crawled_at, self.revisit_after_hours) if crawled_at else None
            )
            cursor = self.db.execute(
                f"INSERT INTO articles ({', '.join((*ARTICLE_IDENTITY_COLUMNS, *columns))},"
                " current_version, first_seen_at, last_seen_at, revisit_due_at)"
                f" VALUES ({', '.join('?' for _ in (*ARTICLE_IDENTITY_COLUMNS, *columns))}, 1, ?, ?, ?)",
                [key.outlet, key.article_id, key.edition, *values, seen_at, seen_at, first_revisit],
            )
            article_row = int(cursor.lastrowid or 0)
            self._add_version(
                article_row,
                1,
                previous_version_row=None,
                capture_id=capture_id,
                version_hash=new_hash,
                article=article,
                seen_at=seen_at,
            )
            change = "new"
        else:
            article_row, version, version_row, current_hash = current
            if current_hash == new_hash:
                self.db.execute(
                    "UPDATE article_versions SET last_seen_at = max(last_seen_at, ?) WHERE id = ?",
                    [seen_at, version_row],
                )
                change = "unchanged"
            else:
                version = (version or 0) + 1
                self._add_version(
                    article_row,
                    version,
                    previous_version_row=version_row,
                    capture_id=capture_id,
                    version_hash=new_hash,
                    article=article,
                    seen_at=seen_at,
                )
                change = "updated"
            # A page a revisit found taken down and a crawl then finds back is live again (the
            # capture that saw it gone stays on record); re-extracting an old capture says nothing.
            revived = ", removed_at = NULL, removed_reason = NULL" if crawled_at else ""
            self.db.execute(
                f"UPDATE articles SET {', '.join(f'{name} = ?' for name in columns)}, current_version = ?,"
                " first_seen_at = min(coalesce(first_seen_at, ?), ?),"
                f" last_seen_at = max(coalesce(last_seen_at, ?), ?){revived} WHERE id = ?",
                [*values, version, seen_at, seen_at, seen_at, seen_at, article_row],
            )
        for url, seen_as in (
            (urls[0], "requested"),
            *((url, "redirect") for url in urls[1:]),
            (article.canonical_url, "page_canonical"),
        ):
            if url:
                self._record_article_url(key, url, canonical_url(url, outlet), seen_as, seen_at)
        links: list[StoryLink] = []
        if change != "unchanged":
            links = StoryIndex(self.db).index(article_row, dedup or fingerprint(article.body))
        return StoreResult(capture_id, article_row, change, tuple(links))

    def _add_version(
        self,
        article_row: int,
        version: int,
        *,
        previous_version_row: int | None,
        capture_id: int,
        version_hash: str,
        article: Article,
        seen_at: str,
    ) -> None:
        self.db.execute(
            """INSERT INTO article_versions (article, version, previous_version_id, capture_id, content_hash,
                title, body, published_at, modified_at, first_seen_at, last_seen_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                article_row,
                version,
                previous_version_row,
                capture_id,
                version_hash,
                article.title,
                article.body,
                article.published_at,
                article.modified_at,
                seen_at,
                seen_at,
            ],
        )

    def _record_article_url(
        self, key: ArticleKey, url: str, canonical: str, seen_as: UrlSeenAs, seen_at: str
    ) -> None:
        self.db.execute(
            """INSERT INTO article_urls (url, canonical_url, outlet, article_id, edition, seen_as,
                first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(url) DO UPDATE SET last_seen_at = max(last_seen_at, excluded.last_seen_at)""",
            [url, canonical, key.outlet, key.article_id, key.edition, seen_as, seen_at, seen_at],
        )

    def record_article_url(self, outlet: Outlet, url: str, seen_as: UrlSeenAs = "link") -> ArticleKey | None:
        """Remember that `url` names one of the outlet's articles (None: it names none)."""
        from crawler.identity import article_key, canonical_url

        key = article_key(outlet, url)
        if key is not None:
            with self.db.atomic():
                self._record_article_url(key, url, canonical_url(url, outlet), seen_as, utc_now())
        return key

    def archived_article_for(self, outlet: Outlet, url: str) -> ArchivedArticle | None:
        """The archived article `url` names, by its canonical form or the outlet's article key.

        Two indexed lookups, whatever the archive's size: the URL aliases (which also know where
        redirects led), then the article identity (outlet, article id, edition) the URL carries.
        """
        from crawler.identity import ArticleKey, article_key, canonical_url

        query = (
            "SELECT a.id, a.outlet, a.article_id, a.edition, a.url, a.current_version, a.last_seen_at"
            " FROM articles a"
        )
        row = self.connection.execute(
            f"{query} JOIN article_urls u USING (outlet, article_id, edition)"
            " WHERE u.canonical_url = ? AND u.outlet = ? LIMIT 1",
            [canonical_url(url, outlet), outlet.slug],
        ).fetchone()
        key = article_key(outlet, url)
        if row is None and key is not None:
            row = self.connection.execute(
                f"{query} WHERE a.outlet = ? AND a.article_id = ? AND a.edition = ?",
                [key.outlet, key.article_id, key.edition],
            ).fetchone()
        if row is None:
            return None
        article_row, slug, article_id, edition, article_url, version, last_seen_at = row
        return ArchivedArticle(
            article_row, ArticleKey(slug, article_id, edition), article_url, version, last_seen_at
        )

    def forget_versions_and_links(self, outlets: list[str] | None = None) -> None:
        """Before re-extraction: drop the versions and story links that the replay will rebuild."""
        from crawler.dedup import StoryIndex

        where, params = "", []
        if outlets:
            where = f"WHERE outlet IN ({', '.join('?' for _ in outlets)})"
            params = list(outlets)
        with self.db.atomic():
            index = StoryIndex(self.db)
            for (article_row,) in self.db.execute(f"SELECT id FROM articles {where}", params).fetchall():
                index.unindex(article_row)
            self.db.execute(
                f"DELETE FROM article_versions WHERE article IN (SELECT id FROM articles {where})", params
            )
            self.db.execute(
                "UPDATE articles SET current_version = NULL, first_seen_at = NULL, last_seen_at = NULL"
                f" {where}",
                params,
            )

    def record_reextraction(
        self,
        capture: StoredCapture,
        outcome: str,
        reason: str | None,
        encoding: str | None,
        article: Article | None,
        *,
        outlet: Outlet | None = None,
    ) -> StoreResult:
        """Replace what an earlier extraction made of a stored capture."""
        from crawler.dedup import StoryIndex

        with self.db.atomic():
            self.db.execute(
                "UPDATE captures SET outcome = ?, outcome_reason = ?, text_encoding = ? WHERE id = ?",
                [outcome, reason, encoding, capture.id],
            )
            if article is not None:
                return self._store_article(
                    capture.id,
                    _seen_at(capture.fetched_at),
                    article,
                    urls=(capture.url, capture.final_url),
                    outlet=outlet,
                    dedup=None,
                )
            stale = self.db.execute("SELECT id FROM articles WHERE capture_id = ?", [capture.id]).fetchone()
            if stale is not None:
                StoryIndex(self.db).unindex(stale[0])
                self.db.execute("DELETE FROM article_versions WHERE article = ?", [stale[0]])
                self.db.execute("DELETE FROM articles WHERE id = ?", [stale[0]])
        return StoreResult(capture.id)

    # --- reading ----------------------------------------------------------------------------

    def raw_body(self, sha256: str) -> bytes:
        """The exact bytes fetched, checked against their sha256."""
        return read_raw_body(self.connection, sha256, self.path)

    def article_captures(self, outlets: list[str] | None = None) -> Iterator[StoredCapture]:
        """Successful fetches of article pages, oldest first: the input of re-extraction."""
        where = REEXTRACTABLE_CAPTURES
        params: list[Any] = []
        if outlets:
            where += f" AND outlet IN ({', '.join('?' for _ in outlets)})"
            params += outlets
        rows = self.connection.execute(
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

    def article_capture_counts(self) -> dict[str, int]:
        """How many captures `article_captures` gives, per outlet."""
        rows = self.connection.execute(
            f"SELECT outlet, count(*) FROM captures WHERE {REEXTRACTABLE_CAPTURES} GROUP BY outlet"
        )
        return dict(rows.fetchall())

    def _rows_by_id(self, select: str, ids: Iterable[int]) -> Iterator[dict[str, Any]]:
        """Rows (with an `id`) of `select`, its `{ids}` filled, for these ids in their order, in batches."""
        remaining = iter(ids)
        while batch := list(itertools.islice(remaining, RECORD_BATCH)):
            cursor = self.connection.execute(select.format(ids=", ".join("?" for _ in batch)), batch)
            names = [column[0] for column in cursor.description]
            rows = {row["id"]: row for row in (dict(zip(names, values, strict=True)) for values in cursor)}
            yield from (rows[wanted] for wanted in batch if wanted in rows)

    def article_records(self, article_ids: Iterable[int]) -> Iterator[dict[str, Any]]:
        """Articles as `show --json` and `export` give them: every column of the article (JSON
        columns decoded), then when and where its original was fetched, in the order asked."""
        origin = ", ".join(f"{expression} AS {name}" for name, expression in ORIGIN_COLUMNS.items())
        select = f"SELECT a.*, {origin} FROM articles a JOIN captures c ON c.id = a.capture_id"
        for record in self._rows_by_id(select + " WHERE a.id IN ({ids})", article_ids):
            yield record | {name: json.loads(record[name]) for name in ARTICLE_JSON_COLUMNS}

    def captures(self, capture_ids: Iterable[int]) -> Iterator[CaptureRecord]:
        select = f"SELECT {CAPTURE_RECORD_COLUMNS} FROM captures WHERE id IN ({{ids}})"
        for row in self._rows_by_id(select, capture_ids):
            yield _capture_record(row)

    def latest_discovery_captures(self, outlets: Iterable[str]) -> list[CaptureRecord]:
        """Per feed, sitemap, listing and list-API request of these outlets, its newest answered fetch."""
        slugs = list(outlets)
        rows = self.connection.execute(
            f"SELECT max(id) FROM captures WHERE outlet IN ({', '.join('?' for _ in slugs)})"
            f" AND page_kind IN ({', '.join('?' for _ in DISCOVERY_PAGE_KINDS)})"
            " AND http_status BETWEEN 200 AND 299 AND body_sha256 IS NOT NULL"
            " GROUP BY request_method, url, request_body ORDER BY 1",
            [*slugs, *DISCOVERY_PAGE_KINDS],
        )
        return list(self.captures(capture_id for (capture_id,) in rows.fetchall()))

    def article_digests(self, outlets: list[str] | None = None) -> dict[tuple[str, str, str], str]:
        """A digest of each article's extracted fields, keyed by (outlet, article_id, edition)."""
        where, params = "", []
        if outlets:
            where = f"WHERE outlet IN ({', '.join('?' for _ in outlets)})"
            params = list(outlets)
        rows = self.connection.execute(
            f"SELECT outlet, article_id, edition, {', '.join(article_content_columns())}"
            f" FROM articles {where}",
            params,
        )
        return {
            (outlet, article_id, edition): hashlib.sha1(_json(content).encode()).hexdigest()
            for outlet, article_id, edition, *content in rows
        }

    def clusters(self, since: str | None = None) -> list[dict[str, Any]]:
        """Clusters of two or more articles carrying one story, most recently joined first.

        Each article comes with its strongest link inside the cluster: the article it is
        linked to, their similarity and the reason. `since` (ISO 8601, UTC) keeps the clusters
        an article joined or left at or after that time.
        """
        rows = self.connection.execute(
            "SELECT id, created_at, updated_at FROM clusters WHERE updated_at >= ?"
            " ORDER BY updated_at DESC, id",
            [since or ""],
        ).fetchall()
        return [
            {"cluster_id": cluster, "created_at": created_at, "updated_at": updated_at}
            | {"articles": self._cluster_articles(cluster)}
            for cluster, created_at, updated_at in rows
        ]

    def _cluster_articles(self, cluster: int) -> list[dict[str, Any]]:
        members = self.connection.execute(
            "SELECT id, outlet, edition, url, title, published_at FROM articles WHERE cluster_id = ?"
            " ORDER BY first_seen_at, id",
            [cluster],
        ).fetchall()
        ids = [member[0] for member in members]
        strongest: dict[int, tuple[float, str, int]] = {}
        for article, linked, similarity, reason in self.connection.execute(
            "SELECT article, linked_article, similarity, reason FROM cluster_links"
            f" WHERE article IN ({', '.join('?' for _ in ids)}) ORDER BY id",
            ids,
        ):
            for one, other in ((article, linked), (linked, article)):
                if one not in strongest or similarity > strongest[one][0]:
                    strongest[one] = (similarity, reason, other)
        articles = []
        for article, outlet, edition, url, title, published_at in members:
            similarity, reason, linked_to = strongest.get(article, (None, None, None))
            articles.append(
                {
                    "id": article,
                    "url": url,
                    "outlet": outlet,
                    "edition": edition,
                    "title": title,
                    "published_at": published_at,
                    "similarity": similarity,
                    "reason": reason,
                    "linked_to": linked_to,
                }
            )
        return articles

    def story_links(self, article: int) -> dict[str, Any] | None:
        """One article's place among the copies of its story: hash, cluster, and every link."""
        row = self.connection.execute(
            "SELECT a.id, a.outlet, a.article_id, a.edition, a.url, a.title, a.body_hash, a.cluster_id,"
            " a.current_version, m.shingle_count FROM articles a"
            " LEFT JOIN article_minhashes m ON m.article = a.id WHERE a.id = ?",
            [article],
        ).fetchone()
        if row is None:
            return None
        names = ("id", "outlet", "article_id", "edition", "url", "title", "body_hash", "cluster_id")
        explained: dict[str, Any] = dict(zip(names, row[:8], strict=True))
        explained["current_version"], explained["shingle_count"] = row[8], row[9]
        explained["same_body_hash"] = (
            [
                other
                for (other,) in self.connection.execute(
                    "SELECT id FROM articles WHERE body_hash = ? AND id != ? ORDER BY id", [row[6], article]
                )
            ]
            if row[6]
            else []
        )
        explained["cluster_size"] = (
            self.connection.execute(
                "SELECT count(*) FROM articles WHERE cluster_id = ?", [row[7]]
            ).fetchone()[0]
            if row[7]
            else 1
        )
        links = self.connection.execute(
            "SELECT CASE WHEN l.article = ? THEN 'to' ELSE 'from' END AS direction, o.id, o.outlet,"
            " o.edition, o.url, o.title, l.similarity, l.reason, l.linked_at"
            " FROM cluster_links l JOIN articles o"
            " ON o.id = CASE WHEN l.article = ? THEN l.linked_article ELSE l.article END"
            " WHERE l.article = ? OR l.linked_article = ? ORDER BY l.similarity DESC, o.id",
            [article] * 4,
        )
        columns = [column[0] for column in links.description]
        explained["links"] = [dict(zip(columns, link, strict=True)) for link in links]
        return explained

    def stats(self, registered: list[str]) -> dict[str, Any]:
        """Counts of articles, captures and script mismatches, overall and per outlet: every
        `registered` slug (counted 0 when absent), then any other outlet the archive holds."""
        counted = ("articles", "captures", "script_mismatches")
        outlets: dict[str, dict[str, int]] = {slug: dict.fromkeys(counted, 0) for slug in registered}
        queries = {
            "captures": "SELECT outlet, count(*) FROM captures GROUP BY outlet",
            "articles": "SELECT outlet, count(*) FROM articles GROUP BY outlet",
            "script_mismatches": (
                "SELECT outlet, count(*) FROM articles WHERE script_mismatch = 1 GROUP BY outlet"
            ),
        }
        for name, query in queries.items():
            for outlet, count in self.connection.execute(query):
                outlets.setdefault(outlet, dict.fromkeys(counted, 0))[name] = count
        return {name: sum(counts[name] for counts in outlets.values()) for name in counted} | {
            "outlets": outlets
        }

    def discovery_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """The ETag and Last-Modified the last full fetch of a discovery document returned."""
        row = self.connection.execute(
            "SELECT etag, last_modified FROM discovery_validators WHERE url = ?", [url]
        ).fetchone()
        return (row[0], row[1]) if row else None

    def waiting_fetches(self, outlet: str, after_id: int, limit: int) -> list[QueueEntry]:
        """Queued article pages of an outlet still to fetch in this run, in queue order."""
        return fetch_queue.waiting_entries(self.connection, outlet, after_id, limit)

    def run(self, run_id: int | None = None) -> dict[str, Any] | None:
        """One crawl run (the latest when `run_id` is None), as a dict of its `crawl_runs` columns."""
        where, params = ("WHERE id = ?", [run_id]) if run_id is not None else ("", [])
        cursor = self.connection.execute(f"SELECT * FROM crawl_runs {where} ORDER BY id DESC LIMIT 1", params)
        row = cursor.fetchone()
        if row is None:
            return None
        run = dict(zip((column[0] for column in cursor.description), row, strict=True))
        run["outlets"] = json.loads(run["outlets"])
        return run
