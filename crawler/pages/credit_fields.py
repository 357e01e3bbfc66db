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

from crawler.pages.credit_lines import (
    PERSON_NAME,
    Credits,
    agency_name,
    parse_credit_line,
    parse_credit_paragraph,
    parse_editor_line,
    parse_labelled_credits,
)
from crawler.pages.dates import without_times
from crawler.pages.document import ld_people
from crawler.pages.reader import Extracted, first_found
from crawler.pages.text_fields import TextFields

# Elements whose short text is a credit without a label: <div class="author">謝明俊</div>.
CREDIT_ELEMENT = re.compile(r"author|byline|reporter|writer|journalist|editor", re.IGNORECASE)
# Long enough for two Latin-script names (DAVID E. SANGER, STEVEN LEE MYERS).
MAX_CREDIT_ELEMENT_CHARS = 48


class CreditFields(TextFields):
    """Authors, editors and source, on top of the text's fields."""

    @cached_property
    def head_credits(self) -> Credits:
        """Credits in the lines heading the text (a byline bar, the reporter's name alone)."""
        credits = Credits()
        head, _ = self._head_and_text
        for line in head:
            text = without_times(line)
            if self.is_site_name(text):
                continue
            parsed = parse_credit_paragraph(text) or parse_labelled_credits(text, whole_line=False)
            if parsed is None and PERSON_NAME.match(text) and text != self.title().value:
                parsed = Credits(authors=[text], bylines=[line])
            if parsed is not None:
                parsed.bylines = [line]
                credits.merge(parsed)
        return credits

    @cached_property
    def page_credits(self) -> Credits:
        """Credits printed around the text, on a page read as generic."""
        credits = Credits()
        if not self._read_as_generic or self.main_text is None:
            return credits
        for line in [*self.main_text.lines_before, *self.main_text.lines_after]:
            text = without_times(line.text)
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

    @cached_property
    def _text_credits(self) -> Credits:
        """The credits lifted from the text and its head."""
        _, lifted = self._lifted
        credits = Credits()
        credits.merge(self.head_credits)
        credits.merge(lifted)
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
        lifted = self._text_credits
        selected = [name for name in self._credits_from_selectors().authors if not self._is_own_name(name)]
        ld_authors: list[str] = []
        for credit in ld_people(self.document.json_ld_article.get("author")):
            ld_authors += [
                name
                for name in parse_credit_line(credit).authors
                if not self._is_own_name(name) and name not in ld_authors
            ]
        # article:author is often the outlet's Facebook page, not a person.
        meta_authors = [
            value
            for value in (self.document.meta("author", "dc.creator"), self.document.meta("article:author"))
            if value and not value.startswith(("http://", "https://"))
        ]
        editors = set(self.editors().value or [])

        def people(found: list[str]) -> list[str]:
            # A meta tag or a byline bar naming the page's editor does not make them an author.
            return [name for name in found if not self._is_own_name(name) and name not in editors]

        extracted = first_found(
            ("selector", lambda: selected),
            ("byline", lambda: list(lifted.authors)),
            ("page", lambda: people(self.page_credits.authors)),
            ("json-ld", lambda: ld_authors),
            ("meta", lambda: people([n for value in meta_authors for n in parse_credit_line(value).authors])),
        )
        if extracted.value and extracted.method != "byline":
            merged = extracted.value + [name for name in lifted.authors if name not in extracted.value]
            return Extracted(merged, extracted.method)
        return extracted

    def editors(self) -> Extracted[list[str]]:
        lifted = self._text_credits
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
        lifted = self._text_credits
        selector_credits = self._credits_from_selectors()
        agency = lifted.agency or selector_credits.agency
        page = self.page_credits
        return first_found(
            (
                "selector",
                lambda: next(
                    (name for name in self.select_all("source") if not self._is_own_name(name)), None
                ),
            ),
            ("byline", lambda: lifted.source or self._other_agency(agency)),
            (
                "page",
                lambda: (
                    page.source
                    if page.source and not self._is_own_name(page.source)
                    else self._other_agency(page.agency)
                ),
            ),
        )

    def _other_agency(self, agency: str | None) -> str | None:
        """The agency a dispatch credits, unless it is the outlet itself."""
        name = agency_name(agency) if agency else None
        return name if name and not self._is_own_name(name) else None
