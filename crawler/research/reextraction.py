"""Rebuild the articles from the stored raw originals, without the network (after a parser fix)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from crawler.archive import Archive
from crawler.archive.captures import StoredCapture
from crawler.archive.connection import storage_failure
from crawler.extraction import extract_article
from crawler.items import stage_error
from crawler.registry import Outlet, Registry

CHANGE_COUNTS = (
    "captures re-extracted",
    "articles unchanged",
    "articles changed",
    "articles new",
    "articles removed",
    "captures failed",
)


def reextract(
    archive: Archive,
    registry: Registry,
    outlets: list[str] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Counter[str]:
    """Extract every stored article capture again and count how the articles changed.

    Captures are replayed oldest first, so each article ends up extracted from its newest
    capture that still yields one, as the crawls that fetched them left it. Versions, URL
    aliases and story links are rebuilt on the way, by the same store path a crawl takes.
    All outlets when `outlets` is None: those of the registry; the captures of an outlet it
    lacks (see `unregistered_outlets`) are left as they are, their articles and versions kept.
    """
    if outlets is None:
        outlets = [slug for slug in archive.captures.reextractable_counts() if slug in registry]
    if not outlets:
        return Counter(dict.fromkeys(CHANGE_COUNTS, 0))
    before = archive.queries.article_digests(outlets)
    archive.articles.forget_versions_and_links(outlets)
    captures: Counter[str] = Counter()
    for position, capture in enumerate(archive.captures.reextractable(outlets), start=1):
        outlet = registry.get(capture.outlet) if capture.outlet in registry else None
        captures[_extract_again(archive, capture, outlet)] += 1
        if on_progress:
            on_progress(position)
    after = archive.queries.article_digests(outlets)
    counts = (
        captures.total(),
        sum(1 for key in after if before.get(key) == after[key]),
        sum(1 for key in after if key in before and before[key] != after[key]),
        sum(1 for key in after if key not in before),
        sum(1 for key in before if key not in after),
        captures["failed"],
    )
    return Counter(dict(zip(CHANGE_COUNTS, counts, strict=True)))


def _extract_again(archive: Archive, capture: StoredCapture, outlet: Outlet | None) -> str:
    """Extract one stored capture again and record what it is now: article, not_article or failed.

    An exception in extraction, tagging or storing the article is recorded as the capture's reason
    (`extract_error: …`, `store_error: …`) and its article left as it was; the archive failing
    (`storage_failure`) ends the re-extraction.
    """
    try:
        extraction = extract_article(
            capture.body,
            url=capture.final_url or capture.url,
            content_type=capture.content_type,
            outlet=outlet,
            fetched_at=capture.fetched_at,
        )
    except Exception as error:
        archive.record_stage_failure(capture, stage_error("extract", error))
        return "failed"
    try:
        archive.record_reextraction(capture, extraction, outlet=outlet)
    except Exception as error:
        if storage_failure(error) is not None:
            raise
        archive.record_stage_failure(capture, stage_error("store", error))
        return "failed"
    return "article" if extraction.article else "not_article"


def unregistered_outlets(archive: Archive, registry: Registry) -> dict[str, int]:
    """Outlets whose article captures the archive holds but the registry lacks, with their count."""
    return {
        slug: count for slug, count in archive.captures.reextractable_counts().items() if slug not in registry
    }
