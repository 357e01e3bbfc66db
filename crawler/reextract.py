"""Rebuild the articles from the stored raw originals, without the network (after a parser fix)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from crawler.archive import Archive
from crawler.articles import extract_article
from crawler.registry import Registry


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
    """
    before = archive.article_digests(outlets)
    archive.forget_versions_and_links(outlets)
    captures: Counter[str] = Counter()
    for position, capture in enumerate(archive.article_captures(outlets), start=1):
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
    after = archive.article_digests(outlets)
    return Counter(
        {
            "captures re-extracted": captures.total(),
            "articles unchanged": sum(1 for key in after if before.get(key) == after[key]),
            "articles changed": sum(1 for key in after if key in before and before[key] != after[key]),
            "articles new": sum(1 for key in after if key not in before),
            "articles removed": sum(1 for key in before if key not in after),
        }
    )
