"""Fetching what a briefing cites: one Scrapy crawl of the cited URLs, as a crawl fetches pages.

`CitationSpider` asks for each cited URL once (however many citations give it), through the
project's settings: robots.txt, retries with backoff, the network policy, the archive and
extraction pipelines. Redirects are followed here, hop by hop, so that every hop is a capture of
its own (a short link's answer survives the shortener) and its own request to the policy; the
host of each hop is one the user asked for, as is the host of the URL cited. A page is
read by its outlet's page object when its host is an outlet's, else the generic way under its
site outlet (`site:<domain>`); the page decides whether it is an article.

A page found gone may be fetched from the Wayback Machine (crawler/briefings/wayback.py) when
WAYBACK_ENABLED: its requests share one download slot paced to WAYBACK_REQUESTS_PER_MINUTE,
and at most WAYBACK_MAX_LOOKUPS pages are looked up in one run; a lookup not made is said in
the citation's reason. `CitationPipeline` (after the archive stage) links each capture to its
citations and gives them their status (crawler/briefings/statuses.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.http import Request, Response
from scrapy.settings import Settings
from twisted.python.failure import Failure

from crawler.archive.briefings import CitationToFetch
from crawler.briefings import wayback
from crawler.capture_building import error_response, failed_fetch, failure_capture, response_capture
from crawler.items import Capture, CitedFetch
from crawler.middlewares.network_policy import PolicyBlocked
from crawler.network_policy import EXPLICIT_HOSTS_META, HostPort, explicit_hosts
from crawler.registry import Registry, load_registry
from crawler.runner import CrawlNotStarted, project_settings
from crawler.sites import is_site_outlet, site_outlet_slug
from crawler.warc_snapshots import Snapshot

WEB_ARCHIVE_SLOT = "web-archive"
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# An outlet for a URL no site outlet can name (no host, an IPv6 address): its capture needs one.
UNNAMED_SITE = "site:unknown"


@dataclass(frozen=True)
class CitedUrl:
    """A URL to fetch and the citations that give it (its claimed date picks a Wayback snapshot)."""

    url: str
    citation_ids: tuple[int, ...]
    claimed_date: date | None = None


class CitationSpider(scrapy.Spider):
    """Fetches cited URLs (argument `cited`: a list of CitedUrl), each hop of their redirects.

    Argument `recheck`: the citations were archived before; a page gone now asks no web archive.
    Settings: REGISTRY_PATH, REDIRECT_MAX_TIMES (hops followed), WAYBACK_ENABLED,
    WAYBACK_AVAILABILITY_URL, WAYBACK_SNAPSHOT_URL, WAYBACK_REQUESTS_PER_MINUTE, WAYBACK_MAX_LOOKUPS.
    """

    name = "citations"

    registry: Registry
    explicit_hosts: set[HostPort]
    # The crawl run lists no outlet: a briefing's fetch queues no outlet's revisits.
    outlets: list[Any]
    cited: list[CitedUrl]

    @classmethod
    def from_crawler(
        cls,
        crawler: Crawler,
        *args: Any,
        cited: list[CitedUrl] | None = None,
        registry: Registry | None = None,
        recheck: bool = False,
        **kwargs: Any,
    ) -> CitationSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.registry = registry if registry is not None else load_registry(settings.get("REGISTRY_PATH"))
        spider.outlets = []
        spider.cited = list(cited or [])
        spider.recheck = recheck
        # Every cited URL's host, and every host its redirects and web-archive copies lead to, is
        # one the user asked for: the network policy allows it (and its robots.txt), addresses aside.
        spider.explicit_hosts = set()
        spider.max_hops = settings.getint("REDIRECT_MAX_TIMES") + 1
        spider.wayback_enabled = settings.getbool("WAYBACK_ENABLED")
        spider.availability_api = settings.get("WAYBACK_AVAILABILITY_URL")
        spider.snapshot_template = settings.get("WAYBACK_SNAPSHOT_URL")
        spider.lookups_left = settings.getint("WAYBACK_MAX_LOOKUPS")
        per_minute = max(settings.getfloat("WAYBACK_REQUESTS_PER_MINUTE"), 0.001)
        slots = {
            WEB_ARCHIVE_SLOT: {"concurrency": 1, "delay": 60.0 / per_minute, "randomize_delay": False},
            **settings.getdict("DOWNLOAD_SLOTS"),
        }
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        crawler.signals.connect(spider.capture_archived, signal=signals.item_scraped)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        for cited in self.cited:
            yield self.hop_request(
                cited.url, CitedFetch(cited.citation_ids, 1, cited.url, cited.claimed_date)
            )

    def outlet_slug(self, url: str) -> str:
        return cited_outlet(self.registry, url)

    def asked(self, url: str) -> tuple[HostPort, ...]:
        """The host of a URL the user asked for, allowed for its request and its robots.txt."""
        try:
            hosts = explicit_hosts([url])
        except ValueError:  # a port that is no number: the policy says so when it checks the URL
            return ()
        self.explicit_hosts.update(hosts)
        return hosts

    def hop_request(self, url: str, cited: CitedFetch) -> Request:
        return Request(
            url,
            callback=self.parse_hop,
            errback=self.on_failure,
            dont_filter=True,
            meta={
                "outlet": self.outlet_slug(url),
                "page_kind": "article",
                "cited": cited,
                "dont_redirect": True,
                "handle_httpstatus_all": True,
                EXPLICIT_HOSTS_META: self.asked(url),
            },
        )

    def parse_hop(self, response: Response) -> Iterator[Capture | Request]:
        meta = response.meta
        cited: CitedFetch = meta["cited"]
        location = response.headers.get("Location")
        if response.status in REDIRECT_STATUSES and location and cited.hop < self.max_hops:
            capture = response_capture(response, meta["outlet"], "redirect")
            capture.cited = cited
            yield capture
            target = urljoin(response.url, location.decode("latin-1"))
            yield self.hop_request(target, replace(cited, hop=cited.hop + 1))
            return
        capture = self.outlet_capture(response, meta["outlet"], "article")
        capture.cited = cited
        yield capture

    def outlet_capture(self, response: Response, slug: str, page_kind: Any) -> Capture:
        outlet = self.registry.get(slug) if slug in self.registry else slug
        return response_capture(response, outlet, page_kind)

    def on_failure(self, failure: Failure) -> Iterator[Capture]:
        request: Request = failure.request  # type: ignore[attr-defined]
        response = error_response(failure)
        if failure.check(PolicyBlocked):
            capture = failure_capture(request, str(failure.value), blocked=True)
        elif response is not None:
            capture = self.outlet_capture(response, request.meta["outlet"], request.meta["page_kind"])
        else:
            failed = failed_fetch(failure)
            self.logger.info("not fetched: %s (%s)", request.url, failed.reason)
            capture = failure_capture(request, failed.reason)
        capture.cited = request.meta.get("cited")
        capture.web_archive_of = request.meta.get("web_archive_of")
        capture.web_archive_snapshot_at = request.meta.get("web_archive_snapshot_at")
        yield capture

    # --- the Wayback Machine ----------------------------------------------------------------------

    def capture_archived(self, item: Capture) -> None:
        """After the pipelines: a lookup's answer leads to the snapshot it names."""
        if item.page_kind != "lookup" or item.cited is None or item.http_status != 200:
            return
        found = wayback.read_availability(item.body)
        if isinstance(found, wayback.WaybackCopy):
            self.crawler.engine.crawl(self.snapshot_request(found, item.cited))

    def web_archive_lookup(self, cited: CitedFetch) -> Request | str | None:
        """The lookup of a gone page in the Wayback Machine, or why it is skipped (None: a recheck,
        which keeps what the citation was archived as and asks no web archive)."""
        if self.recheck:
            return None
        if not self.wayback_enabled:
            return "web archive not asked (WAYBACK_ENABLED is off)"
        if self.lookups_left <= 0:
            return "web archive not asked: this run's WAYBACK_MAX_LOOKUPS lookups are spent"
        self.lookups_left -= 1
        url = wayback.availability_url(self.availability_api, cited.cited_url, cited.claimed_date)
        return Request(
            url,
            callback=self.parse_lookup,
            errback=self.on_failure,
            dont_filter=True,
            meta={
                "outlet": self.outlet_slug(url),
                "page_kind": "lookup",
                "cited": cited,
                "download_slot": WEB_ARCHIVE_SLOT,
                "handle_httpstatus_all": True,
                EXPLICIT_HOSTS_META: self.asked(url),
            },
        )

    def parse_lookup(self, response: Response) -> Iterator[Capture]:
        capture = self.outlet_capture(response, response.meta["outlet"], "lookup")
        capture.cited = response.meta["cited"]
        found = wayback.read_availability(response.body) if response.status == 200 else None
        capture.discovery_problem = found if isinstance(found, str) else None
        yield capture

    def snapshot_request(self, copy: wayback.WaybackCopy, cited: CitedFetch) -> Request:
        url = wayback.snapshot_url(self.snapshot_template, copy, cited.cited_url)
        return Request(
            url,
            callback=self.parse_snapshot,
            errback=self.on_failure,
            dont_filter=True,
            meta={
                "outlet": self.outlet_slug(cited.cited_url),
                "page_kind": "article",
                "cited": cited,
                "web_archive_of": cited.cited_url,
                "web_archive_snapshot_at": copy.taken_at,
                "download_slot": WEB_ARCHIVE_SLOT,
                EXPLICIT_HOSTS_META: self.asked(url),
            },
        )

    def parse_snapshot(self, response: Response) -> Iterator[Capture]:
        capture = self.outlet_capture(response, response.meta["outlet"], "article")
        capture.cited = response.meta["cited"]
        capture.web_archive_of = response.meta["web_archive_of"]
        capture.web_archive_snapshot_at = response.meta["web_archive_snapshot_at"]
        yield capture


