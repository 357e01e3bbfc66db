"""Processing off the reactor: extraction, language tagging and fingerprinting in worker processes.

The CPU work a fetched article page costs (decoding and parsing it, extracting the article,
telling its language and script, normalising and MinHashing its body) runs in a pool of worker
processes, so the reactor thread keeps downloading meanwhile. The stages that follow
(ExtractPipeline, LanguagePipeline, DedupPipeline) find the work done and only count it; the
archive stage stores the capture as ever. With the pool off (EXTRACT_WORKERS = 0) those stages do
the work themselves, on the reactor, as before.

Workers finish in any order; captures leave this stage in the order they entered it (the order
their pages were fetched), each once the one before it has left the whole pipeline, so the archive
numbers them in fetch order as without the pool. Which page is fetched first follows timing (the
network's, and the workers'), so a crawl's ids can differ between runs; a short crawl (the demo, a
briefing, one page) never starts the pool: its first EXTRACT_POOL_AFTER_PAGES article pages are
processed in the crawl's own process, which pays no worker start-up and fetches in the same order.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.items import Capture, stage_error
from crawler.spiders.outlets import crawl_registry

if TYPE_CHECKING:
    from crawler.pages import Extraction
    from crawler.registry import Registry
    from crawler.story_matching import Fingerprint

# Imported once by the fork server, so each worker it forks starts with them loaded.
WORKER_MODULES = ["crawler.pages", "crawler.language", "crawler.story_matching", "trafilatura"]

_registry: Registry | None = None
_max_page_bytes = 0


def _start_worker(registry: Registry, max_page_bytes: int, lifeline: Connection) -> None:
    global _registry, _max_page_bytes
    _registry, _max_page_bytes = registry, max_page_bytes
    # A worker is the fork server's child, not the crawl's, and waits on a queue it holds both ends
    # of: without its lifeline it would outlive a crawl killed (SIGKILL), the fork server with it, and
    # a broken pool's manager thread could join it for ever (`WorkerPoolPipeline._shut_down`).
    threading.Thread(target=_exit_with, args=(lifeline,), daemon=True).start()


def _exit_with(lifeline: Connection) -> None:
    wait([lifeline])  # readable only at its end: nothing is ever sent on it
    os._exit(1)


def process_page(capture: Capture) -> tuple[Extraction | None, Fingerprint | None, str | None]:
    """In a worker: what the extraction, language and deduplication stages make of an article page.

    A stage that raises ends it there: no extraction, and the reason the capture records
    (`crawler.items.stage_error`), as when the stage raises in the crawl's own process.
    """
    from crawler.language import tag_extraction  # noqa: PLC0415
    from crawler.pages import extract_page  # noqa: PLC0415
    from crawler.story_matching import fingerprint  # noqa: PLC0415

    assert _registry is not None
    outlet = _registry.get(capture.outlet) if capture.outlet in _registry else None
    stage = "extract"
    try:
        extraction = extract_page(
            capture.body,
            url=capture.final_url or capture.url,
            content_type=capture.header("Content-Type"),
            outlet=outlet,
            fetched_at=capture.fetched_at,
            max_bytes=_max_page_bytes,
            # URL patterns are the crawl's filter: a page redirected off them is no article of it.
            require_article_url=capture.cited is None,
        )
        stage = "language"
        extraction = tag_extraction(extraction, outlet)
        stage = "dedup"
        article = extraction.article
        return extraction, fingerprint(article.body) if article is not None else None, None
    except Exception as error:
        return None, None, stage_error(stage, error)


def default_workers() -> int:
    """One worker per core the crawl may use but one: the crawl's own process (downloads, the archive's
    writes) keeps a core busy, and a worker without a free core only adds the cost of sending pages to
    it (bench.crawl on 2 cores: one worker 1.26x the hand-written pipeline's pages/s, two 1.01x)."""
    return len(os.sched_getaffinity(0)) - 1


def wants_extraction(item: Capture) -> bool:
    """A successful fetch of an article page: what the extraction stage works on."""
    return item.page_kind == "article" and not item.fetch_error and item.http_status == 200


class WorkerPoolPipeline:
    """Hands each article capture to a pool of worker processes and waits for it without blocking.

    Settings: EXTRACT_WORKERS (worker processes; 0 switches the pool off, None: `default_workers`),
    EXTRACT_POOL_AFTER_PAGES (article pages processed here before the pool starts), EXTRACT_MAX_PAGE_BYTES.
    An exception in a stage is the capture's, as in the stages themselves (`CaptureStage`): it
    is archived failed with the reason `<stage>_error: …`. A failure of the pool itself (a worker
    killed, out of memory) leaves the capture to the stages that follow, in this process, and a
    broken pool is replaced for the next ones. Crawl stats: `worker_pool/failed`.

    Each pool has a lifeline: a pipe whose one writing end is this process's; its workers end when
    it ends (the pool shut down, or this process gone, killed included).
    """

    def __init__(
        self, crawler: Crawler, workers: int, registry: Registry, max_page_bytes: int, after_pages: int = 0
    ):
        self.crawler = crawler
        self.workers = workers
        # Article pages still to be processed in this process before the pool starts.
        self.pages_before_pool = after_pages
        self.registry = registry
        self.max_page_bytes = max_page_bytes
        self.pool: ProcessPoolExecutor | None = None
        self.lifeline: Connection | None = None  # the pool's lifeline, this process's end
        # Per capture in the pipeline (by id), done once it has left the pipeline; and the last one's.
        self.turns: dict[int, asyncio.Future[None]] = {}
        self.last_turn: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerPoolPipeline:
        from crawler.pages import DEFAULT_MAX_PAGE_BYTES  # noqa: PLC0415

        configured = crawler.settings.get("EXTRACT_WORKERS")
        workers = default_workers() if configured is None else crawler.settings.getint("EXTRACT_WORKERS")
        if workers <= 0:
            # Without a message: Scrapy warns of a component switched off with one, and off is no fault.
            raise NotConfigured
        pipeline = cls(
            crawler,
            workers,
            crawl_registry(crawler),
            crawler.settings.getint("EXTRACT_MAX_PAGE_BYTES", DEFAULT_MAX_PAGE_BYTES),
            crawler.settings.getint("EXTRACT_POOL_AFTER_PAGES"),
        )
        for left in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(pipeline.left_pipeline, signal=left)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            # A fork server, not a fork of this process: its reactor, threads and open archive stay here.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(WORKER_MODULES)
            workers_end, self.lifeline = context.Pipe(duplex=False)
            self.pool = ProcessPoolExecutor(
                self.workers,
                mp_context=context,
                initializer=_start_worker,
                initargs=(self.registry, self.max_page_bytes, workers_end),
            )
        return self.pool

    async def process_item(self, item: Capture) -> Capture:
        pooled = wants_extraction(item) and item.stage_error is None
        if self.last_turn is None:
            if pooled and self.pages_before_pool > 0:
                self.pages_before_pool -= 1
                pooled = False
            if not pooled:
                return item  # the pool not started yet: left to the stages that follow, as without it
        # Scrapy runs on the asyncio reactor: the crawl's loop awaits the workers and the turns.
        previous, turn = self.last_turn, asyncio.get_running_loop().create_future()
        self.turns[id(item)] = self.last_turn = turn
        if pooled:
            await self._process(item)
        if previous is not None:
            await previous
        return item

    def left_pipeline(self, item: Capture) -> None:
        """A capture was archived, dropped or failed: the next one may go on."""
        turn = self.turns.pop(id(item), None)
        if turn is None:
            return
        turn.set_result(None)
        # Scrapy holds downloads back while its scraper holds more than SCRAPER_SLOT_MAX_ACTIVE_SIZE of
        # responses, and looks again only on a download's end or its 5 s heartbeat: captures waiting
        # here for the workers count, so when one leaves, the engine is asked to look now.
        engine = self.crawler.engine
        if engine is not None and engine._slot is not None:  # no public way to ask
            engine._slot.nextcall.schedule()

    async def _process(self, item: Capture) -> None:
        spider, stats = self.crawler.spider, self.crawler.stats
        assert spider is not None and stats is not None
        try:
            future = self._pool().submit(process_page, item)
            item.extraction, item.dedup, item.stage_error = await asyncio.wrap_future(future)
        except Exception as error:
            # The pool failed the page, not a stage (a worker killed, a capture that would not
            # pickle): the stages that follow process it in this process.
            spider.logger.warning("%s: worker pool: %s: %s", item.url, type(error).__name__, error)
            stats.inc_value("worker_pool/failed")
            if isinstance(error, BrokenProcessPool):
                self._shut_down(broken=True)
        if item.stage_error is not None:
            spider.logger.warning("%s: %s", item.url, item.stage_error)
            stats.inc_value(f"pipeline/{item.stage_error.split(':')[0]}")

    def _shut_down(self, *, broken: bool) -> None:
        if self.pool is None:
            return
        self.pool.shutdown(wait=not broken, cancel_futures=broken)
        self.pool = None
        # Python 3.11's executor, broken, terminates the workers it knows of, then joins every worker, at
        # exit too; a worker submit() was starting meanwhile was not terminated and waits for work for
        # ever. Its lifeline ending ends it, and every other worker of this pool.
        assert self.lifeline is not None
        self.lifeline.close()
        self.lifeline = None

    def spider_closed(self) -> None:
        self._shut_down(broken=False)
