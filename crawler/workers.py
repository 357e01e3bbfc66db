"""`sourcevault crawl --worker`: one crawl worker of a PostgreSQL archive (docs/postgresql.md).

The worker schedules its registry's outlets' discovery (a unit already scheduled keeps its time),
and, before taking each unit, the revisits of those of its outlets with an article due for one and
the checks of the registry's platforms with a watched post due for one. It takes due units one after
another (crawler/archive/postgres/leases.py) and crawls each in one Scrapy process: an outlet's
discovery or its due revisits with the outlet spider, restricted to the unit's outlet
(WORKER_REVISITS_PER_UNIT revisits at most a unit); a platform's due posts with the posts spider, as
`posts recheck --due` checks them (WORKER_POST_CHECKS_PER_UNIT at most a unit); a briefing's
citations (scheduled by `briefing add --to-workers`) with the citation spider, those of the outlets
the unit holds. The reactor runs the crawls one after another and renews the worker's leases
meanwhile (a LoopingCall, a third of a lease apart). A crawl that finished releases its unit: a
discovery is due again `every` seconds later; revisits, posts and citations are done (revisits or
posts still due, or citations of an outlet the unit did not hold, make a new unit). One stopped
(SIGTERM) gives it back, due at once; one whose lease was lost (the worker stalled past it, and
another took an outlet) is closed and releases what it still holds: its pages under way are not
stored (pipelines/lease_fence.py), but a post's check may still be, as one more check of it.
The worker ends when no unit is due, or, `forever`, never; or when stopped (SIGTERM, SIGINT: Scrapy's
handlers stop the reactor), at once if it was waiting for work (its wait is woken: wakeup.py).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor
from twisted.internet import task
from twisted.internet.defer import Deferred
from twisted.internet.error import ReactorNotRunning
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from crawler.archive import Archive
from crawler.archive.connection import utc_now
from crawler.archive.postgres.connection import PostgresArchive
from crawler.archive.postgres.leases import (
    CITATIONS,
    DISCOVERY,
    POSTS,
    Lease,
    Unit,
    WorkerLeases,
    due_count,
    new_worker_id,
    schedule,
    schedule_due_rechecks,
)
from crawler.archive.postgres.wakeup import Wakeup
from crawler.briefings.fetching import CitationSpider, CitedUrl, cited_outlet, cited_urls
from crawler.registry import Registry
from crawler.runner import settings_for_posts
from crawler.spiders.outlets import OutletSpider
from crawler.spiders.post_requests import PostTarget
from crawler.spiders.posts import PostSpider
from pipelines.lease_fence import LEASE_LOST

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.interfaces import IReactorCore, IReactorTime

logger = logging.getLogger(__name__)


def _reactor() -> IReactorCore | IReactorTime:
    """Twisted's reactor, imported only once `work` has installed the one the settings name."""
    from twisted.internet import reactor  # noqa: PLC0415

    return reactor


# How a worker's run ended: no unit was due; stopped (SIGTERM, SIGINT); an error (logged).
NONE_DUE = "none due"
STOPPED = "stopped"
FAILED = "failed"


def _stop_reactor(_: object) -> None:
    # Stopping already, when the worker was stopped (SIGTERM, SIGINT) rather than ended its run.
    with contextlib.suppress(ReactorNotRunning):
        _reactor().stop()


@dataclass
class WorkerRun:
    """What a worker did: per unit taken, how its crawl ended; how the run ended."""

    worker: str
    crawls: list[tuple[Unit, str]] = field(default_factory=list)
    # Unless the worker itself ended its run, the reactor was stopped under it.
    ended: str = STOPPED


