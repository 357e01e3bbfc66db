"""Retries that wait: Scrapy's RetryMiddleware with exponential backoff and Retry-After.

Scrapy 2.19's RetryMiddleware re-schedules a failed request at once. A server that answered
429 or 503 is overloaded or rationing us; asking again immediately is impolite and usually
fails again, so each retry first waits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """A Retry-After header (delay-seconds or an HTTP date) in seconds; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Waits before each retry: as long as the answer's Retry-After asks, else exponentially longer.

    While a request waits, the outlet's download slot serves its other requests (the wait holds
    one of CONCURRENT_REQUESTS, not the slot). A Retry-After beyond RETRY_AFTER_MAX gives up on
    the request for this run rather than stall the crawl (the page stays queued for the next run).

    Settings: RETRY_BACKOFF_BASE (seconds before the first retry, doubled for each next one),
    RETRY_BACKOFF_MAX (longest such wait), RETRY_AFTER_MAX (longest Retry-After honoured),
    and RetryMiddleware's own RETRY_* settings.
    """

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX")

    def backoff(self, retry_times: int) -> float:
        return min(self.backoff_max, self.backoff_base * 2 ** (retry_times - 1))

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        retry_after = (
            retry_after_seconds(response.headers.get("Retry-After"))
            if response.status in self.retry_http_codes
            else None
        )
        if retry_after is not None and retry_after > self.retry_after_max:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("retry/retry_after_too_long")
            return response
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await sleep(retry_after if retry_after is not None else self.backoff(result.meta["retry_times"]))
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await sleep(self.backoff(result.meta["retry_times"]))
        return result
