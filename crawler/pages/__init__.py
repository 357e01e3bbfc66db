"""Extraction: raw page bytes to an Article, through the page object of the page's outlet.

An outlet needs a module here (`crawler/pages/<slug>.py` defining `Page`) only when its
registry selectors cannot express a field; every other outlet, and any page of a site
with no outlet entry, goes through the generic `ArticlePage`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from crawler.pages.article import LANGUAGE_FIELDS, Article, ArticlePage, NotAnArticle
from crawler.pages.document import HtmlDocument, UnparseableDocument
from crawler.registry import Outlet, Registry

DEFAULT_MAX_PAGE_BYTES = 5_000_000
HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")


@dataclass(frozen=True)
class Extraction:
    """What extraction made of one page: an article, or the reason there is none."""

    article: Article | None
    reason: str | None
    encoding: str | None

    @property
    def is_article(self) -> bool:
        return self.article is not None


@cache
def page_class(slug: str | None) -> type[ArticlePage]:
    """The page object for an outlet: its own module's `Page` if it has one, else the generic one."""
    if slug is None:
        return ArticlePage
    try:
        module = importlib.import_module(f"{__name__}.{slug}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{slug}":
            raise
        return ArticlePage
    return module.Page


def extract_page(
    body: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    outlet: Outlet | None = None,
    registry: Registry | None = None,
    fetched_at: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_PAGE_BYTES,
) -> Extraction:
    """Extract the article of one page; never raises for bad input, gives the reason instead.

    With a `registry` and no `outlet`, the outlet is the one owning the page's URL (or, for a
    page saved without its URL, its canonical link); pages of other sites go the generic path.
    """
    if len(body) > max_bytes:
        return Extraction(None, f"page too large ({len(body):,} bytes > {max_bytes:,} limit)", None)
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type and not media_type.startswith(HTML_CONTENT_TYPES):
        return Extraction(None, f"not HTML ({media_type})", None)
    try:
        document = HtmlDocument(body, content_type, url)
    except UnparseableDocument as error:
        return Extraction(None, str(error), None)
    if outlet is None and registry is not None:
        own_url = url or ArticlePage(document).url
        outlet = registry.for_url(own_url) if own_url else None
    page = page_class(outlet.slug if outlet else None)(document, url, outlet, fetched_at)
    try:
        article = page.to_article()
    except NotAnArticle as reason:
        return Extraction(None, f"not an article: {reason}", document.decoded.encoding)
    return Extraction(article, None, document.decoded.encoding)


__all__ = ["LANGUAGE_FIELDS", "Article", "ArticlePage", "Extraction", "extract_page", "page_class"]
