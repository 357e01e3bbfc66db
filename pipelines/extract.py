"""Extraction stage: turn each fetched article page into an Article, or say why it is none."""

from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.items import Capture
from crawler.pages import DEFAULT_MAX_PAGE_BYTES, extract_page
from crawler.registry import Registry
from crawler.spiders.outlets import crawl_registry
from pipelines.stage import CaptureStage
from pipelines.worker_pool import wants_extraction


class ExtractPipeline(CaptureStage):
    """Runs the outlet's page object over every successful article capture.

    A page a briefing cites (`Capture.cited`) is read whatever its URL, the page deciding whether
    it is an article; one of a site no outlet owns goes the generic path. A Wayback Machine copy is
    read as the page it captured (crawler/pages/wayback.py).

    Settings: EXTRACT_MAX_PAGE_BYTES (pages above it are archived but not parsed).
    """

    stage = "extract"

    def __init__(self, crawler: Crawler, registry: Registry, max_page_bytes: int):
        super().__init__(crawler)
        self.registry = registry
        self.max_page_bytes = max_page_bytes

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(
            crawler,
            crawl_registry(crawler),
            crawler.settings.getint("EXTRACT_MAX_PAGE_BYTES", DEFAULT_MAX_PAGE_BYTES),
        )

    def process(self, item: Capture) -> Capture:
        # Extracted already by a worker process (pipelines/worker_pool.py).
        if not wants_extraction(item) or item.extraction is not None:
            return item
        item.extraction = extract_page(
            item.body,
            url=item.final_url or item.url,
            content_type=item.header("Content-Type"),
            outlet=self.registry.get(item.outlet) if item.outlet in self.registry else None,
            fetched_at=item.fetched_at,
            max_bytes=self.max_page_bytes,
            # URL patterns are the crawl's filter: a page redirected off them is no article of it.
            require_article_url=item.cited is None,
        )
        return item
