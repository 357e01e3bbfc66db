"""One recorded answer read whole: what it says about the post (the Verdict) and the post in it.

The briefing commands fetch the requests crawler/posts/endpoints.py gives, keep each answer as the
original, and hand it here. Nothing here raises on an answer's content: a changed shape gives the
post with what could be read and its problems named, or the reason there is no post.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from crawler.posts.post import Endpoint, NotAPost, Outcome, Post
from crawler.posts.recorded import RecordedAnswer
from crawler.posts.removals import Verdict, classify_answer
from crawler.posts.urls import PostRef
from crawler.posts.weibo import read_weibo_long_text, read_weibo_status, with_long_text
from crawler.posts.x import read_oembed, read_syndication

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
POST_READERS: dict[Endpoint, Callable[[Any, PostRef], Post | NotAPost]] = {
    Endpoint.WEIBO_STATUS: read_weibo_status,
    Endpoint.X_SYNDICATION: read_syndication,
    Endpoint.X_OEMBED: read_oembed,
}


@dataclass(frozen=True)
class ReadAnswer:
    """The verdict on an answer, the post read from it (None if none), and why there is none."""

    verdict: Verdict
    post: Post | None
    reason: str | None = None


def read_answer(ref: PostRef, endpoint: Endpoint, status: int, headers: Headers, body: bytes) -> ReadAnswer:
    """The answer to `endpoint`'s request for `ref` (headers with str names and values)."""
    if endpoint not in POST_READERS or endpoint.platform is not ref.platform:
        raise ValueError(f"{endpoint} does not answer for a {ref.platform} post")
    answer = RecordedAnswer.read(status, headers, body)
    verdict = classify_answer(endpoint, answer)
    if verdict.outcome.means_retry or answer.kind != "json":
        return ReadAnswer(verdict, None, verdict.evidence)
    read = POST_READERS[endpoint](answer.json, ref)
    if isinstance(read, NotAPost):
        return ReadAnswer(verdict, None, verdict.evidence if verdict.outcome.is_removal else read.reason)
    if read.removal is None and verdict.removal is not None:
        read = replace(read, removal=verdict.removal)
    return ReadAnswer(verdict, read)


def complete_long_text(post: Post, status: int, headers: Headers, body: bytes) -> ReadAnswer:
    """`post` with the whole text from a statuses/extend answer, or as it was with the reason the
    long text could not be read among its problems."""
    answer = RecordedAnswer.read(status, headers, body)
    verdict = classify_answer(Endpoint.WEIBO_LONG_TEXT, answer)
    if verdict.outcome in (Outcome.OK, Outcome.UNRECOGNISED) and answer.kind == "json":
        long_text = read_weibo_long_text(answer.json)
        if isinstance(long_text, str):
            return ReadAnswer(verdict, with_long_text(post, long_text))
        reason = long_text.reason
    else:
        reason = f"{verdict.outcome}: {verdict.evidence}"
    return ReadAnswer(
        verdict, replace(post, problems=(*post.problems, f"long text not read: {reason}")), reason
    )
