"""Judging a parsed page: an article, a partial one, or a soft 404, stub, listing, page without text.

Plain functions over the parsed page; the checks that need no extracted text come first, so a
soft 404 or a redirect stub costs no extraction. The page object (crawler/pages/article.py)
calls `judge_page` before it extracts any field.

The crawl fetches what the outlet's URL patterns let through, and refuses a page whose final
URL none of them matches (`require_article_url`). A page given by URL (`extract`, `import`,
`reextract`) is judged by the page alone: one at an address no pattern matches must then not
look like a page of links, by its markup (a home page, a JSON-LD list with no article in it) or
by its text (next to no prose among many headline links).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from crawler.page_verdict import PageVerdict, Verdict
from crawler.pages.document import ARTICLE_LD_TYPES, HtmlDocument, element_text, ld_types
from crawler.registry import Outlet, match_article_url

GENERIC_MIN_BODY_CHARS = 40
# Above this share of link titles, text found without site selectors is a list of links.
LISTING_LINK_SHARE = 0.5
# Shorter lines are not counted as link titles: a few characters match some link by chance.
MIN_LINK_TITLE_CHARS = 4
# Titles of error pages served with status 200.
NOT_FOUND_TITLE = re.compile(
    r"^\s*(?:404\b|not found|page not found|找不到|頁面不存在|页面不存在|網頁不存在|网页不存在|"
    r"無此(?:頁面|網頁|新聞)|无此(?:页面|网页|新闻)|錯誤頁|错误页)",
    re.IGNORECASE,
)
# A body that is only a script sending the browser elsewhere (UDN's VIP stubs).
SCRIPT_REDIRECT = re.compile(
    r"""(?:window\.|document\.)?location(?:\.href)?\s*=\s*["'](?P<target>[^"']+)["']"""
)
SCRIPT_REDIRECT_MAX_BYTES = 4096
META_REFRESH = re.compile(r"^\s*\d+\s*;\s*url\s*=\s*['\"]?(?P<target>[^'\"]+)", re.IGNORECASE)
# JSON-LD types of a page that lists things: an article page may carry one beside its article.
LIST_LD_TYPES = frozenset({"ItemList", "CollectionPage", "SearchResultsPage"})
# A page of links: of its visible text, less than this share is the prose found...
LINK_PAGE_MAX_PROSE_SHARE = 0.03
# ... among at least this many links whose text is as long as a headline.
LINK_PAGE_MIN_HEADLINE_LINKS = 100
HEADLINE_LINK_CHARS = 12


@dataclass(frozen=True)
class BodyText:
    """The body a page object extracted, and whether the outlet's selectors found it."""

    body: str
    from_selectors: bool


def judge_page(
    document: HtmlDocument,
    url: str | None,
    outlet: Outlet | None,
    text: Callable[[], BodyText],
    *,
    require_article_url: bool = False,
) -> PageVerdict:
    """What the page is; `text` is asked for only once the page may still be an article.

    With `require_article_url` (the crawl), a page of the outlet's at a URL none of its
    patterns matches is no article; without, the page decides.
    """
    title_tag = document.title_tag or ""
    at_article_url = bool(outlet and url and match_article_url(outlet, url))
    verdict = _stub_or_not_found(document, url, title_tag)
    if verdict is None and outlet and url and require_article_url and not at_article_url:
        verdict = PageVerdict(
            Verdict.NOT_ARTICLE_URL, f"{url} is not an article URL of outlet {outlet.slug!r}"
        )
    if verdict is None and outlet:
        verdict = _outlet_not_found(document, url, outlet, title_tag, text)
    if verdict is not None:
        return verdict
    if not at_article_url and (verdict := _list_markup(document, url, outlet)):
        return verdict
    extracted = text()
    if (
        not extracted.from_selectors
        and (share := link_text_share(document, extracted.body)) > LISTING_LINK_SHARE
    ):
        return PageVerdict(Verdict.LISTING, f"{share:.0%} of its text is link titles")
    if (
        not at_article_url
        and not extracted.from_selectors
        and (verdict := _links_around_no_prose(document, extracted.body))
    ):
        return verdict
    partial = partial_reason(document, outlet)
    minimum = outlet.page_rules.min_body_chars if outlet else GENERIC_MIN_BODY_CHARS
    if len(extracted.body) < minimum:
        if partial:
            return PageVerdict(Verdict.PAYWALL_STUB, partial)
        return PageVerdict(Verdict.NO_TEXT, f"{len(extracted.body)} characters after extraction")
    return PageVerdict(Verdict.PARTIAL, partial) if partial else PageVerdict(Verdict.ARTICLE)


