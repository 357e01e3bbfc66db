"""Extraction: raw page bytes to an Article, through the page object of the page's outlet.

An outlet needs Python (`crawler/outlets/<slug>.py` defining `Page`) only when its registry
selectors cannot express a field; every other outlet, and any page of a site with no outlet
entry, goes through the generic `ArticlePage`.

An outlet that changed its layout lists each new one in the registry (`[[outlet.layouts]]`
with the date it took effect): a page is read with the layout in force when it was fetched,
so an original fetched years ago still extracts right. Python for one layout only is the class
`Page<yyyymmdd>` (the layout's `since` date) in the outlet's module, usually a subclass of its
`Page` overriding what changed; without one, the layout uses the outlet's `Page`, if any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crawler.article_fields import Article
from crawler.outlets import outlet_module
from crawler.page_verdict import PageVerdict, Verdict
from crawler.pages.article import ArticlePage, NotAnArticle
from crawler.pages.document import HtmlDocument, UnparseableDocument
from crawler.registry import Layout, Outlet, Registry

DEFAULT_MAX_PAGE_BYTES = 5_000_000
HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")


@dataclass(frozen=True)
class Extraction:
    """What extraction made of one page: an article, or the verdict on the page holding none."""

    article: Article | None
    not_article: PageVerdict | None
    encoding: str | None
    # The charset the page declared and `encoding` overruled, having misread the bytes.
    overruled_charset: str | None = None

    def __post_init__(self) -> None:
        if (self.article is None) == (self.not_article is None):
            raise ValueError("an extraction has either an article or the verdict on a page holding none")

    @property
    def encoding_record(self) -> str | None:
        """How the page was decoded, as a capture records it: `utf-8`, or `utf-8 (declared utf-16
        overruled)` when the charset the page declared misread its bytes."""
        if self.encoding and self.overruled_charset:
            return f"{self.encoding} (declared {self.overruled_charset} overruled)"
        return self.encoding

    @property
    def is_article(self) -> bool:
        return self.article is not None

    @property
    def reason(self) -> str | None:
        """Why there is no article, in words (None when there is one)."""
        return self.not_article.reason if self.not_article else None


def page_class(slug: str | None, layout: Layout | None = None) -> type[ArticlePage]:
    """The page object: the layout's own class, else the outlet's, else the generic one."""
    module = outlet_module(slug) if slug else None
    if module is None:
        return ArticlePage
    if layout is not None and (own := getattr(module, layout_class_name(layout), None)):
        return own
    return getattr(module, "Page", ArticlePage)


def layout_class_name(layout: Layout) -> str:
    """The name of the page class of one layout in its outlet's module: Page20200201."""
    return f"Page{layout.since:%Y%m%d}"


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
    require_article_url: bool = False,
) -> Extraction:
    """Extract the article of one page; never raises for bad input, gives the reason instead.

    With a `registry` and no `outlet`, the outlet is the one owning the page's URL (or, for a
    page saved without its URL, its canonical link); pages of other sites go the generic path,
    and are their site's (`site:<registered domain>`). The page decides whether it is an
    article, whatever its URL; `require_article_url` (the crawl) refuses a page of an outlet at
    a URL none of its patterns matches.
    """
    if len(body) > max_bytes:
        return Extraction(
            None, PageVerdict(Verdict.TOO_LARGE, f"{len(body):,} bytes > {max_bytes:,} limit"), None
        )
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type and not media_type.startswith(HTML_CONTENT_TYPES):
        return Extraction(None, PageVerdict(Verdict.NOT_HTML, media_type), None)
    try:
        document = HtmlDocument(body, content_type, url)
    except UnparseableDocument as error:
        return Extraction(None, PageVerdict(Verdict.UNPARSEABLE, str(error)), None)
    if document.wayback:
        # A Wayback capture: the page of the address captured, as it stood when captured.
        url, fetched_at = document.wayback.original_url, document.wayback.captured_at
    if outlet is None and registry is not None:
        own_url = url or ArticlePage(document).url
        outlet = registry.for_url(own_url) if own_url else None
    layout = choose_layout(outlet, document, fetched_at) if outlet else None
    page = page_class(outlet.slug if outlet else None, layout)(
        document, url, outlet, fetched_at, layout, require_article_url=require_article_url
    )
    decoded = document.decoded
    try:
        article = page.to_article()
    except NotAnArticle as refused:
        return Extraction(None, refused.verdict, decoded.encoding, decoded.rejected_declaration)
    return Extraction(article, None, decoded.encoding, decoded.rejected_declaration)


__all__ = [
    "Article",
    "ArticlePage",
    "Extraction",
    "choose_layout",
    "extract_page",
    "layout_class_name",
    "page_class",
]
