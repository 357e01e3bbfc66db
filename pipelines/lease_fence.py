"""Lease fence: a crawl worker stores nothing once its lease on the unit it crawls is lost.

A worker that stalls past its lease (a machine paused, a network cut) loses the unit to the next
worker that asks, which crawls the outlet from its fetch queue. Until the stalled worker's heartbeat
notices and closes its crawl, pages it had under way still come in: this stage, ahead of the
archive's, drops them and closes the crawl, so the outlet's pages are stored by the one worker that
holds it (the fetch queue still has them waiting for that worker).

The stage's check is early and cheap; the lease may still be lost between it and the capture's
commit. `LeaseCommitGuard` (the archive stage's ARCHIVE_COMMIT_GUARD) checks again inside the
capture's transaction, the leases locked against a takeover until it commits: a capture is stored
only while its worker holds the unit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from crawler.archive import CommitRefused
from crawler.items import Capture

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from crawler.archive.postgres.connection import PostgresArchive
    from crawler.archive.postgres.rooms import PostgresConnection

LEASE_LOST = "lease_lost"
LOST = "the lease on its outlet was lost to another worker"


class LeaseFencePipeline:
    """Settings: WORKER_LEASE ({"worker", "unit"}, set by crawler/workers.py), ARCHIVE_PATH.
    Switched off (NotConfigured) for any crawl but a worker's."""

    def __init__(self, crawler: Crawler, path: str, worker: str, unit: int):
        self.crawler = crawler
        self.path = path
        self.worker = worker
        self.unit = unit
        self.archive: PostgresArchive | None = None
        self.checking: Connection | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseFencePipeline:
        return cls(crawler, crawler.settings["ARCHIVE_PATH"], *worker_lease(crawler))

    def open_spider(self) -> None:
        # The `postgresql` extra, imported only by a worker's crawl (an SQLite crawl may lack it).
        from crawler.archive.postgres.connection import PostgresArchive  # noqa: PLC0415

        self.archive = PostgresArchive(self.path, readonly=True)
        self.checking = self._connect()

    def _connect(self) -> Connection:
        # Kept for the whole crawl, each check a statement of its own: one round trip a capture.
        assert self.archive is not None
        return self.archive.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def close_spider(self) -> None:
        if self.checking is not None:
            self.checking.close()
            self.checking = None
        if self.archive is not None:
            self.archive.close()
            self.archive: PostgresArchive | None = None

    def process_item(self, item: Capture) -> Capture:
        from sqlalchemy.exc import DBAPIError  # noqa: PLC0415

        from crawler.archive.postgres.leases import holds_lease  # noqa: PLC0415

        if self.checking is None:
            # A capture still under way when the crawl closed (its lease lost): the fence is down.
            raise DropItem(f"{item.url}: not stored, the worker's crawl has closed")
        try:
            held = holds_lease(self.checking, self.worker, self.unit)
        except DBAPIError:
            # The connection dropped (the server restarted, a network cut): SQLAlchemy refuses it from
            # then on, so the check is asked again once on a new one.
            self.checking.close()
            self.checking = self._connect()
            held = holds_lease(self.checking, self.worker, self.unit)
        if held:
            return item
        close_for_lease_lost(self.crawler)
        raise DropItem(f"{item.url}: not stored, {LOST}")


class LeaseCommitGuard:
    """The worker's leases checked in each capture's transaction (see the module).
    Settings: WORKER_LEASE; switched off (NotConfigured) for any crawl but a worker's."""

    def __init__(self, crawler: Crawler, worker: str, unit: int):
        self.crawler = crawler
        self.worker = worker
        self.unit = unit

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseCommitGuard:
        return cls(crawler, *worker_lease(crawler))

    def __call__(self, connection: PostgresConnection) -> None:
        from crawler.archive.postgres.leases import holds_lease_until_commit  # noqa: PLC0415

        if not holds_lease_until_commit(connection.sa, self.worker, self.unit):
            close_for_lease_lost(self.crawler)
            raise CommitRefused(LOST)


def worker_lease(crawler: Crawler) -> tuple[str, int]:
    """The worker and the unit it crawls (WORKER_LEASE); NotConfigured for any crawl but a worker's."""
    lease = crawler.settings.getdict("WORKER_LEASE")
    if not lease:
        raise NotConfigured
    return lease["worker"], int(lease["unit"])


def close_for_lease_lost(crawler: Crawler) -> None:
    if crawler.engine is not None and crawler.engine.spider is not None:
        deferred_from_coro(crawler.engine.close_spider_async(reason=LEASE_LOST))
