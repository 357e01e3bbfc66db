"""What the posts spider has under way for a post, and the requests it sends for it.

A `PostTarget` becomes a `Reading` when its turn comes. Every request for it carries the reading,
names the platform it is for (meta `outlet`: the network policy lets it reach that platform's
hosts alone) and the endpoint it asks; every answer, or the failure to get one, is kept in the
reading's fetch as a `PostAnswer`, whatever it says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scrapy.http import Request, Response

from crawler.capture_building import first_url, last_hop, received_at, response_headers
from crawler.posts.checks import Check, PostAnswer, PostFetch
from crawler.posts.post import Platform
from crawler.posts.urls import PostRef

SHORT_LINK = "short_link"
WEIBO_VISITOR = "weibo_visitor"
REDIRECT_STATUSES = [301, 302, 303, 307, 308]
ERROR_STATUSES = list(range(400, 600))


@dataclass(frozen=True)
class PostTarget:
    """A post to check: the URL it is cited by (any form, a short link too), or its ref when known."""

    url: str
    watched: bool = True
    ref: PostRef | None = None


@dataclass
class Reading:
    """One target under way: what has been fetched for it so far."""

    target: PostTarget
    fetch: PostFetch
    short_links: list[str] = field(default_factory=list)
    handshake_tried: bool = False
    syndication: Check | None = None

    def keep(self, response: Response, endpoint: str) -> int:
        """Keep the answer as one of the fetch's originals; its index among them."""
        request = response.request
        assert request is not None
        self.fetch.answers.append(
            PostAnswer(
                endpoint=endpoint,
                url=first_url(request),
                fetched_at=received_at(request),
                request_method=request.method,
                request_body=request.body,
                final_url=response.url,
                status=response.status,
                headers=tuple(response_headers(response)),
                body=response.body,
                replayed_from=request.meta.get("replayed_from"),
            )
        )
        return len(self.fetch.answers) - 1

    def keep_failure(self, request: Request, reason: str) -> int:
        """Keep a request that got no answer, with the reason; its index among the fetch's originals."""
        self.fetch.answers.append(
            PostAnswer(
                endpoint=request.meta["post_endpoint"],
                url=first_url(request),
                final_url=last_hop(request),
                fetched_at=datetime.now(UTC),
                request_method=request.method,
                request_body=request.body,
                fetch_error=reason,
            )
        )
        return len(self.fetch.answers) - 1


def post_request(
    reading: Reading,
    platform: Platform,
    url: str,
    endpoint: str,
    *,
    callback: Any,
    errback: Any,
    meta: dict[str, Any],
    **arguments: Any,
) -> Request:
    """A request for the reading's post, to the platform's download slot (its registry pace)."""
    return Request(
        url,
        callback=callback,
        errback=errback,
        cb_kwargs={"reading": reading},
        meta={
            "outlet": platform.value,
            "page_kind": "post",
            "post_endpoint": endpoint,
            "download_slot": platform.value,
            # An answer that says "later" is recorded as the finding, not retried (the spider's doc).
            "dont_retry": True,
            **meta,
        },
        dont_filter=True,
        **arguments,
    )
