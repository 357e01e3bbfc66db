"""The posts spider: reads cited Weibo and X posts through their public endpoints, one at a time.

For each URL asked for it resolves short links first (t.cn, t.co: the Location of each hop, read
again as a post URL, never followed blindly), then fetches what crawler/posts/endpoints.py gives:
Weibo's status JSON, its long text when the post is truncated, and the visitor handshake when
Weibo puts up a login wall (its cookie then goes with every later Weibo request of the run); X's
syndication JSON and oEmbed. Every answer, whatever it says, is kept (`PostAnswer`, through
crawler/spiders/post_requests.py); the `PostFetch` item carries them with the check they make
(crawler/posts/checks.py) to the archive (pipelines/posts.py).

Posts of one platform are read in turn, each after the last is done, on the platform's own
download slot (its registry pace). Scrapy's retries are off for these requests: an answer that
says "later" (418, 429 with Retry-After, a login wall) is the finding, recorded with when to ask
again, and the platform is asked nothing more this run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import wraps
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler.capture_building import describe_exception, failed_fetch, received_at, response_headers
from crawler.posts.answers import complete_long_text, read_answer
from crawler.posts.checks import (
    FAILED,
    Check,
    PostFetch,
    check_from_read,
    login_required_after_handshake,
    x_check,
)
from crawler.posts.endpoints import PostRequest, long_text_request, post_requests
from crawler.posts.post import Endpoint, Outcome, Platform
from crawler.posts.urls import PostRef, ShortLink, UnknownPostUrl, read_post_url
from crawler.posts.visitor import (
    GENVISITOR_URL,
    HandshakeFailed,
    genvisitor_body,
    incarnate_url,
    visitor_cookie,
)
from crawler.registry import PostPlatform, Registry, load_registry
from crawler.spiders.post_requests import (
    ERROR_STATUSES,
    REDIRECT_STATUSES,
    SHORT_LINK,
    WEIBO_VISITOR,
    PostTarget,
    Reading,
    post_request,
)


def keeps_going(callback: Any) -> Any:
    """A callback whose unforeseen error still hands the target's fetch on (its answers kept, the
    check `failed` with the error) and lets the platform's next target start."""

    @wraps(callback)
    def guarded(spider: PostSpider, response: Response, reading: Reading) -> Iterator[Request | PostFetch]:
        try:
            yield from callback(spider, response, reading)
        except Exception as error:  # the readers never raise by design: anything here is a bug to report
            spider.logger.error("reading %s failed: %s", response.url, describe_exception(error))
            answers = reading.fetch.answers
            evidence = f"answers kept, not read: {describe_exception(error)}"
            reading.fetch.check = Check(
                FAILED, evidence, None, evidence_answer=len(answers) - 1 if answers else None
            )
            yield from spider.done(reading)

    return guarded


