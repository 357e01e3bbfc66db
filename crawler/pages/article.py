"""The article page object: one method per field over a page parsed once.

Each field is looked up in a fixed cascade and records which step produced it:
`selector` (the outlet's CSS selectors), `heading` (the page's <h1> that its <title> repeats),
`json-ld`, `meta` (OpenGraph and other meta tags), `byline` (credits lifted from the text),
`text-density` (the block of the page where Chinese prose is densest, crawler/pages/density.py),
`page` (credits and times printed around that text, on pages of sites with no outlet entry),
`trafilatura` (its generic extraction, run at most once and only if an earlier step left a
field empty), `title-tag`, `url`. A page object never downloads anything.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Generic, TypeVar
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import trafilatura
from trafilatura.settings import Document as TrafilaturaDocument

from crawler import __version__
from crawler.article_fields import ARTICLE_FIELDS, Article
from crawler.pages.boilerplate import drop_boilerplate
from crawler.pages.bylines import (
    Credits,
    agency_name,
    lift_bylines,
    parse_credit_line,
    parse_credit_paragraph,
    parse_editor_line,
    parse_labelled_credits,
)
from crawler.pages.dates import (
    VISIBLE_TIME,
    VisibleTimes,
    find_visible_times,
    guess_zone,
    has_time_of_day,
    isoformat,
    parse_datetime,
)
from crawler.pages.density import MainText, find_main_text
from crawler.pages.document import HtmlDocument, clean_text, element_text, ld_people, ld_text
from crawler.registry import Layout, Outlet, Selectors, match_article_url

T = TypeVar("T")
GENERIC_MIN_BODY_CHARS = 40
# Below this length a heading is a kicker or a section name, not the article's title.
MIN_HEADING_TITLE_CHARS = 4
HEADING_TITLE_TAGS = ("h1", "h2", "h3")
# A paragraph this long met twice is the page printing its text twice (mobile and desktop copies).
MIN_REPEATED_PARAGRAPH_CHARS = 20
# Elements whose short text is a credit without a label: <div class="author">謝明俊</div>.
CREDIT_ELEMENT = re.compile(r"author|byline|reporter|writer|journalist|editor", re.IGNORECASE)
MAX_CREDIT_ELEMENT_CHARS = 30
CHINESE_CHARACTER = re.compile(r"[\u3400-\u9fff]")
WHITESPACE = re.compile(r"\s+")
CASCADE_FIELDS = tuple(article_field for article_field in ARTICLE_FIELDS if article_field.cascade)
# Above this share of link titles, text found without site selectors is a list of links.
LISTING_LINK_SHARE = 0.5

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
TITLE_SEPARATORS = re.compile(r"\s+[|｜\-–—_]\s+|\s*[|｜_]\s*")
TAG_SEPARATORS = re.compile(r"\s*[,，、;；|]\s*")
URL_DATE = re.compile(r"/(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})-(?P<d>\d{2})/")
PUBLISHED_META = (
    "article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "dc.date.issued",
    "og:published_time",
    "date",
)
MODIFIED_META = (
    "article:modified_time",
    "datemodified",
    "og:updated_time",
    "lastmod",
    "weibo: article:update_at",
)


@dataclass(frozen=True)
class Extracted(Generic[T]):
    """A field's value and the cascade step that produced it (None when nothing did)."""

    value: T | None
    method: str | None

    @classmethod
    def none(cls) -> Extracted[T]:
        return cls(None, None)


class NotAnArticle(Exception):
    """The page is fetched fine but holds no article: soft 404, listing, stub."""


def _first(*steps: tuple[str, Callable[[], T | None]]) -> Extracted[T]:
    for method, step in steps:
        value = step()
        if value:
            return Extracted(value, method)
    return Extracted.none()


