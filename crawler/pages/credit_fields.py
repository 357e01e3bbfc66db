"""The credit fields of an article: authors, editors, and the source a reposted text comes from.

Each is looked up in a fixed cascade and records which step produced it: `selector` (the outlet's
CSS selectors), `byline` (credits lifted from the text, crawler/pages/bylines.py), `page` (credits
printed around the text, on pages of sites with no outlet entry), `json-ld`, `meta`. Names the
site signs its own pages with are never an author nor a source.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from crawler.pages.bylines import (
    Credits,
    agency_name,
    parse_credit_line,
    parse_credit_paragraph,
    parse_editor_line,
    parse_labelled_credits,
)
from crawler.pages.dates import VISIBLE_TIME
from crawler.pages.document import ld_people
from crawler.pages.reader import Extracted, first_found
from crawler.pages.text_fields import TextFields

# Elements whose short text is a credit without a label: <div class="author">謝明俊</div>.
CREDIT_ELEMENT = re.compile(r"author|byline|reporter|writer|journalist|editor", re.IGNORECASE)
MAX_CREDIT_ELEMENT_CHARS = 30


class CreditFields(TextFields):
    """Authors, editors and source, on top of the text's fields."""

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
        extracted = first_found(
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
        extracted = first_found(
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
        return first_found(
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
