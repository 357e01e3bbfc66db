"""Reading a fetched discovery document, for the outlets spider (crawler/spiders/outlets.py): the
readers of each kind of document (crawler/discovery.py's functions, given the response) and the
bounds on what a document leads to (DISCOVERY_MAX_DEPTH levels of documents listing documents,
DISCOVERY_MAX_DOCUMENTS of them and DISCOVERY_MAX_LINKS URLs taken per document), with what they
left out said in words for the document's capture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings

from crawler import discovery
from crawler.capture_building import describe_exception
from crawler.discovery import ArticleUrls, Discovered
from crawler.registry import JsonApiSource, ListingSource, Outlet

# Reads a fetched discovery document: one of crawler/discovery.py's functions, given the body.
DocumentReader = Callable[[Response], Discovered]


def feed_links(response: Response) -> Discovered:
    return discovery.read_feed(response.body)


def sitemap_links(response: Response, max_bytes: int) -> Discovered:
    return discovery.read_sitemap(response.body, response.url, max_bytes)


def listing_links(response: Response, source: ListingSource) -> Discovered:
    return discovery.read_listing(response.text if isinstance(response, TextResponse) else None, source)


def json_api_links(response: Response, source: JsonApiSource) -> Discovered:
    return discovery.read_json_api(response.body, source)


@dataclass(frozen=True)
class DiscoveryBounds:
    """How far discovery follows what documents list (crawler/settings.py)."""

    max_depth: int
    max_documents: int
    max_links: int

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> DiscoveryBounds:
        return cls(
            settings.getint("DISCOVERY_MAX_DEPTH"),
            settings.getint("DISCOVERY_MAX_DOCUMENTS"),
            settings.getint("DISCOVERY_MAX_LINKS"),
        )

    def read(
        self, response: Response, outlet: Outlet, read: DocumentReader
    ) -> tuple[Discovered, ArticleUrls | None]:
        """What a discovery document lists, and the outlet's article URLs among its first
        DISCOVERY_MAX_LINKS links (None: it lists none). Touches nothing of the crawl's."""
        try:
            found = read(response)
        except Exception as error:  # a reader's failure is the document's problem, not the crawl's
            found = Discovered(problem=f"unreadable: {describe_exception(error)}")
        links = found.links[: self.max_links]
        return found, discovery.article_urls(outlet, links, response.url) if links else None

    def documents_to_read(self, found: Discovered, depth: int) -> Sequence[str | JsonApiSource]:
        """The documents a document `depth` levels down lists that are read in turn."""
        return found.documents[: self.max_documents] if depth <= self.max_depth else ()

    def left_out(self, found: Discovered, depth: int) -> str | None:
        """What the bounds left out of a document, in words; None if nothing."""
        if found.documents and depth > self.max_depth:
            return (
                f"{depth} levels deep, more than DISCOVERY_MAX_DEPTH ({self.max_depth}):"
                f" the documents it lists ({len(found.documents):,}) not read"
            )
        if len(found.documents) > self.max_documents:
            return (
                f"lists {len(found.documents):,} documents: the first {self.max_documents:,} read"
                " (DISCOVERY_MAX_DOCUMENTS)"
            )
        if len(found.links) > self.max_links:
            return (
                f"lists {len(found.links):,} URLs: the first {self.max_links:,} taken (DISCOVERY_MAX_LINKS)"
            )
        return None
