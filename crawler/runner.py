"""Running the outlet spider in this process with the project's settings."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.spiders.outlets import OutletSpider

SETTINGS_MODULE = "crawler.settings"


@dataclass(frozen=True)
class CrawlResult:
    run_id: int | None
    finish_reason: str | None
    stats: dict[str, object]

    @property
    def ok(self) -> bool:
        return self.finish_reason == "finished"


def project_settings(
    archive_path: Path,
    *,
    replay_snapshot: Path | None = None,
    registry_path: Path | None = None,
    verbose: bool = False,
    overrides: dict[str, str] | None = None,
) -> Settings:
    """crawler/settings.py with this run's values on top, as `scrapy crawl -s` would set them."""
    settings = Settings()
    settings.setmodule(SETTINGS_MODULE, priority="project")
    settings.setdict(overrides or {}, priority="cmdline")
    settings.set("ARCHIVE_PATH", str(archive_path), priority="cmdline")
    settings.set("REPLAY_SNAPSHOT", str(replay_snapshot) if replay_snapshot else None, priority="cmdline")
    settings.set("REGISTRY_PATH", str(registry_path) if registry_path else None, priority="cmdline")
    settings.set("LOG_LEVEL", "INFO" if verbose else "WARNING", priority="cmdline")
    settings.set("PROGRESS_ENABLED", sys.stderr.isatty() and not verbose, priority="cmdline")
    return settings


def run_crawl(settings: Settings, outlets: list[str]) -> CrawlResult:
    """Crawl the named outlets (all when empty); blocks until the crawl ends."""
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(OutletSpider)
    process.crawl(crawler, outlets=",".join(outlets))
    process.start()
    # Scrapy's root handler would keep printing later log records of this process.
    logging.getLogger().handlers.clear()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    run_id = stats.get("archive/run_id")
    return CrawlResult(
        run_id=int(run_id) if isinstance(run_id, int) else None,
        finish_reason=str(stats.get("finish_reason")) if stats.get("finish_reason") else None,
        stats=stats,
    )
