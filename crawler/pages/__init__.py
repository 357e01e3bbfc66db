"""Extraction: raw page bytes to an Article, through the page object of the page's outlet.

An outlet needs a module here (`crawler/pages/<slug>.py` defining `Page`) only when its
registry selectors cannot express a field; every other outlet, and any page of a site
with no outlet entry, goes through the generic `ArticlePage`.

An outlet that changed its layout lists each new one in the registry (`[[outlet.layouts]]`
with the date it took effect): a page is read with the layout in force when it was fetched,
so an original fetched years ago still extracts right. Python for one layout only goes in
`crawler/pages/<slug>_<yyyymmdd>.py` (the layout's `since` date); without one, the layout
uses the outlet's module, if any.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from crawler.pages.article import LANGUAGE_FIELDS, Article, ArticlePage, NotAnArticle
from crawler.pages.document import HtmlDocument, UnparseableDocument
from crawler.registry import Layout, Outlet, Registry

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
def _page_module_class(module_name: str) -> type[ArticlePage] | None:
    try:
        module = importlib.import_module(f"{__name__}.{module_name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{module_name}":
            raise
        return None
    return module.Page


def page_class(slug: str | None, layout: Layout | None = None) -> type[ArticlePage]:
    """The page object: the layout's own module, else the outlet's, else the generic one."""
    if slug is None:
        return ArticlePage
    if layout is not None and (own := _page_module_class(f"{slug}_{layout.module_suffix}")):
        return own
    return _page_module_class(slug) or ArticlePage


def choose_layout(outlet: Outlet, document: HtmlDocument, fetched_at: datetime | None) -> Layout | None:
    """The layout in force at `fetched_at`; for a page of unknown date, the newest whose body
    selectors find text in it (else the newest)."""
    if not outlet.layouts:
        return None
    if fetched_at is not None:
        return outlet.layout_at(fetched_at)
    for layout in [*reversed(outlet.layouts), None]:
        if any(document.css(query) for query in outlet.selectors_of(layout).body):
            return layout
    return outlet.layouts[-1]


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
    layout = choose_layout(outlet, document, fetched_at) if outlet else None
    page = page_class(outlet.slug if outlet else None, layout)(document, url, outlet, fetched_at, layout)
    try:
        article = page.to_article()
    except NotAnArticle as reason:
        return Extraction(None, f"not an article: {reason}", document.decoded.encoding)
    return Extraction(article, None, document.decoded.encoding)


__all__ = [
    "LANGUAGE_FIELDS",
    "Article",
    "ArticlePage",
    "Extraction",
    "choose_layout",
    "extract_page",
    "page_class",
]
