"""Deduplication stage: the normalised text, body hash and MinHash each article is compared by.

The archive stage then links the article to the archived copies of its story (exact, near, or
its other script edition) in the same transaction that stores it; see `crawler.story_matching`.
"""

from __future__ import annotations

from crawler.items import Capture
from crawler.story_matching import fingerprint
from pipelines.stage import CaptureStage


class DedupPipeline(CaptureStage):
    """Fingerprints every extracted article's body (`crawler.story_matching.fingerprint`).

    Crawl stats: `dedup/comparable`, and `dedup/too_short` for bodies too short to compare.
    """

    stage = "dedup"

    def process(self, item: Capture) -> Capture:
        if item.extraction is None or item.extraction.article is None:
            return item
        if item.dedup is None:  # else fingerprinted by a worker process
            item.dedup = fingerprint(item.extraction.article.body)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("dedup/comparable" if item.dedup.comparable else "dedup/too_short")
        return item
