"""Archive stage: every capture, with its raw body and its article, into the SQLite archive."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet.task import LoopingCall

from crawler import exit_status
from crawler.archive import Archive, CommitGuard, CommitRefused
from crawler.archive.articles import StoreResult
from crawler.archive.connection import ArchiveError, storage_failure
from crawler.archive.lock import ArchiveBusy, CrawlLock, write_lock
from crawler.archive.postgres import is_postgres_url
from crawler.archive.postgres.races import retried_async
from crawler.archive.reserve import SpaceReserve
from crawler.archive.run_records import count_run, nothing_fetched
from crawler.archive.write_batch import WriteBatch
from crawler.exit_status import crawl_exit_status
from crawler.items import Capture
from crawler.registry import Registry
from crawler.spiders.outlets import crawl_registry

if TYPE_CHECKING:
    from crawler.archive.postgres.lock import PostgresWriteLock

ARCHIVE_BUSY = "archive_busy"


async def in_steps(storing: Generator[None, None, StoreResult]) -> StoreResult:
    """`Archive.storing` run to its end, the crawl's reactor running between its steps."""
    while True:
        try:
            next(storing)
        except StopIteration as stored:
            return stored.value
        await asyncio.sleep(0)


class ArchivePipeline:
    """Holds the archive's crawl lock, records the run, and stores each capture atomically.

    Opening a run also closes the record of a run whose process died, and queues the articles
    due for a revisit. Closing it writes the run's per-outlet records (`crawl_run_outlets`).

    A capture whose article cannot be stored (an exception in versioning, indexing or linking
    its story) is stored without it, failed with the reason `store_error: …`. When the archive
    itself cannot be written (disk full, read-only, I/O error: `storage_failure`), the crawl
    stops: the run is recorded as failed with that reason, in the room the crawl kept free
    beside the archive (`SpaceReserve`), and the captures still arriving are left for the next
    run (their pages stay queued).

    Crawl stats: `archive/<outcome>` per capture, `archive/article_new|updated|unchanged` per
    article, `dedup/linked_articles` for articles linked to archived copies of their story.
    Settings: ARCHIVE_PATH (the SQLite file), REPLAY_SNAPSHOT (recorded on the run when the
    crawl is a replay), REVISIT_AFTER_HOURS (when an archived article is fetched again),
    DEDUP_MAX_VERIFIED (candidates compared exactly per article), ARCHIVE_COMMIT_PAGES and
    ARCHIVE_COMMIT_MS (captures are committed together, at least every so many pages or
    milliseconds; 1 page commits each capture alone). A batch's articles are indexed for
    search together, just before its commit, so readers never find an article stored and not
    searchable; a killed crawl loses its open batch whole. A capture that lists article links, any
    discovery document and a page a briefing cites are committed at once: the spider reads the
    fetch queue, and the citation stage the archive, through connections of their own. A
    storage failure rolls the open batch back: its pages stay queued, like those of a killed crawl.
    ARCHIVE_COMMIT_GUARD: a class (built from the crawler; NotConfigured switches it off) whose
    instances check each capture's transaction before its commit (`Archive.commit_guard`); with one,
    every capture commits alone, and one it refuses is dropped, none of it stored.
    """

    def __init__(
        self,
        crawler: Crawler,
        path: str,
        replay_snapshot: str | None,
        revisit_after_hours: tuple[float, ...],
        registry: Registry,
        *,
        dedup_max_verified: int,
        commit_pages: int,
        commit_milliseconds: float,
        commit_guard: CommitGuard | None = None,
    ):
        self.crawler = crawler
        self.path = path
        self.replay_snapshot = replay_snapshot
        self.revisit_after_hours = revisit_after_hours
        self.registry = registry
        self.dedup_max_verified = dedup_max_verified
        self.commit_pages = commit_pages
        self.commit_milliseconds = commit_milliseconds
        self.commit_guard = commit_guard
        self.batch: WriteBatch | None = None
        self.committer: LoopingCall | None = None
        self.writing = asyncio.Lock()
        self.lock: CrawlLock | PostgresWriteLock | None = None
        # A PostgreSQL server keeps its own room (and says when it has none): no file beside it.
        self.reserve = None if is_postgres_url(path) else SpaceReserve(path)
        self.archive: Archive | None = None
        self.run_id: int | None = None
        # Why the archive cannot be written any more, once it cannot.
        self.storage_failed: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        settings = crawler.settings
        commit_guard = None
        if settings.get("ARCHIVE_COMMIT_GUARD"):
            with contextlib.suppress(NotConfigured):
                commit_guard = build_from_crawler(load_object(settings["ARCHIVE_COMMIT_GUARD"]), crawler)
        # On PostgreSQL each capture commits alone: workers write one archive at once, and a
        # batch would hold its rows' locks against the others for its whole span.
        alone = is_postgres_url(settings["ARCHIVE_PATH"]) or commit_guard is not None
        commit_pages = 1 if alone else settings.getint("ARCHIVE_COMMIT_PAGES")
        pipeline = cls(
            crawler,
            settings["ARCHIVE_PATH"],
            settings.get("REPLAY_SNAPSHOT") or None,
            tuple(float(hours) for hours in settings.getlist("REVISIT_AFTER_HOURS")),
            crawl_registry(crawler),
            dedup_max_verified=settings.getint("DEDUP_MAX_VERIFIED"),
            commit_pages=commit_pages,
            commit_milliseconds=settings.getfloat("ARCHIVE_COMMIT_MS"),
            commit_guard=commit_guard,
        )
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        # Crawl workers share a PostgreSQL archive, each outlet leased to one of them at a time.
        if self.crawler.settings.getbool("ARCHIVE_WRITE_LOCK"):
            lock = write_lock(self.path)
            try:
                lock.acquire()
            except ArchiveBusy as busy:
                self.crawler.spider.logger.error(str(busy))  # type: ignore[union-attr]
                raise CloseSpider(ARCHIVE_BUSY) from None
            self.lock = lock
        try:
            if self.reserve is not None:
                self.reserve.hold()
        except ArchiveError as no_room:
            # The crawl closes at once, no run started; its close reason says why.
            raise CloseSpider(str(no_room)) from None
        self.archive = Archive(
            self.path,
            revisit_after_hours=self.revisit_after_hours,
            dedup_max_verified=self.dedup_max_verified,
            defer_search_index=self.commit_pages > 1,
            commit_guard=self.commit_guard,
        )
        self.archive.sync_outlets(self.registry)
        spider = self.crawler.spider
        outlets = [outlet.slug for outlet in getattr(spider, "outlets", [])]
        self.run_id = self.archive.runs.start(
            outlets,
            self.replay_snapshot,
            crawl_worker=(self.crawler.settings.getdict("WORKER_LEASE") or {}).get("worker"),
            # The command holds the lock beside crawls (a briefing's citations, on PostgreSQL).
            beside=self.lock is not None and not self.lock.crawls_alone,
            revisits=getattr(spider, "revisits_to_queue", None),
        )
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("archive/run_id", self.run_id)
        self.crawler.stats.set_value("archive/path", str(self.archive.path))
        self.batch = WriteBatch(self.archive.connection, self.commit_pages, self.commit_milliseconds)
        if self.batch.enabled:
            # A batch is committed when due even while no capture arrives (downloads are slow).
            self.committer = LoopingCall(self.commit_if_due)
            self.committer.start(self.commit_milliseconds / 1000, now=False)

    async def process_item(self, item: Capture) -> Capture:
        # One capture at a time: one listing many article URLs is written in steps, between
        # which the reactor runs (downloads go on) but no other capture may join its transaction.
        async with self.writing:
            return await self._archive(item)

    async def _archive(self, item: Capture) -> Capture:
        if self.archive is None or self.storage_failed is not None:
            # Not archived, so still queued: the next run fetches the page again.
            raise DropItem(self.storage_failed or "the archive is not open", log_level="DEBUG")
        assert self.crawler.stats is not None and self.batch is not None
        stored = await self._store(item)
        item.stored = stored
        self.crawler.stats.inc_value(f"archive/{item.outcome[0]}")
        if stored.change is not None:
            # new, updated (a new version) or unchanged: what each fetched article amounted to.
            self.crawler.stats.inc_value(f"archive/article_{stored.change}")
        if stored.links:
            self.crawler.stats.inc_value("dedup/linked_articles")
        # Read at once through other connections: the fetch queue a capture fills (the spider's),
        # the capture a briefing's citation links to (the citation stage's).
        if item.page_kind != "article" or item.article_links or item.cited is not None or self.batch.due:
            self._write(self.commit)
        if self.storage_failed is not None:
            raise DropItem(self.storage_failed, log_level="DEBUG")
        return item

    def commit_if_due(self) -> None:
        if self.writing.locked():
            return  # a capture is being written in steps: its own commit follows
        if self.batch is not None and self.batch.due and self.storage_failed is None:
            self._write(self.commit)

    def commit(self) -> None:
        """Index the batch's articles for search, then commit the batch."""
        assert self.archive is not None and self.batch is not None
        if self.archive.defer_search_index and self.archive.connection.in_transaction:
            self.archive.index_pending_search()
        self.batch.commit()

    def _write(self, write: Callable[[], None]) -> None:
        """A batch's commit; a storage failure stops the crawl, the batch rolled back."""
        try:
            write()
        except Exception as error:
            reason = f"the archive cannot store captures: {type(error).__name__}: {error}"
            self._stop(storage_failure(error) or reason)

    async def _store(self, item: Capture) -> StoreResult:
        """Store the capture; without its article if storing that raised; DropItem if nothing can be."""
        assert self.archive is not None and self.batch is not None
        outlet = self.registry.get(item.outlet) if item.outlet in self.registry else None
        try:
            self.batch.join()
            self.batch.stored()
            # On PostgreSQL, other writers store beside the crawl: a transaction that lost a race
            # for a row to one of them runs again (crawler/archive/postgres/races.py).
            return await retried_async(
                self.archive.connection,
                lambda: in_steps(self.archive.storing(item, self.run_id, outlet=outlet)),  # type: ignore[union-attr]
            )
        except CommitRefused as refused:
            raise DropItem(f"{item.url}: not stored, {refused}") from None
        except Exception as error:
            failure = storage_failure(error)
            if failure is None:
                item.fail_stage("store", error)
                self.crawler.spider.logger.warning("%s: %s", item.url, item.stage_error)  # type: ignore[union-attr]
        if failure is None:
            try:
                return await in_steps(self.archive.storing(item, self.run_id, outlet=outlet))
            except CommitRefused as refused:
                raise DropItem(f"{item.url}: not stored, {refused}") from None
            except Exception as error:
                failure = storage_failure(error) or (
                    f"the archive cannot store captures: {type(error).__name__}: {error}"
                )
        self._stop(failure)
        raise DropItem(failure, log_level="DEBUG")

    def _stop(self, failure: str) -> None:
        """The archive cannot be written: record the run as failed, in the reserve, and stop the crawl."""
        self.storage_failed = failure
        if self.committer is not None and self.committer.running:
            self.committer.stop()
        if self.batch is not None:
            self.batch.rollback()
        if self.reserve is not None:
            self.reserve.free()
        try:
            self._finish_run("failed", failure, exit_status.FAILED)
        finally:
            # Said once the run is on record as failed (or could not be: `_finish_run` says so first),
            # and the crawl closed whatever recording it raised: a crawl left open would wait forever.
            self.crawler.spider.logger.error("%s (%s): the crawl stops", failure, self.path)  # type: ignore[union-attr]
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=failure))  # type: ignore[union-attr]

    def _finish_run(self, status: str, reason: str, exit_code: int) -> None:
        assert self.archive is not None and self.run_id is not None
        try:
            self.archive.runs.finish(self.run_id, status, reason, exit_code)
        except Exception as error:
            if storage_failure(error) is None:
                raise
            # The next run marks it interrupted; the crawl's exit status and last line still say why.
            self.crawler.spider.logger.error(  # type: ignore[union-attr]
                "run %s not recorded as %s: %s", self.run_id, status, storage_failure(error)
            )
        self.run_id = None

    def spider_closed(self, reason: str) -> None:
        if self.committer is not None and self.committer.running:
            self.committer.stop()
        if self.archive is not None and self.batch is not None and self.storage_failed is None:
            self._write(self.commit)
        if self.archive is not None:
            if self.run_id is not None:
                status = "finished" if reason == "finished" else "failed"
                fetched_nothing = nothing_fetched(count_run(self.archive.connection, self.run_id))
                self._finish_run(status, reason, crawl_exit_status(reason, nothing_fetched=fetched_nothing))
            self.archive.close()
            self.archive = None
        if self.reserve is not None:
            self.reserve.free()
        if self.lock is not None:
            self.lock.release()
            self.lock = None
