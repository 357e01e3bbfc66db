"""The registry-driven spider: discover article URLs from each outlet's sources, fetch them.

Every response (feed, sitemap, listing, list API, article) and every failed fetch becomes a
`Capture` item; the pipelines extract and archive them. Only URLs matching the outlet's
article pattern are fetched as articles, each under its canonical URL (crawler/identity.py).

Discovery does not request articles itself: the article URLs a document lists travel with its
capture into the archive's fetch queue (crawler/archive/fetch_queue.py), which skips archived
articles, and `start()` feeds the queue back to Scrapy a few requests per outlet at a time.
Articles due for a revisit come the same way. Discovery documents are fetched with conditional
GET when the archive holds their ETag or Last-Modified.
"""

from __future__ import annotations

import importlib
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import jmespath
import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import JsonRequest, Request, Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.asyncio import sleep
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawler.archive import Archive
from crawler.archive.fetch_queue import QueueEntry
from crawler.blocking import challenge_page
from crawler.identity import canonical_url
from crawler.items import Capture, PageKind
from crawler.pages.article import SCRIPT_REDIRECT, SCRIPT_REDIRECT_MAX_BYTES
from crawler.registry import (
    ArticleUrl,
    JsonApiSource,
    ListingSource,
    Outlet,
    Registry,
    load_registry,
    match_article_url,
)

GZIP_MAGIC = b"\x1f\x8b"
SITEMAP_MAX_BYTES = 50_000_000
# Queued article requests handed to Scrapy ahead of an outlet's downloads, per request it may
# have in flight: enough to keep its download slot busy, few enough that memory stays flat.
REQUESTS_AHEAD_PER_CONCURRENT = 4
QUEUE_POLL_SECONDS = 0.05


def _headers(response: Response) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in response.headers.items()
        for value in values
    ]


def describe_failure(failure: Failure) -> str:
    """One line naming what went wrong with a fetch."""
    return describe_exception(failure.value)


def describe_exception(error: BaseException) -> str:
    name = type(error).__name__
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{name}: {message}" if message else name


def outlet_download_slot(outlet: Outlet, settings: BaseSettings) -> dict[str, float | int]:
    """The DOWNLOAD_SLOTS entry of an outlet: its registry politeness, else the crawl's defaults."""
    delay = settings.getfloat("DOWNLOAD_DELAY") if outlet.crawl.delay is None else outlet.crawl.delay
    concurrency = outlet.crawl.concurrency or settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
    return {"delay": delay, "concurrency": concurrency}


