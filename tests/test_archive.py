"""The archive: raw originals round-trip, writes are atomic, bad files are one-line errors."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from crawler.archive import Archive, schema
from crawler.archive.articles import next_revisit
from crawler.archive.connection import ArchiveError, CorruptOriginal
from crawler.archive.fetch_queue import MAX_FAILED_ATTEMPTS
from crawler.archive.migrations.m001_initial import m001_initial
from crawler.identity import content_hash
from crawler.items import Capture
from crawler.pages import extract_page
from crawler.registry import ArticleUrl
from crawler.research.reextraction import reextract
from tests.helpers import fixture_page

CNA_URL = "https://www.cna.com.tw/news/asoc/201603190029.aspx"


def cna_capture(registry, body: bytes | None = None) -> Capture:
    body = (
        body if body is not None else fixture_page("outlets/cna/cna_article_201603190029_twnews_2019.html.gz")
    )
    capture = Capture(
        outlet="cna",
        page_kind="article",
        url=CNA_URL,
        fetched_at=datetime(2019, 7, 19, tzinfo=UTC),
        final_url=CNA_URL,
        http_status=200,
        response_headers=[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ],
        body=body,
    )
    capture.extraction = extract_page(
        body, url=CNA_URL, outlet=registry.get("cna"), fetched_at=capture.fetched_at
    )
    return capture


@pytest.fixture
def archive(tmp_path, registry):
    with Archive(tmp_path / "archive.db") as opened:
        opened.sync_outlets(registry)
        yield opened


def test_raw_bytes_round_trip_to_their_sha256(archive, registry):
    capture = cna_capture(registry)
    capture_id = archive.store(capture, run_id=None).capture_id
    sha256, size, headers = archive.db.execute(
        "SELECT body_sha256, body_size_bytes, response_headers FROM captures WHERE id = ?", [capture_id]
    ).fetchone()
    assert sha256 == hashlib.sha256(capture.body).hexdigest()
    assert size == len(capture.body)
    assert archive.captures.raw_body(sha256) == capture.body
    assert json.loads(headers)[1:] == [["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"]]


def test_an_article_is_stored_with_its_capture(archive, registry):
    capture_id = archive.store(cna_capture(registry), run_id=None).capture_id
    row = archive.db.execute("SELECT capture_id, outlet, article_id, title, authors FROM articles").fetchone()
    assert row == (capture_id, "cna", "201603190029", "平鎮輪胎行惡火 疏散7人1女命喪", '["邱俊欽"]')


def test_a_newer_capture_updates_the_article_and_keeps_both_originals(archive, registry):
    first = archive.store(cna_capture(registry), run_id=None).capture_id
    second = archive.store(cna_capture(registry), run_id=None).capture_id
    assert archive.db.execute("SELECT count(*), max(capture_id) FROM articles").fetchone() == (1, second)
    assert archive.db.execute("SELECT count(*) FROM captures").fetchone()[0] == 2
    # Identical bodies are stored once.
    assert archive.db.execute("SELECT count(*) FROM raw_bodies").fetchone()[0] == 1
    assert first != second


def test_a_failure_in_a_later_stage_leaves_no_half_written_row(archive, registry):
    archive.db.execute(
        "CREATE TRIGGER refuse_articles BEFORE INSERT ON articles BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        archive.store(cna_capture(registry), run_id=None)
    for table in ("captures", "raw_bodies", "articles"):
        assert archive.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_a_damaged_original_is_detected(archive, registry):
    archive.store(cna_capture(registry), run_id=None)
    sha256 = archive.db.execute("SELECT body_sha256 FROM captures").fetchone()[0]
    archive.db.execute(
        "UPDATE raw_bodies SET compressed = ? WHERE sha256 = ?", [b"\x1f\x8b" + bytes(30), sha256]
    )
    with pytest.raises((CorruptOriginal, OSError, EOFError)):
        archive.captures.raw_body(sha256)


def test_failed_fetches_and_non_articles_are_kept_with_their_reason(archive, registry):
    failed = Capture(
        outlet="cna",
        page_kind="article",
        url=CNA_URL,
        fetched_at=datetime.now(UTC),
        fetch_error="TimeoutError: took longer than 30.0 seconds",
    )
    archive.store(failed, run_id=None)
    soft_404 = cna_capture(registry, body=b"<html><head><title>404</title></head><body>gone</body></html>")
    archive.store(soft_404, run_id=None)
    rows = archive.db.execute("SELECT outcome, outcome_reason, body_sha256 IS NULL FROM captures ORDER BY id")
    assert list(rows) == [
        ("failed", "TimeoutError: took longer than 30.0 seconds", 1),
        ("not_article", "not an article: soft 404: page title '404'", 0),
    ]
    assert archive.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 0


def test_a_new_archive_is_built_by_the_schema_history_and_is_wal(tmp_path):
    path = tmp_path / "archive.db"
    Archive(path).close()
    with Archive(path) as archive:
        assert archive.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert archive.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert schema.recorded_revision(archive.connection) == schema.HEAD
        assert not archive.db["_sqlite_migrations"].exists()
        assert set(archive.db.table_names()) >= {
            "outlets",
            "crawl_runs",
            "crawl_run_outlets",
            "raw_bodies",
            "captures",
            "articles",
            "article_fetch_queue",
            "discovery_validators",
        }


def test_an_archive_of_an_older_sourcevault_gains_the_language_columns(tmp_path, registry):
    path = tmp_path / "old.db"
    older = Migrations("sourcevault")
    older()(m001_initial)
    database = Database(path)
    older.apply(database)
    body = fixture_page("outlets/cna/cna_article_201603190029_twnews_2019.html.gz")
    sha256 = hashlib.sha256(body).hexdigest()
    with database.conn:
        database.execute(
            "INSERT INTO outlets (slug, name, home, domains, language, script, timezone)"
            " VALUES ('cna', 'CNA', 'https://www.cna.com.tw/', '[]', 'zh', 'Hant', 'Asia/Taipei')"
        )
        database.execute(
            "INSERT INTO raw_bodies VALUES (?, ?, 'gzip', ?)", [sha256, len(body), gzip.compress(body)]
        )
        database.execute(
            "INSERT INTO captures (id, outlet, page_kind, request_method, url, http_status, response_headers,"
            " fetched_at, body_sha256, body_size_bytes, outcome) VALUES (7, 'cna', 'article', 'GET', ?, 200,"
            " '[]', '2019-07-19T00:00:00+00:00', ?, ?, 'article')",
            [CNA_URL, sha256, len(body)],
        )
        database.execute(
            "INSERT INTO articles (capture_id, outlet, article_id, url, authors, editors, tags, bylines,"
            " field_methods, extractor, extracted_at) VALUES (7, 'cna', '201603190029', ?, '[]', '[]', '[]',"
            " '[]', '{}', 'old', '2019-07-19')",
            [CNA_URL],
        )
    database.close()
    with Archive(path) as archive:
        assert schema.recorded_revision(archive.connection) == schema.HEAD
        assert archive.db.execute("SELECT language_tag, script_mismatch FROM articles").fetchone() == (
            None,
            None,
        )
        # Its current content becomes version 1, seen when its capture was fetched.
        assert archive.db.execute(
            "SELECT a.current_version, a.first_seen_at, a.last_seen_at, v.version, v.capture_id,"
            " v.content_hash FROM articles a JOIN article_versions v ON v.article = a.id"
        ).fetchone() == (
            1,
            "2019-07-19T00:00:00+00:00",
            "2019-07-19T00:00:00+00:00",
            1,
            7,
            content_hash(None, None),
        )
        # Re-extraction from the kept original tags what was archived before tagging existed.
        counts = reextract(archive, registry)
        assert counts["articles changed"] == 1
        row = archive.db.execute("SELECT language_tag, script_mismatch, title_simplified FROM articles")
        assert row.fetchone() == ("zh-Hant", 0, "平镇轮胎行恶火 疏散7人1女命丧")
        # ... and gives it its versions and URL aliases from the stored capture.
        assert archive.db.execute("SELECT version, capture_id FROM article_versions").fetchall() == [(1, 7)]
        assert archive.db.execute("SELECT url, seen_as FROM article_urls").fetchall() == [
            (CNA_URL, "requested")
        ]


def test_unusable_files_are_one_line_errors(tmp_path):
    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("these are not the droids\n" * 100)
    with pytest.raises(ArchiveError, match="not a usable SQLite archive"):
        Archive(not_sqlite)
    with pytest.raises(ArchiveError, match="no archive here"):
        Archive(tmp_path / "missing.db", readonly=True)


def test_revisits_follow_a_decaying_schedule_and_skip_missed_points():
    first = "2026-11-01T00:00:00+00:00"
    schedule = (1.0, 24.0, 168.0)
    assert next_revisit(first, "2026-11-01T00:30:00+00:00", schedule) == "2026-11-01T01:00:00+00:00"
    # A nightly crawl comes back long after the first hour: the next point is the day after.
    assert next_revisit(first, "2026-11-01T02:30:00+00:00", schedule) == "2026-11-02T00:00:00+00:00"
    assert next_revisit(first, "2026-11-03T02:30:00+00:00", schedule) == "2026-11-08T00:00:00+00:00"
    assert next_revisit(first, "2026-11-09T02:30:00+00:00", schedule) is None


def test_a_page_that_fails_in_every_run_is_given_up_after_the_last_attempt(archive):
    url = "https://www.cna.com.tw/news/asoc/201603190029.aspx"
    feed = Capture(
        outlet="cna",
        page_kind="feed",
        url="https://feeds.feedburner.com/rsscna/social",
        fetched_at=datetime.now(UTC),
        http_status=200,
        article_links=[ArticleUrl(url, "201603190029", "")],
    )
    run_id = archive.runs.start(["cna"], None)
    archive.store(feed, run_id)
    for attempt in range(1, MAX_FAILED_ATTEMPTS + 1):
        if attempt > 1:
            run_id = archive.runs.start(["cna"], None)
        [entry] = archive.queue.waiting("cna", 0, 10)
        failure = Capture(
            outlet="cna",
            page_kind="article",
            url=url,
            fetched_at=datetime.now(UTC),
            fetch_error="DownloadTimeoutError: took longer than 30.0 seconds",
            fetch_queue_id=entry.id,
        )
        archive.store(failure, run_id)
        state, failed_attempts = archive.db.execute(
            "SELECT state, failed_attempts FROM article_fetch_queue"
        ).fetchone()
        assert (state, failed_attempts) == ("failed" if attempt < MAX_FAILED_ATTEMPTS else "done", attempt)
    archive.runs.start(["cna"], None)
    assert archive.db.execute("SELECT count(*) FROM article_fetch_queue").fetchone()[0] == 0
    # Every failed fetch stays on record.
    assert archive.db.execute("SELECT count(*) FROM captures WHERE outcome = 'failed'").fetchone()[0] == 3


def test_discovery_queues_only_pages_the_archive_lacks(archive, registry):
    archive.store(cna_capture(registry), run_id=None)
    soft_404 = cna_capture(registry, body=b"<html><head><title>404</title></head><body>gone</body></html>")
    soft_404.url = soft_404.final_url = "https://www.cna.com.tw/news/aipl/202001010001.aspx"
    archive.store(soft_404, run_id=None)
    listed = [
        ArticleUrl(CNA_URL, "201603190029", ""),  # archived as an article
        ArticleUrl(soft_404.url, "202001010001", ""),  # judged a soft 404 before
        ArticleUrl("https://www.cna.com.tw/news/aipl/202001010002.aspx", "202001010002", ""),
    ]
    feed = Capture(
        outlet="cna",
        page_kind="feed",
        url="https://feeds.feedburner.com/rsscna/politics",
        fetched_at=datetime.now(UTC),
        http_status=200,
        article_links=listed,
    )
    run_id = archive.runs.start(["cna"], None)
    archive.store(feed, run_id)
    archive.store(replace(feed, url="https://feeds.feedburner.com/rsscna/social"), run_id)
    assert [entry.url for entry in archive.queue.waiting("cna", 0, 10)] == [listed[2].url]
    counted = archive.db.execute(
        "SELECT article_links_listed, article_links_new FROM captures WHERE page_kind = 'feed' ORDER BY id"
    ).fetchall()
    assert counted == [(3, 1), (3, 0)]


def test_a_run_prepares_the_fetch_queue_of_its_own_outlets_only(archive):
    # A crawl worker's run of one outlet leaves another worker's outlet's queue as that run has it.
    def queued(outlet: str, state: str) -> None:
        archive.db.execute(
            """INSERT INTO article_fetch_queue (outlet, article_id, edition, url, purpose, state, queued_at)
            VALUES (?, ?, '', ?, 'new', ?, '2026-12-01T00:00:00+00:00')""",
            [outlet, f"{outlet}-{state}", f"https://example.org/{outlet}/{state}", state],
        )

    for outlet in ("cna", "udn"):
        for state in ("done", "failed"):
            queued(outlet, state)
    archive.runs.start(["cna"], None)
    left = archive.db.execute(
        "SELECT outlet, state FROM article_fetch_queue ORDER BY outlet, state"
    ).fetchall()
    assert left == [("cna", "waiting"), ("udn", "done"), ("udn", "failed")]
