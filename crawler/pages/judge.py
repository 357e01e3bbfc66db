"""Judging a parsed page: an article, a partial one, or a soft 404, stub, listing, page without text.

Plain functions over the parsed page; the checks that need no extracted text come first, so a
soft 404 or a redirect stub costs no extraction. The page object (crawler/pages/article.py)
calls `judge_page` before it extracts any field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

from crawler.page_verdict import PageVerdict, Verdict
from crawler.pages.document import HtmlDocument, element_text
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


@dataclass(frozen=True)
class BodyText:
    """The body a page object extracted, and whether the outlet's selectors found it."""

    body: str
    from_selectors: bool


def judge_page(
    document: HtmlDocument, url: str | None, outlet: Outlet | None, text: Callable[[], BodyText]
) -> PageVerdict:
    """What the page is; `text` is asked for only once the page may still be an article."""
    title_tag = document.title_tag or ""
    verdict = _stub_or_not_found(document, url, title_tag) or (
        _outlet_not_found(document, url, outlet, title_tag, text) if outlet else None
    )
    if verdict is not None:
        return verdict
    extracted = text()
    if (
        not extracted.from_selectors
        and (share := link_text_share(document, extracted.body)) > LISTING_LINK_SHARE
    ):
        return PageVerdict(Verdict.LISTING, f"{share:.0%} of its text is link titles")
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
    if url and not match_article_url(outlet, url):
        return PageVerdict(Verdict.NOT_ARTICLE_URL, f"{url} is not an article URL of outlet {outlet.slug!r}")
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
