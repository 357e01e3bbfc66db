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
from crawler.sites import is_site_outlet

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
    The page decides whether it holds an article, as `extract` does (the crawl also wanted its
    URL to match one of the outlet's patterns). All outlets when `outlets` is None: those of
    the registry and the site outlets (`site:rfa.org`, read the generic way, unless an outlet
    of the registry owns their host now); the captures of an outlet the registry lacks (see
    `unregistered_outlets`) are left as they are, their articles and versions kept.
    """
    if outlets is None:
        outlets = [
            slug
            for slug in archive.captures.reextractable_counts()
            if slug in registry or is_site_outlet(slug)
        ]
    if not outlets:
        return Counter(dict.fromkeys(CHANGE_COUNTS, 0))
    before = archive.queries.article_digests(outlets)
    # Citations point at versions, which are rebuilt: they point at the rebuilt ones after.
    archive.briefings.detach_versions(outlets)
    archive.articles.forget_versions_and_links(outlets)
    captures: Counter[str] = Counter()
    # Outlets whose pages were a site outlet's: their articles are counted among the new ones.
    moved_to: set[str] = set()
    for position, capture in enumerate(archive.captures.reextractable(outlets), start=1):
        outcome, stored_under = _extract_again(archive, capture, registry)
        captures[outcome] += 1
        if stored_under is not None and stored_under != capture.outlet:
            moved_to.add(stored_under)
        if on_progress:
            on_progress(position)
    archive.briefings.reattach_versions()
    after = archive.queries.article_digests([*outlets, *sorted(moved_to - set(outlets))])
    counts = (
        captures.total(),
        sum(1 for key in after if before.get(key) == after[key]),
        sum(1 for key in after if key in before and before[key] != after[key]),
        sum(1 for key in after if key not in before),
        sum(1 for key in before if key not in after),
        captures["failed"],
    )
    return Counter(dict(zip(CHANGE_COUNTS, counts, strict=True)))


def _extract_again(archive: Archive, capture: StoredCapture, registry: Registry) -> tuple[str, str | None]:
    """Extract one stored capture again and record what it is now (article, not_article or failed),
    with the outlet of the article it made, if any.

    An exception in extraction, tagging or storing the article is recorded as the capture's reason
    (`extract_error: …`, `store_error: …`) and its article left as it was; the archive failing
    (`storage_failure`) ends the re-extraction.
    """
    try:
        extraction = extract_article(
            capture.body,
            url=capture.final_url or capture.url,
            content_type=capture.content_type,
            outlet=_outlet_of(capture.outlet, capture.final_url or capture.url, registry),
            fetched_at=capture.fetched_at,
        )
    except Exception as error:
        archive.record_stage_failure(capture, stage_error("extract", error))
        return "failed", None
    article = extraction.article
    try:
        archive.record_reextraction(
            capture,
            extraction,
            outlet=registry.get(article.outlet) if article and article.outlet in registry else None,
        )
    except Exception as error:
        if storage_failure(error) is not None:
            raise
        archive.record_stage_failure(capture, stage_error("store", error))
        return "failed", None
    return ("article", article.outlet) if article else ("not_article", None)


def _outlet_of(slug: str, url: str, registry: Registry) -> Outlet | None:
    """The registry outlet whose page a capture is: its own, or for a site outlet's capture the
    outlet that owns its host now (None: still a site outlet's, read the generic way)."""
    if slug in registry:
        return registry.get(slug)
    return registry.for_url(url)


def unregistered_outlets(archive: Archive, registry: Registry) -> dict[str, int]:
    """Outlets whose article captures the archive holds but the registry lacks, with their count
    (site outlets are no registry's: they are re-extracted the generic way)."""
    return {
        slug: count
        for slug, count in archive.captures.reextractable_counts().items()
        if slug not in registry and not is_site_outlet(slug)
    }
