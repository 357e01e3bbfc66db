"""A discovery document listing tens of thousands of URLs is read and archived while the crawl goes on.

A sitemap may list 50,000 URLs (DISCOVERY_MAX_LINKS): parsing it and matching every link against
the outlet's patterns takes seconds, and so does queueing them. The spider reads documents in a
thread of its own, and the archive stage writes such a capture in steps (`Archive.storing`),
the crawl's event loop running between them. These tests wait on events and counters of the
loop itself, never on the clock. The site and its URLs are synthetic.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.crawler import Crawler
from scrapy.http import Request, XmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_reactor_settings

from crawler.archive import LINKS_PER_STEP, Archive
from crawler.discovery import article_urls, read_sitemap
from crawler.items import Capture
from crawler.registry import Outlet, load_registry
from crawler.spiders.outlets import READ_IN_THREAD_BYTES, OutletSpider
from pipelines.archive import in_steps
from tests.loopback import outlet_toml, urlset

BASE = "http://127.0.0.1:8000"
SITEMAP = f"{BASE}/lb/sitemap.xml"
# Enough for three steps of each kind: the queue's, then the URL aliases'.
LINKS = 2 * LINKS_PER_STEP + LINKS_PER_STEP // 2


@pytest.fixture
def outlet(tmp_path: Path) -> Outlet:
    registry = tmp_path / "outlets.toml"
    registry.write_text(outlet_toml("lb", BASE, sitemaps=["/sitemap.xml"]))
    return load_registry(registry).get("lb")


def sitemap_links(count: int) -> list[str]:
    return [f"{BASE}/lb/a/{number}" for number in range(count)]


def test_the_spider_reads_a_document_while_the_loop_runs(tmp_path, outlet):
    settings = Settings()
    settings.setmodule("crawler.settings")
    # This process runs no reactor: the spider is driven by hand, on an event loop of the test's.
    settings.update(get_reactor_settings())
    settings.update({"REGISTRY_PATH": str(tmp_path / "outlets.toml"), "ARCHIVE_PATH": str(tmp_path / "a.db")})
    # As Scrapy makes a crawl's spider: before its settings are frozen (the spider adds its slots).
    crawler = Crawler(OutletSpider, settings)
    spider = OutletSpider.from_crawler(crawler)
    crawler._apply_settings()
    loop_ran = threading.Event()

    def read(response: XmlResponse):
        # Read on the loop's own thread, this would wait for ever: the loop cannot run meanwhile.
        if not loop_ran.wait(timeout=120):
            raise AssertionError("the event loop did not run while the document was read")
        return read_sitemap(response.body, response.url)

    meta = OutletSpider.discovery_meta(outlet, "sitemap", SITEMAP, 0, True)
    body = urlset(sitemap_links(LINKS))
    assert len(body) > READ_IN_THREAD_BYTES
    response = XmlResponse(SITEMAP, body=body, request=Request(SITEMAP, meta=meta))

    async def parse() -> list[object]:
        asyncio.get_running_loop().call_soon(loop_ran.set)
        return [output async for output in spider.parse_discovery(response, outlet, read)]

    try:
        (capture,) = asyncio.run(parse())
    finally:
        spider.close_archive()
    assert isinstance(capture, Capture) and capture.discovery_problem is None
    assert len(capture.article_links) == LINKS
    assert crawler.stats.get_value("discovery/lb/article_links") == LINKS


def listing_capture(outlet: Outlet, count: int) -> Capture:
    body = urlset(sitemap_links(count))
    return Capture(
        outlet=outlet.slug,
        page_kind="sitemap",
        url=SITEMAP,
        fetched_at=datetime(2026, 12, 1, tzinfo=UTC),
        http_status=200,
        response_headers=[("Content-Type", "application/xml")],
        body=body,
        article_links=article_urls(outlet, read_sitemap(body, SITEMAP).links, SITEMAP).articles,
    )


def open_archive(path: Path, outlet: Outlet) -> tuple[Archive, int]:
    archive = Archive(path)
    archive.sync_outlets(load_registry(path.parent / "outlets.toml"))
    return archive, archive.runs.start([outlet.slug], None)


def test_a_long_listing_is_stored_in_steps_the_loop_runs_between(tmp_path, outlet):
    archive, run = open_archive(tmp_path / "stepped.db", outlet)
    turns = 0
    turns_at_steps: list[int] = []

    def noting(storing):
        """`storing`'s steps, each noting how often the loop had turned by then."""
        while True:
            try:
                next(storing)
            except StopIteration as done:
                return done.value
            turns_at_steps.append(turns)
            yield

    async def count_turns(stop: asyncio.Event) -> None:
        nonlocal turns
        while not stop.is_set():
            turns += 1
            await asyncio.sleep(0)

    async def store() -> object:
        stop = asyncio.Event()
        counter = asyncio.create_task(count_turns(stop))
        stored = await in_steps(noting(archive.storing(listing_capture(outlet, LINKS), run, outlet=outlet)))
        stop.set()
        await counter
        return stored

    stored = asyncio.run(store())
    # Three steps of queueing, then two pauses among the three of URL aliases: the loop turned at each.
    assert len(turns_at_steps) == 5
    assert turns_at_steps == sorted(set(turns_at_steps))
    queued = archive.connection.execute("SELECT count(*) FROM article_fetch_queue").fetchone()[0]
    (listed_new,) = archive.connection.execute(
        "SELECT article_links_new FROM captures WHERE id = ?", [stored.capture_id]
    ).fetchone()
    assert queued == listed_new == LINKS


def test_a_listing_given_up_between_its_steps_leaves_nothing(tmp_path, outlet):
    archive, run = open_archive(tmp_path / "given_up.db", outlet)
    storing = archive.storing(listing_capture(outlet, LINKS), run, outlet=outlet)
    next(storing)
    next(storing)
    storing.close()  # the crawl died, or the write failed, between two steps
    for table in ("article_fetch_queue", "captures", "article_urls"):
        assert archive.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    assert not archive.connection.in_transaction


def test_a_listing_stored_in_steps_is_stored_as_in_one(tmp_path, outlet):
    rows = []
    for name, write in (("whole", "store"), ("steps", "storing")):
        archive, run = open_archive(tmp_path / f"{name}.db", outlet)
        capture = listing_capture(outlet, LINKS)
        if write == "store":
            archive.store(capture, run, outlet=outlet)
        else:
            asyncio.run(in_steps(archive.storing(capture, run, outlet=outlet)))
        rows.append(
            [
                archive.connection.execute(query).fetchall()
                for query in (
                    "SELECT outlet, article_id, edition, url, purpose, state"
                    " FROM article_fetch_queue ORDER BY id",
                    "SELECT url, canonical_url, outlet, article_id, edition, seen_as"
                    " FROM article_urls ORDER BY url",
                    "SELECT url, page_kind, outcome, article_links_listed, article_links_new FROM captures",
                )
            ]
        )
    assert rows[0] == rows[1]
    assert len(rows[0][0]) == LINKS
