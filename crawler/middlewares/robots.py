"""robots.txt as Scrapy obeys it, its failures told in one warning per host.

Scrapy's RobotsTxtMiddleware logs a robots.txt it could not fetch (DNS, refused, timeout) as an
error with the whole traceback, once per host: a crawl without network printed dozens of them.
What happens next is not an error: the host's pages are fetched as if robots.txt allowed them,
and each page that fails is recorded (and logged) with its reason.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import robotstxt
from scrapy.exceptions import IgnoreRequest

from crawler.capture_building import describe_exception

logger = logging.getLogger(__name__)


class _NoRobotsTracebacks(logging.Filter):
    """Drops the error Scrapy's middleware logs with a traceback; ours says it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno >= logging.ERROR and record.exc_info)


_no_robots_tracebacks = _NoRobotsTracebacks()


class RobotsTxtMiddleware(robotstxt.RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, a robots.txt that could not be fetched one warning line."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        robotstxt.logger.addFilter(_no_robots_tracebacks)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if not isinstance(exc, IgnoreRequest):
            logger.warning(
                "robots.txt of %s not fetched (%s): its pages are fetched as if it allowed them",
                netloc,
                describe_exception(exc),
            )
        super()._robots_error(exc, netloc)
