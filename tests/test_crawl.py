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
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.cli import DEMO_SNAPSHOT
from crawler.registry import Registry
from tests.bundled import DemoPage, demo_pages, outlets_without_demo_pages
from tests.helpers import ROOT, exchange, invoke, make_snapshot, run_sourcevault

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
    # The capture records that the page's own label was overruled.
    assert (title, encoding) == ("颱風來襲", "big5hkscs (declared utf-8 overruled)")


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


@pytest.fixture(scope="module")
def demo_archive(demo_run, tmp_path_factory) -> tuple[Path, str]:
    return demo_run.copy_to(tmp_path_factory.mktemp("demo")), demo_run.stdout


def test_the_demo_archives_every_outlet_from_the_bundled_snapshot(demo_archive, registry):
    database, stdout = demo_archive
    check_demo(database, stdout, registry)


def test_a_second_demo_fetches_nothing_again_and_reextraction_restores_an_article(
    demo_archive, registry, tmp_path
):
    database = tmp_path / "demo.db"
    shutil.copy(demo_archive[0], database)
    check_demo_rerun_and_reextraction(database, registry)


def test_the_demo_keeps_every_address_an_article_was_seen_under(demo_archive, registry):
    for slug in ("udn", "ltn"):
        if slug not in registry:
            pytest.skip(f"outlet {slug!r} is not in {registry.path}")
    connection = sqlite3.connect(demo_archive[0])
    # Feed links with ?from=, the sitemap's other category: each leads to the article.
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
        # The crawl's (run 1); the demo's briefing fetches the page again, by a short link.
        "SELECT url FROM captures WHERE outlet = 'ltn' AND page_kind = 'article' AND crawl_run_id = 1"
    ).fetchall() == [("http://news.ltn.com.tw/news/life/breakingnews/2504351",)]


# Compared between each archived article and its fixture's reviewed extraction.
REVIEWED_FIELDS = (
    "title", "article_id", "edition", "published_at", "authors", "partial_reason", "language", "script",
    "language_tag", "expected_script", "script_mismatch", "script_inferred",
)  # fmt: skip


def check_demo(database: Path, stdout: str, registry: Registry) -> None:
    """`sourcevault demo` archived every page of the bundled snapshot as its fixture's reviewed
    extraction says, for each outlet of `registry`, and named the outlets it has no page of."""
    pages = demo_pages(registry)
    articles = [page for page in pages if page.article]
    missing = outlets_without_demo_pages(registry)
    assert [line for line in stdout.splitlines() if "no documents" in line] == [
        f"{slug}: no documents in the bundled snapshot" for slug in missing
    ]
    lines = stdout.splitlines()
    header = next(number for number, line in enumerate(lines) if line.startswith("outlet "))
    table = lines[header + 1 : next(number for number, line in enumerate(lines) if line.startswith("run "))]
    assert [row.split()[0] for row in table] == [slug for slug in registry.slugs if slug not in missing]
    stats = invoke("stats", "--db", str(database), "--json", "--registry", str(registry.path))
    counts = json.loads(stats.stdout)
    # The demo's briefing adds the Wayback Machine's copy of the page it cites that is gone.
    copies = web_archive_copies(database)
    # (The briefing's short links and Wayback lookups are captures of site outlets, and a page it
    # cites of an outlet the registry lacks is its site outlet's.)
    assert {slug: outlet["articles"] for slug, outlet in counts["outlets"].items() if slug in registry} == {
        slug: sum(page.outlet == slug for page in articles) + copies.get(slug, 0) for slug in registry.slugs
    }
    briefed = sum(outlet["articles"] for slug, outlet in counts["outlets"].items() if slug not in registry)
    assert counts["articles"] == len(articles) + sum(copies.values()) + briefed
    assert counts["script_mismatches"] == sum(bool(page.article["script_mismatch"]) for page in articles)

    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    for page in pages:
        capture = connection.execute(
            # The newest: the demo's briefing fetches some of the pages again.
            "SELECT id, outcome, outcome_reason FROM captures WHERE ? IN (url, final_url) ORDER BY id DESC",
            [page.url],
        ).fetchone()
        assert capture is not None, page.url
        if page.article is None:
            assert (capture["outcome"], capture["outcome_reason"]) == (
                "not_article",
                page.expected["not_article"],
            )
            continue
        row = connection.execute("SELECT * FROM articles WHERE capture_id = ?", [capture["id"]]).fetchone()
        archived = {name: row[name] for name in REVIEWED_FIELDS} | {"authors": json.loads(row["authors"])}
        reviewed = {name: page.article[name] for name in REVIEWED_FIELDS}
        assert archived == reviewed, page.url  # (SQLite's 0 and 1 equal the reviewed False and True)
        # A Chinese article has a Simplified copy; an English one none.
        assert (row["body_simplified"] is not None) == (row["language"] == "zh"), page.url
        # Each page is read with its outlet's layout of the day it was fetched.
        layout = registry.get(page.outlet).layout_at(page.fetched_at)
        assert (" layout " in row["extractor"]) == (layout is not None), page.url
        assert layout is None or row["extractor"].endswith(f" layout {layout.since}"), page.url
    # Every article has its original, every original its checksum, every capture came from the snapshot.
    orphans = connection.execute(
        "SELECT count(*) FROM articles a LEFT JOIN captures c ON c.id = a.capture_id"
        " WHERE c.body_sha256 IS NULL"
    ).fetchone()[0]
    assert orphans == 0
    for sha256, compressed in connection.execute("SELECT sha256, compressed FROM raw_bodies"):
        assert hashlib.sha256(gzip.decompress(compressed)).hexdigest() == sha256
    replayed = connection.execute("SELECT DISTINCT replayed_from FROM captures").fetchall()
    assert [tuple(row) for row in replayed] == [(str(DEMO_SNAPSHOT),)]
    run = connection.execute(
        "SELECT status, finish_reason, finished_at IS NOT NULL FROM crawl_runs"
    ).fetchall()
    # The crawl, then the briefing's fetch.
    assert [tuple(row) for row in run] == [("finished", "finished", 1)] * 2
    assert demo_clusters(database) == expected_clusters(articles)
    report = invoke("report", "--db", str(database))
    assert report.exit_code == 0 and report.stdout.strip().endswith("no alerts"), report.stdout