class PostSpider(scrapy.Spider):
    """Checks the posts it is given (`targets`, PostTarget each).

    Settings: REGISTRY_PATH (the [[platform]] entries: hosts and pace), POSTS_SHORT_LINK_HOPS (the
    most short links followed from one URL). `paused_until` keeps, per platform, the time it asked
    to be left alone until (a rate limit met this run).
    """

    name = "posts"

    registry: Registry
    outlets: list[Any]
    platforms: list[PostPlatform]
    waiting: dict[Platform, deque[PostTarget]]
    paused_until: dict[Platform, datetime]
    visitor_cookie: str | None

    @classmethod
    def from_crawler(
        cls,
        crawler: Crawler,
        *args: Any,
        targets: list[PostTarget] = (),  # type: ignore[assignment]
        registry: Registry | None = None,
        **kwargs: Any,
    ) -> PostSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.registry = registry if registry is not None else load_registry(settings.get("REGISTRY_PATH"))
        spider.short_link_hops = settings.getint("POSTS_SHORT_LINK_HOPS")
        spider.waiting = {}
        for target in targets:
            platform = target.ref.platform if target.ref else _platform_of(target.url)
            spider.waiting.setdefault(platform, deque()).append(target)
        # The platforms asked (a RegistryError now for one the registry lacks). What the network
        # policy reads: the registry, and the crawl's outlets, none: every request of a posts run
        # names its platform (meta `outlet`), whose hosts alone it may reach.
        spider.platforms = [spider.registry.platform(platform.value) for platform in spider.waiting]
        spider.outlets = []
        spider.paused_until = {}
        # Weibo's visitor cookie, once a handshake got one: sent with every Weibo request after it.
        spider.visitor_cookie = None
        return spider

    async def start(self) -> AsyncIterator[Request | PostFetch]:
        for platform in list(self.waiting):
            for output in self.next_target(platform):
                yield output

    # --- one target after another, per platform --------------------------------------------------

    def next_target(self, platform: Platform) -> Iterator[Request | PostFetch]:
        """The first request of the platform's next target; targets it may not ask now are recorded
        as not asked (rate-limited this run), without a request."""
        queue = self.waiting.get(platform)
        while queue:
            target = queue.popleft()
            now = datetime.now(UTC)
            reading = Reading(target, PostFetch(target.url, target.watched, now, target.ref))
            paused = self.paused_until.get(platform)
            if paused is not None:
                not_asked = f"not asked: {platform} answered rate-limited earlier in this run"
                reading.fetch.ref = reading.fetch.ref or _ref_of(target.url)
                if reading.fetch.ref is None:
                    reading.fetch.reason = f"short link not resolved ({not_asked})"
                else:
                    reading.fetch.check = Check(Outcome.RATE_LIMITED.value, not_asked, None, retry_at=paused)
                yield reading.fetch
                continue
            yield from self.begin(reading)
            return

    def done(self, reading: Reading) -> Iterator[Request | PostFetch]:
        """The target's fetch is complete: hand it to the archive, start the platform's next one."""
        fetch = reading.fetch
        platform = fetch.ref.platform if fetch.ref else _platform_of(reading.target.url)
        check = fetch.check
        if check is not None and check.outcome == Outcome.RATE_LIMITED and check.retry_at is not None:
            self.paused_until[platform] = check.retry_at
        yield fetch
        yield from self.next_target(platform)

    def begin(self, reading: Reading) -> Iterator[Request | PostFetch]:
        if reading.target.ref is not None:
            yield from self.ask(reading, reading.target.ref)
            return
        found = read_post_url(reading.target.url)
        if isinstance(found, PostRef):
            yield from self.ask(reading, found)
        elif isinstance(found, ShortLink):
            yield self.short_link_request(reading, found)
        else:
            reading.fetch.reason = (
                found.reason if isinstance(found, UnknownPostUrl) else "not a Weibo or X post URL"
            )
            yield from self.done(reading)

    # --- short links ------------------------------------------------------------------------------

    def short_link_request(self, reading: Reading, link: ShortLink) -> Request:
        reading.short_links.append(link.url)
        return post_request(
            reading,
            link.platform,
            link.url,
            SHORT_LINK,
            callback=self.short_link_answered,
            errback=self.failed,
            # The hop is read, not followed: where it leads is checked as a post URL first.
            meta={"dont_redirect": True, "handle_httpstatus_list": REDIRECT_STATUSES},
        )

    @keeps_going
    def short_link_answered(self, response: Response, reading: Reading) -> Iterator[Request | PostFetch]:
        reading.keep(response, SHORT_LINK)
        location = response.headers.get("Location")
        if response.status not in REDIRECT_STATUSES or not location:
            reading.fetch.reason = f"short link {response.url} did not redirect (HTTP {response.status})"
            yield from self.done(reading)
            return
        target = urljoin(response.url, location.decode("latin-1"))
        found = read_post_url(target)
        if isinstance(found, PostRef):
            yield from self.ask(reading, found)
        elif isinstance(found, ShortLink):
            if found.url in reading.short_links:
                chain = " → ".join([*reading.short_links, found.url])
                reading.fetch.reason = f"short links redirect in a loop: {chain}"
            elif len(reading.short_links) >= self.short_link_hops:
                reading.fetch.reason = (
                    f"more than {self.short_link_hops} short links in a row from {reading.target.url}"
                    " (POSTS_SHORT_LINK_HOPS)"
                )
            else:
                yield self.short_link_request(reading, found)
                return
            yield from self.done(reading)
        else:
            named = found.reason if isinstance(found, UnknownPostUrl) else "not a Weibo or X post"
            reading.fetch.reason = f"short link {reading.short_links[0]} leads to {target}: {named}"
            yield from self.done(reading)

    # --- the post's endpoints ---------------------------------------------------------------------

    def ask(self, reading: Reading, ref: PostRef) -> Iterator[Request]:
        reading.fetch.ref = ref
        requests = post_requests(ref)
        yield self.endpoint_request(reading, requests[0])

    def endpoint_request(self, reading: Reading, wanted: PostRequest) -> Request:
        headers = dict(wanted.headers)
        cookie_sent = bool(self.visitor_cookie) and wanted.endpoint.platform is Platform.WEIBO
        if cookie_sent:
            headers["Cookie"] = self.visitor_cookie
        return post_request(
            reading,
            wanted.endpoint.platform,
            wanted.url,
            wanted.endpoint.value,
            callback=self.endpoint_answered,
            errback=self.failed,
            # Every answer reaches the callback but a redirect, which is followed (each hop through
            # the network policy): a Weibo endpoint sends an anonymous client to its visitor page so.
            meta={"handle_httpstatus_list": ERROR_STATUSES, "visitor_cookie_sent": cookie_sent},
            headers=headers,
        )

    @keeps_going
    def endpoint_answered(self, response: Response, reading: Reading) -> Iterator[Request | PostFetch]:
        endpoint = Endpoint(response.meta["post_endpoint"])
        index = reading.keep(response, endpoint.value)
        ref = reading.fetch.ref
        assert ref is not None
        headers = response_headers(response)
        received = received_at(response)
        if endpoint is Endpoint.WEIBO_STATUS:
            read = read_answer(ref, endpoint, response.status, headers, response.body)
            walled = read.verdict.outcome is Outcome.LOGIN_WALL
            cookie_sent = response.meta.get("visitor_cookie_sent", False)
            if walled and not cookie_sent and not reading.handshake_tried:
                reading.handshake_tried = True
                yield self.genvisitor_request(reading)
                return
            check = check_from_read(read, index, received)
            if cookie_sent:
                check = login_required_after_handshake(check)
            reading.fetch.check = check
            if read.post is not None and read.post.truncated:
                yield self.endpoint_request(reading, long_text_request(ref))
                return
        elif endpoint is Endpoint.WEIBO_LONG_TEXT:
            check = reading.fetch.check
            assert check is not None and check.post is not None
            completed = complete_long_text(check.post, response.status, headers, response.body)
            reading.fetch.check = replace(check, post=completed.post)
        elif endpoint is Endpoint.X_SYNDICATION:
            read = read_answer(ref, endpoint, response.status, headers, response.body)
            reading.syndication = check_from_read(read, index, received)
            yield self.endpoint_request(reading, post_requests(ref)[1])
            return
        else:
            oembed = read_answer(ref, endpoint, response.status, headers, response.body)
            reading.fetch.check = x_check(reading.syndication, check_from_read(oembed, index, received))
        yield from self.done(reading)

    # --- Weibo's visitor handshake ----------------------------------------------------------------

    def genvisitor_request(self, reading: Reading) -> Request:
        return post_request(
            reading,
            Platform.WEIBO,
            GENVISITOR_URL,
            WEIBO_VISITOR,
            callback=self.genvisitor_answered,
            errback=self.failed,
            meta={},
            method="POST",
            body=genvisitor_body(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    @keeps_going
    def genvisitor_answered(self, response: Response, reading: Reading) -> Iterator[Request | PostFetch]:
        reading.keep(response, WEIBO_VISITOR)
        try:
            url = incarnate_url(response.body)
        except HandshakeFailed as error:
            yield from self.handshake_failed(reading, str(error))
            return
        yield post_request(
            reading,
            Platform.WEIBO,
            url,
            WEIBO_VISITOR,
            callback=self.incarnate_answered,
            errback=self.failed,
            meta={},
        )

    @keeps_going
    def incarnate_answered(self, response: Response, reading: Reading) -> Iterator[Request | PostFetch]:
        reading.keep(response, WEIBO_VISITOR)
        cookies = [value.decode("latin-1") for value in response.headers.getlist("Set-Cookie")]
        try:
            self.visitor_cookie = visitor_cookie(cookies)
        except HandshakeFailed as error:
            yield from self.handshake_failed(reading, str(error))
            return
        ref = reading.fetch.ref
        assert ref is not None
        yield self.endpoint_request(reading, post_requests(ref)[0])

    def handshake_failed(self, reading: Reading, reason: str) -> Iterator[Request | PostFetch]:
        """The login wall stands, the visitor handshake did not get past it: ask again later."""
        ref = reading.fetch.ref
        assert ref is not None
        status_answer = next(
            index
            for index, answer in enumerate(reading.fetch.answers)
            if answer.endpoint == Endpoint.WEIBO_STATUS.value
        )
        answer = reading.fetch.answers[status_answer]
        read = read_answer(ref, Endpoint.WEIBO_STATUS, answer.status or 0, answer.headers, answer.body)
        check = check_from_read(read, status_answer, answer.fetched_at)
        reading.fetch.check = replace(check, evidence=f"{check.evidence}; visitor handshake failed: {reason}")
        yield from self.done(reading)

    # --- no answer --------------------------------------------------------------------------------

    def failed(self, failure: Failure) -> Iterator[Request | PostFetch]:
        """No answer: kept as a capture with the reason. Without the post's own answer the check
        is `failed`; a long text or handshake that failed leaves what was read before."""
        request: Request = failure.request  # type: ignore[attr-defined]
        reading: Reading = request.cb_kwargs["reading"]
        endpoint = request.meta["post_endpoint"]
        reason = failed_fetch(failure).reason
        index = reading.keep_failure(request, reason)
        if endpoint == SHORT_LINK:
            reading.fetch.reason = f"short link {request.url} could not be fetched: {reason}"
        elif endpoint == WEIBO_VISITOR:
            yield from self.handshake_failed(reading, reason)
            return
        elif endpoint == Endpoint.WEIBO_LONG_TEXT.value:
            check = reading.fetch.check
            assert check is not None and check.post is not None
            post = replace(check.post, problems=(*check.post.problems, f"long text not read: {reason}"))
            reading.fetch.check = replace(check, post=post)
        elif endpoint == Endpoint.X_SYNDICATION.value:
            ref = reading.fetch.ref
            assert ref is not None
            yield self.endpoint_request(reading, post_requests(ref)[1])
            return
        elif endpoint == Endpoint.X_OEMBED.value and reading.syndication is not None:
            reading.fetch.check = x_check(reading.syndication, None)
        else:
            reading.fetch.check = Check(FAILED, reason, None, evidence_answer=index)
        yield from self.done(reading)


def _platform_of(url: str) -> Platform:
    found = read_post_url(url)
    if found is None:
        raise ValueError(f"{url}: not a Weibo or X URL")
    return found.platform


def _ref_of(url: str) -> PostRef | None:
    found = read_post_url(url)
    return found if isinstance(found, PostRef) else None
