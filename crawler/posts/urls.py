"""Which post a URL names: Weibo and X post URLs in all the forms briefings cite them.

`read_post_url` gives a PostRef (platform, the post's numeric id, the user the URL names, one
canonical URL), a ShortLink to resolve first (t.cn, t.co, Weibo's share pages), an UnknownPostUrl
with the reason for a URL on a platform's host in no known post form (a profile, an id out of
range), or None for a URL on no platform's host. Query strings (share tracking: ?featurecode=,
?s=20&t=) never reach the key: the canonical URL is written from the id alone.
Forms and sources: docs/posts.md and shared notes/posts.md §1.1, §1.8, §2.1, §2.5.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from crawler.posts.ids import PostIdError, bid_to_mid, mid_to_bid, numeric_post_id
from crawler.posts.post import Platform, canonical_post_url

WEIBO_DOMAINS = ("weibo.com", "weibo.cn")
X_DOMAINS = ("x.com", "twitter.com")
SHORT_LINK_HOSTS = {"t.cn": Platform.WEIBO, "t.co": Platform.X}
# Links that wrap another: Weibo's external-link page and X's unsafe-link warning.
LINK_WRAPPERS = (
    (re.compile(r"^(?:www\.)?weibo\.cn$"), re.compile(r"^/sinaurl"), ("u", "toasturl", "goto")),
    (re.compile(r"^(?:www\.)?twitter\.com$"), re.compile(r"^/safety/unsafe_link_warning$"), ("unsafe_link",)),
)
MAX_UNWRAPPING = 3
NUMERIC = re.compile(r"\d+")
X_USER = re.compile(r"[A-Za-z0-9_]{1,50}")
# X's own top-level pages, which are no user's.
X_PAGES = frozenset(
    {"i", "home", "explore", "search", "notifications", "messages", "settings", "intent", "hashtag"}
)
SHORT_CODE = re.compile(r"[A-Za-z0-9]{1,16}")
WEIBO_HOST_FORMS = (
    "weibo.com/<uid>/<mid or bid>, m.weibo.cn/status/<id>, m.weibo.cn/detail/<id>, m.weibo.cn/<uid>/<mid>, "
    "weibo.cn/comment/<bid>, weibo.cn/mblog/picAll/<bid>, weibo.com/tv/show/…?mid=<mid>"
)
X_HOST_FORMS = "x.com/<user>/status/<id>, x.com/i/web/status/<id>, x.com/statuses/<id>"


@dataclass(frozen=True)
class PostRef:
    """One post: its platform and numeric id (Weibo's mid, X's status id). `user` is whom the URL
    named (a Weibo uid, an X handle; None if it named nobody); two URLs of one post are equal refs."""

    platform: Platform
    post_id: str
    user: str | None = field(default=None, compare=False)

    @property
    def url(self) -> str:
        return canonical_post_url(self.platform, self.post_id)

    @property
    def bid(self) -> str | None:
        """Weibo's base62 form of the id (what weibo.com permalinks show); None on X."""
        return mid_to_bid(self.post_id) if self.platform is Platform.WEIBO else None


@dataclass(frozen=True)
class ShortLink:
    """A link that only redirects to the post: follow it (bounded), then read the URL it lands on."""

    platform: Platform
    url: str


@dataclass(frozen=True)
class UnknownPostUrl:
    """A URL on a platform's host that names no post this reads, and why (one line)."""

    platform: Platform
    url: str
    reason: str


def read_post_url(url: str) -> PostRef | ShortLink | UnknownPostUrl | None:
    """The post `url` names, a short link to resolve first, why it names none, or None off the platforms."""
    for _ in range(MAX_UNWRAPPING):
        unwrapped = unwrap_link(url)
        if unwrapped == url:
            break
        url = unwrapped
    parts = _split(url)
    if parts is None:
        return None
    host, path, query, fragment = parts
    if host in SHORT_LINK_HOSTS:
        return _short_link(SHORT_LINK_HOSTS[host], host, path, url)
    if _on(host, WEIBO_DOMAINS):
        return _weibo(host, _segments(path), query, url)
    if _on(host, X_DOMAINS):
        # Old links put the path in the fragment: twitter.com/#!/user/status/1
        if path in ("", "/") and fragment.startswith("!/"):
            path = fragment[1:]
        return _x(host, _segments(path), url)
    return None


