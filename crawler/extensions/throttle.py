"""Politeness per outlet: one download slot each, AutoThrottle bounded below by the outlet's own delay.

Every request of an outlet carries its slug as `download_slot`, and DOWNLOAD_SLOTS gives each
slot the outlet's registry delay and concurrency (`outlet_download_slots`), so Scrapy's own
downloader spaces and limits them. Scrapy's AutoThrottle would then move every slot's delay
within [DOWNLOAD_DELAY, AUTOTHROTTLE_MAX_DELAY] alone: shorten an outlet's 3 s to 1 s on a fast
server, lengthen one of 0.2 s to 1 s. `OutletAutoThrottle` takes its place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings

from crawler.registry import Outlet

logger = logging.getLogger(__name__)


def outlet_download_slots(outlets: Iterable[Outlet], settings: BaseSettings) -> dict[str, dict[str, float]]:
    """DOWNLOAD_SLOTS entries of the outlets: their registry politeness, else the crawl's defaults."""
    default_delay = settings.getfloat("DOWNLOAD_DELAY")
    default_concurrency = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
    return {
        outlet.slug: {
            "delay": default_delay if outlet.crawl.delay is None else outlet.crawl.delay,
            "concurrency": outlet.crawl.concurrency or default_concurrency,
        }
        for outlet in outlets
    }


def adjusted_delay(
    delay: float, latency: float, status: int, *, target_concurrency: float, floor: float, ceiling: float
) -> float:
    """A slot's next delay after a response: AutoThrottle's rule, never below `floor`.

    As Scrapy documents AutoThrottle: aim at `latency / target_concurrency`, move halfway there
    (at once when it is longer), stay under `ceiling`, and let no error answer shorten the delay.
    The floor comes last, so a registry delay above AUTOTHROTTLE_MAX_DELAY holds too.
    """
    target = latency / target_concurrency
    proposed = min(max(target, (delay + target) / 2), ceiling)
    if status != 200 and proposed <= delay:
        proposed = delay
    return max(proposed, floor)


class OutletAutoThrottle:
    """AutoThrottle whose lower bound is each download slot's own DOWNLOAD_SLOTS delay.

    On every downloaded response it sets the delay of the response's download slot (its
    `download_slot` meta) by `adjusted_delay`; the floor is the slot's DOWNLOAD_SLOTS delay (one
    slot per outlet), or DOWNLOAD_DELAY for other slots (robots.txt on a host of its own).
    Each slot starts at its own delay; a request whose meta sets `autothrottle_dont_adjust_delay`
    leaves it alone. Settings: AUTOTHROTTLE_ENABLED, AUTOTHROTTLE_TARGET_CONCURRENCY,
    AUTOTHROTTLE_MAX_DELAY, AUTOTHROTTLE_DEBUG, DOWNLOAD_SLOTS, DOWNLOAD_DELAY.
    """

    def __init__(
        self,
        crawler: Crawler,
        *,
        floors: dict[str, float],
        default_floor: float,
        ceiling: float,
        target_concurrency: float,
        debug: bool = False,
    ):
        self.crawler = crawler
        self.floors = floors
        self.default_floor = default_floor
        self.ceiling = ceiling
        self.target_concurrency = target_concurrency
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OutletAutoThrottle:
        settings = crawler.settings
        if not settings.getbool("AUTOTHROTTLE_ENABLED"):
            raise NotConfigured
        target_concurrency = settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY")
        if target_concurrency <= 0:
            raise NotConfigured(f"AUTOTHROTTLE_TARGET_CONCURRENCY ({target_concurrency!r}) must be above 0")
        extension = cls(
            crawler,
            floors={
                key: float(slot["delay"])
                for key, slot in settings.getdict("DOWNLOAD_SLOTS").items()
                if "delay" in slot
            },
            default_floor=settings.getfloat("DOWNLOAD_DELAY"),
            ceiling=settings.getfloat("AUTOTHROTTLE_MAX_DELAY"),
            target_concurrency=target_concurrency,
            debug=settings.getbool("AUTOTHROTTLE_DEBUG"),
        )
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        return extension

    def response_downloaded(self, response: Response, request: Request) -> None:
        latency = request.meta.get("download_latency")
        key = request.meta.get("download_slot")
        if latency is None or key is None or request.meta.get("autothrottle_dont_adjust_delay") is True:
            return
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is None:
            return
        previous = slot.delay
        slot.delay = adjusted_delay(
            previous,
            latency,
            response.status,
            target_concurrency=self.target_concurrency,
            floor=self.floors.get(key, self.default_floor),
            ceiling=self.ceiling,
        )
        if self.debug:
            logger.info(
                "slot %s: delay %.0f ms (%+.0f), latency %.0f ms",
                key,
                slot.delay * 1000,
                (slot.delay - previous) * 1000,
                latency * 1000,
            )
