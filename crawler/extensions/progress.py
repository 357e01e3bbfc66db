"""A one-line progress display on the terminal while a crawl runs."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TextIO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.items import Capture

REFRESH_SECONDS = 0.25


class TerminalProgress:
    """Rewrites one status line on stderr as captures are archived (PROGRESS_ENABLED).

    It counts what the run's table then shows: discovery documents and those that failed,
    article pages and what they gave.
    """

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.documents = 0
        self.documents_failed = 0
        self.article_pages: Counter[str] = Counter()
        self.last_outlet = ""
        self.last_draw = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TerminalProgress:
        if not crawler.settings.getbool("PROGRESS_ENABLED"):
            raise NotConfigured
        extension = cls(sys.stderr)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def item_scraped(self, item: Capture) -> None:
        if item.page_kind == "article":
            self.article_pages[item.outcome[0]] += 1
        else:
            self.documents += 1
            self.documents_failed += item.discovery_failed
        self.last_outlet = item.outlet
        now = time.monotonic()
        if now - self.last_draw >= REFRESH_SECONDS:
            self.draw()
            self.last_draw = now

    def draw(self) -> None:
        pages = self.article_pages
        line = (
            f"crawling: {self.documents} discovery documents ({self.documents_failed} failed) · "
            f"{pages.total()} article pages: {pages['article']} articles, "
            f"{pages['not_article']} not articles, {pages['failed']} failed  [{self.last_outlet}]"
        )
        self.stream.write("\r\x1b[2K" + line)
        self.stream.flush()

    def spider_closed(self) -> None:
        self.draw()
        self.stream.write("\n")
        self.stream.flush()
