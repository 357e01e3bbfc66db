"""The registry-driven spider: discover article URLs from each outlet's sources, fetch them.

Every response (feed, sitemap, listing, list API, article) and every failed fetch becomes a
`Capture` item (crawler/capture_building.py); the pipelines extract and archive them. Discovery
documents are read by the plain functions of crawler/discovery.py (through
crawler/spiders/discovery_reading.py), and only URLs matching the outlet's article pattern are
fetched as articles, each under its canonical URL.

Discovery does not request articles itself: the article URLs a document lists travel with its
capture into the archive's fetch queue (crawler/archive/fetch_queue.py), which skips archived
articles. The spider hands the queue to Scrapy a few requests per outlet at a time: topped up
as each capture is archived (`item_scraped`), and when the crawl goes idle (`spider_idle`),
which keeps it open while the queue holds more. Articles due for a revisit come the same way.
Discovery documents are fetched with conditional GET when the archive holds their validators.

Every request goes through the network policy (crawler/middlewares/network_policy.py): a
request it refuses is recorded as a capture with outcome `blocked`. What a document lists is
bounded (discovery_reading.py, DiscoveryBounds): documents listing documents (sitemap indexes) are
followed DISCOVERY_MAX_DEPTH levels deep, DISCOVERY_MAX_DOCUMENTS of them and DISCOVERY_MAX_LINKS
URLs taken per document; what is left is said in the document's capture.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import JsonRequest, Request, Response
from twisted.python.failure import Failure

from crawler.archive import Archive
from crawler.archive.fetch_queue import Purpose, QueueEntry
from crawler.capture_building import (
    error_response,
    failed_fetch,
    failure_capture,
    response_capture,
)
from crawler.discovery import ArticleUrls, article_urls, redirect_stub_links
from crawler.extensions.throttle import outlet_download_slots
from crawler.items import Capture, PageKind
from crawler.middlewares.network_policy import PolicyBlocked
from crawler.network_policy import EXPLICIT_HOSTS_META, explicit_hosts
from crawler.outlets import outlet_module
from crawler.registry import ArticleUrl, JsonApiSource, Outlet, Registry, load_registry
from crawler.spiders.discovery_reading import (
    DiscoveryBounds,
    DocumentReader,
    feed_links,
    json_api_links,
    listing_links,
    sitemap_links,
)

# Queued article requests handed to Scrapy ahead of an outlet's downloads, per request it may
# have in flight: enough to keep its download slot busy, few enough that memory stays flat.
REQUESTS_AHEAD_PER_CONCURRENT = 4

# Parsing a document and matching its links is CPU work, seconds of it for a sitemap of
# DISCOVERY_MAX_LINKS URLs: a document larger than this (a sitemap of some 800 URLs) is read in a
# thread, so that downloads and archive writes go on. A smaller one (most feeds) is read as its
# response arrives: a few milliseconds, and its capture then keeps its place among the others.
READ_IN_THREAD_BYTES = 64 * 1024


def crawl_registry(crawler: Crawler) -> Registry:
    """The registry the crawl's spider loaded: one load per crawl, shared by its components."""
    registry = getattr(crawler.spider, "registry", None)
    assert isinstance(registry, Registry), "sourcevault's pipelines run with a spider holding the registry"
    return registry