def unwrap_link(url: str) -> str:
    """The link inside Weibo's external-link page (weibo.cn/sinaurl?u=…) or X's unsafe-link warning,
    else `url` unchanged."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return url
    if not host:
        return url
    for host_form, path, keys in LINK_WRAPPERS:
        if host_form.match(host) and path.match(parts.path):
            values = parse_qs(parts.query)
            target = next((values[key][0] for key in keys if values.get(key)), None)
            if target and target.startswith(("http://", "https://")):
                return target
    return url


def _weibo(host: str, segments: list[str], query: dict[str, list[str]], url: str) -> PostRef | UnknownPostUrl:
    def unknown(reason: str) -> UnknownPostUrl:
        return UnknownPostUrl(Platform.WEIBO, url, reason)

    match [host, *segments]:
        case ["mapp.api.weibo.cn", "fx", _]:
            return ShortLink(Platform.WEIBO, f"https://{host}/{'/'.join(segments)}")
        case ["m.weibo.cn", "status" | "detail", post]:
            return _weibo_ref(post, None, unknown)
        case ["weibo.com" | "www.weibo.com" | "m.weibo.cn", uid, post] if NUMERIC.fullmatch(uid):
            return _weibo_ref(post, uid, unknown)
        case ["weibo.cn" | "www.weibo.cn", "comment", post] | [
            "weibo.cn" | "www.weibo.cn",
            "mblog",
            "picAll",
            post,
        ]:
            return _weibo_ref(post, None, unknown)
        case ["weibo.com" | "www.weibo.com", "tv", "show", _]:
            mids = query.get("mid")
            if not mids:
                return unknown("a Weibo video page without ?mid=: it names the video, not the post")
            return _weibo_ref(mids[0], None, unknown)
        case ["video.weibo.com", *_]:
            return unknown("a Weibo video page: it names the video, not the post")
        case [_, "u" | "profile", uid] | [_, uid] if NUMERIC.fullmatch(uid):
            return unknown(f"a Weibo profile page (user {uid}), not a post")
        case ["passport.weibo.com" | "passport.weibo.cn", *_]:
            return unknown("a Weibo login page, not a post")
    return unknown(f"not a Weibo post URL (known forms: {WEIBO_HOST_FORMS})")


def _weibo_ref(post: str, uid: str | None, unknown) -> PostRef | UnknownPostUrl:
    try:
        mid = numeric_post_id(post, "Weibo mid") if NUMERIC.fullmatch(post) else bid_to_mid(post)
    except PostIdError as error:
        return unknown(str(error))
    return PostRef(Platform.WEIBO, mid, uid)


def _x(host: str, segments: list[str], url: str) -> PostRef | UnknownPostUrl:
    match segments:
        case ["i", "web", "status", status, *_] | ["i", "status", status, *_] | ["statuses", status, *_]:
            user = None
        case [user, "status" | "statuses", status, *_] if X_USER.fullmatch(user) and user != "i":
            pass
        case [user] if X_USER.fullmatch(user) and user.lower() not in X_PAGES:
            return UnknownPostUrl(Platform.X, url, f"an X profile page (@{user}), not a post")
        case _:
            return UnknownPostUrl(Platform.X, url, f"not an X post URL (known forms: {X_HOST_FORMS})")
    try:
        return PostRef(Platform.X, numeric_post_id(status, "X status id"), user)
    except PostIdError as error:
        return UnknownPostUrl(Platform.X, url, str(error))


def _short_link(platform: Platform, host: str, path: str, url: str) -> ShortLink | UnknownPostUrl:
    code = path.strip("/")
    if not SHORT_CODE.fullmatch(code):
        return UnknownPostUrl(platform, url, f"a {host} link without a short code")
    return ShortLink(platform, f"https://{host}/{code}")


def _split(url: str) -> tuple[str, str, dict[str, list[str]], str] | None:
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return host, parts.path, parse_qs(parts.query), parts.fragment


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _on(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)
