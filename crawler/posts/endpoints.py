"""What to request for a post: the public endpoints that serve one without a login, as data.

Weibo: m.weibo.cn's status JSON, and its long-text JSON when the status is truncated, with the
headers public scrapers send (zgq354/weibo-rss detailAPI.ts and longTextAPI.ts, DIYgod/RSSHub
getShowData). X: the syndication JSON embedded posts are drawn from, with its token
(vercel/react-tweet fetch-tweet.ts), and oEmbed (developer.x.com get-statuses-oembed), whose 403
tells a protected account apart. Nothing here fetches: the briefing commands send these through
the crawler's network policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from crawler.posts.ids import syndication_token
from crawler.posts.post import Endpoint, Platform
from crawler.posts.urls import PostRef

JSON_ACCEPT = "application/json, text/plain, */*"
# m.weibo.cn answers its JSON to its own mobile pages: the headers those pages' requests carry.
# The User-Agent is the mobile Safari weibo-rss sends (src/modules/weibo/api/common.ts MOCK_UA).
WEIBO_MOBILE_USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)
# The feature switches react-tweet sends; the answer's shape (mediaDetails, edit_control) follows them.
SYNDICATION_FEATURES = ";".join(
    (
        "tfw_timeline_list:",
        "tfw_follower_count_sunset:true",
        "tfw_tweet_edit_backend:on",
        "tfw_refsrc_session:on",
        "tfw_fosnr_soft_interventions_enabled:on",
        "tfw_show_birdwatch_pivots_enabled:on",
        "tfw_show_business_verified_badge:on",
        "tfw_duplicate_scribes_to_settings:on",
        "tfw_use_profile_image_shape_enabled:on",
        "tfw_show_blue_verified_badge:on",
        "tfw_legacy_timeline_sunset:true",
        "tfw_show_gov_verified_badge:on",
        "tfw_show_business_affiliate_badge:on",
        "tfw_tweet_edit_frontend:on",
    )
)


@dataclass(frozen=True)
class PostRequest:
    """One GET to make for a post: which endpoint, the URL, the headers to send with it."""

    endpoint: Endpoint
    url: str
    headers: tuple[tuple[str, str], ...]


def post_requests(ref: PostRef) -> tuple[PostRequest, ...]:
    """The requests that read `ref`, in order. X's two answer independently: syndication carries the
    post, oEmbed (documented as not rate limited) a second witness and a protected account's 403."""
    if ref.platform is Platform.WEIBO:
        return (_weibo_request(Endpoint.WEIBO_STATUS, "https://m.weibo.cn/statuses/show", ref),)
    syndication = "https://cdn.syndication.twimg.com/tweet-result?" + urlencode(
        {
            "id": ref.post_id,
            "lang": "en",
            "features": SYNDICATION_FEATURES,
            "token": syndication_token(ref.post_id),
        }
    )
    # oEmbed reads the post's twitter.com URL; the user part can be any, as on x.com itself.
    cited = f"https://twitter.com/{ref.user or 'i/web'}/status/{ref.post_id}"
    oembed = "https://publish.twitter.com/oembed?" + urlencode(
        {"url": cited, "omit_script": "true", "dnt": "true"}
    )
    accept = (("Accept", "application/json"),)
    return (
        PostRequest(Endpoint.X_SYNDICATION, syndication, accept),
        PostRequest(Endpoint.X_OEMBED, oembed, accept),
    )


def long_text_request(ref: PostRef) -> PostRequest:
    """The request for a truncated Weibo post's whole text (Post.truncated)."""
    if ref.platform is not Platform.WEIBO:
        raise ValueError(f"{ref.platform} has no long-text endpoint")
    return _weibo_request(Endpoint.WEIBO_LONG_TEXT, "https://m.weibo.cn/statuses/extend", ref)


def _weibo_request(endpoint: Endpoint, base: str, ref: PostRef) -> PostRequest:
    headers = (
        ("Accept", JSON_ACCEPT),
        ("MWeibo-Pwa", "1"),
        ("X-Requested-With", "XMLHttpRequest"),
        ("Referer", f"https://m.weibo.cn/detail/{ref.post_id}"),
        ("User-Agent", WEIBO_MOBILE_USER_AGENT),
    )
    return PostRequest(endpoint, f"{base}?{urlencode({'id': ref.post_id})}", headers)
