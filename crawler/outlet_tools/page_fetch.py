"""One page fetched for `sourcevault outlets fixture URL`: a crawl of one request.

It goes through Scrapy with the crawl's settings (crawler/settings.py), so through the same
network policy, robots.txt, retries with backoff, redirects, decompression and size bound as
every crawl: a redirect to another host or a private address is refused, never fetched. The
body kept is the entity as a client receives it (content encodings undone), as in the archive.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.settings import Settings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.capture_building import describe_exception
from crawler.exit_status import BadInput
from crawler.registry import Outlet, Registry
from crawler.runner import SETTINGS_MODULE, check_overrides


class FetchError(BadInput):
    """The page could not be fetched; the message is one line naming the URL and why."""


@dataclass(frozen=True)
class FetchedPage:
    url: str
    status: int
    content_type: str | None
    body: bytes
    fetched_at: datetime


class PageSpider(scrapy.Spider):
    """Fetches the one URL it is given, as a page of `outlet`; keeps the response or why it failed."""

    name = "page"

    def __init__(self, url: str, outlet: Outlet, registry: Registry, **kwargs: Any):
        super().__init__(**kwargs)
        self.url = url
        # What the network policy's middleware reads: the registry and the outlets crawled.
        self.registry = registry
        self.outlets = [outlet]
        self.fetched: FetchedPage | None = None
        self.failure: str | None = None

    async def start(self) -> AsyncIterator[Request]:
        outlet = self.outlets[0]
        yield Request(
            self.url,
            callback=self.keep,
            errback=self.failed,
            meta={"outlet": outlet.slug, "download_slot": outlet.slug},
            dont_filter=True,
        )

    def keep(self, response: Response) -> None:
        self.fetched = FetchedPage(
            url=response.url,
            status=response.status,
            content_type=(response.headers.get("Content-Type") or b"").decode("latin-1") or None,
            body=response.body,
            fetched_at=datetime.now(UTC),
        )

    def failed(self, failure: Failure) -> None:
        if failure.check(HttpError):
            reason = f"HTTP {failure.value.response.status}"
        elif failure.check(IgnoreRequest):
            reason = str(failure.value) or type(failure.value).__name__
        else:
            reason = describe_exception(failure.value)
        retries = failure.request.meta.get("retry_times", 0)  # type: ignore[attr-defined]
        self.failure = f"{reason} (gave up after {retries + 1} attempts)" if retries else reason


def page_settings(max_bytes: int, overrides: dict[str, str]) -> Settings:
    """The crawl's settings for one page: no pipelines, no throttling, its own size bound."""
    settings = Settings()
    settings.setmodule(SETTINGS_MODULE, priority="project")
    check_overrides(settings, overrides)
    settings.setdict(
        {
            "ITEM_PIPELINES": {},
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "DOWNLOAD_MAXSIZE": max_bytes,
            "LOG_LEVEL": "ERROR",
        },
        priority="spider",
    )
    settings.setdict(overrides, priority="cmdline")
    return settings


def fetch_page(
    url: str, outlet: Outlet, registry: Registry, *, max_bytes: int, overrides: dict[str, str] | None = None
) -> FetchedPage:
    """GET `url` as a page of `outlet` through Scrapy and the network policy (once per process)."""
    process = CrawlerProcess(page_settings(max_bytes, overrides or {}))
    crawler = process.create_crawler(PageSpider)
    process.crawl(crawler, url=url, outlet=outlet, registry=registry)
    process.start()
    # Scrapy's root handler would keep printing later log records of this process.
    logging.getLogger().handlers.clear()
    spider = crawler.spider
    assert isinstance(spider, PageSpider)
    if spider.fetched is None:
        raise FetchError(f"{url}: {spider.failure or 'not fetched'}")
    return spider.fetched
