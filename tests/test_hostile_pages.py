"""Hostile pages in a real crawl: no capture is lost to an exception in a stage after the fetch.

Each page is stored with its raw original; the ones a stage failed on are failed with the reason,
their fetch-queue entry settled, counted in the run's record and raised in `report`; `reextract`
makes their articles once the stage works. Responses are replayed from a synthetic snapshot (every
page made here); two stage failures are synthetic faults (tests/faulty_stages.py), since no real
input is known to make a stage raise any more.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from scrapy.utils.misc import load_object

from crawler import exit_status, settings
from pipelines.lease_fence import LeaseFencePipeline
from pipelines.stage import CaptureStage
from pipelines.worker_pool import WorkerPoolPipeline
from tests.faulty_stages import RAISES, UNSTORABLE, pipelines_with_faults
from tests.helpers import ROOT, SOURCEVAULT, exchange, invoke, make_snapshot
from tests.test_crawl import PARAGRAPHS

BASE = "https://news.example.org"
REGISTRY = """
[[outlet]]
slug = "example"
name = "Example Daily"
home = "https://news.example.org/"
domains = ["example.org"]
language = "zh"
script = "Hant"
timezone = "Asia/Taipei"

[outlet.discovery]
feeds = ["https://news.example.org/feed.xml"]

[outlet.article]
url_pattern = '^https://news\\.example\\.org/a/(?P<id>\\d+)$'

