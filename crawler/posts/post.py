"""What is read from a platform's answer for one post: plain, frozen data, ready for the archive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Platform(StrEnum):
    WEIBO = "weibo"
    X = "x"


class Endpoint(StrEnum):
    """The public endpoints a post is read from (crawler/posts/endpoints.py builds the requests)."""

    WEIBO_STATUS = "weibo_status"
    WEIBO_LONG_TEXT = "weibo_long_text"
    X_SYNDICATION = "x_syndication"
    X_OEMBED = "x_oembed"

    @property
    def platform(self) -> Platform:
        return Platform.WEIBO if self.name.startswith("WEIBO") else Platform.X


class Outcome(StrEnum):
    """What an answer says about the post asked for: there it is, how it vanished, or try later."""

    OK = "ok"
    # The removal kinds: how a post vanished.
    DELETED_BY_AUTHOR = "deleted_by_author"
    REMOVED_BY_PLATFORM = "removed_by_platform"
    LOGIN_REQUIRED = "login_required"
    ACCOUNT_SUSPENDED = "account_suspended"
    ACCOUNT_PROTECTED = "account_protected"
    NOT_FOUND = "not_found"
    # Answers that say nothing about the post: ask again later.
    RATE_LIMITED = "rate_limited"
    LOGIN_WALL = "login_wall"
    RETRY_LATER = "retry_later"
    # An answer none of the table's entries describes.
    UNRECOGNISED = "unrecognised"

    @property
    def is_removal(self) -> bool:
        return self in REMOVAL_KINDS

    @property
    def means_retry(self) -> bool:
        return self in (Outcome.RATE_LIMITED, Outcome.LOGIN_WALL, Outcome.RETRY_LATER)


def canonical_post_url(platform: Platform, post_id: str) -> str:
    """The one URL written for a post, whatever URL named it; readable without a login."""
    if platform is Platform.WEIBO:
        return f"https://m.weibo.cn/status/{post_id}"
    return f"https://x.com/i/web/status/{post_id}"


REMOVAL_KINDS = (
    Outcome.DELETED_BY_AUTHOR,
    Outcome.REMOVED_BY_PLATFORM,
    Outcome.LOGIN_REQUIRED,
    Outcome.ACCOUNT_SUSPENDED,
    Outcome.ACCOUNT_PROTECTED,
    Outcome.NOT_FOUND,
)


@dataclass(frozen=True)
class Author:
    """Who posted. Weibo: `screen_name` is the shown name (Weibo has no separate handle), `name`
    None. X: `screen_name` is the @handle, `name` the shown name."""

    uid: str | None
    screen_name: str | None
    name: str | None = None


@dataclass(frozen=True)
class Counts:
    """Counts as the answer gave them at capture time (None: not in the answer). Weibo writes large
    ones as floors ("1万+" = at least 10,000); `at_least` names the counts given that way."""

    reposts: int | None = None
    comments: int | None = None
    likes: int | None = None
    at_least: tuple[str, ...] = ()


@dataclass(frozen=True)
class Link:
    """A link in a post's text: the text shown, where it leads, the short link the post wrote."""

    text: str
    url: str
    short_url: str | None = None


@dataclass(frozen=True)
class Removal:
    """How a post vanished, with the text or answer that says so and where that wording was recorded."""

    kind: Outcome
    evidence: str
    source: str


@dataclass(frozen=True)
class Post:
    """One post as read from one answer.

    `text` is plain text: HTML stripped, emoji as their alt text (`[doge]`), links as the text
    shown (their targets in `links`, X's t.co links written out). `created_at` keeps the offset the
    platform writes (Weibo +08:00, X UTC); `created_at_from` says whether the answer gave it
    ("answer") or it was read from the post id ("post id"). `reposted` is the post this one reposts
    (Weibo) or quotes (X), read from the same answer. `removal`: how the post vanished, when its
    text is a platform's notice (a reposted original deleted since) or its answer says so. `url` is
    the canonical URL (crawler/posts/urls.py). `truncated`: the answer holds only
    the start of the text (Weibo's long posts until the long text is read; X's long posts).
    `problems` name each field that was missing or of another shape than documented.
    """

    platform: Platform
    post_id: str
    endpoint: Endpoint
    text: str | None = None
    author: Author | None = None
    created_at: datetime | None = None
    created_at_from: str | None = None
    counts: Counts = Counts()
    image_urls: tuple[str, ...] = ()
    video_urls: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    source_client: str | None = None
    language: str | None = None
    in_reply_to: str | None = None
    reposted: Post | None = None
    removal: Removal | None = None
    truncated: bool = False
    long_text_read: bool = False
    problems: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return canonical_post_url(self.platform, self.post_id)


@dataclass(frozen=True)
class NotAPost:
    """An answer with no post in it, and why (one line)."""

    reason: str
