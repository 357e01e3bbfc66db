"""One page fetched over HTTP outside any crawl, for `sourcevault outlets fixture URL`.

Crawls go through Scrapy; a single page an operator wants as a fixture does not need an
engine. urllib3 follows redirects and undoes content encodings (the body kept is the entity
as a client receives it, as in the archive); tenacity retries what a retry can fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import urllib3
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from crawler import __version__
from crawler.exit_status import BadInput

USER_AGENT = f"sourcevault/{__version__} (outlet fixture)"
TIMEOUT = urllib3.Timeout(connect=10, read=30)
MAX_REDIRECTS = 5
ATTEMPTS = 3
# Answers worth asking again for: the server was busy, rate-limiting, or briefly down.
RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
READ_CHUNK_BYTES = 65_536


class FetchError(BadInput):
    """The page could not be fetched; the message is one line naming the URL and why."""


class _Retryable(Exception):
    """A failure worth another attempt (connection error, timeout, status in RETRIED_STATUSES)."""


@dataclass(frozen=True)
class FetchedPage:
    url: str
    status: int
    content_type: str | None
    body: bytes
    fetched_at: datetime


_pool = urllib3.PoolManager(headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"})


def _read_limited(response: urllib3.BaseHTTPResponse, max_bytes: int, url: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.stream(READ_CHUNK_BYTES, decode_content=True):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url}: page larger than {max_bytes:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _attempt(url: str, max_bytes: int) -> FetchedPage:
    try:
        response = _pool.request(
            "GET",
            url,
            timeout=TIMEOUT,
            retries=urllib3.Retry(total=None, connect=0, read=0, status=0, redirect=MAX_REDIRECTS),
            preload_content=False,
        )
    except urllib3.exceptions.MaxRetryError as error:
        if isinstance(error.reason, urllib3.exceptions.ResponseError):
            raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects") from None
        raise _Retryable(f"{url}: {error.reason}") from None
    except urllib3.exceptions.HTTPError as error:
        raise _Retryable(f"{url}: {error}") from None
    try:
        if response.status in RETRIED_STATUSES:
            raise _Retryable(f"{url}: HTTP {response.status}")
        if response.status != 200:
            raise FetchError(f"{url}: HTTP {response.status}")
        body = _read_limited(response, max_bytes, url)
    finally:
        response.release_conn()
    return FetchedPage(
        url=response.geturl() or url,
        status=response.status,
        content_type=response.headers.get("Content-Type"),
        body=body,
        fetched_at=datetime.now(UTC),
    )


def fetch_page(
    url: str, *, max_bytes: int, attempts: int = ATTEMPTS, backoff_seconds: float = 1.0
) -> FetchedPage:
    """GET `url`, following redirects; retry connection errors and busy answers."""
    fetch = retry(
        retry=retry_if_exception_type(_Retryable),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=backoff_seconds, max=10 * backoff_seconds),
        reraise=True,
    )(_attempt)
    try:
        return fetch(url, max_bytes)
    except _Retryable as error:
        raise FetchError(f"{error} (gave up after {attempts} attempts)") from None
