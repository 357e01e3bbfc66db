"""Captures and their originals: every fetch as it happened, and the exact bytes it returned.

A capture row holds the request, the response's status and headers, and what became of the page
(its outcome); its body is kept once per sha256 in `raw_bodies`, gzipped, and always read back
checked against that digest. An imported article's capture is its JSON-lines record.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.archive.connection import ArchiveError, CorruptOriginal, marks, rows_by_id, to_json
from crawler.items import STAGES

if TYPE_CHECKING:
    from crawler.archive.articles import ArticleChange
    from crawler.items import Capture
    from crawler.pages import Article, Extraction

# Captures of articles read from another archive's export (or any JSON lines), not fetched.
IMPORT_PAGE_KIND = "import"
DISCOVERY_PAGE_KINDS = ("feed", "sitemap", "listing", "list_api")
# Article pages that re-extraction reads again. A capture judged a takedown of an archived
# article, or a block page, is not judged again; one a stage after the fetch failed on is.
STAGE_FAILED = " OR ".join(f"outcome_reason LIKE '{stage}\\_error:%' ESCAPE '\\'" for stage in STAGES)
REEXTRACTABLE_CAPTURES = (
    "page_kind = 'article' AND http_status BETWEEN 200 AND 299 AND body_sha256 IS NOT NULL"
    f" AND (outcome NOT IN ('removed', 'failed') OR (outcome = 'failed' AND ({STAGE_FAILED})))"
)


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


def _capture_record(row: dict[str, Any]) -> CaptureRecord:
    values = dict(row)
    values["request_body"] = bytes(values["request_body"] or b"")
    values["response_headers"] = [tuple(pair) for pair in json.loads(values["response_headers"])]
    values["fetched_at"] = datetime.fromisoformat(values["fetched_at"])
    return CaptureRecord(**values)


def seen_at(fetched_at: datetime) -> str:
    """A fetch time as the archive writes it."""
    return fetched_at.isoformat(timespec="seconds")


def read_raw_body(connection: sqlite3.Connection, sha256: str, where: Path | str) -> bytes:
    """The exact bytes of a stored body, checked against their sha256 (`where` names the archive)."""
    row = connection.execute(
        "SELECT compressed, compression FROM raw_bodies WHERE sha256 = ?", [sha256]
    ).fetchone()
    if row is None:
        raise ArchiveError(f"{where}: no raw body {sha256}")
    return checked_body(sha256, *row, where)


def checked_body(sha256: str, compressed: bytes, compression: str, where: Path | str) -> bytes:
    """A raw body as stored (on either backend) uncompressed, checked against its sha256."""
    if compression != "gzip":
        raise ArchiveError(f"{where}: raw body {sha256} uses unknown compression {compression!r}")
    body = gzip.decompress(compressed)
    if hashlib.sha256(body).hexdigest() != sha256:
        raise CorruptOriginal(f"{where}: raw body {sha256} does not match its sha256")
    return body


class Captures:
    """The `captures`, `raw_bodies` and `discovery_validators` tables of one archive.

    Writes join the caller's transaction (`Archive.store` and friends open it).
    """

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self.connection = connection
        self.path = path

    # --- writing -----------------------------------------------------------------------------

    def store_body(self, body: bytes) -> str:
        """Keep a body (once per content) and return its sha256."""
        sha256 = hashlib.sha256(body).hexdigest()
        self.connection.execute(
            "INSERT INTO raw_bodies (sha256, size_bytes, compression, compressed)"
            " VALUES (?, ?, 'gzip', ?) ON CONFLICT (sha256) DO NOTHING",
            [sha256, len(body), gzip.compress(body, compresslevel=6, mtime=0)],
        )
        return sha256

    def insert_fetched(self, capture: Capture, run_id: int | None, links_new: int | None) -> int:
        """A row for a fetch, with its body, and its id."""
        outcome, reason = capture.outcome
        extraction = capture.extraction
        return self._insert(
            {
                "crawl_run_id": run_id,
                "outlet": capture.outlet,
                "page_kind": capture.page_kind,
                "request_method": capture.request_method,
                "request_body": capture.request_body or None,
                "url": capture.url,
                "final_url": capture.final_url,
                "http_status": capture.http_status,
                "response_headers": to_json(capture.response_headers),
                "fetched_at": seen_at(capture.fetched_at),
                "replayed_from": capture.replayed_from,
                "body_sha256": self.store_body(capture.body) if capture.body else None,
                "body_size_bytes": len(capture.body),
                "text_encoding": extraction.encoding_record if extraction else None,
                "fetch_error": capture.fetch_error,
                "outcome": outcome,
                "outcome_reason": reason,
                "revisit": int(capture.revisit),
                "article_links_listed": len(capture.article_links) if capture.article_links else None,
                "article_links_new": links_new,
                "web_archive_of": capture.web_archive_of,
                "web_archive_snapshot_at": seen_at(capture.web_archive_snapshot_at)
                if capture.web_archive_snapshot_at
                else None,
            }
        )

    def insert_imported(
        self, record: bytes, article: Article, fetched_at: datetime, imported_from: str
    ) -> int:
        """A row for an imported record, kept as its original, and its id."""
        return self._insert(
            {
                "outlet": article.outlet,
                "page_kind": IMPORT_PAGE_KIND,
                "request_method": IMPORT_PAGE_KIND.upper(),
                "url": article.url,
                "response_headers": to_json([["Content-Type", "application/json"]]),
                "fetched_at": seen_at(fetched_at),
                "body_sha256": self.store_body(record),
                "body_size_bytes": len(record),
                "text_encoding": "utf-8",
                "outcome": "article",
                "imported_from": imported_from,
            }
        )

    def _insert(self, values: dict[str, Any]) -> int:
        cursor = self.connection.execute(
            f"INSERT INTO captures ({', '.join(values)}) VALUES ({marks(values)})", list(values.values())
        )
        return int(cursor.lastrowid or 0)

    def holds_import(self, sha256: str) -> bool:
        """Whether the record of this sha256 was imported before."""
        return bool(
            self.connection.execute(
                "SELECT 1 FROM captures WHERE body_sha256 = ? AND page_kind = ?", [sha256, IMPORT_PAGE_KIND]
            ).fetchone()
        )

    def record_article_change(self, capture_id: int, change: ArticleChange | None) -> None:
        self.connection.execute("UPDATE captures SET article_change = ? WHERE id = ?", [change, capture_id])

    def record_outcome(self, capture_id: int, outcome: str, extraction: Extraction) -> None:
        """What a re-extraction made of a stored capture."""
        self.connection.execute(
            "UPDATE captures SET outcome = ?, outcome_reason = ?, text_encoding = ? WHERE id = ?",
            [outcome, extraction.reason, extraction.encoding_record, capture_id],
        )

    def record_stage_failure(self, capture_id: int, reason: str) -> None:
        """A stage raised on a stored capture extracted again (its article, if any, stays as it was)."""
        self.connection.execute(
            "UPDATE captures SET outcome = 'failed', outcome_reason = ? WHERE id = ?", [reason, capture_id]
        )

    def move_to_outlet(self, capture_id: int, outlet: str) -> None:
        """Re-extraction found the capture's page to be another outlet's (one added since)."""
        self.connection.execute("UPDATE captures SET outlet = ? WHERE id = ?", [outlet, capture_id])

    def keep_validators(self, capture: Capture, capture_id: int, now: str) -> None:
        """Remember a discovery document's ETag / Last-Modified for the next conditional GET."""
        if capture.http_status == 304:
            return
        etag, last_modified = capture.header("ETag"), capture.header("Last-Modified")
        if capture.conditional_get and (etag or last_modified):
            self.connection.execute(
                """INSERT INTO discovery_validators (url, etag, last_modified, capture_id, stored_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
                    capture_id = excluded.capture_id, stored_at = excluded.stored_at""",
                [capture.url, etag, last_modified, capture_id, now],
            )
        else:
            self.connection.execute("DELETE FROM discovery_validators WHERE url = ?", [capture.url])

    # --- reading -----------------------------------------------------------------------------

    def discovery_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """The ETag and Last-Modified the last full fetch of a discovery document returned."""
        row = self.connection.execute(
            "SELECT etag, last_modified FROM discovery_validators WHERE url = ?", [url]
        ).fetchone()
        return (row[0], row[1]) if row else None

    def raw_body(self, sha256: str) -> bytes:
        """The exact bytes fetched, checked against their sha256."""
        return read_raw_body(self.connection, sha256, self.path)

    def reextractable(self, outlets: list[str] | None = None) -> Iterator[StoredCapture]:
        """Successful fetches of article pages, oldest first: the input of re-extraction."""
        where = REEXTRACTABLE_CAPTURES
        params: list[Any] = []
        if outlets:
            where += f" AND outlet IN ({marks(outlets)})"
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

    def reextractable_counts(self) -> dict[str, int]:
        """How many captures `reextractable` gives, per outlet."""
        rows = self.connection.execute(
            f"SELECT outlet, count(*) FROM captures WHERE {REEXTRACTABLE_CAPTURES} GROUP BY outlet"
        )
        return dict(rows.fetchall())

    def records(self, capture_ids: Iterable[int]) -> Iterator[CaptureRecord]:
        """These captures' rows, in the order asked."""
        select = f"SELECT {CAPTURE_RECORD_COLUMNS} FROM captures WHERE id IN ({{ids}})"
        for row in rows_by_id(self.connection, select, capture_ids):
            yield _capture_record(row)

    def latest_discovery(self, outlets: Iterable[str]) -> list[CaptureRecord]:
        """Per feed, sitemap, listing and list-API request of these outlets, its newest answered fetch."""
        slugs = list(outlets)
        rows = self.connection.execute(
            f"SELECT max(id) FROM captures WHERE outlet IN ({marks(slugs)})"
            f" AND page_kind IN ({marks(DISCOVERY_PAGE_KINDS)})"
            " AND http_status BETWEEN 200 AND 299 AND body_sha256 IS NOT NULL"
            " GROUP BY request_method, url, request_body ORDER BY 1",
            [*slugs, *DISCOVERY_PAGE_KINDS],
        )
        return list(self.records(capture_id for (capture_id,) in rows.fetchall()))
