"""Crawls end to end: the real Scrapy engine in its own process, responses replayed offline.

The bundled demo snapshot holds the real outlet pages; the synthetic snapshots built here
(every response made by the test) exercise faults: 404s, soft 404s, wrong charsets, robots.txt,
redirects, broken discovery documents.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.cli import DEMO_SNAPSHOT
from tests.helpers import ROOT, exchange, make_snapshot, run_sourcevault

PARAGRAPHS = (
    "<p>（中央社記者王小明台北1日電）台北市今天舉行年度防災演習，市府動員超過兩千名人員參與。</p>"
    "<p>市長表示，演習模擬強震後的救援與收容，希望市民熟悉避難路線與集合地點。</p>"
)
EXAMPLE_REGISTRY = """
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
sitemaps = ["https://news.example.org/sitemap.xml", "https://news.example.org/index.xml"]

[[outlet.discovery.json_apis]]
url = "https://news.example.org/api/list"
links = "items[*].url"

[outlet.article]
url_pattern = '^https://news\\.example\\.org/a/(?P<id>\\d+)$'

[outlet.selectors]
title = ["h1"]
body = ["article > p"]
published_at = ["time::attr(datetime)"]

[outlet.page_rules]
not_found_text = ["查無此新聞"]

[[outlet]]
slug = "other"
name = "Other Times"
home = "https://other.example.net/"
domains = ["example.net"]
language = "zh"
script = "Hans"
timezone = "Asia/Shanghai"

[outlet.discovery]
feeds = ["https://other.example.net/feed.xml"]

