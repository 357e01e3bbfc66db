"""Running the outlet spider in this process with the project's settings."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import BaseSettings, Settings
from twisted.python.failure import Failure

from crawler.exit_status import BadInput
from crawler.extensions.throttle import outlet_download_slots
from crawler.registry import Registry
from crawler.spiders.outlets import OutletSpider
from crawler.spiders.post_requests import PostTarget
from crawler.spiders.posts import PostSpider

if TYPE_CHECKING:
    from crawler.posts.checks import PostFetch

SETTINGS_MODULE = "crawler.settings"
# How a setting whose default has this type is read, and what to call such a value.
SETTING_READERS = {
    bool: (BaseSettings.getbool, "true or false"),
    # Scrapy reads some settings whose default is whole (DOWNLOAD_TIMEOUT) as floats.
    int: (BaseSettings.getfloat, "a number"),
    float: (BaseSettings.getfloat, "a number"),
    list: (BaseSettings.getlist, "a list"),
    dict: (BaseSettings.getdict, "a JSON object"),
    BaseSettings: (BaseSettings.getdict, "a JSON object"),
}


class SettingError(BadInput):
    """A `-s NAME=VALUE` whose value the setting cannot take."""


class CrawlNotStarted(BadInput):
    """Scrapy could not set the crawl up (a component refused its settings, say)."""


@dataclass(frozen=True)
class CrawlResult:
    run_id: int | None
    finish_reason: str | None
    stats: dict[str, object]

    @property
    def ok(self) -> bool:
        return self.finish_reason == "finished"


def project_settings(
    archive_path: Path | str,
    *,
    replay_snapshot: Path | None = None,
    registry_path: Path | None = None,
    verbose: bool = False,
    overrides: dict[str, str] | None = None,
) -> Settings:
    """crawler/settings.py with this run's values on top, as `scrapy crawl -s` would set them."""
    settings = Settings()
    settings.setmodule(SETTINGS_MODULE, priority="project")
    check_overrides(settings, overrides or {})
    settings.setdict(overrides or {}, priority="cmdline")
    settings.set("ARCHIVE_PATH", str(archive_path), priority="cmdline")
    settings.set("REPLAY_SNAPSHOT", str(replay_snapshot) if replay_snapshot else None, priority="cmdline")
    settings.set("REGISTRY_PATH", str(registry_path) if registry_path else None, priority="cmdline")
    settings.set("LOG_LEVEL", "INFO" if verbose else "WARNING", priority="cmdline")
    settings.set("PROGRESS_ENABLED", sys.stderr.isatty() and not verbose, priority="cmdline")
    return settings


def check_overrides(settings: Settings, overrides: dict[str, str]) -> None:
    """SettingError for an override its setting cannot read as the type of its default."""
    for name, value in overrides.items():
        default = settings.get(name)
        reader, kind = SETTING_READERS.get(type(default), (None, ""))
        if reader is None:
            continue
        try:
            reader(Settings({name: value}), name)
        except (TypeError, ValueError):
            shown = default.copy_to_dict() if isinstance(default, BaseSettings) else default
            raise SettingError(f"-s {name}={value}: {name} takes {kind} (default: {shown!r})") from None


def run_crawl(settings: Settings, outlets: list[str], registry: Registry | None = None) -> CrawlResult:
    """Crawl the named outlets (all when empty); blocks until the crawl ends.

    `registry`: the one REGISTRY_PATH names, if the caller has loaded it already (the crawl then
    uses it instead of loading it again). CrawlNotStarted when Scrapy could not set the crawl up,
    its reason in one line.
    """
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(OutletSpider)
    failures: list[Failure] = []
    process.crawl(crawler, outlets=",".join(outlets), registry=registry).addErrback(failures.append)
    process.start()
    # Scrapy's root handler would keep printing later log records of this process.
    logging.getLogger().handlers.clear()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    run_id = stats.get("archive/run_id")
    if failures:
        error = failures[0].value
        raise CrawlNotStarted(f"crawl did not start: {type(error).__name__}: {error}")
    return CrawlResult(
        run_id=int(run_id) if isinstance(run_id, int) else None,
        finish_reason=str(stats.get("finish_reason")) if stats.get("finish_reason") else None,
        stats=stats,
    )


def post_settings(
    archive_path: Path | str,
    registry: Registry,
    *,
    replay_snapshot: Path | None = None,
    registry_path: Path | None = None,
    overrides: dict[str, str] | None = None,
) -> Settings:
    """The project's settings for a posts run."""
    settings = project_settings(
        archive_path, replay_snapshot=replay_snapshot, registry_path=registry_path, overrides=overrides
    )
    settings_for_posts(settings, registry)
    return settings


def settings_for_posts(settings: BaseSettings, registry: Registry) -> None:
    """Turn a crawl's settings into a posts run's: its own pipeline, the platforms' pace as download
    slots (a crawl worker's crawler of a posts unit too, crawler/workers.py)."""
    settings.set("ITEM_PIPELINES", settings.getdict("POSTS_ITEM_PIPELINES"), priority="cmdline")
    settings.set("ROBOTSTXT_OBEY", settings.getbool("POSTS_ROBOTSTXT_OBEY"), priority="cmdline")
    settings.set("PROGRESS_ENABLED", False, priority="cmdline")
    slots = {
        **outlet_download_slots(registry.platforms.values(), settings),
        **settings.getdict("DOWNLOAD_SLOTS"),
    }
    settings.set("DOWNLOAD_SLOTS", slots, priority="cmdline")


def run_posts(settings: Settings, targets: list[PostTarget], registry: Registry) -> list[PostFetch]:
    """Check these posts (crawler/spiders/posts.py); blocks until done. Each fetch comes back with
    what the archive made of it (`PostFetch.recorded`), in the order they were stored."""
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(PostSpider)
    stored: list[PostFetch] = []
    failures: list[Failure] = []

    def archived(item: PostFetch) -> None:
        stored.append(item)

    crawler.signals.connect(archived, signal=signals.item_scraped, weak=False)
    process.crawl(crawler, targets=targets, registry=registry).addErrback(failures.append)
    process.start()
    logging.getLogger().handlers.clear()
    if failures:
        error = failures[0].value
        raise CrawlNotStarted(f"posts run did not start: {type(error).__name__}: {error}")
    return stored