[outlet.selectors]
title = ["h1"]
body = ["article > p"]
published_at = ["time::attr(datetime)"]
"""
# JSON-LD nested 50,000 deep: json.loads raised RecursionError and the capture was lost.
DEEP_JSON_LD = "[" * 50_000 + "]" * 50_000


def page(title: str, *, head: str = "", published: str = "2026-11-01 08:00", marker: str = "") -> str:
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title>{head}</head><body>{marker}"
        f"<h1>{title}</h1><time datetime='{published}'></time><article>{PARAGRAPHS}</article></body></html>"
    )


# path -> (the page, what its capture's outcome and reason (a prefix) must be)
PAGES: dict[str, tuple[bytes, str, str | None]] = {
    "/a/1": (
        page(
            "巢狀五萬層的結構化資料", head=f"<script type='application/ld+json'>{DEEP_JSON_LD}</script>"
        ).encode(),
        "article",
        None,
    ),
    "/a/2": (
        page("解析器遇到無法處理的頁面", marker=RAISES).encode(),
        "failed",
        "extract_error: RecursionError",
    ),
    "/a/3": (page("無法儲存的文章", marker=UNSTORABLE).encode(), "failed", "store_error: UnicodeEncodeError"),
    "/a/4": (page("年份九九九九的新聞", published="9999-12-31T00:00:00+08:00").encode(), "article", None),
    "/a/5": (page("一則普通的新聞").encode(), "article", None),
    # Served as UTF-16 (the header says so), written in UTF-8: archived as mojibake before.
    "/a/6": (page("標示錯誤的編碼").replace("<meta charset='utf-8'>", "").encode(), "article", None),
}
CONTENT_TYPES = {"/a/6": "text/html; charset=utf-16"}


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    folder = tmp_path_factory.mktemp("hostile")
    feed = "".join(f"<item><title>t</title><link>{BASE}{path}</link></item>" for path in PAGES)
    snapshot = make_snapshot(
        folder / "hostile.warc.gz",
        [
            exchange(f"{BASE}/robots.txt", "User-agent: *\n", content_type="text/plain"),
            exchange(
                f"{BASE}/feed.xml",
                f"<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>{feed}</channel></rss>",
                content_type="application/rss+xml",
            ),
            *(
                exchange(f"{BASE}{path}", body, content_type=CONTENT_TYPES.get(path, "text/html"))
                for path, (body, _, _) in PAGES.items()
            ),
        ],
    )
    registry = folder / "outlets.toml"
    registry.write_text(REGISTRY, encoding="utf-8")
    database = folder / "archive.db"
    crawl = subprocess.run(
        [
            str(SOURCEVAULT),
            "crawl",
            "--registry",
            str(registry),
            "--replay",
            str(snapshot),
            "--db",
            str(database),
            *pipelines_with_faults(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        # The crawl's process finds the synthetic faults of tests/faulty_stages.py.
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"},
    )
    return registry, database, crawl


def test_every_hostile_page_is_archived_with_its_original_and_reason(hostile_crawl):
    _, database, crawl = hostile_crawl
    assert crawl.returncode == exit_status.OK, crawl.stderr
    assert "Traceback" not in crawl.stderr
    connection = sqlite3.connect(database)
    captures = {
        url.removeprefix(BASE): (outcome, reason, sha256)
        for url, outcome, reason, sha256 in connection.execute(
            "SELECT url, outcome, outcome_reason, body_sha256 FROM captures WHERE page_kind = 'article'"
        )
    }
    assert set(captures) == set(PAGES)
    for path, (body, outcome, reason) in PAGES.items():
        stored_outcome, stored_reason, sha256 = captures[path]
        assert stored_outcome == outcome, (path, stored_reason)
        assert (stored_reason or "").startswith(reason or ""), (path, stored_reason)
        # The raw original, exactly as fetched, whatever the stages made of it.
        (size,) = connection.execute(
            "SELECT size_bytes FROM raw_bodies WHERE sha256 = ?", [sha256]
        ).fetchone()
        assert size == len(body), path
    # Every queued page is settled: the two that failed wait for the next run's retry, with why.
    queue = connection.execute(
        "SELECT url, state, failed_attempts, last_failure FROM article_fetch_queue ORDER BY url"
    ).fetchall()
    failed = {
        url.removeprefix(BASE): (state, attempts, why)
        for url, state, attempts, why in queue
        if state != "done"
    }
    assert failed == {path: ("failed", 1, captures[path][1]) for path in ("/a/2", "/a/3")}
    (record,) = connection.execute(
        "SELECT new, failed, failures FROM crawl_run_outlets WHERE outlet = 'example'"
    ).fetchall()
    assert record[:2] == (4, 2)
    assert json.loads(record[2]) == {"article: extract_error": 1, "article: store_error": 1}


def test_a_date_outside_1900_2100_is_refused_with_its_reason(hostile_crawl):
    _, database, _ = hostile_crawl
    connection = sqlite3.connect(database)
    published, methods = connection.execute(
        "SELECT published_at, field_methods FROM articles WHERE article_id = '4'"
    ).fetchone()
    assert published is None
    assert json.loads(methods)["published_at"].startswith(
        "refused: selector 9999-12-31T00:00:00+08:00 is outside"
    )


def test_a_charset_that_misreads_the_page_is_overruled_and_recorded(hostile_crawl):
    _, database, _ = hostile_crawl
    connection = sqlite3.connect(database)
    title, encoding = connection.execute(
        "SELECT a.title, c.text_encoding FROM articles a JOIN captures c ON c.id = a.capture_id"
        " WHERE a.article_id = '6'"
    ).fetchone()
    assert (title, encoding) == ("標示錯誤的編碼", "utf-8 (declared utf-16 overruled)")


def test_the_report_raises_the_stage_errors_and_reextract_makes_their_articles(hostile_crawl, tmp_path):
    registry, crawled, _ = hostile_crawl
    database = tmp_path / "archive.db"
    with sqlite3.connect(crawled) as source, sqlite3.connect(database) as copy:
        source.backup(copy)
    report = invoke("report", "--db", str(database))
    assert report.exit_code == exit_status.ALERTS
    assert (
        "ALERT example: pages kept without their article: a stage after the fetch failed"
        " (article: extract_error ×1, article: store_error ×1); once it is fixed, `sourcevault reextract`"
        " makes their articles"
    ) in report.stdout
    # Without the synthetic faults, the stages work: re-extraction makes the two articles.
    reextracted = invoke("reextract", "--db", str(database), "--registry", str(registry))
    assert reextracted.exit_code == 0, reextracted.output
    assert "articles new: 2" in reextracted.stdout and "captures failed: 0" in reextracted.stdout
    connection = sqlite3.connect(database)
    assert connection.execute("SELECT count(*) FROM articles").fetchone() == (len(PAGES),)
    assert connection.execute("SELECT count(*) FROM captures WHERE outcome = 'failed'").fetchone() == (0,)


def test_every_stage_before_the_archive_keeps_its_exceptions_on_the_capture():
    archive_order = settings.ITEM_PIPELINES["pipelines.archive.ArchivePipeline"]
    stages = [load_object(path) for path, order in settings.ITEM_PIPELINES.items() if order < archive_order]
    # The worker pool runs the stages' work in its workers and keeps their exceptions on the
    # capture as they do (`worker_pool.process_page`); with the pool failing, the stages do the work.
    # A worker's lease fence processes nothing: it lets a capture by or drops it unstored (its page
    # stays queued for the worker that holds the outlet now).
    assert stages and all(
        issubclass(stage, CaptureStage)
        for stage in stages
        if stage not in (WorkerPoolPipeline, LeaseFencePipeline)
    )