[outlet.article]
url_pattern = '^https://other\\.example\\.net/(?P<id>\\d+)\\.html$'
"""


def article(title: str, body: str = PARAGRAPHS) -> str:
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<h1>{title}</h1><time datetime='2026-11-01 08:00'></time><article>{body}</article></body></html>"
    )


def feed(*links: str) -> str:
    items = "".join(f"<item><title>t</title><link>{link}</link></item>" for link in links)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>{items}</channel></rss>"


@pytest.fixture(scope="module")
def faulty_crawl(tmp_path_factory) -> tuple[sqlite3.Connection, str]:
    folder = tmp_path_factory.mktemp("faulty")
    base = "https://news.example.org"
    big5_page = article(
        "颱風來襲",
        "<p>中央氣象署今天發布海上颱風警報，提醒民眾注意強風豪雨與海浪。</p>"
        "<p>各縣市政府已成立應變中心，山區居民預防性撤離。</p>",
    )
    snapshot = make_snapshot(
        folder / "faulty.warc.gz",
        [
            exchange(f"{base}/robots.txt", "User-agent: *\nDisallow: /a/6\n", content_type="text/plain"),
            exchange(
                f"{base}/feed.xml",
                feed(*(f"{base}/a/{n}?utm_source=rss" for n in range(1, 10))),
                content_type="application/rss+xml",
            ),
            exchange(f"{base}/sitemap.xml", "<html><body>Sitemap moved</body></html>"),
            exchange(
                f"{base}/index.xml",
                "<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                f"<sitemap><loc>{base}/index.xml</loc></sitemap></sitemapindex>",
                content_type="application/xml",
            ),
            exchange(f"{base}/api/list", "<html>Service Unavailable</html>"),
            exchange(f"{base}/a/1", article("市府舉行防災演習")),
            exchange(f"{base}/a/2", "<html><body>Not Found</body></html>", status=404),
            exchange(f"{base}/a/3", article("查無此新聞", "<div>查無此新聞</div>")),
            exchange(f"{base}/a/4", big5_page.encode("big5"), content_type="text/html; charset=utf-8"),
            exchange(f"{base}/a/5", b"\x89PNG\r\n\x1a\n" + bytes(300), content_type="text/html"),
            exchange(f"{base}/a/6", article("robots.txt forbids this page")),
            exchange(f"{base}/a/7", "", status=301, headers=[("Location", f"{base}/a/70")]),
            exchange(f"{base}/a/70", article("搬家後的新聞頁面")),
            exchange(f"{base}/a/8", "", content_type="text/html"),
            # /a/9 is not in the snapshot at all.
            exchange("https://other.example.net/robots.txt", "User-agent: *\n", content_type="text/plain"),
            exchange("https://other.example.net/feed.xml", "this is { not xml", content_type="text/xml"),
        ],
    )
    registry = folder / "outlets.toml"
    registry.write_text(EXAMPLE_REGISTRY, encoding="utf-8")
    database = folder / "archive.db"
    result = run_sourcevault(
        "crawl", "--registry", str(registry), "--replay", str(snapshot), "--db", str(database)
    )
    assert result.returncode == 0, result.stderr
    return sqlite3.connect(database), result.stdout


def outcomes(connection: sqlite3.Connection, outlet: str) -> dict[str, tuple[str, str | None]]:
    rows = connection.execute(
        "SELECT url, outcome, outcome_reason FROM captures WHERE outlet = ? ORDER BY id", [outlet]
    )
    return {url: (outcome, reason) for url, outcome, reason in rows}


def test_every_page_is_archived_once_or_recorded_with_its_reason(faulty_crawl):
    connection, _ = faulty_crawl
    base = "https://news.example.org"
    got = outcomes(connection, "example")
    assert got[f"{base}/a/1"] == ("article", None)
    assert got[f"{base}/a/2"] == ("failed", "HTTP 404")
    assert got[f"{base}/a/3"] == ("not_article", "not an article: soft 404: page says '查無此新聞'")
    assert got[f"{base}/a/4"] == ("article", None)
    assert got[f"{base}/a/5"][0] == "not_article" and "binary content" in got[f"{base}/a/5"][1]
    assert got[f"{base}/a/7"] == ("article", None)
    assert got[f"{base}/a/8"] == ("not_article", "empty body")
    # Forbidden by robots.txt, and absent from the snapshot: never sent, but recorded with why.
    assert got[f"{base}/a/6"] == ("failed", "Forbidden by robots.txt")
    assert got[f"{base}/a/9"][0] == "failed" and got[f"{base}/a/9"][1].startswith("not in replay snapshot")
    assert all("utm_source" not in url for url in got)
    assert (
        connection.execute("SELECT count(*) FROM captures GROUP BY url HAVING count(*) > 1").fetchall() == []
    )


def test_a_wrongly_labelled_big5_page_is_read_right(faulty_crawl):
    connection, _ = faulty_crawl
    title, encoding = connection.execute(
        "SELECT a.title, c.text_encoding FROM articles a JOIN captures c ON c.id = a.capture_id"
        " WHERE a.url = 'https://news.example.org/a/4'"
    ).fetchone()
    assert (title, encoding) == ("颱風來襲", "big5hkscs")


def test_a_redirect_keeps_both_addresses(faulty_crawl):
    connection, _ = faulty_crawl
    row = connection.execute(
        "SELECT c.url, c.final_url, a.article_id FROM captures c JOIN articles a ON a.capture_id = c.id"
        " WHERE c.url = 'https://news.example.org/a/7'"
    ).fetchone()
    assert row == ("https://news.example.org/a/7", "https://news.example.org/a/70", "70")


def test_broken_discovery_documents_are_recorded_and_the_crawl_goes_on(faulty_crawl):
    connection, stdout = faulty_crawl
    example = outcomes(connection, "example")
    assert example["https://news.example.org/sitemap.xml"][1] == "not a sitemap: root element <html>"
    assert example["https://news.example.org/api/list"][1].startswith("not JSON")
    # The self-listing sitemap index was fetched once.
    assert list(example).count("https://news.example.org/index.xml") == 1
    other = outcomes(connection, "other")
    assert other["https://other.example.net/feed.xml"][1].startswith("not a feed")
    assert "example" in stdout and "other" in stdout


def test_the_demo_archives_every_outlet_from_the_bundled_snapshot(tmp_path):
    database = tmp_path / "demo.db"
    result = run_sourcevault("demo", "--db", str(database))
    assert result.returncode == 0, result.stderr
    stats = json.loads(run_sourcevault("stats", "--db", str(database), "--json").stdout)
    demo_articles = {
        "epochtimes": 2,
        "udn": 3,
        "ltn": 1,
        "sina": 4,
        "huanqiu": 2,
        "cna": 1,
        "hket": 1,
        "statedept": 1,
    }
    # Outlets added to the registry since have no page in the demo snapshot.
    assert {slug: counts["articles"] for slug, counts in stats["outlets"].items()} == {
        slug: demo_articles.get(slug, 0) for slug in stats["outlets"]
    }
    assert stats["articles"] == 15
    assert stats["script_mismatches"] == 0
    connection = sqlite3.connect(database)
    # Every article is tagged with its outlet's (edition's) script, and has a Simplified copy.
    tags = connection.execute(
        "SELECT outlet, edition, language, script, language_tag, expected_script, script_mismatch,"
        " script_inferred, body_simplified IS NOT NULL, language_confidence > 0.9"
        " FROM articles GROUP BY outlet, edition ORDER BY outlet, edition"
    ).fetchall()
    assert tags == [
        ("cna", "", "zh", "Hant", "zh-Hant", "Hant", 0, 0, 1, 1),
        ("epochtimes", "b5", "zh", "Hant", "zh-Hant", "Hant", 0, 0, 1, 1),
        ("epochtimes", "gb", "zh", "Hans", "zh-Hans", "Hans", 0, 0, 1, 1),
        ("hket", "", "zh", "Hant", "zh-Hant", "Hant", 0, 0, 1, 1),
        ("huanqiu", "", "zh", "Hans", "zh-Hans", "Hans", 0, 0, 1, 1),
        ("ltn", "", "zh", "Hant", "zh-Hant", "Hant", 0, 0, 1, 1),
        ("sina", "", "zh", "Hans", "zh-Hans", "Hans", 0, 0, 1, 1),
        # English: no Simplified copy.
        ("statedept", "", "en", "Latn", "en", "Latn", 0, 0, 0, 1),
        ("udn", "", "zh", "Hant", "zh-Hant", "Hant", 0, 0, 1, 1),
    ]
    assert connection.execute(
        "SELECT count(*) FROM articles WHERE language_tag != (CASE WHEN outlet IN ('sina', 'huanqiu')"
        " OR edition = 'gb' THEN 'zh-Hans' WHEN outlet = 'statedept' THEN 'en' ELSE 'zh-Hant' END)"
    ).fetchone() == (0,)
    # Every article has its original, and every original its checksum.
    orphans = connection.execute(
        "SELECT count(*) FROM articles a LEFT JOIN captures c ON c.id = a.capture_id"
        " WHERE c.body_sha256 IS NULL"
    ).fetchone()[0]
    assert orphans == 0
    for sha256, compressed in connection.execute("SELECT sha256, compressed FROM raw_bodies"):
        assert hashlib.sha256(gzip.decompress(compressed)).hexdigest() == sha256
    # Each page read with the layout of its fetch date; the outlets' page rules applied.
    extractors = dict(connection.execute("SELECT article_id, extractor FROM articles WHERE outlet = 'udn'"))
    assert extractors["7999001"].endswith("layout 2020-02-01")
    assert not extractors["3004543"].endswith("2020-02-01")
    assert connection.execute("SELECT partial_reason FROM articles WHERE outlet = 'hket'").fetchone() == (
        "page has .article-detail_login",
    )
    assert connection.execute(
        "SELECT outcome, outcome_reason FROM captures WHERE url LIKE '%synthetic-missing-page%'"
    ).fetchone() == (
        "not_article",
        "not an article: soft 404: page title 'Page Not Found - United States Department of State'",
    )
    replayed = connection.execute("SELECT DISTINCT replayed_from FROM captures").fetchall()
    assert replayed == [(str(DEMO_SNAPSHOT),)]
    run = connection.execute(
        "SELECT status, finish_reason, finished_at IS NOT NULL FROM crawl_runs"
    ).fetchall()
    assert run == [("finished", "finished", 1)]

    # The snapshot's one story archived twice: Epoch Times' Simplified and Traditional editions.
    # (Sina's repost of Huanqiu, iicezuev4202091, carries a story the demo's Huanqiu pages do not.)
    expected_clusters = [
        [
            ("epochtimes", "b5", 1.0, "same_story_key_other_edition"),
            ("epochtimes", "gb", 1.0, "same_story_key_other_edition"),
        ]
    ]
    assert demo_clusters(database) == expected_clusters
    # Every URL the article was seen under leads to it: feed link with ?from=, sitemap's other category.
    aliases = connection.execute(
        "SELECT url, seen_as FROM article_urls WHERE outlet = 'udn' AND article_id = '3705102' ORDER BY url"
    ).fetchall()
    assert aliases == [
        ("https://udn.com/news/story/11315/3705102", "link"),
        ("https://udn.com/news/story/7315/3705102", "requested"),
        ("https://udn.com/news/story/7315/3705102?from=udn-ch1_breaknews-1-0-news", "link"),
        ("https://udn.com/news/story/7315/3705102?from=udn-rss", "link"),
    ]
    assert connection.execute(
        "SELECT url FROM captures WHERE outlet = 'ltn' AND page_kind = 'article'"
    ).fetchall() == [("http://news.ltn.com.tw/news/life/breakingnews/2504351",)]

    # A second crawl fetches no archived article again and makes no new version.
    result = run_sourcevault("demo", "--db", str(database))
    assert result.returncode == 0, result.stderr
    assert connection.execute(
        "SELECT count(*) FROM captures WHERE page_kind = 'article' AND crawl_run_id = 2"
    ).fetchone() == (0,)
    assert connection.execute("SELECT count(*), max(version) FROM article_versions").fetchone() == (15, 1)

    # Re-extraction from the stored originals restores a damaged article, without network, and
    # rebuilds the same versions and clusters.
    connection.execute("UPDATE articles SET title = 'damaged' WHERE outlet = 'cna'")
    connection.commit()
    result = run_sourcevault("reextract", "--db", str(database))
    assert result.returncode == 0, result.stderr
    assert "articles changed: 1" in result.stdout and "articles unchanged: 14" in result.stdout
    assert connection.execute("SELECT title FROM articles WHERE outlet = 'cna'").fetchone()[0] == (
        "平鎮輪胎行惡火 疏散7人1女命喪"
    )
    # Re-extraction reads each original with the layout of its fetch date, as the crawl did.
    assert (
        dict(connection.execute("SELECT article_id, extractor FROM articles WHERE outlet = 'udn'"))
        == extractors
    )
    assert demo_clusters(database) == expected_clusters
    assert connection.execute("SELECT count(*), max(version) FROM article_versions").fetchone() == (15, 1)


def demo_clusters(database: Path) -> list[list[tuple[str, str, float, str]]]:
    result = run_sourcevault("clusters", "--db", str(database), "--json")
    assert result.returncode == 0, result.stderr
    return [
        sorted(
            (article["outlet"], article["edition"], article["similarity"], article["reason"])
            for article in json.loads(line)["articles"]
        )
        for line in result.stdout.splitlines()
    ]


def test_scrapy_crawl_runs_the_same_spider(tmp_path):
    database = tmp_path / "scrapy.db"
    result = _run_scrapy(
        "crawl",
        "outlets",
        "-a",
        "outlets=sina",
        "-s",
        f"REPLAY_SNAPSHOT={DEMO_SNAPSHOT}",
        "-s",
        f"ARCHIVE_PATH={database}",
        "-s",
        "LOG_LEVEL=WARNING",
    )
    assert result.returncode == 0, result.stderr
    connection = sqlite3.connect(database)
    assert connection.execute("SELECT outlet, count(*) FROM articles GROUP BY outlet").fetchall() == [
        ("sina", 4)
    ]


def _run_scrapy(*args: str) -> subprocess.CompletedProcess[str]:
    scrapy = Path(sys.executable).parent / "scrapy"
    return subprocess.run(
        [str(scrapy), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def test_bad_arguments_are_one_line_errors(tmp_path):
    result = run_sourcevault("crawl", "nosuchoutlet", "--db", str(tmp_path / "x.db"))
    assert result.returncode == 1
    assert (
        result.stderr.strip().splitlines()[-1].startswith("Error: ")
        and "no outlet 'nosuchoutlet'" in result.stderr
    )
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(b"\x1f\x8b garbage")
    result = run_sourcevault("crawl", "--replay", str(junk), "--db", str(tmp_path / "x.db"))
    assert result.returncode == 1 and "not a readable WARC file" in result.stderr