class OutletSpider(scrapy.Spider):
    """Crawls the outlets of the registry (all, or those named in the `outlets` argument).

    Arguments: `outlets` (slugs, comma-separated), `registry` (a loaded Registry, else the file
    REGISTRY_PATH names is loaded), `unit` (a crawl worker's unit of work: "discovery", its outlets'
    discovery and what is queued, no revisit queued; "revisits", no discovery, only their due
    revisits, WORKER_REVISITS_PER_UNIT of them; None, a crawl's: both, every due revisit).
    Settings: REGISTRY_PATH, ARCHIVE_PATH (required: the archive holds the fetch queue),
    DOWNLOAD_SLOTS (the outlets' own are added, crawler/extensions/throttle.py), DISCOVERY_MAX_DEPTH,
    DISCOVERY_MAX_DOCUMENTS, DISCOVERY_MAX_LINKS, WORKER_REVISITS_PER_UNIT.
    """

    name = "outlets"

    registry: Registry
    outlets: list[Outlet]
    archive_path: str
    archive: Archive | None
    # Per outlet: how many queued requests it may have handed to Scrapy and not yet answered,
    # how many it has, and the last queue entry handed.
    requests_ahead: dict[str, int]
    in_flight: Counter[str]
    last_queued: dict[str, int]
    bounds: DiscoveryBounds
    document_reader: ThreadPoolExecutor
    # What the run queues of the due revisits (None: all), whether it discovers, what it fetches.
    revisits_to_queue: int | None
    discovers: bool
    fetches: tuple[Purpose, ...]

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, *args: Any, registry: Registry | None = None, **kwargs: Any
    ) -> OutletSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.registry = registry if registry is not None else load_registry(settings.get("REGISTRY_PATH"))
        requested = kwargs.get("outlets") or []
        if isinstance(requested, str):
            requested = [slug.strip() for slug in requested.split(",") if slug.strip()]
        spider.outlets = spider.registry.select(list(requested))
        spider.bounds = DiscoveryBounds.from_settings(settings)
        unit = kwargs.get("unit")
        spider.revisits_to_queue = {None: None, "discovery": 0}.get(
            unit, settings.getint("WORKER_REVISITS_PER_UNIT")
        )
        spider.discovers = unit != "revisits"
        spider.fetches = ("revisit",) if unit == "revisits" else ("new", "revisit")
        spider.archive_path = settings.get("ARCHIVE_PATH") or ""
        if not spider.archive_path:
            raise ValueError("ARCHIVE_PATH is empty: the outlets spider keeps its fetch queue in the archive")
        spider.archive = None
        # The settings freeze after the spider is made: each outlet's slot gets its registry
        # politeness here, so Scrapy's own downloader applies it. Slots the crawl names win.
        slots = {**outlet_download_slots(spider.registry, settings), **settings.getdict("DOWNLOAD_SLOTS")}
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        default_concurrency = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        spider.requests_ahead = {
            outlet.slug: int(slots.get(outlet.slug, {}).get("concurrency", default_concurrency))
            * REQUESTS_AHEAD_PER_CONCURRENT
            for outlet in spider.outlets
        }
        spider.in_flight = Counter()
        spider.document_reader = ThreadPoolExecutor(1, thread_name_prefix="discovery")
        spider.last_queued = {outlet.slug: 0 for outlet in spider.outlets}
        crawler.signals.connect(spider.capture_archived, signal=signals.item_scraped)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.close_archive, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        # The archive pipeline has opened (and migrated) the archive before start() runs.
        self.archive = Archive(self.archive_path, readonly=True)
        for outlet in self.outlets if self.discovers else ():
            for request in self.discovery_requests(outlet):
                yield request
        for outlet in self.outlets:
            for request in self.queued_requests(outlet):
                yield request

    def close_archive(self) -> None:
        self.document_reader.shutdown(wait=False, cancel_futures=True)
        if self.archive is not None:
            self.archive.close()
            self.archive = None

    # --- the fetch queue ------------------------------------------------------------------------

    def capture_archived(self, item: Capture) -> None:
        """A capture is archived: what it listed is queued now, and an article fetch is answered."""
        for request in self.queued_requests(self.registry.get(item.outlet)):
            self.crawler.engine.crawl(request)

    def idle(self) -> None:
        """Nothing is in progress: hand Scrapy what the queue still holds, and stay open if anything."""
        handed = [request for outlet in self.outlets for request in self.queued_requests(outlet)]
        for request in handed:
            self.crawler.engine.crawl(request)
        if handed:
            raise DontCloseSpider

    def queued_requests(self, outlet: Outlet) -> list[Request]:
        """Requests for the outlet's next queued pages, as many as it has room for ahead."""
        assert self.archive is not None
        room = self.requests_ahead[outlet.slug] - self.in_flight[outlet.slug]
        if room <= 0:
            return []
        entries = self.archive.queue.waiting(outlet.slug, self.last_queued[outlet.slug], room, self.fetches)
        if entries:
            self.in_flight[outlet.slug] += len(entries)
            self.last_queued[outlet.slug] = entries[-1].id
        return [self.article_request(outlet, entry) for entry in entries]

    def answered(self, request: Request) -> None:
        if "fetch_queue_id" in request.meta:
            self.in_flight[request.meta["outlet"]] -= 1

    # --- discovery ------------------------------------------------------------------------------

    def discovery_requests(self, outlet: Outlet) -> Iterator[Request]:
        """The outlet's discovery documents as the registry names them: their hosts are allowed."""
        discovery = outlet.discovery
        for url in discovery.feeds:
            yield self.discovery_request(url, "feed", outlet, feed_links, from_registry=True)
        # A gzipped sitemap is bounded once decompressed as a compressed response is.
        sitemap_reader = partial(sitemap_links, max_bytes=self.settings.getint("DOWNLOAD_MAXSIZE"))
        for url in discovery.sitemaps:
            yield self.discovery_request(url, "sitemap", outlet, sitemap_reader, from_registry=True)
        for listing in discovery.listings:
            read = partial(listing_links, source=listing)
            yield self.discovery_request(listing.url, "listing", outlet, read, from_registry=True)
        for api in discovery.json_apis:
            yield self.json_api_request(api, outlet, from_registry=True)
        yield from self._outlet_module_requests(outlet)

    def _outlet_module_requests(self, outlet: Outlet) -> Iterable[Request]:
        """Discovery that configuration cannot express lives in crawler/outlets/<slug>.py."""
        hook = getattr(outlet_module(outlet.slug), "discovery_requests", None)
        return hook(self, outlet) if hook else ()

    def discovery_request(
        self,
        url: str,
        page_kind: PageKind,
        outlet: Outlet,
        read: DocumentReader,
        *,
        depth: int = 0,
        from_registry: bool = False,
    ) -> Request:
        """A request for a discovery document, read by `read` once fetched; `depth` documents down
        from one the registry (or the outlet's module) names."""
        return Request(
            url,
            callback=self.parse_discovery,
            errback=self.on_failure,
            headers=self.conditional_headers(url),
            cb_kwargs={"outlet": outlet, "read": read},
            meta=self.discovery_meta(outlet, page_kind, url, depth, from_registry),
        )

    def json_api_request(
        self, api: JsonApiSource, outlet: Outlet, *, depth: int = 0, from_registry: bool = False
    ) -> Request:
        arguments: dict[str, Any] = {
            "callback": self.parse_discovery,
            "errback": self.on_failure,
            "cb_kwargs": {"outlet": outlet, "read": partial(json_api_links, source=api)},
            "meta": self.discovery_meta(outlet, "list_api", api.url, depth, from_registry),
        }
        if api.method == "POST":
            return JsonRequest(api.url, data=api.body or {}, method="POST", headers=api.headers, **arguments)
        return Request(api.url, headers={**api.headers, **self.conditional_headers(api.url)}, **arguments)

    @staticmethod
    def discovery_meta(
        outlet: Outlet, page_kind: PageKind, url: str, depth: int, from_registry: bool
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "outlet": outlet.slug,
            "page_kind": page_kind,
            "discovery_depth": depth,
            "download_slot": outlet.slug,
            "handle_httpstatus_list": [304],
        }
        if from_registry:
            # Feeds often live on other hosts (feedburner, feed.mix.sina.com.cn): a host the
            # registry names is allowed for its document, not for what the document lists.
            meta[EXPLICIT_HOSTS_META] = explicit_hosts([url])
        return meta

    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since from the last full fetch of a discovery document."""
        assert self.archive is not None
        validators = self.archive.captures.discovery_validators(url)
        if validators is None:
            return {}
        etag, last_modified = validators
        headers = {"If-None-Match": etag, "If-Modified-Since": last_modified}
        return {name: value for name, value in headers.items() if value}

    async def parse_discovery(
        self, response: Response, outlet: Outlet, read: DocumentReader
    ) -> AsyncIterator[Any]:
        page_kind: PageKind = response.meta["page_kind"]
        if response.status == 304:
            # Unchanged since its links went into the fetch queue: nothing new to read.
            yield response_capture(response, outlet, page_kind)
            return
        if len(response.body) > READ_IN_THREAD_BYTES:
            # One thread, so such documents are read, and archived, in the order they were fetched.
            found, matched = await asyncio.wrap_future(
                self.document_reader.submit(self.bounds.read, response, outlet, read)
            )
        else:
            found, matched = self.bounds.read(response, outlet, read)
        depth = response.meta.get("discovery_depth", 0) + 1
        documents = self.bounds.documents_to_read(found, depth)
        articles = self.counted(outlet, matched).articles if matched is not None else []
        # A document that leads to others (a sitemap index) is never fetched conditionally:
        # a run killed before reading them would lose them.
        yield response_capture(
            response,
            outlet,
            page_kind,
            self.bounds.left_out(found, depth) or found.problem,
            articles,
            conditional_get=False if found.documents else None,
        )
        for document in documents:
            if isinstance(document, JsonApiSource):
                yield self.json_api_request(document, outlet, depth=depth)
            else:
                yield self.discovery_request(document, page_kind, outlet, read, depth=depth)

    def article_links(self, outlet: Outlet, links: Iterable[str], base_url: str) -> list[ArticleUrl]:
        """The outlet's article URLs among `links`, one per article, for the fetch queue."""
        return self.counted(outlet, article_urls(outlet, links, base_url)).articles

    def counted(self, outlet: Outlet, found: ArticleUrls) -> ArticleUrls:
        self.crawler.stats.inc_value(f"discovery/{outlet.slug}/other_links", found.other_links)
        self.crawler.stats.inc_value(f"discovery/{outlet.slug}/article_links", len(found.articles))
        return found

    def article_request(self, outlet: Outlet, entry: QueueEntry) -> Request:
        return Request(
            entry.url,
            callback=self.parse_article,
            errback=self.on_failure,
            cb_kwargs={"outlet": outlet},
            meta={
                "outlet": outlet.slug,
                "page_kind": "article",
                "download_slot": outlet.slug,
                "fetch_queue_id": entry.id,
                "revisit": entry.purpose == "revisit",
            },
            # The fetch queue already holds each article once.
            dont_filter=True,
        )

    # --- articles and failures ------------------------------------------------------------------

    def parse_article(self, response: Response, outlet: Outlet) -> Iterator[Capture]:
        self.answered(response.request)  # type: ignore[arg-type]
        # UDN answers some article URLs with a stub whose only content is a script redirect.
        stub_links = redirect_stub_links(response.body, response.url, outlet)
        links = self.article_links(outlet, stub_links, response.url) if stub_links else []
        yield response_capture(response, outlet, "article", article_links=links)

    def on_failure(self, failure: Failure) -> Iterator[Capture]:
        request: Request = failure.request  # type: ignore[attr-defined]
        self.answered(request)
        if failure.check(PolicyBlocked):
            yield failure_capture(request, str(failure.value), blocked=True)
            return
        response = error_response(failure)
        if response is not None:
            outlet = self.registry.get(request.meta["outlet"])
            yield response_capture(response, outlet, response.meta.get("page_kind", "article"))
            return
        failed = failed_fetch(failure)
        if failed.nothing_sent:
            self.logger.info("not fetched: %s (%s)", request.url, failed.reason)
        else:
            self.logger.warning("fetch failed: %s %s", request.url, failed.reason)
        yield failure_capture(request, failed.reason)