def fetch_citations(
    settings: Settings, cited: list[CitedUrl], registry: Registry, *, recheck: bool = False
) -> dict[str, Any]:
    """Fetch the cited URLs in this process (blocks until done); Scrapy's stats of the run.

    CrawlNotStarted when Scrapy could not set the fetch up, its reason in one line.
    """
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(CitationSpider)
    failures: list[Failure] = []
    process.crawl(crawler, cited=cited, registry=registry, recheck=recheck).addErrback(failures.append)
    process.start()
    # Scrapy's root handler would keep printing later log records of this process.
    logging.getLogger().handlers.clear()
    if failures:
        error = failures[0].value
        raise CrawlNotStarted(f"fetch did not start: {type(error).__name__}: {error}")
    return crawler.stats.get_stats() if crawler.stats else {}


def cited_outlet(registry: Registry, url: str) -> str:
    """The outlet a URL's page is archived under: the registry's owning its host, else its site's."""
    try:
        outlet = registry.for_url(url)
    except ValueError:
        outlet = None
    if outlet is not None:
        return outlet.slug
    site = site_outlet_slug(url)
    # An IPv6 address makes no site outlet's name.
    return site if site and is_site_outlet(site) else UNNAMED_SITE


def cited_urls(citations: list[CitationToFetch]) -> list[CitedUrl]:
    """One fetch per URL, for all the citations that give it."""
    by_url: dict[str, list[CitationToFetch]] = {}
    for citation in citations:
        by_url.setdefault(citation.url, []).append(citation)
    return [
        CitedUrl(url, tuple(citation.id for citation in group), group[0].claimed_date)
        for url, group in by_url.items()
    ]


def fetch_cited(
    db_path: Path,
    cited: list[CitedUrl],
    registry: Registry,
    *,
    replay: Path | None,
    registry_path: Path | None,
    verbose: bool,
    overrides: dict[str, str],
    recheck: bool,
) -> None:
    """Fetch cited URLs into the archive at `db_path`, with the project's settings and `overrides`
    (`-s NAME=VALUE`); from a replay snapshot instead of the network when `replay` names one."""
    if replay is not None:
        Snapshot(replay)
    settings = project_settings(
        db_path, replay_snapshot=replay, registry_path=registry_path, verbose=verbose, overrides=overrides
    )
    # A briefing's gone page is worth the Wayback Machine's copy, unless -s WAYBACK_ENABLED=False.
    settings.set("WAYBACK_ENABLED", not recheck, priority="spider")
    settings.set("PROGRESS_ENABLED", False, priority="cmdline")
    fetch_citations(settings, cited, registry, recheck=recheck)
