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
from crawler.pages.bylines import lift_bylines
from crawler.pages.credit_lines import Credits
from crawler.pages.dates import VisibleTimes, find_visible_times, has_time_of_day, isoformat
from crawler.pages.density import MainText, find_main_text
from crawler.pages.document import clean_text, element_text, ld_text
from crawler.pages.reader import TITLE_SEPARATORS, TITLE_TIME, Extracted, PageReader, first_found
from crawler.pages.text_head import split_head
from crawler.registry import match_article_url

# Below this length a heading is a kicker or a section name, not the article's title.
MIN_HEADING_TITLE_CHARS = 4
HEADING_TITLE_TAGS = ("h1", "h2", "h3")
# A paragraph this long met twice is the page printing its text twice (mobile and desktop copies).
MIN_REPEATED_PARAGRAPH_CHARS = 20
WHITESPACE = re.compile(r"\s+")
LD_BODY_OPENING_CHARS = 30
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
    "dcterms.created",
    "date",
)
MODIFIED_META = (
    "article:modified_time",
    "datemodified",
    "og:updated_time",
    "lastmod",
    "dcterms.modified",
    "weibo: article:update_at",
)


class TextFields(PageReader):
    """The fields of the text and its metadata; credits are CreditFields' (crawler/pages/credit_fields.py)."""

    @cached_property
    def main_text(self) -> MainText | None:
        """The page's densest prose and the lines around it; computed only if a field needs it."""
        return find_main_text(
            self.document.tree, self.document.meta("description", "og:description"), self.title().value
        )

    @cached_property
    def paragraphs(self) -> Extracted[list[str]]:
        """The body as paragraphs, before bylines are lifted."""

        def from_trafilatura() -> list[str] | None:
            text = self._trafilatura("text")
            return [clean_text(line) for line in text.split("\n")] if text else None

        def from_json_ld() -> list[str] | None:
            body = ld_text(self.document.json_ld_article.get("articleBody"))
            if not body or self._printed_text_leads(body):
                return None
            return [clean_text(line) for line in body.split("\n")]

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

    @property
    def _read_as_generic(self) -> bool:
        """Whether the page's text was found without the outlet's selectors (a page of another
        site, or of an outlet's sister site or older layout): then what is printed around it
        counts, as on any page."""
        return self.paragraphs.method != "selector"

    def _printed_text_leads(self, ld_body: str) -> bool:
        """Whether the text the page prints opens before the JSON-LD articleBody does (PTS leaves
        its lead paragraph out of articleBody): then the printed text is the whole article."""
        if self.main_text is None:
            return False
        opening = WHITESPACE.sub("", ld_body)[:LD_BODY_OPENING_CHARS]
        printed = WHITESPACE.sub("", "".join(self.main_text.paragraphs))
        return len(opening) == LD_BODY_OPENING_CHARS and printed.find(opening) > 0

    @cached_property
    def page_times(self) -> VisibleTimes:
        """Times printed at the head of the text and around it, on a page read as generic."""
        if not self._read_as_generic:
            return VisibleTimes(None, None)
        head, _ = self._head_and_text
        lines = [head]
        if self.main_text is not None:
            lines += [[line.text for line in self.main_text.lines_before]]
            lines += [[line.text for line in self.main_text.lines_after]]
        found = [find_visible_times(group) for group in lines]
        return VisibleTimes(
            next((times.published for times in found if times.published), None),
            next((times.modified for times in found if times.modified), None),
        )

    @cached_property
    def _head_and_text(self) -> tuple[list[str], list[str]]:
        """The lines heading the text that are not its words (headline, dateline, captions,
        related links above the lead byline), and the text."""
        return split_head(list(self.paragraphs.value or []), self.title().value or "", self.is_site_name)

    @cached_property
    def _lifted(self) -> tuple[list[str], Credits]:
        _, text = self._head_and_text
        return lift_bylines(text)

    def body(self) -> Extracted[str]:
        paragraphs, _ = self._lifted
        return Extracted("\n\n".join(paragraphs) or None, self.paragraphs.method)

    def title(self) -> Extracted[str]:
        return self._title

    @cached_property
    def _title(self) -> Extracted[str]:
        extracted = first_found(
            ("selector", lambda: self.select("title")),
            ("heading", self._heading_title),
            ("json-ld", lambda: ld_text(self.document.json_ld_article.get("headline"))),
            ("meta", lambda: self._strip_site_name(self.document.meta("og:title", "twitter:title"))),
            ("trafilatura", self._trafilatura_title),
            ("title-tag", lambda: self.headline_part),
        )
        # A time of day the headline carries is not part of it.
        value = TITLE_TIME.sub("", extracted.value).strip() if extracted.value else None
        return Extracted(value or None, extracted.method if value else None)

    def _trafilatura_title(self) -> str | None:
        title = self._trafilatura("title")
        # trafilatura falls back on the <title> tag, site name and all, or on one of its parts.
        if title and title.strip() in (self.document.title_tag or ""):
            return self.headline_part
        return title

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
        title = WHITESPACE.sub("", self.headline_part or "")
        for tag in HEADING_TITLE_TAGS:
            for element in self.document.tree.iter(tag):
                text = element_text(element)
                compact = WHITESPACE.sub("", text)
                if self.is_site_name(text):
                    continue
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
                if self.zone_is_known:
                    moment = moment.astimezone(self.zone)
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
