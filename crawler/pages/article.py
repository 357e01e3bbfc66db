"""The article page object: what the page is, then one method per field over the page parsed once.

`ArticlePage` first judges the page (crawler/pages/judge.py: a soft 404, a stub, a listing, no
text, cut short), then extracts each field of the cascade (crawler/article_fields.py) with the
method of that name: the text's fields in crawler/pages/text_fields.py, the credits in
crawler/pages/credit_fields.py, over what crawler/pages/reader.py reads of the page. An outlet's
page object (crawler/outlets/<slug>.py) overrides only the methods its selectors cannot express.
A page object never downloads anything.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from crawler import __version__
from crawler.article_fields import ARTICLE_FIELDS, Article
from crawler.date_span import outside_span
from crawler.identity import identify
from crawler.page_verdict import PageVerdict, Verdict
from crawler.pages.credit_fields import CreditFields
from crawler.pages.judge import BodyText, judge_page
from crawler.pages.reader import Extracted

CASCADE_FIELDS = tuple(article_field for article_field in ARTICLE_FIELDS if article_field.cascade)
TIME_FIELDS = ("published_at", "modified_at")


class NotAnArticle(Exception):
    """The page is fetched fine but holds no article: soft 404, listing, stub."""

    def __init__(self, verdict: PageVerdict):
        super().__init__(verdict.reason)
        self.verdict = verdict


class ArticlePage(CreditFields):
    """Generic article page: the outlet's selectors first, then metadata, text density, trafilatura."""

    name = "generic"

    @cached_property
    def _extracted_text(self) -> BodyText:
        return BodyText(self.body().value or "", self.paragraphs.method == "selector")

    def verdict(self) -> PageVerdict:
        """What this page is: an article (maybe partial), or which kind of page instead."""
        return judge_page(
            self.document,
            self.url,
            self.outlet,
            lambda: self._extracted_text,
            require_article_url=self.require_article_url,
        )

    def to_article(self) -> Article:
        """Every field, or NotAnArticle with the verdict."""
        verdict = self.verdict()
        if not verdict.is_article:
            raise NotAnArticle(verdict)
        fields: dict[str, Extracted[Any]] = {
            article_field.name: getattr(self, article_field.name)() for article_field in CASCADE_FIELDS
        }
        for name in TIME_FIELDS:
            # A page object of an outlet may read a time by its own means: the archive's span holds.
            if problem := outside_span(fields[name].value):
                fields[name] = Extracted(None, f"refused: {fields[name].method} {problem}")
        # The key: from the outlet's URL patterns, else the canonical URL (the site's outlet for a
        # site with no entry); a page saved without any URL of its own has none.
        identity = identify(self.outlet, self.url, fields["canonical_url"].value) if self.url else None
        credits = self._text_credits
        wayback = self.document.wayback
        return Article(
            url=self.url,
            outlet=identity.key.outlet if identity else (self.outlet.slug if self.outlet else None),
            article_id=identity.key.article_id if identity else None,
            edition=identity.key.edition if identity else "",
            key_source=identity.source if identity else None,
            **{
                article_field.name: fields[article_field.name].value or article_field.empty()
                for article_field in CASCADE_FIELDS
            },
            bylines=credits.bylines,
            partial_reason=verdict.detail if verdict.kind is Verdict.PARTIAL else None,
            declared_language=self.document.declared_language,
            wayback_original_url=wayback.original_url if wayback else None,
            wayback_captured_at=wayback.captured_at.isoformat() if wayback else None,
            field_methods={name: value.method for name, value in fields.items() if value.method},
            extractor=f"sourcevault/{__version__} {self.name}"
            + (f" layout {self.layout.since.isoformat()}" if self.layout else ""),
        )
