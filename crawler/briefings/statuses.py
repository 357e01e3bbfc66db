"""What became of a cited source: the status of a citation, from what fetching its URL gave.

Plain functions over a capture (crawler/items.py) as the pipelines leave it. The statuses a
report shows are STATUSES; a citation not fetched yet is `pending`. A page is `removed` when its
live URL answers 404 or 410, a soft 404 page, or a redirect to the outlet's home page (its kind
is kept: http_404, http_410, soft_404, redirected_home); a host that no longer resolves is
`failed` (the network may be what failed) with kind dns_failure; either way the Wayback
Machine may still hold a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, get_args
from zoneinfo import ZoneInfo

from crawler.page_verdict import Verdict

if TYPE_CHECKING:
    from crawler.briefings.parsing import CitationKind
    from crawler.items import Capture

Status = Literal[
    "pending",
    "archived",
    "archived_from_web_archive",
    "changed_since_cited",
    "removed",
    "paywalled",
    "not_an_article",
    "blocked",
    "no_url",
    "failed",
]
# What a report says of a fetched citation (`pending`: not fetched yet), in the order it counts them.
STATUSES: tuple[Status, ...] = tuple(status for status in get_args(Status) if status != "pending")
RemovalKind = Literal["http_404", "http_410", "soft_404", "redirected_home", "dns_failure"]
# Kinds of a gone page worth asking a web archive about.
WEB_ARCHIVE_WORTHY: frozenset[RemovalKind] = frozenset(
    {"http_404", "http_410", "soft_404", "redirected_home", "dns_failure"}
)
# What a failed fetch's reason says when the host has no address (Scrapy's and Twisted's words).
_NO_ADDRESS = ("DNSLookupError", "CannotResolveHostError", "DNS lookup failed")
PAYWALL_STATUSES = (401, 402)


@dataclass(frozen=True)
class Resolution:
    status: Status
    reason: str | None
    removal: RemovalKind | None = None


def unfetched(kind: CitationKind, platform: str | None) -> Resolution | None:
    """The status of a citation with nothing to fetch (None: it has a page to fetch)."""
    if kind == "missing_url":
        what = f"a {platform} post" if platform else "the source"
        return Resolution("no_url", f"the briefing names {what} without a URL")
    return None


def removal(capture: Capture, went_home: bool = False) -> tuple[RemovalKind, str] | None:
    """Whether this fetch says the page is gone, of which kind and why (None: it is not)."""
    if capture.fetch_error and any(marker in capture.fetch_error for marker in _NO_ADDRESS):
        return "dns_failure", capture.fetch_error
    if capture.http_status in (404, 410):
        kind: RemovalKind = "http_404" if capture.http_status == 404 else "http_410"
        return kind, f"HTTP {capture.http_status}"
    if went_home:
        return "redirected_home", f"redirected to the home page {capture.final_url or capture.url}"
    verdict = capture.extraction.not_article if capture.extraction else None
    if verdict is not None and verdict.kind is Verdict.SOFT_404:
        return "soft_404", verdict.reason
    return None


def resolve(capture: Capture, went_home: bool = False) -> Resolution:
    """The status a citation gets from the last capture of its URL (after its redirects)."""
    outcome, reason = capture.outcome
    if outcome == "blocked":
        return Resolution("blocked", reason)
    gone = removal(capture, went_home)
    if gone is not None:
        kind, why = gone
        return Resolution("failed" if kind == "dns_failure" else "removed", why, kind)
    if capture.fetch_error or capture.block_page:
        return Resolution("failed", reason)
    if capture.http_status in PAYWALL_STATUSES:
        return Resolution("paywalled", f"HTTP {capture.http_status}")
    if capture.http_status is None or not 200 <= capture.http_status < 300:
        return Resolution("failed", f"HTTP {capture.http_status}")
    extraction = capture.extraction
    if extraction is None:
        return Resolution("failed", reason or "not extracted")
    if extraction.not_article is not None:
        if extraction.not_article.kind is Verdict.PAYWALL_STUB:
            return Resolution("paywalled", extraction.reason)
        return Resolution("not_an_article", extraction.reason)
    assert extraction.article is not None
    if extraction.article.partial_reason:
        return Resolution("paywalled", f"archived in part: {extraction.article.partial_reason}")
    if capture.web_archive_of:
        taken = capture.web_archive_snapshot_at
        return Resolution(
            "archived_from_web_archive",
            f"archived from the Wayback Machine's copy of {taken:%Y-%m-%d %H:%M} UTC" if taken else None,
        )
    return Resolution("archived", None)


def date_agrees(claimed: date | None, published_at: str | None, zone: ZoneInfo | None) -> bool | None:
    """Whether the page's date is the claimed one, on the outlet's clock.

    True on the same day in the outlet's zone (a bare date, or a time with no zone to move it
    to, as printed); False when they are more than a day apart; None when either is unknown, or
    when they are one day apart (the briefing's own time zone, which no one states, can make that).
    """
    if claimed is None or not published_at:
        return None
    try:
        published = datetime.fromisoformat(published_at)
    except ValueError:
        try:
            published = datetime.combine(date.fromisoformat(published_at[:10]), datetime.min.time())
        except ValueError:
            return None
    if published.tzinfo is not None and zone is not None:
        published = published.astimezone(zone)
    apart = abs((published.date() - claimed).days)
    if apart == 0:
        return True
    return False if apart > 1 else None
