"""Which post a URL names, in every form briefings cite Weibo and X posts; the requests that read it."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.posts.endpoints import long_text_request, post_requests
from crawler.posts.ids import syndication_token
from crawler.posts.post import Endpoint, Platform
from crawler.posts.urls import PostRef, ShortLink, UnknownPostUrl, read_post_url, unwrap_link

WEIBO, X = Platform.WEIBO, Platform.X


@pytest.mark.parametrize(
    ("url", "post_id", "user"),
    [
        # weibo.com/<uid>/<bid> and /<uid>/<mid> (yt-dlp weibo.py _TESTS; nonebot-plugin-parser)
        ("https://weibo.com/7827771738/N4xlMvjhI", "4910815147462302", "7827771738"),
        (
            "https://www.weibo.com/7827771738/N4xlMvjhI?refer_flag=1001030103_&type=comment#_rnd1",
            "4910815147462302",
            "7827771738",
        ),
        ("https://weibo.com/0/4224132150961381", "4224132150961381", "0"),
        ("weibo.com/1707895270/5006106478773472", "5006106478773472", "1707895270"),
        # m.weibo.cn/status|detail/<mid or bid>, and /<uid>/<mid>
        ("https://m.weibo.cn/status/4189191225395228", "4189191225395228", None),
        ("https://m.weibo.cn/detail/4189191225395228", "4189191225395228", None),
        (
            "https://m.weibo.cn/status/FBqgOmDxO?featurecode=newtitle&from=1&sourceType=weixin&wm=9006",
            "4189191225395228",
            None,
        ),
        ("http://m.weibo.cn/1707895270/5006106478773472", "5006106478773472", "1707895270"),
        # weibo.cn (weiboSpider), the video page with ?mid=, Weibo's external-link wrapper around a post URL
        ("https://weibo.cn/comment/Bh0tgako3U", "231101124784859058", None),
        ("https://weibo.cn/mblog/picAll/yCirT0Iox?rl=1", "3491273850170657", None),
        ("https://weibo.com/tv/show/1034:4797699866951785?mid=4910815147462302", "4910815147462302", None),
        (
            "https://weibo.cn/sinaurl?u=https%3A%2F%2Fm.weibo.cn%2Fstatus%2FMlHCnj00U",
            "4851725594528288",
            None,
        ),
        ("  HTTPS://M.WEIBO.CN./status/4189191225395228  ", "4189191225395228", None),
    ],
)
def test_weibo_post_urls_name_the_numeric_mid(url, post_id, user):
    ref = read_post_url(url)
    assert ref == PostRef(WEIBO, post_id)
    assert ref.user == user
    assert ref.url == f"https://m.weibo.cn/status/{post_id}"


@pytest.mark.parametrize(
    ("url", "post_id", "user"),
    [
        ("https://x.com/example_news/status/1349794411333394432", "1349794411333394432", "example_news"),
        (
            "https://twitter.com/example_news/status/1349794411333394432?s=20&t=AbCdEf",
            "1349794411333394432",
            "example_news",
        ),
        (
            "https://mobile.twitter.com/example_news/status/1349794411333394432",
            "1349794411333394432",
            "example_news",
        ),
        (
            "https://www.x.com/example_news/statuses/1349794411333394432/photo/1",
            "1349794411333394432",
            "example_news",
        ),
        (
            "https://m.twitter.com/example_news/status/1349794411333394432/video/1",
            "1349794411333394432",
            "example_news",
        ),
        ("https://twitter.com/i/web/status/1349794411333394432", "1349794411333394432", None),
        ("https://x.com/i/status/1349794411333394432", "1349794411333394432", None),
        ("https://twitter.com/statuses/1349794411333394432", "1349794411333394432", None),
        ("https://twitter.com/#!/jack/status/20", "20", "jack"),
        (
            "https://twitter.com/safety/unsafe_link_warning?unsafe_link=https%3A%2F%2Fx.com%2Fa%2Fstatus%2F5",
            "5",
            "a",
        ),
    ],
)
def test_x_post_urls_name_the_status_id(url, post_id, user):
    ref = read_post_url(url)
    assert ref == PostRef(X, post_id)
    assert ref.user == user
    assert ref.url == f"https://x.com/i/web/status/{post_id}"


def test_every_form_of_one_post_is_the_same_ref():
    forms = [
        "https://weibo.com/7827771738/N4xlMvjhI",
        "https://weibo.com/7827771738/4910815147462302",
        "https://m.weibo.cn/status/N4xlMvjhI?wm=3333_2001",
        "https://m.weibo.cn/detail/4910815147462302",
        "https://weibo.cn/comment/N4xlMvjhI",
    ]
    refs = {read_post_url(form) for form in forms}
    assert len(refs) == 1
    assert next(iter(refs)).bid == "N4xlMvjhI"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://t.cn/RT2h5Bg", ShortLink(WEIBO, "https://t.cn/RT2h5Bg")),
        ("https://t.cn/A6abcDEF?x=1", ShortLink(WEIBO, "https://t.cn/A6abcDEF")),
        ("https://t.co/Xa1b2C3d4E", ShortLink(X, "https://t.co/Xa1b2C3d4E")),
        (
            "https://mapp.api.weibo.cn/fx/8102df2b.html",
            ShortLink(WEIBO, "https://mapp.api.weibo.cn/fx/8102df2b.html"),
        ),
    ],
)
def test_short_links_are_to_resolve_first(url, expected):
    assert read_post_url(url) == expected


@pytest.mark.parametrize(
    ("url", "platform", "reason"),
    [
        ("https://weibo.com/u/2066652961", WEIBO, "a Weibo profile page (user 2066652961), not a post"),
        ("https://weibo.com/2066652961", WEIBO, "a Weibo profile page (user 2066652961), not a post"),
        ("https://video.weibo.com/show?fid=1034:4967272104787984", WEIBO, "a Weibo video page"),
        ("https://weibo.com/tv/show/1034:633c288cc043d0ca", WEIBO, "a Weibo video page without ?mid="),
        ("https://passport.weibo.com/visitor/visitor?entry=miniblog", WEIBO, "a Weibo login page"),
        (
            "https://weibo.com/hot/search",
            WEIBO,
            "not a Weibo post URL (known forms: weibo.com/<uid>/<mid or bid>",
        ),
        ("https://m.weibo.cn/status/N4xl-MvjhI", WEIBO, "neither a numeric mid nor a base62 bid"),
        (
            "https://weibo.com/1/12345678901234567890",
            WEIBO,
            "Weibo mid '12345678901234567890' is out of range",
        ),
        ("https://weibo.com/1/N4xlMvjhIN4xlMvjhI", WEIBO, "too long"),
        ("https://x.com/example_news", X, "an X profile page (@example_news), not a post"),
        (
            "https://x.com/search?q=%E5%A4%96%E4%BA%A4%E9%83%A8",
            X,
            "not an X post URL (known forms: x.com/<user>/status/<id>",
        ),
        (
            "https://x.com/example_news/status/99999999999999999999",
            X,
            "X status id '99999999999999999999' is out of range",
        ),
        ("https://x.com/example_news/status/0", X, "X status id '0' is zero"),
        ("https://x.com/example_news/status/12ab", X, "not a number"),
        ("https://t.co/", X, "a t.co link without a short code"),
    ],
)
def test_an_unknown_form_on_a_platforms_host_says_why(url, platform, reason):
    read = read_post_url(url)
    assert isinstance(read, UnknownPostUrl)
    assert (read.platform, read.url) == (platform, url)
    assert reason in read.reason


@pytest.mark.parametrize(
    "url",
    [
        "https://www.nytimes.com/2024/06/09/world/asia/china.html",
        "mailto:press@example.gov.cn",
        "http://[::1",
        "",
        "ftp://weibo.com/1/N4xlMvjhI",
    ],
)
def test_a_url_off_the_platforms_is_no_post(url):
    assert read_post_url(url) is None


def test_unwrapping_leaves_other_links_alone():
    assert (
        unwrap_link("https://www.example.gov.cn/a?u=https://x.com")
        == "https://www.example.gov.cn/a?u=https://x.com"
    )
    assert (
        unwrap_link("https://weibo.cn/sinaurl?u=javascript%3Aalert(1)")
        == "https://weibo.cn/sinaurl?u=javascript%3Aalert(1)"
    )
    assert (
        unwrap_link("https://weibo.cn/sinaurl/blocked1a2b?u=https%3A%2F%2Fexample.org%2F")
        == "https://example.org/"
    )


def test_a_weibo_post_is_read_from_the_mobile_status_json_with_the_headers_scrapers_send():
    (request,) = post_requests(read_post_url("https://weibo.com/7827771738/N4xlMvjhI"))
    assert request.endpoint is Endpoint.WEIBO_STATUS
    assert request.url == "https://m.weibo.cn/statuses/show?id=4910815147462302"
    headers = dict(request.headers)
    assert headers["MWeibo-Pwa"] == "1"
    assert headers["X-Requested-With"] == "XMLHttpRequest"
    assert headers["Referer"] == "https://m.weibo.cn/detail/4910815147462302"
    assert "iPhone" in headers["User-Agent"]
    long_text = long_text_request(read_post_url("https://m.weibo.cn/status/MlHCnj00U"))
    assert long_text.url == "https://m.weibo.cn/statuses/extend?id=4851725594528288"
    assert dict(long_text.headers)["Referer"] == "https://m.weibo.cn/detail/4851725594528288"


def test_an_x_post_is_read_from_syndication_with_its_token_and_from_oembed():
    ref = read_post_url("https://x.com/example_news/status/1874097816571961839?s=20")
    syndication, oembed = post_requests(ref)
    assert syndication.endpoint is Endpoint.X_SYNDICATION
    parts = urlsplit(syndication.url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "cdn.syndication.twimg.com", "/tweet-result")
    query = parse_qs(parts.query)
    assert query["id"] == ["1874097816571961839"]
    assert query["token"] == ["4jjngwkifa"] == [syndication_token("1874097816571961839")]
    assert query["lang"] == ["en"]
    assert "tfw_tweet_edit_backend:on" in query["features"][0]
    assert oembed.endpoint is Endpoint.X_OEMBED
    assert oembed.url.startswith("https://publish.twitter.com/oembed?")
    assert parse_qs(urlsplit(oembed.url).query)["url"] == [
        "https://twitter.com/example_news/status/1874097816571961839"
    ]
    no_user = post_requests(read_post_url("https://twitter.com/i/web/status/1874097816571961839"))[1]
    assert parse_qs(urlsplit(no_user.url).query)["url"] == [
        "https://twitter.com/i/web/status/1874097816571961839"
    ]


def test_x_has_no_long_text_request():
    with pytest.raises(ValueError, match="no long-text endpoint"):
        long_text_request(PostRef(X, "1874097816571961839"))


def test_reading_urls_loads_neither_scrapy_nor_the_answer_readers():
    heavy = "{'lxml', 'pydantic', 'scrapy', 'twisted'}"
    loaded = f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {heavy}))"
    urls_only = (
        "import sys; from crawler.posts.urls import read_post_url; read_post_url('https://t.cn/RT2h5Bg');"
    )
    everything = "import sys; import crawler.posts.answers, crawler.posts.revisits, crawler.posts.endpoints;"
    for code, expected in ((urls_only, "[]"), (everything, "['lxml', 'pydantic']")):
        result = subprocess.run(
            [sys.executable, "-c", code + loaded], capture_output=True, text=True, timeout=60, check=True
        )
        assert result.stdout.strip() == expected
