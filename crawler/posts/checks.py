"""One check of a post: the answers fetched for it, kept whole, and what they say together.

The posts spider (crawler/spiders/posts.py) fetches the requests crawler/posts/endpoints.py gives
and hands over a `PostFetch` per post asked for; the archive keeps every `PostAnswer` as a capture
(the originals) and records the `Check` as a row of `post_checks`. Plain data and functions: nothing
here fetches or imports Scrapy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crawler.posts.post import Outcome, Post
from crawler.posts.urls import PostRef

if TYPE_CHECKING:
    from crawler.posts.answers import ReadAnswer

# What a check records when no answer arrived at all (DNS, timeout, refused by the network policy).
FAILED = "failed"
# A login wall met again after the visitor handshake: the post is not shown without a login.
LOGIN_AFTER_HANDSHAKE_SOURCE = "sourcevault: the login wall stood after the visitor handshake (docs/posts.md)"


@dataclass(frozen=True)
class PostAnswer:
    """One request made for a post and what came back, kept as a capture: the original.

    `endpoint` is an Endpoint's value, or `short_link` / `weibo_visitor` for the requests that
    resolve a short link and make the visitor handshake. `fetch_error` says why nothing came back.
    """

    endpoint: str
    url: str
    fetched_at: datetime
    request_method: str = "GET"
    request_body: bytes = b""
    final_url: str | None = None
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    fetch_error: str | None = None
    replayed_from: str | None = None


@dataclass(frozen=True)
class Check:
    """What one check found: the outcome (ok, a removal kind, a reason to ask later, or `failed`),
    the evidence and where its wording was recorded, the post read, the answer that says so (an
    index into the fetch's answers) and when to ask again at the earliest."""

    outcome: str
    evidence: str | None = None
    source: str | None = None
    post: Post | None = None
    evidence_answer: int | None = None
    retry_at: datetime | None = None

    @property
    def removal_kind(self) -> str | None:
        return self.outcome if self.outcome in {kind.value for kind in Outcome if kind.is_removal} else None


@dataclass
class PostFetch:
    """Everything fetched to check one post asked for: the item of the posts spider.

    `ref` is None when the URL led to no post (a short link to elsewhere, a loop): `reason` says why.
    """

    cited_url: str
    watched: bool
    checked_at: datetime
    ref: PostRef | None = None
    answers: list[PostAnswer] = field(default_factory=list)
    check: Check | None = None
    reason: str | None = None
    # What the archive made of it (crawler.archive.posts.RecordedCheck), once stored.
    recorded: Any = None


def check_from_read(read: ReadAnswer, answer_index: int, received_at: datetime) -> Check:
    """The check one read answer makes (the last answer of a Weibo check, syndication's on X)."""
    verdict = read.verdict
    return Check(
        outcome=verdict.outcome.value,
        evidence=verdict.evidence,
        source=verdict.source or None,
        post=read.post,
        evidence_answer=answer_index,
        retry_at=verdict.retry_at(received_at),
    )


def x_check(syndication: Check | None, oembed: Check | None) -> Check:
    """X's two answers' checks together. Syndication carries the post; oEmbed's 403 is the surest
    sign of a protected account, so it names the removal when syndication only says not_found (or
    nothing); when syndication is rate-limited or unreadable, oEmbed's post stands."""
    first, second = syndication, oembed
    if first is not None and first.outcome == Outcome.OK and first.post is not None:
        return first
    if (
        second is not None
        and second.removal_kind
        and (
            first is None
            or first.outcome in (Outcome.NOT_FOUND, Outcome.UNRECOGNISED)
            or not first.removal_kind
        )
    ):
        return second
    if first is not None and first.removal_kind:
        return first
    if second is not None and second.outcome == Outcome.OK and second.post is not None:
        return second
    return first or second or Check(FAILED, "no answer")


def login_required_after_handshake(check: Check) -> Check:
    """A login wall met with the visitor cookie: the post is shown only to a logged-in viewer."""
    if check.outcome != Outcome.LOGIN_WALL:
        return check
    return Check(
        Outcome.LOGIN_REQUIRED.value,
        f"{check.evidence} (after the visitor handshake)",
        f"{check.source}; {LOGIN_AFTER_HANDSHAKE_SOURCE}" if check.source else LOGIN_AFTER_HANDSHAKE_SOURCE,
        None,
        check.evidence_answer,
        None,
    )
