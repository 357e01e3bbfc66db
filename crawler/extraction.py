"""An article as sourcevault keeps it: extracted from the page by its page object, then tagged
with its language and script.

The crawl runs these two steps as pipeline stages (ExtractPipeline, LanguagePipeline); every
other way of building articles from pages (`sourcevault extract`, `reextract`, `outlets
check`, the benchmarks) calls `extract_article`, so they all store the same thing.
"""

from __future__ import annotations

from datetime import datetime

from crawler.language import tag_extraction
from crawler.pages import DEFAULT_MAX_PAGE_BYTES, Extraction, extract_page
from crawler.registry import Outlet, Registry


def extract_article(
    body: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    outlet: Outlet | None = None,
    registry: Registry | None = None,
    fetched_at: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_PAGE_BYTES,
) -> Extraction:
    """Extract the article of one page and tag its language; never raises for bad input.

    Arguments as for `crawler.pages.extract_page`; the outlet found there from the registry
    (by the page's URL) also gives the script the article is expected in.
    """
    extraction = extract_page(
        body,
        url=url,
        content_type=content_type,
        outlet=outlet,
        registry=registry,
        fetched_at=fetched_at,
        max_bytes=max_bytes,
    )
    article = extraction.article
    if outlet is None and registry is not None and article is not None and article.outlet in registry:
        outlet = registry.get(article.outlet)
    return tag_extraction(extraction, outlet)