class CrawlWorker:
    def __init__(
        self,
        location: str,
        settings: Settings,
        registry: Registry,
        *,
        outlets: list[str],
        lease_seconds: float,
        every_seconds: float,
        forever: bool,
    ):
        self.location = location
        self.settings = settings
        self.registry = registry
        self.outlets = outlets
        self.platforms = list(registry.platforms)
        self.every_seconds = every_seconds
        self.posts_per_unit = settings.getint("WORKER_POST_CHECKS_PER_UNIT")
        # Bounded by a quarter of a lease: a unit whose lease expired is seen well before a second one.
        self.wait_seconds = min(settings.getfloat("WORKER_WAIT_SECONDS"), lease_seconds / 4)
        self.wakeup = Wakeup()
        self.forever = forever
        self.archive = PostgresArchive(location)
        self.leases = WorkerLeases(self.archive.engine, new_worker_id(), lease_seconds)
        self.run = WorkerRun(self.leases.worker)
        self.working: tuple[Lease, Crawler] | None = None

    def work(self) -> WorkerRun:
        """Take and crawl units until none is due (or, `forever`, until stopped)."""
        process = CrawlerProcess(self.settings)
        self.leases.register()
        try:
            schedule(self.archive.engine, [Unit.discovery(slug) for slug in self.outlets])
            install_reactor(self.settings["TWISTED_REACTOR"], self.settings["ASYNCIO_EVENT_LOOP"])
            _reactor().addSystemEventTrigger("before", "shutdown", self.wakeup.set)
            heartbeat = task.LoopingCall(self._beat)
            heartbeat.start(self.leases.seconds / 3, now=False)
            taking = Deferred.fromCoroutine(self._take_and_crawl(process))
            taking.addErrback(self._failed)
            taking.addBoth(_stop_reactor)
            process.start(stop_after_crawl=False)
            logging.getLogger().handlers.clear()
        finally:
            if self.working is not None:
                self.leases.give_back(self.working[0])
            self.leases.retire()
            self.archive.close()
            self.wakeup.close()
        return self.run

    def _failed(self, failure: Failure) -> None:
        logger.error(failure.getTraceback())
        self.run.ended = FAILED

    async def _take_and_crawl(self, process: CrawlerProcess) -> None:
        # Set, the reactor is stopping: no unit is taken any more.
        while not self.wakeup.is_set():
            now = utc_now()
            await deferToThread(schedule_due_rechecks, self.archive.engine, self.outlets, self.platforms, now)
            lease = await deferToThread(self.leases.take)
            if lease is None:
                if not self.forever and await deferToThread(due_count, self.archive.engine) == 0:
                    self.run.ended = NONE_DUE
                    return
                await deferToThread(
                    self.leases.wait_for_work,
                    self.wait_seconds,
                    until_none_due=not self.forever,
                    wakeup=self.wakeup,
                )
                continue
            reason = await self._crawl(process, lease)
            self.run.crawls.append((lease.unit, reason))
            if reason == "finished":
                await deferToThread(self._finish, lease)
            else:
                # A unit lost to another worker: what the worker still holds of it is let go too.
                await deferToThread(self.leases.give_back, lease)
                if reason == "shutdown":
                    return

    async def _crawl(self, process: CrawlerProcess, lease: Lease) -> str:
        """Crawl a unit under its lease; how the crawl ended (Scrapy's finish reason)."""
        if lease.unit.kind == CITATIONS:
            cited = await deferToThread(self._citations_held, lease.unit)
            if not cited:
                return "finished"
            crawler = process.create_crawler(CitationSpider)
            arguments: dict[str, object] = {"cited": cited}
        elif lease.unit.kind == POSTS:
            due = await deferToThread(self._posts_due, lease.unit)
            if not due:
                return "finished"
            crawler = process.create_crawler(PostSpider)
            settings_for_posts(crawler.settings, self.registry)
            arguments = {"targets": due}
        else:
            crawler = process.create_crawler(OutletSpider)
            arguments = {"outlets": lease.unit.subject, "unit": lease.unit.kind}
        crawler.settings.set(
            "WORKER_LEASE", {"worker": self.leases.worker, "unit": lease.unit_id}, priority="cmdline"
        )
        self.working = (lease, crawler)
        await process.crawl(crawler, registry=self.registry, **arguments)
        self.working = None
        return str(crawler.stats.get_value("finish_reason")) if crawler.stats else "unknown"

    def _pending_citations(self, unit: Unit) -> list[tuple[str, CitedUrl]]:
        """The pages the unit's briefing version cites, not fetched yet, each with its outlet."""
        with Archive(self.location, readonly=True) as archive:
            pending = archive.briefings.pending(int(unit.subject))
        return [(cited_outlet(self.registry, cited.url), cited) for cited in cited_urls(pending)]

    def _posts_due(self, unit: Unit) -> list[PostTarget]:
        """The unit's platform's watched posts due for a check, the longest due first."""
        with Archive(self.location, readonly=True) as archive:
            due = [ref for ref in archive.posts.due(datetime.now(UTC)) if ref.platform.value == unit.subject]
        return [PostTarget(ref.url, watched=True, ref=ref) for ref in due[: self.posts_per_unit]]

    def _citations_held(self, unit: Unit) -> list[CitedUrl]:
        return [cited for outlet, cited in self._pending_citations(unit) if outlet in unit.holds]

    def _finish(self, lease: Lease) -> None:
        if lease.unit.kind == DISCOVERY:
            self.leases.finish(lease, again_in=self.every_seconds)
            return
        if self.leases.finish(lease, again_in=None) and lease.unit.kind == CITATIONS:
            # Citations attached after the unit was scheduled, of outlets it did not hold: a unit anew.
            left = {outlet for outlet, _ in self._pending_citations(lease.unit)} - set(lease.unit.holds)
            if left:
                schedule(self.archive.engine, [Unit.citations(int(lease.unit.subject), left)])

    def _beat(self) -> Deferred[None]:
        # A failed renewal (the server out of reach a moment) is said; the next one may succeed.
        renewal = deferToThread(self.leases.renew).addCallback(self._still_held)
        return renewal.addErrback(lambda failure: logger.warning("lease renewal failed: %s", failure.value))

    def _still_held(self, held: set[int]) -> None:
        if self.working is None:
            return
        lease, crawler = self.working
        if lease.unit_id not in held and crawler.engine is not None and crawler.engine.spider is not None:
            Deferred.fromCoroutine(crawler.engine.close_spider_async(reason=LEASE_LOST))
