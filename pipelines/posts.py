"""Archive stage of a posts run: each post's fetch (its answers and its check) into the archive."""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.archive import Archive
from crawler.posts.checks import PostFetch


class PostArchivePipeline:
    """Stores each `PostFetch` in one transaction (crawler/archive/posts.py, `Posts.record`) and
    notes on it what it came to (`PostFetch.recorded`) for the command that ran the spider.

    The command holds the archive's write lock for the whole run. Settings: ARCHIVE_PATH.
    Stats: `posts/<outcome>` per check, `posts/no_post` per URL that led to none.
    """

    def __init__(self, crawler: Crawler, path: str):
        self.crawler = crawler
        self.path = path
        self.archive: Archive | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PostArchivePipeline:
        pipeline = cls(crawler, crawler.settings["ARCHIVE_PATH"])
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        self.archive = Archive(self.path)
        spider = self.crawler.spider
        self.archive.posts.register_platforms(list(spider.registry.platforms.values()))  # type: ignore[union-attr]

    def process_item(self, item: PostFetch) -> PostFetch:
        assert self.archive is not None and self.crawler.stats is not None
        item.recorded = recorded = self.archive.posts.record(item)
        self.crawler.stats.inc_value(f"posts/{recorded.outcome or 'no_post'}")
        return item

    def spider_closed(self) -> None:
        if self.archive is not None:
            self.archive.close()
            self.archive = None
