"""Synthetic faults in the pipeline, for tests/test_hostile_pages.py: stages that fail on the pages a
test marks, to show that no capture is lost to an exception in a stage after the fetch.

Extraction, tagging and deduplication have no known input left that makes them raise (each one
found is fixed where it arose), so the faults are made here, as tests/loopback.py makes network
faults. A crawl takes them with `-s ITEM_PIPELINES=...` (`pipelines_with_faults`), its process
finding this module through PYTHONPATH.
"""

from __future__ import annotations

import json
from dataclasses import replace

from crawler import settings
from crawler.items import Capture
from pipelines.stage import CaptureStage

# Pages holding these markers raise in a stage, or carry an article SQLite cannot store.
RAISES = "<!-- synthetic fault: a stage raises -->"
UNSTORABLE = "<!-- synthetic fault: an article that cannot be stored -->"


class RaisingExtraction(CaptureStage):
    """Raises, as a parser meeting a page nested too deep would, on the pages marked RAISES."""

    stage = "extract"

    def process(self, item: Capture) -> Capture:
        if RAISES.encode() in item.body:
            raise RecursionError("maximum recursion depth exceeded (synthetic fault)")
        return item


class UnstorableArticle(CaptureStage):
    """Leaves a lone surrogate (which no UTF-8 can encode) in the article of the pages marked
    UNSTORABLE: storing it raises in the archive's write path."""

    stage = "dedup"

    def process(self, item: Capture) -> Capture:
        extraction = item.extraction
        if UNSTORABLE.encode() in item.body and extraction is not None and extraction.article is not None:
            article = replace(extraction.article, body=f"{extraction.article.body}\ud800")
            item.extraction = replace(extraction, article=article)
        return item


def pipelines_with_faults() -> tuple[str, str]:
    """The `-s` option giving a crawl the project's pipelines and these faults between them."""
    pipelines = {
        **settings.ITEM_PIPELINES,
        f"{__name__}.RaisingExtraction": 310,
        f"{__name__}.UnstorableArticle": 800,
    }
    return "-s", f"ITEM_PIPELINES={json.dumps(pipelines)}"
