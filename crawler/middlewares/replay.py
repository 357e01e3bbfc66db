"""Offline replay: answer requests from a recorded snapshot instead of the network."""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.statscollectors import StatsCollector

from crawler.warc_snapshots import RecordTooLarge, Snapshot


class NotInSnapshot(IgnoreRequest):
    """The snapshot holds no response for this request."""


class ReplayTooLarge(IgnoreRequest):
    """The snapshot's response to this request is larger than DOWNLOAD_MAXSIZE."""


class ReplayMiddleware:
    """Downloader middleware serving responses from the WARC file named by REPLAY_SNAPSHOT.

    Like Scrapy's HttpCacheMiddleware it answers in process_request, so the engine, robots.txt,
    retries, redirects and every pipeline run as in a live crawl, with no politeness delay.
    A request the snapshot lacks is dropped (NotInSnapshot), as an offline crawl cannot fetch it;
    a recorded body larger than DOWNLOAD_MAXSIZE is refused (ReplayTooLarge), as a live one is.
    """

    def __init__(self, snapshot: Snapshot, stats: StatsCollector):
        self.snapshot = snapshot
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReplayMiddleware:
        path = crawler.settings.get("REPLAY_SNAPSHOT")
        if not path:
            raise NotConfigured
        assert crawler.stats is not None
        return cls(Snapshot(path, crawler.settings.getint("DOWNLOAD_MAXSIZE")), crawler.stats)

    def process_request(self, request: Request) -> Response:
        try:
            exchange = self.snapshot.lookup(request.method, request.url, request.body)
        except RecordTooLarge as error:
            self.stats.inc_value("replay/too_large")
            raise ReplayTooLarge(f"{error} (DOWNLOAD_MAXSIZE)") from None
        if exchange is None:
            self.stats.inc_value("replay/missing")
            raise NotInSnapshot(
                f"not in replay snapshot {self.snapshot.path.name}: {request.method} {request.url}"
            )
        self.stats.inc_value("replay/served")
        request.meta["replayed_from"] = str(self.snapshot.path)
        request.meta["replay_fetched_at"] = exchange.fetched_at
        headers = Headers()
        for name, value in exchange.headers:
            headers.appendlist(name, value)
        response_class = responsetypes.from_args(headers=headers, url=request.url, body=exchange.body)
        return response_class(
            url=request.url,
            status=exchange.status,
            headers=headers,
            body=exchange.body,
            request=request,
            flags=["replayed"],
        )
