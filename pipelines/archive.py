"""Archive stage: every capture, with its raw body and its article, into the SQLite archive."""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider

from crawler.archive import Archive
from crawler.archive.lock import ArchiveBusy, CrawlLock
from crawler.archive.run_records import count_run, nothing_fetched
from crawler.exit_status import crawl_exit_status
from crawler.items import Capture
from crawler.registry import Registry
from crawler.spiders.outlets import crawl_registry

ARCHIVE_BUSY = "archive_busy"


class ArchivePipeline:
    """Holds the archive's crawl lock, records the run, and stores each capture atomically.

    Opening a run also closes the record of a run whose process died, and queues the articles
    due for a revisit. Closing it writes the run's per-outlet records (`crawl_run_outlets`).

    Crawl stats: `archive/<outcome>` per capture, `archive/article_new|updated|unchanged` per
    article, `dedup/linked_articles` for articles linked to archived copies of their story.
    Settings: ARCHIVE_PATH (the SQLite file), REPLAY_SNAPSHOT (recorded on the run when the
    crawl is a replay), REVISIT_AFTER_HOURS (when an archived article is fetched again).
    """

    def __init__(
        self,
        crawler: Crawler,
        path: str,
        replay_snapshot: str | None,
        revisit_after_hours: tuple[float, ...],
        registry: Registry,
    ):
        self.crawler = crawler
        self.path = path
        self.replay_snapshot = replay_snapshot
        self.revisit_after_hours = revisit_after_hours
        self.registry = registry
        self.lock: CrawlLock | None = None
        self.archive: Archive | None = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        settings = crawler.settings
        pipeline = cls(
            crawler,
            settings["ARCHIVE_PATH"],
            settings.get("REPLAY_SNAPSHOT") or None,
            tuple(float(hours) for hours in settings.getlist("REVISIT_AFTER_HOURS")),
            crawl_registry(crawler),
        )
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        lock = CrawlLock(self.path)
        try:
            lock.acquire()
        except ArchiveBusy as busy:
            self.crawler.spider.logger.error(str(busy))  # type: ignore[union-attr]
            raise CloseSpider(ARCHIVE_BUSY) from None
        self.lock = lock
        self.archive = Archive(self.path, revisit_after_hours=self.revisit_after_hours)
        self.archive.sync_outlets(self.registry)
        spider = self.crawler.spider
        outlets = [outlet.slug for outlet in getattr(spider, "outlets", [])]
        self.run_id = self.archive.runs.start(outlets, self.replay_snapshot)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("archive/run_id", self.run_id)
        self.crawler.stats.set_value("archive/path", str(self.archive.path))

    def process_item(self, item: Capture) -> Capture:
        assert self.archive is not None
        outlet = self.registry.get(item.outlet) if item.outlet in self.registry else None
        stored = self.archive.store(item, self.run_id, outlet=outlet)
        item.stored = stored
        self.crawler.stats.inc_value(f"archive/{item.outcome[0]}")
        if stored.change is not None:
            # new, updated (a new version) or unchanged: what each fetched article amounted to.
            self.crawler.stats.inc_value(f"archive/article_{stored.change}")
        if stored.links:
            self.crawler.stats.inc_value("dedup/linked_articles")
        return item

    def spider_closed(self, reason: str) -> None:
        if self.archive is not None:
            if self.run_id is not None:
                status = "finished" if reason == "finished" else "failed"
                fetched_nothing = nothing_fetched(count_run(self.archive.connection, self.run_id))
                exit_status = crawl_exit_status(reason, nothing_fetched=fetched_nothing)
                self.archive.runs.finish(self.run_id, status, reason, exit_status)
            self.archive.close()
            self.archive = None
        if self.lock is not None:
            self.lock.release()
            self.lock = None
