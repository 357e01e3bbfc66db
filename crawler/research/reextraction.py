"""Rebuild the articles from the stored raw originals, without the network (after a parser fix)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from crawler.archive import Archive
from crawler.extraction import extract_article
from crawler.registry import Registry

CHANGE_COUNTS = (
    "captures re-extracted",
    "articles unchanged",
    "articles changed",
    "articles new",
    "articles removed",
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
        extraction = extract_article(
            capture.body,
            url=capture.final_url or capture.url,
            content_type=capture.content_type,
            outlet=outlet,
            fetched_at=capture.fetched_at,
        )
        outcome = "article" if extraction.article else "not_article"
        archive.record_reextraction(
            capture, outcome, extraction.reason, extraction.encoding, extraction.article, outlet=outlet
        )
        captures[outcome] += 1
        if on_progress:
            on_progress(position)
    after = archive.queries.article_digests(outlets)
    counts = (
        captures.total(),
        sum(1 for key in after if before.get(key) == after[key]),
        sum(1 for key in after if key in before and before[key] != after[key]),
        sum(1 for key in after if key not in before),
        sum(1 for key in before if key not in after),
    )
    return Counter(dict(zip(CHANGE_COUNTS, counts, strict=True)))


def unregistered_outlets(archive: Archive, registry: Registry) -> dict[str, int]:
    """Outlets whose article captures the archive holds but the registry lacks, with their count."""
    return {
        slug: count for slug, count in archive.captures.reextractable_counts().items() if slug not in registry
    }
