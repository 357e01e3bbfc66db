"""The registry-driven spider: discover article URLs from each outlet's sources, fetch them.

Every response (feed, sitemap, listing, list API, article) and every failed fetch becomes a
`Capture` item; the pipelines extract and archive them. Only URLs matching the outlet's
article pattern are fetched as articles, each under its canonical URL, once per crawl, and not
at all once the archive holds it (the archive answers by an indexed lookup).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
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
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawler.archive import Archive
from crawler.identity import canonical_url
from crawler.items import Capture, PageKind
from crawler.pages.article import SCRIPT_REDIRECT, SCRIPT_REDIRECT_MAX_BYTES
from crawler.registry import JsonApiSource, ListingSource, Outlet, Registry, load_registry, match_article_url

GZIP_MAGIC = b"\x1f\x8b"
SITEMAP_MAX_BYTES = 50_000_000


def _headers(response: Response) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in response.headers.items()
        for value in values
    ]


def describe_failure(failure: Failure) -> str:
    """One line naming what went wrong with a fetch."""
    error = failure.value
    name = type(error).__name__
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{name}: {message}" if message else name


class OutletSpider(scrapy.Spider):
    """Crawls the outlets of the registry (all, or those named in the `outlets` argument)."""

    name = "outlets"

    registry: Registry
    outlets: list[Outlet]
    # (outlet, article id, edition) already requested in this crawl, whatever URL named them.
    _articles_requested: set[tuple[str, str, str]]
    # The archive the crawl writes to (ARCHIVE_PATH), asked which articles it already holds.
    _archive_path: str | None
    _archive: Archive | None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> OutletSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.registry = load_registry(crawler.settings.get("REGISTRY_PATH"))
        requested = kwargs.get("outlets") or []
        if isinstance(requested, str):
            requested = [slug.strip() for slug in requested.split(",") if slug.strip()]
        spider.outlets = spider.registry.select(list(requested))
        spider.allowed_domains = sorted({domain for outlet in spider.outlets for domain in outlet.domains})
        spider._articles_requested = set()
        spider._archive_path = crawler.settings.get("ARCHIVE_PATH") or None
        spider._archive = None
        crawler.signals.connect(spider.close_archive, signal=signals.spider_closed)
        return spider

    @property
    def archive(self) -> Archive | None:
        if self._archive is None and self._archive_path:
            self._archive = Archive(self._archive_path)
        return self._archive

    def close_archive(self) -> None:
        if self._archive is not None:
            self._archive.close()
            self._archive = None

    async def start(self) -> AsyncIterator[Request]:
        for outlet in self.outlets:
            for request in self.discovery_requests(outlet):
                yield request

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
        # Feeds often live on other hosts (feedburner, feed.mix.sina.com.cn).
        return Request(
            url,
            callback=callback,
            errback=self.on_failure,
            cb_kwargs={"outlet": outlet, **cb_kwargs},
            meta={"outlet": outlet.slug, "page_kind": page_kind, "allow_offsite": True},
        )

    def json_api_request(self, api: JsonApiSource, outlet: Outlet) -> Request:
        meta = {"outlet": outlet.slug, "page_kind": "list_api", "allow_offsite": True}
        arguments: dict[str, Any] = {
            "callback": self.parse_json_api,
            "errback": self.on_failure,
            "cb_kwargs": {"outlet": outlet, "source": api},
            "meta": meta,
            "headers": api.headers,
        }
        if api.method == "POST":
            return JsonRequest(api.url, data=api.body or {}, method="POST", **arguments)
        return Request(api.url, **arguments)

    def parse_feed(self, response: Response, outlet: Outlet) -> Iterator[Any]:
        parsed = feedparser.parse(response.body)
        links = [link for entry in parsed.entries for link in self._entry_links(entry)]
        problem = None
        if not links:
            problem = f"not a feed: {parsed.bozo_exception}" if parsed.bozo else "feed lists no entries"
        yield self.capture(response, "feed", discovery_problem=problem)
        yield from self.follow_articles(outlet, links, response.url)

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
        locations = [entry["loc"] for entry in sitemap if entry.get("loc")]
        problem = None if locations else f"sitemap ({kind}) lists no URLs"
        yield self.capture(response, "sitemap", discovery_problem=problem)
        if kind == "sitemapindex":
            # A sitemap index that lists itself is dropped by the duplicate filter.
            for location in locations:
                yield self.discovery_request(
                    urljoin(response.url, location), "sitemap", outlet, self.parse_sitemap
                )
        else:
            yield from self.follow_articles(outlet, locations, response.url)

    def parse_listing(self, response: Response, outlet: Outlet, source: ListingSource) -> Iterator[Any]:
        if not hasattr(response, "css"):
            yield self.capture(response, "listing", discovery_problem="listing is not an HTML page")
            return
        links = response.css(source.links).xpath("@href").getall()
        problem = None if links else f"no links match {source.links!r}"
        yield self.capture(response, "listing", discovery_problem=problem)
        yield from self.follow_articles(outlet, links, response.url)

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
        yield self.capture(response, "list_api", discovery_problem=problem)
        yield from self.follow_articles(outlet, links, response.url)

    def follow_articles(self, outlet: Outlet, links: Iterable[str], base_url: str) -> Iterator[Request]:
        stats = self.crawler.stats
        assert stats is not None
        archive = self.archive
        for link in links:
            seen = urljoin(base_url, link.strip())
            # Tracking parameters, mobile hosts, old suffixes would make one article look like many.
            url = canonical_url(seen, outlet)
            article = match_article_url(outlet, url)
            if article is None:
                stats.inc_value(f"discovery/{outlet.slug}/other_links")
                continue
            if archive is not None:
                archive.record_article_url(outlet, seen)
            key = (outlet.slug, article.article_id, article.edition)
            if key in self._articles_requested:
                stats.inc_value(f"discovery/{outlet.slug}/repeated_article_links")
                continue
            self._articles_requested.add(key)
            if archive is not None and archive.archived_article_for(outlet, url) is not None:
                stats.inc_value(f"discovery/{outlet.slug}/archived_article_links")
                continue
            stats.inc_value(f"discovery/{outlet.slug}/article_links")
            yield self.article_request(outlet, url)

    def article_request(self, outlet: Outlet, url: str) -> Request:
        return Request(
            url,
            callback=self.parse_article,
            errback=self.on_failure,
            cb_kwargs={"outlet": outlet},
            meta={"outlet": outlet.slug, "page_kind": "article"},
        )

    # --- articles and failures ------------------------------------------------------------------

    def parse_article(self, response: Response, outlet: Outlet) -> Iterator[Any]:
        yield self.capture(response, "article")
        # UDN answers some article URLs with a stub whose only content is a script redirect.
        if len(response.body) <= SCRIPT_REDIRECT_MAX_BYTES:
            match = SCRIPT_REDIRECT.search(response.body.decode("utf-8", "replace"))
            if match:
                target = urljoin(response.url, match["target"])
                if outlet.owns_host(urlsplit(target).hostname or "") and match_article_url(outlet, target):
                    yield self.article_request(outlet, canonical_url(target, outlet))

    def on_failure(self, failure: Failure) -> Iterator[Capture]:
        request: Request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            response: Response = failure.value.response
            yield self.capture(response, response.meta.get("page_kind", "article"))
            return
        if failure.check(IgnoreRequest):
            # Nothing was fetched: robots.txt forbids it, or an offline replay lacks it.
            self.logger.info("not fetched: %s (%s)", request.url, failure.value)
            return
        self.logger.warning("fetch failed: %s %s", request.url, describe_failure(failure))
        yield Capture(
            outlet=request.meta["outlet"],
            page_kind=request.meta.get("page_kind", "article"),
            url=request.url,
            fetched_at=datetime.now(UTC),
            request_method=request.method,
            request_body=request.body,
            fetch_error=describe_failure(failure),
        )

    def capture(
        self, response: Response, page_kind: PageKind, discovery_problem: str | None = None
    ) -> Capture:
        request = response.request
        assert request is not None
        redirects = request.meta.get("redirect_urls") or []
        return Capture(
            outlet=request.meta["outlet"],
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
        )
