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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlite_utils import Database

from crawler import __version__
from crawler.archive.schema import migrations
from crawler.items import Capture
from crawler.pages import LANGUAGE_FIELDS, Article
from crawler.registry import Registry
from crawler.search import register_functions

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
# Captures of articles read from another archive's export (or any JSON lines), not fetched.
IMPORT_PAGE_KIND = "import"
ImportOutcome = Literal["new", "updated", "unchanged"]


class ArchiveError(RuntimeError):
    """The archive file cannot be used (not SQLite, corrupt, unwritable)."""


class CorruptOriginal(ArchiveError):
    """A stored body no longer matches its sha256."""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


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

    def __init__(self, path: Path | str = DEFAULT_ARCHIVE_PATH, *, readonly: bool = False):
        self.path = Path(path)
        if readonly:
            if not self.path.exists():
                raise ArchiveError(f"{self.path}: no archive here (run `sourcevault crawl` or `demo` first)")
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path)
        # The search index's triggers call these on every write to articles.
        register_functions(connection)
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
        with self.db.atomic():
            cursor = self.db.execute(
                """INSERT INTO crawl_runs (started_at, status, outlets, replay_snapshot, sourcevault_version)
                VALUES (?, 'running', ?, ?, ?)""",
                [utc_now(), _json(outlets), replay_snapshot, __version__],
            )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, finish_reason: str | None) -> None:
        with self.db.atomic():
            self.db.execute(
                "UPDATE crawl_runs SET finished_at = ?, status = ?, finish_reason = ? WHERE id = ?",
                [utc_now(), status, finish_reason, run_id],
            )

    # --- writing ----------------------------------------------------------------------------

    def store(self, capture: Capture, run_id: int | None) -> int:
        """Write a capture, its raw body and its article (if any) in one transaction."""
        outcome, reason = capture.outcome
        extraction = capture.extraction
        with self.db.atomic():
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
                    "fetched_at": capture.fetched_at.isoformat(timespec="seconds"),
                    "replayed_from": capture.replayed_from,
                    "body_sha256": self._store_body(capture.body) if capture.body else None,
                    "body_size_bytes": len(capture.body),
                    "text_encoding": extraction.encoding if extraction else None,
                    "fetch_error": capture.fetch_error,
                    "outcome": outcome,
                    "outcome_reason": reason,
                }
            )
            if extraction and extraction.article:
                self._store_article(capture_id, extraction.article)
        return capture_id

    def store_import(
        self, record: bytes, article: Article, fetched_at: datetime, imported_from: str
    ) -> ImportOutcome:
        """Archive an article read from a JSON-lines record, the record kept as its original.

        A record imported before, or an article whose title, body and publication time the
        archive already holds, adds nothing; a changed article gets the record as its newer
        original, as a refetch would.
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
                    "fetched_at": fetched_at.isoformat(timespec="seconds"),
                    "body_sha256": self._store_body(record),
                    "body_size_bytes": len(record),
                    "text_encoding": "utf-8",
                    "outcome": "article",
                    "imported_from": imported_from,
                }
            )
            self._store_article(capture_id, article)
        return "new" if existing is None else "updated"

    def _insert_capture(self, values: dict[str, Any]) -> int:
        cursor = self.db.execute(
            f"INSERT INTO captures ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",
            list(values.values()),
        )
        return int(cursor.lastrowid or 0)

    def _store_body(self, body: bytes) -> str:
        sha256 = hashlib.sha256(body).hexdigest()
        self.db.execute(
            "INSERT OR IGNORE INTO raw_bodies (sha256, size_bytes, compression, compressed)"
            " VALUES (?, ?, 'gzip', ?)",
            [sha256, len(body), gzip.compress(body, compresslevel=6, mtime=0)],
        )
        return sha256

    def _store_article(self, capture_id: int, article: Article) -> None:
        """Insert the article, or point the existing one at this newer capture."""
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
        self.db.execute(
            f"INSERT INTO articles ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
            f" ON CONFLICT({', '.join(ARTICLE_IDENTITY_COLUMNS)}) DO UPDATE SET {updates}",
            [
                capture_id,
                article.outlet,
                article.article_id,
                article.edition,
                *content,
                article.extractor,
                utc_now(),
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
        return read_raw_body(self.db.conn, sha256, self.path)

    def article_captures(self, outlets: list[str] | None = None) -> Iterator[StoredCapture]:
        """Successful fetches of article pages, oldest first: the input of re-extraction."""
        where = "page_kind = 'article' AND http_status BETWEEN 200 AND 299 AND body_sha256 IS NOT NULL"
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

    def _rows_by_id(self, select: str, ids: Iterable[int]) -> Iterator[dict[str, Any]]:
        """Rows (with an `id`) of `select`, its `{ids}` filled, for these ids in their order, in batches."""
        remaining = iter(ids)
        while batch := list(itertools.islice(remaining, RECORD_BATCH)):
            cursor = self.db.execute(select.format(ids=", ".join("?" for _ in batch)), batch)
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
        rows = self.db.execute(
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

    def run_summary(self, run_id: int) -> dict[str, dict[str, int]]:
        """Per outlet, how many captures of one run ended in each outcome."""
        summary: dict[str, dict[str, int]] = {}
        rows = self.db.execute(
            "SELECT outlet, outcome, count(*) FROM captures WHERE crawl_run_id = ? GROUP BY outlet, outcome",
            [run_id],
        )
        for outlet, outcome, count in rows:
            summary.setdefault(outlet, {})[outcome] = count
        return summary
