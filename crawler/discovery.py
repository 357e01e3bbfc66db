"""Discovery documents read as plain functions: a feed, sitemap, listing or list API in, links out.

Each reader takes the document as fetched (its bytes, or its text for an HTML listing) and the
source's registry entry, and returns what it lists plus, when it lists nothing usable, one line
saying why. None of them fetches or needs a crawl: the spider (crawler/spiders/outlets.py)
fetches, reads with these, and keeps only the outlet's article URLs (`article_urls`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import jmespath
import jmespath.exceptions
from parsel import Selector
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from crawler.identity import canonical_url
from crawler.pages.judge import SCRIPT_REDIRECT, SCRIPT_REDIRECT_MAX_BYTES
from crawler.registry import ArticleUrl, JsonApiSource, ListingSource, Outlet, match_article_url
from crawler.settings import DOWNLOAD_MAXSIZE

GZIP_MAGIC = b"\x1f\x8b"
# The problem of a JSON document nested deeper than the interpreter's recursion limit.
JSON_TOO_DEEP = "not read: JSON nested too deep"


@dataclass(frozen=True)
class Discovered:
    """What one discovery document lists, and what was wrong with it (None: nothing).

    `links` point at pages (relative ones against the document's URL); `documents` are further
    discovery documents to read the same way: a sitemap index's sitemaps (URLs), or list APIs
    a channel tree names (JsonApiSource).
    """

    links: tuple[str, ...] = ()
    documents: tuple[str | JsonApiSource, ...] = ()
    problem: str | None = None


@dataclass(frozen=True)
class ArticleUrls:
    """The outlet's article URLs among a document's links, one per article, and how many were not."""

    articles: list[ArticleUrl]
    other_links: int


def read_feed(body: bytes) -> Discovered:
    """The entry links of an RSS, Atom or RDF feed."""
    parsed = feedparser.parse(body)
    links = tuple(link for entry in parsed.entries for link in _entry_links(entry))
    if not links and parsed.bozo:
        return Discovered(problem=f"not a feed: {parsed.bozo_exception}")
    if not links:
        # feedparser leaves `version` out when it found no feed at all (an empty body).
        return Discovered(
            problem="feed lists no entries"
            if parsed.get("version")
            else "not a feed: no RSS, Atom or RDF root"
        )
    return Discovered(links)


def _entry_links(entry: Any) -> list[str]:
    links = [entry.get("link")] + [link.get("href") for link in entry.get("links", [])]
    return list(dict.fromkeys(link for link in links if link))


def read_sitemap(body: bytes, url: str, max_bytes: int = DOWNLOAD_MAXSIZE) -> Discovered:
    """A urlset's page URLs, or a sitemap index's sitemaps (as `documents`); gzipped or not, and
    then at most `max_bytes` once decompressed."""
    try:
        if body[:2] == GZIP_MAGIC:
            body = gunzip(body, max_size=max_bytes)
        sitemap = Sitemap(body)
        kind = sitemap.type
    except Exception as error:  # lxml, gzip and size errors all mean "not a sitemap"
        return Discovered(problem=f"not a sitemap: {error}")
    if kind not in ("urlset", "sitemapindex"):
        return Discovered(problem=f"not a sitemap: root element <{kind}>")
    listed = [absolute_url(url, entry["loc"]) for entry in sitemap if entry.get("loc")]
    locations = tuple(location for location in listed if location is not None)
    problem = None if locations else f"sitemap ({kind}) lists no URLs"
    if len(locations) < len(listed):
        problem = f"not URLs: {len(listed) - len(locations):,} of its <loc> entries"
    if kind == "urlset":
        return Discovered(locations, problem=problem)
    if url in locations:
        # Recorded as a problem; the crawl's duplicate filter drops the request for itself.
        problem = "sitemap index lists itself"
    return Discovered(documents=locations, problem=problem)


def read_listing(html: str | None, source: ListingSource) -> Discovered:
    """The `href` of the elements the listing's CSS selector picks; `html` is None if not a text page."""
    if html is None:
        return Discovered(problem="listing is not an HTML page")
    links = tuple(Selector(text=html, type="html").css(source.links).xpath("@href").getall())
    return Discovered(links, problem=None if links else f"no links match {source.links!r}")


def read_json_api(body: bytes, source: JsonApiSource) -> Discovered:
    """The strings or numbers the API's JMESPath expression finds, through its link template if any.

    JSON nested deeper than the interpreter's recursion limit (about 1,000 levels) is a problem
    of the document, as are numbers longer than Python's 4,300 digits.
    """
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except RecursionError:
        return Discovered(problem=JSON_TOO_DEEP)
    except ValueError as error:  # UnicodeDecodeError, JSONDecodeError, a number too long
        return Discovered(problem=f"not JSON: {error}")
    try:
        found = jmespath.search(source.links, document)
    except (jmespath.exceptions.JMESPathError, RecursionError) as error:
        return Discovered(problem=f"links at {source.links!r} not read: {type(error).__name__}: {error}")
    values = found if isinstance(found, list) else [found] if found else []
    links = [str(value) for value in values if isinstance(value, str | int) and str(value)]
    if source.link_template:
        links = [source.link_template.format(value) for value in links]
    return Discovered(tuple(links), problem=None if links else f"no links at {source.links!r}")


def redirect_stub_links(body: bytes, url: str, outlet: Outlet) -> list[str]:
    """Where an article URL answered with a script redirect stub (UDN's VIP pages) sends, if the outlet's."""
    if len(body) > SCRIPT_REDIRECT_MAX_BYTES:
        return []
    match = SCRIPT_REDIRECT.search(body.decode("utf-8", "replace"))
    if match is None:
        return []
    target = urljoin(url, match["target"])
    return [target] if outlet.owns_host(urlsplit(target).hostname or "") else []


def absolute_url(base_url: str, link: str) -> str | None:
    """`link` made absolute against `base_url`; None if it is not a URL (an unclosed "[" host)."""
    try:
        return urljoin(base_url, link.strip())
    except ValueError:
        return None


def article_urls(outlet: Outlet, links: Iterable[str], base_url: str) -> ArticleUrls:
    """The outlet's article URLs among `links` (relative to `base_url`), one per article, canonical."""
    articles: dict[tuple[str, str], ArticleUrl] = {}
    other_links = 0
    for link in links:
        listed = absolute_url(base_url, link)
        # Tracking parameters, mobile hosts, old suffixes would make one article look like many.
        article = match_article_url(outlet, canonical_url(listed, outlet)) if listed else None
        if article is None:
            other_links += 1
            continue
        articles.setdefault((article.article_id, article.edition), replace(article, listed_url=listed))
    return ArticleUrls(list(articles.values()), other_links)
