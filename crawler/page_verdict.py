"""What a fetched page turned out to be: an article, a partial one, or which kind of non-article.

Code decides on the `Verdict`; the reason a `PageVerdict` gives is the human text the archive
stores in `captures.outcome_reason` (and `outlets check` fixtures record), worded per kind here
and nowhere else. The page object judges a parsed page (crawler/pages/judge.py); extraction
judges what it cannot parse (too large, not HTML); the spider's block-page check gives BLOCKED.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    ARTICLE = "article"
    # An article whose text is cut short (paywall, login wall, expired archive): kept, flagged.
    PARTIAL = "partial"
    # A "not found" page served with status 200.
    SOFT_404 = "soft_404"
    # A page whose only content is a script sending the browser elsewhere.
    REDIRECT_STUB = "redirect_stub"
    # An address the outlet's article.url_pattern does not match.
    NOT_ARTICLE_URL = "not_article_url"
    # A page mostly of link titles: a section front, a list of articles.
    LISTING = "listing"
    # Too little text, on a page saying it is cut short.
    PAYWALL_STUB = "paywall_stub"
    # Too little text once extracted.
    NO_TEXT = "no_text"
    TOO_LARGE = "too_large"
    NOT_HTML = "not_html"
    UNPARSEABLE = "unparseable"
    # A bot challenge or block page in place of the page asked for (crawler/block_pages.py).
    BLOCKED = "blocked"


ARTICLE_VERDICTS = frozenset({Verdict.ARTICLE, Verdict.PARTIAL})
# How each verdict's reason reads, its detail in place of {}.
WORDING: dict[Verdict, str] = {
    Verdict.ARTICLE: "{}",
    Verdict.PARTIAL: "{}",
    Verdict.SOFT_404: "not an article: soft 404: {}",
    Verdict.REDIRECT_STUB: "not an article: script redirect stub to {}",
    Verdict.NOT_ARTICLE_URL: "not an article: {}",
    Verdict.LISTING: "not an article: listing page ({})",
    Verdict.PAYWALL_STUB: "not an article: paywall stub: {}",
    Verdict.NO_TEXT: "not an article: no article text ({})",
    Verdict.TOO_LARGE: "page too large ({})",
    Verdict.NOT_HTML: "not HTML ({})",
    Verdict.UNPARSEABLE: "{}",
    Verdict.BLOCKED: "blocked by {}",
}


@dataclass(frozen=True)
class PageVerdict:
    """A verdict and its particulars (the marker found, the target of a redirect, a size)."""

    kind: Verdict
    detail: str = ""

    @property
    def is_article(self) -> bool:
        return self.kind in ARTICLE_VERDICTS

    @property
    def reason(self) -> str | None:
        """The verdict in words, as stored (None for a whole article)."""
        return WORDING[self.kind].format(self.detail) or None


def stored_reason_pattern(kind: Verdict) -> str:
    """An SQL LIKE pattern matching the reasons the archive stored for verdicts of `kind`."""
    return WORDING[kind].format("%")