class ArticlePage:
    """Generic article page: the outlet's selectors first, then metadata, text density, trafilatura."""

    name = "generic"

    def __init__(
        self,
        document: HtmlDocument,
        url: str | None = None,
        outlet: Outlet | None = None,
        fetched_at: datetime | None = None,
        layout: Layout | None = None,
    ):
        self.document = document
        self.url = url or document.url or self._page_own_url()
        self.outlet = outlet
        self.fetched_at = fetched_at
        self.layout = layout
        self.selectors = outlet.selectors_of(layout) if outlet else Selectors()
        self.zone = outlet.zone if outlet else self._guess_zone()

    # --- helpers shared by the fields ---------------------------------------------------------

    def _page_own_url(self) -> str | None:
        """A page saved without its address still names itself in rel=canonical or og:url."""
        for candidate in (self.document.link("canonical"), self.document.meta("og:url")):
            if candidate and urlsplit(candidate).scheme in ("http", "https"):
                return candidate
        return None

    def _guess_zone(self) -> ZoneInfo:
        """A page of a site nobody configured: the zone of its country, language or script."""
        sample = self.document.title_tag or ""
        return guess_zone(
            urlsplit(self.url or "").hostname or "",
            self.document.declared_language,
            len(CHINESE_CHARACTER.findall(sample)) * 2 > len(sample.strip()),
        )

    @cached_property
    def excluded(self) -> set[Any]:
        """Elements whose text never counts, from the outlet's `remove` selectors."""
        elements: set[Any] = set()
        for query in self.selectors.remove:
            elements.update(node for node in self.document.css(query) if not isinstance(node, str))
        return elements

    def _is_excluded(self, element: Any) -> bool:
        return element in self.excluded or any(a in self.excluded for a in element.iterancestors())

    def select_all(self, field_name: str) -> list[str]:
        """Texts of the first of the outlet's selectors for `field_name` that yields any."""
        for query in getattr(self.selectors, field_name):
            texts = []
            for node in self.document.css(query):
                if isinstance(node, str):
                    text = clean_text(node)
                elif self._is_excluded(node):
                    continue
                else:
                    text = element_text(node, self.excluded)
                if text:
                    texts.append(text)
            if texts:
                return texts
        return []

    def select(self, field_name: str) -> str | None:
        texts = self.select_all(field_name)
        return texts[0] if texts else None

    def _time(self, text: str | None) -> datetime | None:
        return parse_datetime(
            text,
            self.zone,
            utc_designator_is_local=bool(self.outlet and self.outlet.utc_designator_is_local),
            now=self.fetched_at,
        )

    @cached_property
    def trafilatura_document(self) -> TrafilaturaDocument | None:
        # trafilatura prunes the tree it is given; the selectors above keep using ours.
        result = trafilatura.bare_extraction(
            copy.deepcopy(self.document.tree),
            url=self.url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            deduplicate=False,
        )
        return result if isinstance(result, TrafilaturaDocument) else None

    def _trafilatura(self, attribute: str) -> Any:
        document = self.trafilatura_document
        return getattr(document, attribute, None) if document else None

    # --- fields ---------------------------------------------------------------------------------

    @cached_property
    def paragraphs(self) -> Extracted[list[str]]:
        """The body as paragraphs, before bylines are lifted."""

        def from_trafilatura() -> list[str] | None:
            text = self._trafilatura("text")
            return [clean_text(line) for line in text.split("\n")] if text else None

        def from_json_ld() -> list[str] | None:
            body = ld_text(self.document.json_ld_article.get("articleBody"))
            return [clean_text(line) for line in body.split("\n")] if body else None

        def from_text_density() -> list[str] | None:
            return self.main_text.paragraphs if self.main_text else None

        extracted = _first(
            ("selector", lambda: self.select_all("body")),
            ("json-ld", from_json_ld),
            ("text-density", from_text_density),
            ("trafilatura", from_trafilatura),
        )
        if extracted.value is None:
            return extracted
        paragraphs = drop_boilerplate(extracted.value)
        deduplicated: list[str] = []
        for paragraph in paragraphs:
            if not paragraph or (deduplicated and deduplicated[-1] == paragraph):
                continue
            repeatable = extracted.method == "selector" or len(paragraph) < MIN_REPEATED_PARAGRAPH_CHARS
            if not repeatable and paragraph in deduplicated:
                continue
            deduplicated.append(paragraph)
        return Extracted(deduplicated, extracted.method)

    @cached_property
    def main_text(self) -> MainText | None:
        """The page's densest prose and the lines around it; computed only if a field needs it."""
        return find_main_text(self.document.tree, self.document.meta("description", "og:description"))

    @cached_property
    def page_credits(self) -> Credits:
        """Credits printed around the text of a page of a site with no outlet entry."""
        credits = Credits()
        if self.outlet is not None or self.main_text is None:
            return credits
        for line in [*self.main_text.lines_before, *self.main_text.lines_after]:
            text = VISIBLE_TIME.sub(" ", line.text).strip()
            parsed = parse_credit_paragraph(text) or parse_labelled_credits(text, whole_line=False)
            if (
                parsed is None
                and len(text) <= MAX_CREDIT_ELEMENT_CHARS
                and self._is_credit_element(line.owner)
            ):
                parsed = parse_credit_line(text)
            if parsed is not None:
                credits.merge(parsed)
        return credits

    @staticmethod
    def _is_credit_element(element: Any) -> bool:
        for candidate in (element, *list(element.iterancestors())[:2]):
            names = " ".join(candidate.get(name) or "" for name in ("class", "id", "itemprop", "rel"))
            if CREDIT_ELEMENT.search(names):
                return True
        return False

    @cached_property
    def page_times(self) -> VisibleTimes:
        """Times printed around the text of a page of a site with no outlet entry."""
        if self.outlet is not None or self.main_text is None:
            return VisibleTimes(None, None)
        before = find_visible_times(line.text for line in self.main_text.lines_before)
        after = find_visible_times(line.text for line in self.main_text.lines_after)
        return VisibleTimes(before.published or after.published, before.modified or after.modified)

    @cached_property
    def _lifted(self) -> tuple[list[str], Credits]:
        return lift_bylines(list(self.paragraphs.value or []))

    def body(self) -> Extracted[str]:
        paragraphs, _ = self._lifted
        return Extracted("\n\n".join(paragraphs) or None, self.paragraphs.method)

    def title(self) -> Extracted[str]:
        return _first(
            ("selector", lambda: self.select("title")),
            ("heading", self._heading_title),
            ("json-ld", lambda: ld_text(self.document.json_ld_article.get("headline"))),
            ("meta", lambda: self._strip_site_name(self.document.meta("og:title", "twitter:title"))),
            ("trafilatura", self._trafilatura_title),
            ("title-tag", lambda: self._strip_site_name(self.document.title_tag)),
        )

    def _trafilatura_title(self) -> str | None:
        title = self._trafilatura("title")
        # trafilatura falls back on the <title> tag, site name and all.
        return self._strip_site_name(title) if title and title == self.document.title_tag else title

    def _heading_title(self) -> str | None:
        """The first <h1> (else <h2>, <h3>) that the page's <title> or og:title repeats.

        Headlines in JSON-LD and og:title are often shortened for search engines; the heading
        the reader sees is the title, and the <title> tag confirms which heading that is.
        """
        references = [
            WHITESPACE.sub("", text)
            for text in (
                self.document.title_tag,
                self.document.meta("og:title", "twitter:title"),
                ld_text(self.document.json_ld_article.get("headline")),
            )
            if text
        ]
        title = WHITESPACE.sub("", self._strip_site_name(self.document.title_tag) or "")
        for tag in HEADING_TITLE_TAGS:
            for element in self.document.tree.iter(tag):
                text = element_text(element)
                compact = WHITESPACE.sub("", text)
                # A heading must be most of the title, not a section name the title also holds.
                long_enough = len(compact) >= MIN_HEADING_TITLE_CHARS and len(compact) * 2 >= len(title)
                if long_enough and any(compact in reference for reference in references):
                    return text
        return None

    def _strip_site_name(self, title: str | None) -> str | None:
        if not title:
            return None
        parts = [part for part in TITLE_SEPARATORS.split(title) if part.strip()]
        return parts[0].strip() if parts else title

    def published_at(self) -> Extracted[str]:
        ld = self.document.json_ld_article
        return self._first_time(
            ("selector", lambda: self.select_all("published_at")),
            ("json-ld", lambda: [ld_text(ld.get("datePublished")) or ""]),
            ("meta", lambda: [self.document.meta(*PUBLISHED_META) or ""]),
            ("page", lambda: [self.page_times.published or ""]),
            ("trafilatura", lambda: [self._trafilatura("date") or ""]),
            ("url", lambda: [self._url_date() or ""]),
        )

    def modified_at(self) -> Extracted[str]:
        ld = self.document.json_ld_article
        return self._first_time(
            ("selector", lambda: self.select_all("modified_at")),
            ("json-ld", lambda: [ld_text(ld.get("dateModified")) or ""]),
            ("meta", lambda: [self.document.meta(*MODIFIED_META) or ""]),
            ("page", lambda: [self.page_times.modified or ""]),
        )

    def _first_time(self, *steps: tuple[str, Callable[[], list[str]]]) -> Extracted[str]:
        """The first step giving a time; a bare date waits for a later step's time on that day."""
        bare_date: Extracted[str] | None = None
        for method, step in steps:
            for text in step():
                moment = self._time(text)
                if moment is None:
                    continue
                if not has_time_of_day(text):
                    # No time of day was given, so none is invented.
                    bare_date = bare_date or Extracted(moment.date().isoformat(), method)
                    continue
                if bare_date is None or moment.date().isoformat() == bare_date.value:
                    return Extracted(isoformat(moment), method)
        return bare_date or Extracted.none()

    def _url_date(self) -> str | None:
        match = URL_DATE.search(urlsplit(self.url or "").path)
        return f"{match['y']}-{match['m']}-{match['d']}" if match else None

    def _credits_from_selectors(self) -> Credits:
        credits = Credits()
        for line in self.select_all("authors"):
            credits.merge(parse_credit_line(line))
        return credits

    def authors(self) -> Extracted[list[str]]:
        _, lifted = self._lifted
        selected = [name for name in self._credits_from_selectors().authors if not self._is_own_name(name)]
        ld_authors: list[str] = []
        for credit in ld_people(self.document.json_ld_article.get("author")):
            ld_authors += [
                name
                for name in parse_credit_line(credit).authors
                if not self._is_own_name(name) and name not in ld_authors
            ]
        meta_author = self.document.meta("author", "dc.creator")
        extracted = _first(
            ("selector", lambda: selected),
            ("byline", lambda: list(lifted.authors)),
            ("page", lambda: [name for name in self.page_credits.authors if not self._is_own_name(name)]),
            ("json-ld", lambda: ld_authors),
            (
                "meta",
                lambda: [n for n in parse_credit_line(meta_author or "").authors if not self._is_own_name(n)],
            ),
        )
        if extracted.value and extracted.method != "byline":
            merged = extracted.value + [name for name in lifted.authors if name not in extracted.value]
            return Extracted(merged, extracted.method)
        return extracted

    def editors(self) -> Extracted[list[str]]:
        _, lifted = self._lifted
        selected: list[str] = []
        for line in self.select_all("editors"):
            selected += [name for name in parse_editor_line(line) if name not in selected]
        extracted = _first(
            ("selector", lambda: selected),
            ("byline", lambda: list(lifted.editors)),
            ("page", lambda: list(self.page_credits.editors)),
        )
        if extracted.value and extracted.method == "selector":
            merged = extracted.value + [name for name in lifted.editors if name not in extracted.value]
            return Extracted(merged, "selector")
        return extracted

    def source(self) -> Extracted[str]:
        """The outlet a reposted text comes from (a wire agency, another paper)."""
        _, lifted = self._lifted
        selector_credits = self._credits_from_selectors()
        agency = lifted.agency or selector_credits.agency
        page = self.page_credits
        return _first(
            ("selector", lambda: self.select("source")),
            ("byline", lambda: lifted.source or self._other_agency(agency)),
            (
                "page",
                lambda: (
                    page.source if not self._is_own_name(page.source) else self._other_agency(page.agency)
                ),
            ),
        )

    def _other_agency(self, agency: str | None) -> str | None:
        """The agency a dispatch credits, unless it is the outlet itself."""
        name = agency_name(agency) if agency else None
        return name if name and not self._is_own_name(name) else None

    def _own_names(self) -> list[str]:
        """How the outlet (or an unconfigured site) names itself; never an author nor a source."""
        if self.outlet:
            return [
                name for name in (self.outlet.name, self.outlet.native_name, *self.outlet.aliases) if name
            ]
        title_parts = TITLE_SEPARATORS.split(self.document.title_tag or "")[1:]
        names = [self.document.meta("og:site_name", "application-name"), *title_parts]
        return [name.strip() for name in names if name and name.strip()]

    def _is_own_name(self, name: str | None) -> bool:
        """Whether `name` is the site's own (新京报 on 新京报网, 澎湃新闻 on 澎湃新闻-The Paper)."""
        if not name:
            return False
        if any(name == own or name in own or own in name for own in self._own_names()):
            return True
        # CSDN.NET on www.csdn.net: a site signing its pages with its domain.
        host_labels = (urlsplit(self.url or "").hostname or "").lower().split(".")
        site = host_labels[-2] if len(host_labels) >= 2 else ""
        return len(site) >= 3 and site in name.lower()

    def section(self) -> Extracted[str]:
        ld_section = self.document.json_ld_article.get("articleSection")

        def from_trafilatura() -> str | None:
            # Not worth a whole trafilatura pass on its own: used only if the body needed one.
            if "trafilatura_document" not in self.__dict__:
                return None
            categories = self._trafilatura("categories")
            return categories[0] if categories else None

        return _first(
            ("selector", lambda: self.select("section")),
            ("json-ld", lambda: ld_text(ld_section)),
            ("meta", lambda: self.document.meta("article:section")),
            ("trafilatura", from_trafilatura),
        )

    def tags(self) -> Extracted[list[str]]:
        # Site-wide keywords repeat the title or the outlet's own name on every page.
        noise = [self.title().value or "", *self._own_names()]
        site_keywords = set(self.outlet.site_keywords) if self.outlet else set()

        def split(texts: list[str]) -> list[str]:
            tags: list[str] = []
            for text in texts:
                tags += [
                    tag
                    for tag in TAG_SEPARATORS.split(text)
                    if tag
                    and tag not in tags
                    and tag not in site_keywords
                    and not any(tag == n or (n and n in tag) for n in noise)
                ]
            return tags

        keywords = self.document.json_ld_article.get("keywords")
        return _first(
            ("selector", lambda: split(self.select_all("tags"))),
            ("meta", lambda: split([self.document.meta("news_keywords", "keywords", "article:tag") or ""])),
            ("json-ld", lambda: split(keywords if isinstance(keywords, list) else [ld_text(keywords) or ""])),
        )

    def image(self) -> Extracted[str]:
        def absolute(url: str | None) -> str | None:
            return urljoin(self.url or "", url) if url else None

        return _first(
            ("selector", lambda: absolute(self.select("image"))),
            ("meta", lambda: absolute(self.document.meta("og:image", "twitter:image"))),
            ("json-ld", lambda: absolute(ld_text(self.document.json_ld_article.get("image")))),
        )

    def canonical_url(self) -> Extracted[str]:
        ld = self.document.json_ld_article
        return _first(
            ("link", lambda: self._acceptable_canonical(self.document.link("canonical"))),
            ("meta", lambda: self._acceptable_canonical(self.document.meta("og:url"))),
            (
                "json-ld",
                lambda: self._acceptable_canonical(ld_text(ld.get("mainEntityOfPage") or ld.get("url"))),
            ),
        )

    def _acceptable_canonical(self, candidate: str | None) -> str | None:
        if not candidate:
            return None
        candidate = urljoin(self.url or "", candidate.strip())
        if urlsplit(candidate).scheme not in ("http", "https"):
            return None
        if self.outlet and self.url:
            ours = match_article_url(self.outlet, self.url)
            theirs = match_article_url(self.outlet, candidate)
            # A canonical link to another article (or a section front) is a template bug.
            if ours and (theirs is None or theirs.article_id != ours.article_id):
                return None
        return candidate

    # --- what kind of page this is ------------------------------------------------------------

    def not_article_reason(self) -> str | None:
        """Why this page is not an article, or None if it is one."""
        html = self.document.html
        if len(html) <= SCRIPT_REDIRECT_MAX_BYTES and (match := SCRIPT_REDIRECT.search(html)):
            return f"script redirect stub to {urljoin(self.url or '', match['target'])}"
        refresh = self.document.meta("refresh")
        if refresh and (match := META_REFRESH.match(refresh)) and "404" in match["target"]:
            return f"soft 404: meta refresh to {match['target']}"
        title_tag = self.document.title_tag or ""
        if NOT_FOUND_TITLE.match(title_tag):
            return f"soft 404: page title {title_tag!r}"
        if self.outlet and self.url and not match_article_url(self.outlet, self.url):
            return f"{self.url} is not an article URL of outlet {self.outlet.slug!r}"
        if self.outlet:
            reason = self._outlet_not_found_reason(title_tag)
            if reason:
                return reason
        body = self.body().value or ""
        if self.paragraphs.method != "selector" and self._link_text_share(body) > LISTING_LINK_SHARE:
            return f"listing page ({self._link_text_share(body):.0%} of its text is link titles)"
        minimum = self.outlet.page_rules.min_body_chars if self.outlet else GENERIC_MIN_BODY_CHARS
        if len(body) < minimum:
            if self.partial_reason():
                return f"paywall stub: {self.partial_reason()}"
            return f"no article text ({len(body)} characters after extraction)"
        return None

    def _link_text_share(self, body: str) -> float:
        """Share of the body's characters in lines that are also the text of a link."""
        if not body:
            return 0.0
        anchor_texts = "\x00".join(element_text(anchor) for anchor in self.document.tree.iter("a"))
        lines = [line for line in body.split("\n") if line]
        linked = sum(len(line) for line in lines if len(line) >= 4 and line in anchor_texts)
        return linked / max(1, sum(len(line) for line in lines))

    def _outlet_not_found_reason(self, title_tag: str) -> str | None:
        assert self.outlet is not None
        rules = self.outlet.page_rules
        page_urls = [self.url or "", self.document.link("canonical") or ""]
        for marker in rules.not_found_url:
            if any(marker in url for url in page_urls):
                return f"soft 404: URL contains {marker!r}"
        for marker in rules.not_found_title:
            if title_tag.strip() == marker:
                return f"soft 404: page title {title_tag!r}"
        for query in rules.not_found_selector:
            if self.document.css(query):
                return f"soft 404: page has {query}"
        if self.paragraphs.method != "selector":
            for marker in rules.not_found_text:
                if marker in self.document.html:
                    return f"soft 404: page says {marker!r}"
        return None

    def partial_reason(self) -> str | None:
        """Why the text is incomplete (paywall, expired archive), or None."""
        if self.outlet is None:
            return None
        for marker in self.outlet.page_rules.partial_text:
            if marker in self.document.html:
                return f"page says {marker!r}"
        for query in self.outlet.page_rules.partial_selector:
            if self.document.css(query):
                return f"page has {query}"
        return None

    def to_article(self) -> Article:
        """Every field, or NotAnArticle with the reason."""
        reason = self.not_article_reason()
        if reason:
            raise NotAnArticle(reason)
        fields: dict[str, Extracted[Any]] = {
            article_field.name: getattr(self, article_field.name)() for article_field in CASCADE_FIELDS
        }
        identity = match_article_url(self.outlet, self.url) if self.outlet and self.url else None
        _, credits = self._lifted
        return Article(
            url=self.url,
            outlet=self.outlet.slug if self.outlet else None,
            article_id=identity.article_id if identity else None,
            edition=identity.edition if identity else "",
            **{
                article_field.name: fields[article_field.name].value or article_field.empty()
                for article_field in CASCADE_FIELDS
            },
            bylines=credits.bylines,
            partial_reason=self.partial_reason(),
            declared_language=self.document.declared_language,
            field_methods={name: value.method for name, value in fields.items() if value.method},
            extractor=f"sourcevault/{__version__} {self.name}"
            + (f" layout {self.layout.since.isoformat()}" if self.layout else ""),
        )
