"""What every field of a page object reads: the parsed page, the outlet's selectors, one trafilatura pass.

`PageReader` is the base of the page objects (crawler/pages/article.py): the page parsed once, the
outlet's selectors for the layout in force, trafilatura's generic extraction (run at most once, and
only if a field needs it), and how the site names itself. A field is
an `Extracted` value with the cascade step that produced it; `first_found` runs the steps in order.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import courlan
import trafilatura
from trafilatura.settings import Document as TrafilaturaDocument

from crawler.pages.dates import country_zone, guess_zone, implausible_time, mostly_chinese, parse_datetime
from crawler.pages.document import HtmlDocument, clean_text, element_text
from crawler.registry import Layout, Outlet, Selectors

T = TypeVar("T")
TITLE_SEPARATORS = re.compile(r"\s+[|｜\-–—_]\s+|\s*[|｜_]\s*|\s*-{2,}\s*")
# A time of day a headline carries (LTN 2013: 又傳酒駕釀禍 少婦被撞陷昏迷 【17:52】).
TITLE_TIME = re.compile(r"\s*[【\[（(]\d{1,2}:\d{2}[】\]）)]\s*$")
WHITESPACE = re.compile(r"\s+")
# Below this length a text naming the site's domain is the site's name, not a headline.
MAX_SITE_NAME_CHARS = 16


@dataclass(frozen=True)
class Extracted(Generic[T]):
    """A field's value and the cascade step that produced it (None when nothing did)."""

    value: T | None
    method: str | None

    @classmethod
    def none(cls) -> Extracted[T]:
        return cls(None, None)


def first_found(*steps: tuple[str, Callable[[], T | None]]) -> Extracted[T]:
    """The first step's value that is not empty, with the step's name."""
    for method, step in steps:
        value = step()
        if value:
            return Extracted(value, method)
    return Extracted.none()


class PageReader:
    """A parsed page of an outlet (or of a site with no outlet entry), read by the fields."""

    def __init__(
        self,
        document: HtmlDocument,
        url: str | None = None,
        outlet: Outlet | None = None,
        fetched_at: datetime | None = None,
        layout: Layout | None = None,
        *,
        require_article_url: bool = False,
    ):
        self.document = document
        # The crawl's rule: a page at a URL none of the outlet's patterns matches is no article.
        self.require_article_url = require_article_url
        # A Wayback Machine capture is the page of the address it captured.
        wayback = document.wayback.original_url if document.wayback else None
        self.url = wayback or url or document.url or self._page_own_url()
        self.outlet = outlet
        self.fetched_at = fetched_at
        self.layout = layout
        self.selectors = outlet.selectors_of(layout) if outlet else Selectors()
        self.zone = outlet.zone if outlet else self._guess_zone()
        # Whether times given with another offset are read back in `zone` (the outlet's, or that
        # of the country the site's domain or language names): else they keep their own.
        self.zone_is_known = (
            outlet is not None or country_zone(self._host, document.declared_language) is not None
        )

    def _page_own_url(self) -> str | None:
        """A page saved without its address still names itself: in rel=canonical or og:url, or
        in the mark a browser saving it left."""
        for candidate in (
            self.document.link("canonical"),
            self.document.meta("og:url"),
            self.document.saved_from,
        ):
            if candidate and urlsplit(candidate).scheme in ("http", "https"):
                return candidate
        return None

    @property
    def _host(self) -> str:
        return (urlsplit(self.url or "").hostname or "").lower()

    def _guess_zone(self) -> ZoneInfo:
        """A page of a site nobody configured: the zone of its country, language or script."""
        return guess_zone(
            self._host,
            self.document.declared_language,
            mostly_chinese(self.document.title_tag or ""),
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

    def _time_refused(self, text: str | None) -> str | None:
        """Why a text that reads as a time is not believed (too early, in the future); else None."""
        return implausible_time(
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

    @cached_property
    def title_parts(self) -> list[str]:
        """The parts of the <title> tag: the headline, and the section and site names around it."""
        title = TITLE_TIME.sub("", self.document.title_tag or "")
        return [part.strip() for part in TITLE_SEPARATORS.split(title) if part.strip()]

    @cached_property
    def headline_part(self) -> str | None:
        """Which part of the <title> is the headline (自由電子報 - 果汁？… puts the site first).

        The first, if the page prints it as an element of its own; else the longest part it
        prints so; else the first that does not name the site's domain; else the first.
        """
        parts = self.title_parts
        if len(parts) < 2:
            return parts[0] if parts else None
        printed = [part for part in parts if self._prints_alone(part)]
        if parts[0] in printed:
            return parts[0]
        if printed:
            return max(printed, key=len)
        label = self._site_label
        return next((part for part in parts if not (label and label in part.lower())), parts[0])

    def _prints_alone(self, text: str) -> bool:
        """Whether the page's body has an element whose whole text is `text` (spaces aside)."""
        wanted = WHITESPACE.sub("", text)
        return bool(
            self.document.tree.xpath(
                "//body//*[translate(normalize-space(.), ' \u3000\u00a0', '')=$wanted]", wanted=wanted
            )
        )

    @cached_property
    def _site_label(self) -> str:
        """The name the site registered (pixnet of stevenhgm.pixnet.net, bbc of www.bbc.co.uk), if
        long enough to tell."""
        domain = courlan.extract_domain(self.url) if self.url else None
        site = domain.split(".", 1)[0].lower() if domain else ""
        return site if len(site) >= 3 else ""

    def _own_names(self) -> list[str]:
        """How the outlet (or an unconfigured site) names itself; never an author nor a source."""
        if self.outlet:
            return [
                name for name in (self.outlet.name, self.outlet.native_name, *self.outlet.aliases) if name
            ]
        title_parts = [part for part in self.title_parts if part != self.headline_part]
        names = [self.document.meta("og:site_name", "application-name"), *title_parts]
        return [name.strip() for name in names if name and name.strip()]

    def _is_own_name(self, name: str | None) -> bool:
        """Whether `name` is the site's own (新京报 on 新京报网, 澎湃新闻 on 澎湃新闻-The Paper)."""
        if not name:
            return False
        if any(name == own or name in own or own in name for own in self._own_names()):
            return True
        # CSDN.NET on www.csdn.net: a site signing its pages with its domain.
        return bool(self._site_label) and self._site_label in name.lower()

    def is_site_name(self, text: str) -> bool:
        """Whether a line of the page is only the site's name (BBC中文, 痞客邦 PIXNET), never its headline."""
        compact = WHITESPACE.sub("", text).lower()
        if not compact or len(compact) > MAX_SITE_NAME_CHARS * 2:
            return False
        if any(compact == WHITESPACE.sub("", own).lower() for own in self._own_names()):
            return True
        label = self._site_label
        return bool(label) and label in compact and len(compact) <= MAX_SITE_NAME_CHARS
