"""What the stages after the fetch share: an exception in one is the capture's, never the crawl's."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Self

from scrapy.crawler import Crawler

from crawler.items import Capture


class CaptureStage(ABC):
    """A pipeline stage whose exceptions are recorded on the capture instead of raised.

    Raised out of `process_item`, an exception would make Scrapy log it and drop the item: the
    page's raw original never archived, its fetch-queue entry left waiting, the run none the
    wiser. Here the capture goes on to the archive without an article, failed with the reason
    `<stage>_error: <exception>` (`Capture.fail_stage`), and the later stages pass it by.

    Subclasses name their `stage` and implement `process`. Crawl stats: `pipeline/<stage>_error`.
    """

    stage: ClassVar[str]

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Capture) -> Capture:
        if item.stage_error is not None:
            return item
        try:
            return self.process(item)
        except Exception as error:
            item.fail_stage(self.stage, error)
            assert self.crawler.spider is not None and self.crawler.stats is not None
            self.crawler.spider.logger.warning("%s: %s", item.url, item.stage_error)
            self.crawler.stats.inc_value(f"pipeline/{self.stage}_error")
            return item

    @abstractmethod
    def process(self, item: Capture) -> Capture:
        """The stage's work on one capture."""
