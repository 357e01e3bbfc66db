"""Language stage: tag each extracted article with its language and script, and flag it when
the script is not the one its outlet (or edition) writes."""

from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.items import Capture
from crawler.language import tag_extraction
from crawler.registry import Registry
from crawler.spiders.outlets import crawl_registry
from pipelines.stage import CaptureStage


class LanguagePipeline(CaptureStage):
    """Runs `crawler.language.tag_article` over the article ExtractPipeline made of a capture.

    Crawl stats: `language/<tag>` per BCP 47 tag (zh-Hant, zh-Hans, …) and
    `language/script_mismatch` for articles seen in another script than their outlet's.
    """

    stage = "language"

    def __init__(self, crawler: Crawler, registry: Registry):
        super().__init__(crawler)
        self.registry = registry

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LanguagePipeline:
        return cls(crawler, crawl_registry(crawler))

    def process(self, item: Capture) -> Capture:
        if item.extraction is None or item.extraction.article is None:
            return item
        if item.extraction.article.language_tag is None:  # else tagged by a worker process
            outlet = self.registry.get(item.outlet) if item.outlet in self.registry else None
            item.extraction = tag_extraction(item.extraction, outlet)
        article = item.extraction.article
        assert article is not None and self.crawler.stats is not None
        self.crawler.stats.inc_value(f"language/{article.language_tag}")
        if article.script_mismatch:
            self.crawler.stats.inc_value("language/script_mismatch")
        return item
