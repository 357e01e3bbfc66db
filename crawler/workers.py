"""`sourcevault crawl --worker`: one crawl worker of a PostgreSQL archive (docs/postgresql.md).

The worker schedules its registry's outlets' discovery (a unit already scheduled keeps its time),
then takes due units one after another (crawler/archive/postgres/leases.py) and crawls each with the
outlet spider, restricted to the unit's outlet, in one Scrapy process: the reactor runs the crawls
one after another and renews the worker's leases meanwhile (a LoopingCall, a third of a lease apart).
A crawl that finished releases its unit, due again `every` seconds later; one stopped (SIGTERM) gives
it back, due at once; one whose lease was lost (the worker stalled past it, and another took the unit)
is closed and leaves the unit to the other. The worker ends when no unit is due, or, `forever`, never.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor
from twisted.internet import task
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from crawler.archive.postgres.connection import PostgresArchive
from crawler.archive.postgres.leases import Lease, Unit, WorkerLeases, due_count, new_worker_id, schedule
from crawler.registry import Registry
from crawler.spiders.outlets import OutletSpider
from pipelines.lease_fence import LEASE_LOST

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.interfaces import IReactorCore, IReactorTime

logger = logging.getLogger(__name__)


def _reactor() -> IReactorCore | IReactorTime:
    """Twisted's reactor, imported only once `work` has installed the one the settings name."""
    from twisted.internet import reactor  # noqa: PLC0415

    return reactor


@dataclass
class WorkerRun:
    """What a worker did: per unit taken, how its crawl ended."""

    worker: str
    crawls: list[tuple[Unit, str]] = field(default_factory=list)


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
        poll_seconds: float,
        forever: bool,
    ):
        self.settings = settings
        self.registry = registry
        self.outlets = outlets
        self.every_seconds = every_seconds
        self.poll_seconds = poll_seconds
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
            heartbeat = task.LoopingCall(self._beat)
            heartbeat.start(self.leases.seconds / 3, now=False)
            taking = Deferred.fromCoroutine(self._take_and_crawl(process))
            taking.addErrback(lambda failure: logger.error(failure.getTraceback()))
            taking.addBoth(lambda _: _reactor().stop())
            process.start(stop_after_crawl=False)
            logging.getLogger().handlers.clear()
        finally:
            if self.working is not None:
                self.leases.give_back(self.working[0])
            self.leases.retire()
            self.archive.close()
        return self.run

    async def _take_and_crawl(self, process: CrawlerProcess) -> None:
        while True:
            lease = await deferToThread(self.leases.take)
            if lease is None:
                if not self.forever and await deferToThread(due_count, self.archive.engine) == 0:
                    return
                await task.deferLater(_reactor(), self.poll_seconds)
                continue
            crawler = process.create_crawler(OutletSpider)
            crawler.settings.set(
                "WORKER_LEASE", {"worker": self.leases.worker, "unit": lease.unit_id}, priority="cmdline"
            )
            self.working = (lease, crawler)
            await process.crawl(crawler, outlets=lease.unit.subject, registry=self.registry)
            self.working = None
            reason = str(crawler.stats.get_value("finish_reason")) if crawler.stats else "unknown"
            self.run.crawls.append((lease.unit, reason))
            if reason == "finished":
                await deferToThread(self.leases.finish, lease, again_in=self.every_seconds)
            elif reason != LEASE_LOST:
                await deferToThread(self.leases.give_back, lease)
                if reason == "shutdown":
                    return

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