class OutletSpider(scrapy.Spider):
    """Crawls the outlets of the registry (all, or those named in the `outlets` argument).

    Settings: REGISTRY_PATH, ARCHIVE_PATH (required: the archive holds the fetch queue).
    """

    name = "outlets"

    registry: Registry
    outlets: list[Outlet]
    archive_path: str
    archive: Archive | None
    # Per outlet: how many queued requests it may have handed to Scrapy and not yet answered,
    # how many it has, and the last queue entry handed.
    _requests_ahead: dict[str, int]
    _in_flight: Counter[str]
    _last_queued: dict[str, int]

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # Politeness is per outlet and lives in the registry: every request carries the outlet's
        # slug as its download slot, and each slot gets the outlet's delay and concurrency here,
        # before the settings freeze, so Scrapy's own downloader applies them.
        registry = load_registry(settings.get("REGISTRY_PATH"))
        slots = {outlet.slug: outlet_download_slot(outlet, settings) for outlet in registry}
        settings.set("DOWNLOAD_SLOTS", {**slots, **settings.getdict("DOWNLOAD_SLOTS")}, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> OutletSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.registry = load_registry(crawler.settings.get("REGISTRY_PATH"))
        requested = kwargs.get("outlets") or []
        if isinstance(requested, str):
            requested = [slug.strip() for slug in requested.split(",") if slug.strip()]
        spider.outlets = spider.registry.select(list(requested))
        spider.allowed_domains = sorted({domain for outlet in spider.outlets for domain in outlet.domains})
        spider.archive_path = crawler.settings.get("ARCHIVE_PATH") or ""
        if not spider.archive_path:
            raise ValueError("ARCHIVE_PATH is empty: the outlets spider keeps its fetch queue in the archive")
        spider.archive = None
        slots = crawler.settings.getdict("DOWNLOAD_SLOTS")
        default_concurrency = crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        spider._requests_ahead = {
            outlet.slug: int(slots.get(outlet.slug, {}).get("concurrency", default_concurrency))
            * REQUESTS_AHEAD_PER_CONCURRENT
            for outlet in spider.outlets
        }
        spider._in_flight = Counter()
        spider._last_queued = {outlet.slug: 0 for outlet in spider.outlets}
        crawler.signals.connect(spider.close_archive, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        # The archive pipeline has opened (and migrated) the archive before start() runs.
        self.archive = Archive(self.archive_path, readonly=True)
        for outlet in self.outlets:
            for request in self.discovery_requests(outlet):
                yield request
        async for request in self.queued_article_requests():
            yield request

    def close_archive(self) -> None:
        if self.archive is not None:
            self.archive.close()
            self.archive = None

    # --- the fetch queue ------------------------------------------------------------------------

    async def queued_article_requests(self) -> AsyncIterator[Request]:
        """Requests for the queued article pages, until the queue is empty and nothing can add to it."""
        while True:
            # Looked at before the queue: whatever is still in progress now may queue more pages.
            settled = self._nothing_in_progress()
            entries = [entry for outlet in self.outlets for entry in self._next_entries(outlet)]
            for entry in entries:
                self._in_flight[entry.outlet] += 1
                self._last_queued[entry.outlet] = entry.id
                yield self.article_request(self.registry.get(entry.outlet), entry)
            if not entries:
                if settled:
                    return
                await sleep(QUEUE_POLL_SECONDS)

    def _next_entries(self, outlet: Outlet) -> list[QueueEntry]:
        assert self.archive is not None
        room = self._requests_ahead[outlet.slug] - self._in_flight[outlet.slug]
        if room <= 0:
            return []
        return self.archive.queue.waiting(outlet.slug, self._last_queued[outlet.slug], room)

    def _nothing_in_progress(self) -> bool:
        engine = self.crawler.engine
        assert engine is not None and engine.scheduler is not None and engine.scraper.slot is not None
        return (
            not engine.downloader.active
            and engine.scraper.slot.is_idle()
            and not engine.scheduler.has_pending_requests()
        )

    def _answered(self, request: Request) -> None:
        if "fetch_queue_id" in request.meta:
            self._in_flight[request.meta["outlet"]] -= 1

    # --- discovery ------------------------------------------------------------------------------

    def discovery_requests(self, outlet: Outlet) -> Iterator[Request]:
        discovery = outlet.discovery
        for url in discovery.feeds:
            yield self.discovery_request(url, "feed", outlet, self.parse_feed)
        for url in discovery.sitemaps:
            yield self.discovery_request(url, "sitemap", outlet, self.parse_sitemap)
        for listing in discovery.listings:
            yield self.discovery_request(listing.url, "listing", outlet, self.parse_listing, source=listing)
        for api in discovery.json_apis:
            yield self.json_api_request(api, outlet)
        yield from self._outlet_module_requests(outlet)

    def _outlet_module_requests(self, outlet: Outlet) -> Iterable[Request]:
        """Discovery that configuration cannot express lives in crawler/spiders/<slug>.py."""
        module_name = f"{__package__}.{outlet.slug}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            return ()
        return module.discovery_requests(self, outlet)

    def discovery_request(
        self,
        url: str,
        page_kind: PageKind,
        outlet: Outlet,
        callback: Callable[..., Any],
        **cb_kwargs: Any,
    ) -> Request:
        return Request(
            url,
            callback=self.parse_discovery,
            errback=self.on_failure,
            headers=self.conditional_headers(url),
            cb_kwargs={"parse": callback, "outlet": outlet, **cb_kwargs},
            meta=self.discovery_meta(outlet, page_kind),
        )

    def json_api_request(self, api: JsonApiSource, outlet: Outlet) -> Request:
        arguments: dict[str, Any] = {
            "callback": self.parse_discovery,
            "errback": self.on_failure,
            "cb_kwargs": {"parse": self.parse_json_api, "outlet": outlet, "source": api},
            "meta": self.discovery_meta(outlet, "list_api"),
        }
        if api.method == "POST":
            return JsonRequest(api.url, data=api.body or {}, method="POST", headers=api.headers, **arguments)
        return Request(api.url, headers={**api.headers, **self.conditional_headers(api.url)}, **arguments)

    @staticmethod
    def discovery_meta(outlet: Outlet, page_kind: PageKind) -> dict[str, Any]:
        return {
            "outlet": outlet.slug,
            "page_kind": page_kind,
            # Feeds often live on other hosts (feedburner, feed.mix.sina.com.cn).
            "allow_offsite": True,
            "download_slot": outlet.slug,
            "handle_httpstatus_list": [304],
        }

    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since from the last full fetch of a discovery document."""
        assert self.archive is not None
        validators = self.archive.captures.discovery_validators(url)
        if validators is None:
            return {}
        etag, last_modified = validators
        headers = {"If-None-Match": etag, "If-Modified-Since": last_modified}
        return {name: value for name, value in headers.items() if value}

    def parse_discovery(
        self, response: Response, parse: Callable[..., Iterator[Any]], **kwargs: Any
    ) -> Iterator[Any]:
        if response.status == 304:
            # Unchanged since its links went into the fetch queue: nothing new to read.
            yield self.capture(response, response.meta["page_kind"])
            return
        yield from parse(response, **kwargs)

    def parse_feed(self, response: Response, outlet: Outlet) -> Iterator[Any]:
        parsed = feedparser.parse(response.body)
        links = [link for entry in parsed.entries for link in self._entry_links(entry)]
        problem = None
        if not links and parsed.bozo:
            problem = f"not a feed: {parsed.bozo_exception}"
        elif not links:
            problem = "feed lists no entries" if parsed.version else "not a feed: no RSS, Atom or RDF root"
        yield self.capture(response, "feed", problem, self.article_links(outlet, links, response.url))

    @staticmethod
    def _entry_links(entry: Any) -> list[str]:
        links = [entry.get("link")] + [link.get("href") for link in entry.get("links", [])]
        return list(dict.fromkeys(link for link in links if link))

    def parse_sitemap(self, response: Response, outlet: Outlet) -> Iterator[Any]:
        body = response.body
        try:
            if body[:2] == GZIP_MAGIC:
                body = gunzip(body, max_size=SITEMAP_MAX_BYTES)
            sitemap = Sitemap(body)
            kind = sitemap.type
        except Exception as error:  # lxml, gzip and size errors all mean "not a sitemap"
            yield self.capture(response, "sitemap", discovery_problem=f"not a sitemap: {error}")
            return
        if kind not in ("urlset", "sitemapindex"):
            yield self.capture(response, "sitemap", discovery_problem=f"not a sitemap: root element <{kind}>")
            return
        locations = [urljoin(response.url, entry["loc"]) for entry in sitemap if entry.get("loc")]
        problem = None if locations else f"sitemap ({kind}) lists no URLs"
        if kind == "urlset":
            yield self.capture(
                response, "sitemap", problem, self.article_links(outlet, locations, response.url)
            )
            return
        if response.url in locations:
            # Recorded as a problem; the duplicate filter drops the request for itself.
            problem = "sitemap index lists itself"
        # Never fetched conditionally: a run killed before reading its children would lose them.
        yield self.capture(response, "sitemap", problem, conditional_get=False)
        for location in locations:
            yield self.discovery_request(location, "sitemap", outlet, self.parse_sitemap)

    def parse_listing(self, response: Response, outlet: Outlet, source: ListingSource) -> Iterator[Any]:
        if not hasattr(response, "css"):
            yield self.capture(response, "listing", discovery_problem="listing is not an HTML page")
            return
        links = response.css(source.links).xpath("@href").getall()
        problem = None if links else f"no links match {source.links!r}"
        yield self.capture(response, "listing", problem, self.article_links(outlet, links, response.url))

    def parse_json_api(self, response: Response, outlet: Outlet, source: JsonApiSource) -> Iterator[Any]:
        try:
            document = json.loads(response.body.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            yield self.capture(response, "list_api", discovery_problem=f"not JSON: {error}")
            return
        found = jmespath.search(source.links, document)
        values = found if isinstance(found, list) else [found] if found else []
        links = [str(value) for value in values if isinstance(value, str | int) and str(value)]
        if source.link_template:
            links = [source.link_template.format(value) for value in links]
        problem = None if links else f"no links at {source.links!r}"
        yield self.capture(response, "list_api", problem, self.article_links(outlet, links, response.url))

    def article_links(self, outlet: Outlet, links: Iterable[str], base_url: str) -> list[ArticleUrl]:
        """The outlet's article URLs among `links`, one per article, for the fetch queue."""
        stats = self.crawler.stats
        assert stats is not None
        articles: dict[tuple[str, str], ArticleUrl] = {}
        for link in links:
            listed = urljoin(base_url, link.strip())
            # Tracking parameters, mobile hosts, old suffixes would make one article look like many.
            article = match_article_url(outlet, canonical_url(listed, outlet))
            if article is None:
                stats.inc_value(f"discovery/{outlet.slug}/other_links")
                continue
            articles.setdefault((article.article_id, article.edition), replace(article, listed_url=listed))
        stats.inc_value(f"discovery/{outlet.slug}/article_links", len(articles))
        return list(articles.values())

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

    def parse_article(self, response: Response, outlet: Outlet) -> Iterator[Any]:
        self._answered(response.request)  # type: ignore[arg-type]
        links: list[ArticleUrl] = []
        # UDN answers some article URLs with a stub whose only content is a script redirect.
        if len(response.body) <= SCRIPT_REDIRECT_MAX_BYTES:
            match = SCRIPT_REDIRECT.search(response.body.decode("utf-8", "replace"))
            if match:
                target = urljoin(response.url, match["target"])
                if outlet.owns_host(urlsplit(target).hostname or ""):
                    links = self.article_links(outlet, [target], response.url)
        yield self.capture(response, "article", article_links=links)

    def on_failure(self, failure: Failure) -> Iterator[Capture]:
        request: Request = failure.request  # type: ignore[attr-defined]
        self._answered(request)
        if failure.check(HttpError):
            response: Response = failure.value.response
            yield self.capture(response, response.meta.get("page_kind", "article"))
            return
        if failure.check(IgnoreRequest):
            # Nothing was sent: robots.txt forbids it, redirects went round in circles, or an
            # offline replay lacks it. Recorded all the same: the page was wanted.
            reason = str(failure.value) or type(failure.value).__name__
            self.logger.info("not fetched: %s (%s)", request.url, reason)
        else:
            reason = describe_failure(failure)
            self.logger.warning("fetch failed: %s %s", request.url, reason)
        yield Capture(
            outlet=request.meta["outlet"],
            page_kind=request.meta.get("page_kind", "article"),
            url=request.url,
            fetched_at=datetime.now(UTC),
            request_method=request.method,
            request_body=request.body,
            fetch_error=reason,
            fetch_queue_id=request.meta.get("fetch_queue_id"),
            revisit=request.meta.get("revisit", False),
        )

    def capture(
        self,
        response: Response,
        page_kind: PageKind,
        discovery_problem: str | None = None,
        article_links: list[ArticleUrl] | None = None,
        *,
        conditional_get: bool | None = None,
    ) -> Capture:
        """The capture of a response; a discovery document read whole may be fetched conditionally next."""
        request = response.request
        assert request is not None
        redirects = request.meta.get("redirect_urls") or []
        outlet = self.registry.get(request.meta["outlet"])
        if conditional_get is None:
            conditional_get = page_kind != "article" and response.status == 200 and discovery_problem is None
        return Capture(
            outlet=outlet.slug,
            page_kind=page_kind,
            url=redirects[0] if redirects else request.url,
            fetched_at=request.meta.get("replay_fetched_at") or datetime.now(UTC),
            request_method=request.method,
            request_body=request.body,
            final_url=response.url,
            http_status=response.status,
            response_headers=_headers(response),
            body=response.body,
            replayed_from=request.meta.get("replayed_from"),
            discovery_problem=discovery_problem,
            fetch_queue_id=request.meta.get("fetch_queue_id"),
            revisit=request.meta.get("revisit", False),
            article_links=article_links or [],
            conditional_get=conditional_get,
            block_page=challenge_page(response.body),
            redirected_home=bool(redirects) and outlet.is_home_page(response.url),
        )
