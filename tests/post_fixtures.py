"""The synthetic replay answers of tests/fixtures/posts/ (README.md there): each file one HTTP
answer as the server would send it, responses.toml saying which URL and endpoint it answers."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from crawler.posts.answers import read_answer
from crawler.posts.checks import PostAnswer, PostFetch, check_from_read
from crawler.posts.endpoints import long_text_request, post_requests
from crawler.posts.post import Endpoint
from crawler.posts.urls import PostRef, read_post_url
from crawler.warc_snapshots import RecordedExchange

POST_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "posts"


@dataclass(frozen=True)
class RecordedResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def recorded_response(relative: str) -> RecordedResponse:
    """A fixture file: a status line, header lines, a blank line, the body (without its final newline)."""
    head, _, body = (POST_FIXTURES / relative).read_bytes().partition(b"\n\n")
    status_line, *header_lines = head.decode("utf-8").split("\n")
    headers = tuple(tuple(part.strip() for part in line.split(":", 1)) for line in header_lines)
    return RecordedResponse(int(status_line.split()[1]), headers, body.removesuffix(b"\n"))


def fixture_manifest() -> list[dict[str, str]]:
    return tomllib.loads((POST_FIXTURES / "responses.toml").read_text(encoding="utf-8"))["response"]


def post_exchange(
    file: str | RecordedResponse, url: str, *, method: str = "GET", request_body: bytes = b""
) -> RecordedExchange:
    """A fixture file (or a response made by a test) as the answer to `url`, for a replay snapshot."""
    response = recorded_response(file) if isinstance(file, str) else file
    return RecordedExchange(
        url=url,
        status=response.status,
        headers=list(response.headers),
        body=response.body,
        fetched_at=datetime(2026, 11, 1, 8, 0, tzinfo=UTC),
        method=method,
        request_body=request_body,
        origin=f"synthetic: tests/fixtures/posts/{file}"
        if isinstance(file, str)
        else "synthetic: made by a test",
    )


def endpoint_url(cited_url: str, endpoint: Endpoint) -> str:
    """The URL the posts spider requests from `endpoint` for the post `cited_url` names."""
    ref = read_post_url(cited_url)
    assert isinstance(ref, PostRef), cited_url
    if endpoint is Endpoint.WEIBO_LONG_TEXT:
        return long_text_request(ref).url
    return next(request.url for request in post_requests(ref) if request.endpoint is endpoint)


def answers_for(cited_url: str, **files: str | RecordedResponse) -> list[RecordedExchange]:
    """The exchanges answering each endpoint named (weibo_status=FILE, x_oembed=FILE, ...) for a post."""
    return [post_exchange(file, endpoint_url(cited_url, Endpoint(name))) for name, file in files.items()]


CHECKED = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def fetched(url: str, file: str, endpoint: Endpoint, checked_at: datetime = CHECKED) -> PostFetch:
    """The fetch the posts spider would hand over for one answer (`file`) to `endpoint`'s request."""
    ref = read_post_url(url)
    response = recorded_response(file)
    answer = PostAnswer(
        endpoint.value,
        endpoint_url(url, endpoint),
        checked_at,
        status=response.status,
        headers=response.headers,
        body=response.body,
    )
    read = read_answer(ref, endpoint, response.status, response.headers, response.body)
    return PostFetch(url, True, checked_at, ref, [answer], check_from_read(read, 0, checked_at))


def made_response(
    status: int, body: str | bytes = b"", headers: tuple[tuple[str, str], ...] = ()
) -> RecordedResponse:
    """A response a test makes itself (synthetic), such as a short link's redirect."""
    return RecordedResponse(status, headers, body.encode("utf-8") if isinstance(body, str) else body)


# The snapshot docs/posts.md replays (tests/fixtures/posts/replay.warc.gz, built from these answers by
# `python -m tests.post_fixtures`; tests/test_posts_docs.py checks it still holds exactly them).
REPLAY_SNAPSHOT = POST_FIXTURES / "replay.warc.gz"
REPLAYED_POSTS: dict[str, dict[str, str]] = {
    "https://weibo.com/7827771738/N4xlMvjhI": {"weibo_status": "weibo/show-ordinary.http"},
    "https://m.weibo.cn/detail/4189191225395228": {"weibo_status": "weibo/show-repost-of-deleted.http"},
    "https://mobile.twitter.com/example_news/status/1674700676612386816": {
        "x_syndication": "x/syndication-quoted.http",
        "x_oembed": "x/oembed-404.http",
    },
    "https://x.com/example_news/status/1349794411333394432": {
        "x_syndication": "x/syndication-tombstone-deleted.http",
        "x_oembed": "x/oembed-404.http",
    },
}


def replayed_exchanges() -> list[RecordedExchange]:
    return [exchange for url, files in REPLAYED_POSTS.items() for exchange in answers_for(url, **files)]


if __name__ == "__main__":
    from crawler.warc_snapshots import write_snapshot

    with REPLAY_SNAPSHOT.open("wb") as stream:
        print(f"{REPLAY_SNAPSHOT}: {write_snapshot(replayed_exchanges(), stream)} answers")
