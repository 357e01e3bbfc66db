"""AutoThrottle with a floor per outlet: it may slow an outlet down, never below its own delay."""

from __future__ import annotations

from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response


class OutletAutoThrottle(AutoThrottle):
    """Scrapy's AutoThrottle, whose lower bound is each download slot's configured delay.

    Stock AutoThrottle bounds every slot's delay below by DOWNLOAD_DELAY alone, so it would
    shorten an outlet's registry delay of 3 s to 1 s on a fast server, and lengthen one of
    0.2 s to 1 s. Here the bound is the slot's DOWNLOAD_SLOTS delay (one slot per outlet), or
    DOWNLOAD_DELAY for other slots (robots.txt on a host of its own).

    Settings: AUTOTHROTTLE_* as for AutoThrottle, DOWNLOAD_SLOTS, DOWNLOAD_DELAY.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.default_delay = crawler.settings.getfloat("DOWNLOAD_DELAY")
        self.slot_delays = {
            key: float(slot["delay"])
            for key, slot in crawler.settings.getdict("DOWNLOAD_SLOTS").items()
            if "delay" in slot
        }

    def _min_delay(self) -> float:
        # The bound is applied per slot in _adjust_delay; a global one would override it.
        return 0.0

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        super()._adjust_delay(slot, latency, response)
        assert self.crawler.engine is not None
        # Not every response carries its request (robots.txt ones do not): find the slot's name.
        key = next((key for key, known in self.crawler.engine.downloader.slots.items() if known is slot), "")
        slot.delay = max(slot.delay, self.slot_delays.get(key, self.default_delay))
