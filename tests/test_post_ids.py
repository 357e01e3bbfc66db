"""Post ids: Weibo's mid <-> base62 bid on the known pairs, X's snowflake times, the syndication token."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.posts.ids import (
    PostIdError,
    bid_to_mid,
    mid_to_bid,
    numeric_post_id,
    snowflake_time,
    syndication_token,
)

# (mid, bid) pairs published with the code or posts that state them (shared notes/posts.md §1.2).
KNOWN_WEIBO_PAIRS = [
    ("3501756485200075", "z0JH2lOMb"),  # nghuyong/WeiboSpider common.py docstring
    ("3491273850170657", "yCirT0Iox"),  # psubnwell/arsenal base62.py test()
    ("231101124784859058", "Bh0tgako3U"),  # psubnwell/arsenal base62.py test()
    ("4910815147462302", "N4xlMvjhI"),  # yt-dlp weibo.py _TESTS
    ("4189191225395228", "FBqgOmDxO"),  # yt-dlp weibo.py _TESTS
    ("4851725594528288", "MlHCnj00U"),  # zgq354/weibo-rss types.ts
    ("4331051486294436", "Hd1N2qpta"),  # jermic.cc/posts/weibo-url-mid-convert
    ("201110410216293360", "wr4mOFqpbO"),  # runxinzhi.com, an 18-digit older mid
    ("4404101091169383", "I1IGF4Ud1"),  # playpi.org/2018071801.html worked example
]


@pytest.mark.parametrize(("mid", "bid"), KNOWN_WEIBO_PAIRS)
def test_a_weibo_mid_and_its_bid_convert_both_ways(mid, bid):
    assert mid_to_bid(mid) == bid
    assert bid_to_mid(bid) == mid


def test_groups_inside_a_mid_keep_their_leading_zeros():
    # 4404101091169383 = 44 | 0410109 | 1169383: the middle group starts with a zero.
    assert bid_to_mid("I1IGF4Ud1") == "4404101091169383"
    assert mid_to_bid("10000000000001") == "4c920001"
    assert bid_to_mid("4c920001") == "10000000000001"


def test_a_bid_written_with_the_wrong_alphabet_is_no_bid():
    # A helper with 0-9A-Za-z writes n4XLmVJHi for this mid (riven-mirror base62.ts).
    assert mid_to_bid("4910815147462302") != "n4XLmVJHi"
    with pytest.raises(PostIdError, match="'VJHi' is out of range"):
        bid_to_mid("n4XLmVJHi")


def test_the_largest_id_round_trips_and_one_more_overflows():
    largest = str(2**63 - 1)
    assert bid_to_mid(mid_to_bid(largest)) == largest
    with pytest.raises(PostIdError, match="out of range"):
        mid_to_bid(str(2**63))
    with pytest.raises(PostIdError, match="out of range"):
        bid_to_mid("zzzzzzzzzzz")


@pytest.mark.parametrize(
    ("bid", "reason"),
    [
        ("N4xl-MvjhI", "neither a numeric mid nor a base62 bid"),
        ("", "neither a numeric mid nor a base62 bid"),
        ("Ｎ4xlMvjhI", "neither a numeric mid nor a base62 bid"),
        ("N4xlMvjhIN4xlMvjhI", "too long"),
        ("1ZZZZ", "group 'ZZZZ' is out of range"),
    ],
)
def test_a_bid_that_is_none_says_why(bid, reason):
    with pytest.raises(PostIdError, match=reason):
        bid_to_mid(bid)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4910815147462302", "4910815147462302"), ("0042", "42"), (str(2**63 - 1), str(2**63 - 1))],
)
def test_a_numeric_id_is_written_without_leading_zeros(text, expected):
    assert numeric_post_id(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("0", "is zero"), ("12a", "not a number"), ("１２", "not a number"), ("9" * 4000, "out of range")],
)
def test_a_numeric_id_that_is_none_says_why(text, reason):
    with pytest.raises(PostIdError, match=reason):
        numeric_post_id(text)


@pytest.mark.parametrize(
    ("status_id", "expected"),
    [
        # npmjs.com/package/twitter-snowflake-to-date
        ("1233161576649121792", datetime(2020, 2, 27, 22, 46, 45, 564000, tzinfo=UTC)),
        # yt-dlp twitter.py _TESTS timestamps (whole seconds)
        ("1349794411333394432", datetime(2021, 1, 14, 19, 4, 0, 286000, tzinfo=UTC)),
        ("852138619213144067", datetime(2017, 4, 12, 12, 37, 33, 447000, tzinfo=UTC)),
    ],
)
def test_a_snowflake_says_when_it_was_posted(status_id, expected):
    assert snowflake_time(status_id) == expected


def test_the_known_snowflake_seconds_match_the_published_timestamps():
    assert int(snowflake_time("1349794411333394432").timestamp()) == 1610651040
    assert int(snowflake_time("852138619213144067").timestamp()) == 1492000653


def test_ids_older_than_snowflakes_carry_no_time():
    assert snowflake_time("20") is None  # jack/status/20
    assert snowflake_time("29700859246") is None
    assert snowflake_time("29700859247") is not None


@pytest.mark.parametrize(
    ("status_id", "token"),
    [
        # https://github.com/yt-dlp/yt-dlp/pull/12107, re-run in node (shared notes/posts.md §2.2)
        ("1874097816571961839", "4jjngwkifa"),
        ("1674700676612386816", "42586mwa3uv"),
        ("1877747914073620506", "4jv4aahw36n"),
        ("1876710769913450647", "4jruzjz5lux"),
        ("1346554693649113090", "39ibqxei7mo"),
        # Computed here with node v20.20.2: ((Number(id) / 1e15) * Math.PI).toString(36), 0 and . dropped;
        # small ids (long fractions), a carry into the integer part's neighbourhood, the largest id.
        ("1", "bhi2ay3f28n"),
        ("20", "6dq1a2xwd93"),
        ("29700859247", "4cpz7ioa439"),
        ("1000000000000000", "353i5ab8p5f"),
        ("123456789012345678", "arumtis9w99"),
        ("999999999999999999", "2f9lc2ug9mm"),
        ("9223372036854775807", "mcw2svce2ao"),
    ],
)
def test_the_syndication_token_matches_javascript(status_id, token):
    assert syndication_token(status_id) == token
