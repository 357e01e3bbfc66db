"""The fields of an article's text and metadata: body, title, times, section, tags, image, canonical URL.

Each is looked up in a fixed cascade and records which step produced it: `selector` (the outlet's
CSS selectors), `heading` (the page's <h1> that its <title> repeats), `json-ld`, `meta`
(OpenGraph and other meta tags), `text-density` (the block of the page where Chinese prose is
densest, crawler/pages/density.py), `page` (times printed around that text, on pages of sites
with no outlet entry), `trafilatura` (its generic extraction, run at most once and only if an
earlier step left a field empty), `title-tag`, `link`, `url`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from urllib.parse import urljoin, urlsplit

from crawler.pages.boilerplate import drop_boilerplate
from crawler.pages.bylines import Credits, lift_bylines
from crawler.pages.dates import VisibleTimes, find_visible_times, has_time_of_day, isoformat
from crawler.pages.document import clean_text, element_text, ld_text
from crawler.pages.reader import TITLE_SEPARATORS, Extracted, PageReader, first_found
from crawler.registry import match_article_url

# Below this length a heading is a kicker or a section name, not the article's title.
MIN_HEADING_TITLE_CHARS = 4
HEADING_TITLE_TAGS = ("h1", "h2", "h3")
# A paragraph this long met twice is the page printing its text twice (mobile and desktop copies).
MIN_REPEATED_PARAGRAPH_CHARS = 20
WHITESPACE = re.compile(r"\s+")
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


class TextFields(PageReader):
    """The fields of the text and its metadata; credits are CreditFields' (crawler/pages/credit_fields.py)."""

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

        extracted = first_found(
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
        return first_found(
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
        """The first step giving a time; a bare date waits for a later step's time on that day.

        When no step gives one but some gave a time too early or in the future, the field stays
        empty and its method says which and why: `refused: json-ld 9999-12-31T00:00:00+08:00 is outside …`.
        """
        bare_date: Extracted[str] | None = None
        refused: str | None = None
        for method, step in steps:
            for text in step():
                moment = self._time(text)
                if moment is None:
                    if refused is None and (why := self._time_refused(text)):
                        refused = f"refused: {method} {why}"
                    continue
                if not has_time_of_day(text):
                    # No time of day was given, so none is invented.
                    bare_date = bare_date or Extracted(moment.date().isoformat(), method)
                    continue
                if bare_date is None or moment.date().isoformat() == bare_date.value:
                    return Extracted(isoformat(moment), method)
        return bare_date or Extracted(None, refused)

    def _url_date(self) -> str | None:
        match = URL_DATE.search(urlsplit(self.url or "").path)
        return f"{match['y']}-{match['m']}-{match['d']}" if match else None

    def section(self) -> Extracted[str]:
        ld_section = self.document.json_ld_article.get("articleSection")

        def from_trafilatura() -> str | None:
            # Not worth a whole trafilatura pass on its own: used only if the body needed one.
            if "trafilatura_document" not in self.__dict__:
                return None
            categories = self._trafilatura("categories")
            return categories[0] if categories else None

        return first_found(
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
        return first_found(
            ("selector", lambda: split(self.select_all("tags"))),
            ("meta", lambda: split([self.document.meta("news_keywords", "keywords", "article:tag") or ""])),
            ("json-ld", lambda: split(keywords if isinstance(keywords, list) else [ld_text(keywords) or ""])),
        )

    def image(self) -> Extracted[str]:
        def absolute(url: str | None) -> str | None:
            return urljoin(self.url or "", url) if url else None

        return first_found(
            ("selector", lambda: absolute(self.select("image"))),
            ("meta", lambda: absolute(self.document.meta("og:image", "twitter:image"))),
            ("json-ld", lambda: absolute(ld_text(self.document.json_ld_article.get("image")))),
        )

    def canonical_url(self) -> Extracted[str]:
        ld = self.document.json_ld_article
        return first_found(
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
        if self.outlet and self.url and self.outlet.owns_host(urlsplit(candidate).hostname or ""):
            ours = match_article_url(self.outlet, self.url)
            theirs = match_article_url(self.outlet, candidate)
            # A canonical link to another of the outlet's articles (or a section front) is a
            # template bug; one to another site is kept as the page says, and never followed.
            if ours and (theirs is None or theirs.article_id != ours.article_id):
                return None
        return candidate
