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
    """Rewrites one status line on stderr as captures are archived (PROGRESS_ENABLED)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.outcomes: Counter[str] = Counter()
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
        self.outcomes[item.outcome[0]] += 1
        self.last_outlet = item.outlet
        now = time.monotonic()
        if now - self.last_draw >= REFRESH_SECONDS:
            self.draw()
            self.last_draw = now

    def draw(self) -> None:
        fetched = sum(self.outcomes.values())
        line = (
            f"crawling: {fetched} fetched · {self.outcomes['article']} articles · "
            f"{self.outcomes['not_article']} not articles · {self.outcomes['failed']} failed"
            f"  [{self.last_outlet}]"
        )
        self.stream.write("\r\x1b[2K" + line)
        self.stream.flush()

    def spider_closed(self) -> None:
        self.draw()
        self.stream.write("\n")
        self.stream.flush()