def _stub_or_not_found(document: HtmlDocument, url: str | None, title_tag: str) -> PageVerdict | None:
    html = document.html
    if len(html) <= SCRIPT_REDIRECT_MAX_BYTES and (match := SCRIPT_REDIRECT.search(html)):
        return PageVerdict(Verdict.REDIRECT_STUB, urljoin(url or "", match["target"]))
    refresh = document.meta("refresh")
    if refresh and (match := META_REFRESH.match(refresh)) and "404" in match["target"]:
        return PageVerdict(Verdict.SOFT_404, f"meta refresh to {match['target']}")
    if NOT_FOUND_TITLE.match(title_tag):
        return PageVerdict(Verdict.SOFT_404, f"page title {title_tag!r}")
    return None


def _outlet_not_found(
    document: HtmlDocument,
    url: str | None,
    outlet: Outlet,
    title_tag: str,
    text: Callable[[], BodyText],
) -> PageVerdict | None:
    """The outlet's own marks of a page that is not one of its articles (config: page_rules)."""
    rules = outlet.page_rules
    page_urls = [url or "", document.link("canonical") or ""]
    for marker in rules.not_found_url:
        if any(marker in page_url for page_url in page_urls):
            return PageVerdict(Verdict.SOFT_404, f"URL contains {marker!r}")
    for marker in rules.not_found_title:
        if title_tag.strip() == marker:
            return PageVerdict(Verdict.SOFT_404, f"page title {title_tag!r}")
    for query in rules.not_found_selector:
        if document.css(query):
            return PageVerdict(Verdict.SOFT_404, f"page has {query}")
    # Text the outlet's selectors found is the article's: a marker elsewhere is a sidebar's.
    if rules.not_found_text and not text().from_selectors:
        for marker in rules.not_found_text:
            if marker in document.html:
                return PageVerdict(Verdict.SOFT_404, f"page says {marker!r}")
    return None


def _list_markup(document: HtmlDocument, url: str | None, outlet: Outlet | None) -> PageVerdict | None:
    """A home page, or a page whose JSON-LD describes a list and no article."""
    parts = urlsplit(url or "")
    if outlet is not None and url and outlet.is_home_page(url):
        return PageVerdict(Verdict.LISTING, "the outlet's home page")
    if outlet is None and parts.hostname and parts.path in ("", "/") and not parts.query:
        return PageVerdict(Verdict.LISTING, "the site's home page")
    types = set().union(*(ld_types(item) for item in document.json_ld))
    if (listed := types & LIST_LD_TYPES) and not types & ARTICLE_LD_TYPES - {"WebPage"}:
        return PageVerdict(Verdict.LISTING, f"JSON-LD {sorted(listed)[0]} and no article")
    return None


def _links_around_no_prose(document: HtmlDocument, body: str) -> PageVerdict | None:
    """Next to no prose among many headline links, on a page that marks up no article."""
    if document.tree.xpath("//article") or document.json_ld_article:
        return None
    page = document.tree.find("body")
    page_chars = len(element_text(page)) if page is not None else 0
    if len(body) >= LINK_PAGE_MAX_PROSE_SHARE * page_chars:
        return None
    headline_links = sum(
        1 for anchor in document.tree.iter("a") if len(element_text(anchor)) >= HEADLINE_LINK_CHARS
    )
    if headline_links < LINK_PAGE_MIN_HEADLINE_LINKS:
        return None
    return PageVerdict(
        Verdict.LISTING, f"{headline_links} headline links around {len(body)} characters of prose"
    )


def link_text_share(document: HtmlDocument, body: str) -> float:
    """Share of the body's characters in lines that are also the text of a link."""
    if not body:
        return 0.0
    anchor_texts = "\x00".join(element_text(anchor) for anchor in document.tree.iter("a"))
    lines = [line for line in body.split("\n") if line]
    linked = sum(len(line) for line in lines if len(line) >= MIN_LINK_TITLE_CHARS and line in anchor_texts)
    return linked / max(1, sum(len(line) for line in lines))


def partial_reason(document: HtmlDocument, outlet: Outlet | None) -> str | None:
    """Why the text is incomplete (paywall, expired archive), or None."""
    if outlet is None:
        return None
    for marker in outlet.page_rules.partial_text:
        if marker in document.html:
            return f"page says {marker!r}"
    for query in outlet.page_rules.partial_selector:
        if document.css(query):
            return f"page has {query}"
    return None
