"""Citation stage: each capture a briefing's citation asked for, linked to its citations.

Runs after the archive stage, so the capture is stored whatever happens here: an exception
here is logged and noted on the citations (`citation_error: …`), never the crawl's. A redirect is
one hop of the citations' chain; the capture that ends the chain gives them their status
(crawler/briefings/statuses.py); a page found gone is looked up in the Wayback Machine, whose
copy, once fetched, is what the citation is archived as.
"""

from __future__ import annotations

from contextlib import suppress
from urllib.parse import urljoin

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.archive import Archive
from crawler.archive.articles import StoreResult
from crawler.archive.captures import seen_at
from crawler.briefings.fetching import CitationSpider
from crawler.briefings.statuses import WEB_ARCHIVE_WORTHY, resolve
from crawler.items import Capture, CitedFetch, stage_error
from crawler.registry import Registry


class CitationPipeline:
    """Writes `citation_hops` and the citations' status for the captures of CitationSpider.

    Settings: ARCHIVE_PATH. Switched off (NotConfigured) for any other spider.
    """

    def __init__(self, crawler: Crawler, spider: CitationSpider, path: str):
        self.crawler = crawler
        self.spider = spider
        self.registry: Registry = spider.registry
        self.path = path
        self.archive: Archive | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CitationPipeline:
        spider = crawler.spider
        if not isinstance(spider, CitationSpider):
            # Only a briefing's fetch has citations (no message: Scrapy would warn of it).
            raise NotConfigured
        return cls(crawler, spider, crawler.settings["ARCHIVE_PATH"])

    def open_spider(self) -> None:
        self.archive = Archive(self.path)

    def close_spider(self) -> None:
        if self.archive is not None:
            self.archive.close()
            self.archive = None

    def process_item(self, item: Capture) -> Capture:
        cited, stored = item.cited, item.stored
        if cited is None or stored is None:
            return item
        try:
            self._link(item, cited, stored)
        except Exception as error:
            # The capture is archived already; its citations keep their status (pending) and say why.
            reason = stage_error("citation", error)
            assert self.crawler.spider is not None and self.crawler.stats is not None
            self.crawler.spider.logger.warning("%s: %s", item.url, reason)
            self.crawler.stats.inc_value("pipeline/citation_error")
            # What failed may be the archive itself: the log line above is then all there is.
            with suppress(Exception):
                assert self.archive is not None
                self.archive.citation_checks.note(cited.citation_ids, reason)
        return item

    def _link(self, item: Capture, cited: CitedFetch, stored: StoreResult) -> None:
        assert self.archive is not None
        checks = self.archive.citation_checks
        fetched_at = seen_at(item.fetched_at)
        if item.page_kind == "lookup":
            if item.http_status != 200 or item.discovery_problem:
                why = item.discovery_problem or item.fetch_error or f"HTTP {item.http_status}"
                checks.note(cited.citation_ids, f"web archive: {why}")
            return
        if item.web_archive_of:
            resolution = resolve(item)
            if resolution.status == "archived_from_web_archive":
                checks.archive_web_copy(
                    cited.citation_ids,
                    resolution,
                    capture_id=stored.capture_id,
                    article_row=stored.article,
                    snapshot_at=seen_at(item.web_archive_snapshot_at or item.fetched_at),
                )
            else:
                checks.note(cited.citation_ids, f"web archive's copy not used: {resolution.reason}")
            return
        location = item.header("Location") if item.page_kind == "redirect" else None
        checks.record_hop(
            citation_ids=cited.citation_ids,
            hop=cited.hop,
            from_url=item.final_url or item.url,
            to_url=urljoin(item.final_url or item.url, location) if location else None,
            http_status=item.http_status,
            capture_id=stored.capture_id,
            fetched_at=fetched_at,
        )
        if item.page_kind == "redirect":
            return
        final_url = item.final_url or item.url
        outlet = self.registry.get(item.outlet) if item.outlet in self.registry else None
        went_home = cited.hop > 1 and outlet is not None and outlet.is_home_page(final_url)
        resolution = resolve(item, went_home)
        checks.resolve(
            cited.citation_ids,
            resolution,
            capture_id=stored.capture_id,
            article_row=stored.article,
            final_url=final_url,
            fetched_at=fetched_at,
        )
        if resolution.removal in WEB_ARCHIVE_WORTHY:
            lookup = self.spider.web_archive_lookup(cited)
            if isinstance(lookup, str):
                checks.note(cited.citation_ids, lookup)
            elif lookup is not None:
                self.crawler.engine.crawl(lookup)
