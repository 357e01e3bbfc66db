"""Captures made from what a fetch returned: a response kept whole, or a failure and its reason.

The spider (crawler/spiders/outlets.py) turns every response and every failed request into one
`Capture` with these; the pipelines then extract and archive it. The request's meta says which
outlet, what kind of page and which fetch-queue entry the fetch was for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.block_pages import challenge_page
from crawler.items import Capture, PageKind
from crawler.registry import ArticleUrl, Outlet


@dataclass(frozen=True)
class FailedFetch:
    """Why a request got no response worth keeping."""

    reason: str
    # Nothing was sent: robots.txt forbids it, redirects went round in circles, or an offline
    # replay lacks it (worth a line of INFO, where a fetch that failed is worth a WARNING).
    nothing_sent: bool


def describe_exception(error: BaseException) -> str:
    """One line naming what went wrong: the exception's type and the first line of its message."""
    name = type(error).__name__
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{name}: {message}" if message else name


def error_response(failure: Failure) -> Response | None:
    """The response of a request that failed on its HTTP status (kept like any other), else None."""
    return failure.value.response if failure.check(HttpError) else None


def failed_fetch(failure: Failure) -> FailedFetch:
    """The reason a request that got no response failed, and whether anything was sent."""
    if failure.check(IgnoreRequest):
        return FailedFetch(str(failure.value) or type(failure.value).__name__, nothing_sent=True)
    return FailedFetch(describe_exception(failure.value), nothing_sent=False)


def first_url(request: Request) -> str:
    """The URL a request first asked for, before any redirect."""
    redirects = request.meta.get("redirect_urls") or []
    return redirects[0] if redirects else request.url


def last_hop(request: Request) -> str | None:
    """The URL a redirected request reached last; None when it was not redirected."""
    return request.url if request.meta.get("redirect_urls") else None


def received_at(message: Request | Response) -> datetime:
    """When the answer to a request came: the recorded time of a replayed one, else now."""
    return message.meta.get("replay_fetched_at") or datetime.now(UTC)


def failure_capture(request: Request, reason: str, *, blocked: bool = False) -> Capture:
    """The capture of a request that got no response, or that the network policy refused (`blocked`):
    recorded all the same, the page was wanted. After redirects: the URL first asked for, the last hop."""
    return Capture(
        outlet=request.meta["outlet"],
        page_kind=request.meta.get("page_kind", "article"),
        url=first_url(request),
        final_url=last_hop(request),
        fetched_at=datetime.now(UTC),
        request_method=request.method,
        request_body=request.body,
        fetch_error=None if blocked else reason,
        blocked=reason if blocked else None,
        fetch_queue_id=request.meta.get("fetch_queue_id"),
        revisit=request.meta.get("revisit", False),
    )


def response_capture(
    response: Response,
    outlet: Outlet | str,
    page_kind: PageKind,
    discovery_problem: str | None = None,
    article_links: list[ArticleUrl] | None = None,
    *,
    conditional_get: bool | None = None,
) -> Capture:
    """The capture of a response; a discovery document read whole may be fetched conditionally next.

    `outlet`: the registry outlet, or the slug of a site outlet (which has no home page to tell).
    """
    request = response.request
    assert request is not None
    if conditional_get is None:
        conditional_get = page_kind != "article" and response.status == 200 and discovery_problem is None
    slug = outlet if isinstance(outlet, str) else outlet.slug
    redirected = last_hop(request) is not None
    went_home = redirected and not isinstance(outlet, str) and outlet.is_home_page(response.url)
    return Capture(
        outlet=slug,
        page_kind=page_kind,
        url=first_url(request),
        fetched_at=received_at(request),
        request_method=request.method,
        request_body=request.body,
        final_url=response.url,
        http_status=response.status,
        response_headers=response_headers(response),
        body=response.body,
        replayed_from=request.meta.get("replayed_from"),
        discovery_problem=discovery_problem,
        fetch_queue_id=request.meta.get("fetch_queue_id"),
        revisit=request.meta.get("revisit", False),
        article_links=article_links or [],
        conditional_get=conditional_get,
        block_page=challenge_page(response.body),
        redirected_home=went_home,
    )


def response_headers(response: Response) -> list[tuple[str, str]]:
    """Header names and values in the order received, repeated ones repeated."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in response.headers.items()
        for value in values
    ]