def check_demo_rerun_and_reextraction(database: Path, registry: Registry) -> None:
    """A second demo fetches no archived article again; re-extraction from the stored originals,
    offline, restores a damaged article and rebuilds the same versions and clusters."""
    articles = [page for page in demo_pages(registry) if page.article]
    registry_option = ("--registry", str(registry.path))
    result = run_sourcevault("demo", "--db", str(database), *registry_option)
    assert result.returncode == 0, result.stderr
    connection = sqlite3.connect(database)
    # Runs 1 and 2 are the first demo's crawl and briefing; its briefing added, nothing is fetched for it.
    assert connection.execute("SELECT count(*) FROM crawl_runs").fetchone() == (3,)
    assert connection.execute(
        "SELECT count(*) FROM captures WHERE page_kind = 'article' AND crawl_run_id = 3"
    ).fetchone() == (0,)
    # The crawl's articles and the briefing's (a Wayback copy; a page of an outlet the registry lacks).
    archived = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert archived >= len(articles) + sum(web_archive_copies(database).values())
    assert connection.execute("SELECT count(*), max(version) FROM article_versions").fetchone() == (
        archived,
        1,
    )

    # Re-extraction from the stored originals restores a damaged article, without network, and
    # rebuilds the same versions and clusters.
    extractors = connection.execute("SELECT id, extractor FROM articles ORDER BY id").fetchall()
    damaged = articles[0]
    damaged_id = connection.execute(
        "SELECT a.id FROM articles a JOIN captures c ON c.id = a.capture_id WHERE ? IN (c.url, c.final_url)",
        [damaged.url],
    ).fetchone()[0]
    connection.execute("UPDATE articles SET title = 'damaged' WHERE id = ?", [damaged_id])
    connection.commit()
    result = invoke("reextract", "--db", str(database), *registry_option)
    assert result.exit_code == 0, result.output
    assert "articles changed: 1" in result.stdout
    assert f"articles unchanged: {archived - 1}" in result.stdout
    restored = connection.execute("SELECT title FROM articles WHERE id = ?", [damaged_id]).fetchone()[0]
    assert restored == damaged.article["title"]
    # Re-extraction reads each original with the layout of its fetch date, as the crawl did.
    assert connection.execute("SELECT id, extractor FROM articles ORDER BY id").fetchall() == extractors
    assert demo_clusters(database) == expected_clusters(articles)
    assert connection.execute("SELECT count(*), max(version) FROM article_versions").fetchone() == (
        archived,
        1,
    )


def web_archive_copies(database: Path) -> dict[str, int]:
    """Per outlet, the articles archived from a web archive's copy (the demo briefing's gone page)."""
    connection = sqlite3.connect(database)
    try:
        return dict(
            connection.execute(
                "SELECT a.outlet, count(*) FROM articles a JOIN captures c ON c.id = a.capture_id"
                " WHERE c.web_archive_of IS NOT NULL GROUP BY a.outlet"
            ).fetchall()
        )
    finally:
        connection.close()


def expected_clusters(articles: list[DemoPage]) -> list[list[tuple[str, str, float, str]]]:
    """The snapshot's stories archived more than once: one article in several script editions.

    (No two pages of the snapshot carry the same text otherwise: Sina's repost of Huanqiu,
    iicezuev4202091, carries a story the demo's Huanqiu pages do not.)
    """
    editions: dict[tuple[str, str], list[str]] = {}
    for page in articles:
        editions.setdefault((page.outlet, page.article["article_id"]), []).append(page.article["edition"])
    return [
        sorted((outlet, edition, 1.0, "same_story_key_other_edition") for edition in found)
        for (outlet, _), found in editions.items()
        if len(found) > 1
    ]


def demo_clusters(database: Path) -> list[list[tuple[str, str, float, str]]]:
    result = invoke("clusters", "--db", str(database), "--json")
    assert result.exit_code == 0, result.output
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
