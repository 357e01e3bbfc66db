"""Recorded answers read whole: each synthetic replay answer (tests/fixtures/posts/) gives the verdict
and the post its documented format calls for; a changed shape never raises."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawler.posts.answers import ReadAnswer, complete_long_text, read_answer
from crawler.posts.post import Endpoint, Link, Outcome, Platform
from crawler.posts.recorded import LARGEST_READ_BODY
from crawler.posts.urls import PostRef, read_post_url
from tests.post_fixtures import POST_FIXTURES, fixture_manifest, recorded_response

CHINA = timezone(timedelta(hours=8))
RECEIVED = datetime(2025, 6, 9, 12, 0, tzinfo=UTC)
MANIFEST = {entry["file"]: entry for entry in fixture_manifest()}


def answer(file: str) -> ReadAnswer:
    """The fixture read as the briefing commands will: the status answer, then the long text it completes."""
    entry = MANIFEST[file]
    response = recorded_response(file)
    if "completes" in entry:
        status = answer(entry["completes"])
        return complete_long_text(status.post, response.status, response.headers, response.body)
    return read_answer(
        read_post_url(entry["cited_url"]), Endpoint(entry["endpoint"]), *vars(response).values()
    )


@pytest.mark.parametrize("file", sorted(MANIFEST))
def test_each_answer_says_what_its_documented_format_means(file):
    assert answer(file).verdict.outcome == MANIFEST[file]["outcome"]


def test_every_fixture_is_listed_and_described():
    files = {str(path.relative_to(POST_FIXTURES)) for path in POST_FIXTURES.rglob("*.http")}
    assert files == set(MANIFEST)
    readme = (POST_FIXTURES / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme.lower()
    assert [file for file in sorted(files) if f"`{file}`" not in readme] == []


def test_an_ordinary_weibo_post():
    read = answer("weibo/show-ordinary.http")
    post = read.post
    assert (post.platform, post.post_id, post.url) == (
        Platform.WEIBO,
        "4910815147462302",
        "https://m.weibo.cn/status/4910815147462302",
    )
    assert (
        post.text == "今天下午举行#例行记者会#，介绍近期外事安排。[话筒]\n全文见网页链接 欢迎@示例记者提问。"
    )
    assert post.links == (
        Link("网页链接", "https://www.example.gov.cn/xwfw/202305/t20230515_1.html", "http://t.cn/A6abcDEF"),
    )
    assert (post.author.uid, post.author.screen_name) == ("7827771738", "示例发布")
    assert post.created_at == datetime(2023, 5, 15, 15, 3, 12, tzinfo=CHINA)
    assert post.created_at.isoformat() == "2023-05-15T15:03:12+08:00"
    assert post.created_at_from == "answer"
    assert (post.counts.reposts, post.counts.comments, post.counts.likes) == (1523, 386, 4210)
    assert post.source_client == "iPhone 14 Pro"
    assert (post.truncated, post.reposted, post.removal, post.problems) == (False, None, None, ())
    assert read.reason is None


def test_a_long_weibo_post_is_completed_from_its_long_text():
    truncated = answer("weibo/show-long.http").post
    assert truncated.truncated
    assert truncated.text.endswith("请关注本账号的更新...")
    assert "全文" not in truncated.text
    completed = answer("weibo/extend-long.http").post
    assert (completed.truncated, completed.long_text_read) == (False, True)
    assert completed.text.splitlines() == [
        "关于近期对外交流活动的说明：",
        "一、活动安排总体平稳有序，各方反响积极。",
        "二、后续将陆续公布具体日程，请关注本账号的更新。",
        "三、相关问答见网页链接。[话筒]",
    ]
    assert completed.links[0].short_url == "http://t.cn/A6abcDEF"
    assert (completed.post_id, completed.author) == (truncated.post_id, truncated.author)


def test_a_long_text_behind_a_login_wall_leaves_the_post_truncated_and_says_so():
    read = answer("weibo/extend-visitor-system.http")
    assert read.verdict.outcome is Outcome.LOGIN_WALL
    assert read.post.truncated
    assert read.post.problems == (
        "long text not read: login_wall: HTTP 200, html body, containing 'Sina Visitor System'",
    )
    assert read.verdict.retry_at(RECEIVED) == RECEIVED + timedelta(seconds=600)


@pytest.mark.parametrize(
    ("file", "kind", "notice"),
    [
        ("weibo/show-repost-of-deleted.http", Outcome.DELETED_BY_AUTHOR, "抱歉，此微博已被作者删除。"),
        (
            "weibo/show-repost-of-removed.http",
            Outcome.REMOVED_BY_PLATFORM,
            "该微博因被投诉违反《微博社区公约》的相关规定，已被删除。",
        ),
        (
            "weibo/show-repost-of-suspended-account.http",
            Outcome.ACCOUNT_SUSPENDED,
            "该账号因被投诉违反法律法规和《微博社区公约》",
        ),
    ],
)
def test_a_repost_links_its_vanished_original_and_says_how_it_vanished(file, kind, notice):
    read = answer(file)
    repost = read.post
    assert (read.verdict.outcome, repost.removal, repost.text) == (
        Outcome.OK,
        None,
        "转发微博 //@示例记者:请大家关注。",
    )
    original = repost.reposted
    assert (original.post_id, original.url) == (
        "4331051486294436",
        "https://m.weibo.cn/status/4331051486294436",
    )
    assert original.author is None
    assert original.removal.kind is kind
    assert notice in original.removal.evidence
    assert original.removal.source
    assert original.problems == ()


def test_a_status_whose_own_text_is_a_notice_is_that_removal():
    read = answer("weibo/show-visibility-notice.http")
    assert read.verdict.outcome is Outcome.ACCOUNT_PROTECTED
    assert read.post.removal == read.verdict.removal
    assert read.verdict.evidence.startswith("the post's text reads '抱歉，由于作者设置")
    assert read.verdict.source == "baohengtao/sinaspider@267c8fd:sinaspider/util/parser.py"


def test_a_weibo_post_with_images_and_counts_written_as_floors():
    post = answer("weibo/show-images.http").post
    assert post.image_urls == tuple(
        f"https://wx{n}.sinaimg.cn/large/008yZb6cly1hdx{n}example.jpg" for n in (1, 2, 3)
    )
    assert (post.counts.reposts, post.counts.comments, post.counts.likes) == (10_000, 3000, 1_000_000)
    assert post.counts.at_least == ("reposts", "likes")


def test_images_keyed_by_number_come_in_order_and_a_short_list_is_noted():
    post = answer("weibo/show-images-keyed.http").post
    assert post.image_urls == tuple(
        f"https://wx{n}.sinaimg.cn/large/008yZb6cly1hdx{n}example.jpg" for n in (1, 2)
    )
    assert post.problems == ("data.pics lists 2 of pic_num 12 images",)


def test_a_weibo_video_post_gives_the_best_stream():
    post = answer("weibo/show-video.http").post
    assert post.video_urls == ("https://f.video.weibocdn.com/o0/example720.mp4?label=mp4_720p",)


@pytest.mark.parametrize(
    ("file", "evidence"),
    [
        ("weibo/show-errno-20101.http", "HTTP 200, json body, errno='20101'"),
        ("weibo/show-errno-20130.http", "HTTP 200, json body, errno='20130'"),
        ("weibo/show-error-page.http", "HTTP 200, html body, containing '微博不存在或暂无查看权限'"),
        ("x/syndication-tombstone-bare.http", "HTTP 200, json body, __typename='TweetTombstone'"),
        ("x/syndication-empty-object.http", "HTTP 200, json body, reading {}"),
        ("x/syndication-404.http", "HTTP 404, empty body"),
        (
            "x/oembed-protected-403.http",
            "HTTP 403, json body, containing 'not authorized to see this status'",
        ),
        ("x/oembed-404.http", "HTTP 404, json body"),
    ],
)
def test_an_answer_with_no_post_gives_the_removal_and_its_evidence(file, evidence):
    read = answer(file)
    assert read.post is None
    assert read.verdict.outcome.is_removal
    assert read.verdict.removal.evidence == read.reason == evidence
    assert read.verdict.source
    assert read.verdict.retry_at(RECEIVED) is None


@pytest.mark.parametrize(
    ("file", "kind", "wording"),
    [
        (
            "x/syndication-tombstone-deleted.http",
            Outcome.DELETED_BY_AUTHOR,
            "This Post was deleted by the Post author",
        ),
        (
            "x/syndication-tombstone-violated.http",
            Outcome.REMOVED_BY_PLATFORM,
            "This Post violated the X Rules",
        ),
        (
            "x/syndication-tombstone-suspended.http",
            Outcome.ACCOUNT_SUSPENDED,
            "This Tweet is from a suspended account",
        ),
        (
            "x/syndication-tombstone-protected.http",
            Outcome.ACCOUNT_PROTECTED,
            "You’re unable to view this Post",
        ),
        (
            "x/syndication-tombstone-age-restricted.http",
            Outcome.LOGIN_REQUIRED,
            "Age-restricted adult content",
        ),
        ("x/syndication-tombstone-unavailable.http", Outcome.NOT_FOUND, "This Post is unavailable"),
    ],
)
def test_an_x_tombstone_says_how_the_post_vanished(file, kind, wording):
    read = answer(file)
    assert (read.post, read.verdict.outcome) == (None, kind)
    assert read.verdict.evidence.startswith(f"the post's text reads '{wording}")


@pytest.mark.parametrize(
    ("file", "outcome", "wait"),
    [
        ("weibo/show-418.http", Outcome.RATE_LIMITED, timedelta(seconds=600)),
        ("weibo/show-errno-100005.http", Outcome.RATE_LIMITED, timedelta(seconds=600)),
        ("weibo/show-432.http", Outcome.LOGIN_WALL, timedelta(seconds=600)),
        ("weibo/show-login-json.http", Outcome.LOGIN_WALL, timedelta(seconds=600)),
        ("weibo/show-login-page.http", Outcome.LOGIN_WALL, timedelta(seconds=600)),
        ("weibo/show-visitor-system.http", Outcome.LOGIN_WALL, timedelta(seconds=600)),
        ("weibo/show-timeout-page.http", Outcome.RETRY_LATER, timedelta(seconds=600)),
        ("x/syndication-429.http", Outcome.RATE_LIMITED, timedelta(seconds=900)),
    ],
)
def test_an_answer_that_says_nothing_about_the_post_says_when_to_ask_again(file, outcome, wait):
    read = answer(file)
    assert (read.verdict.outcome, read.post, read.verdict.removal) == (outcome, None, None)
    assert read.verdict.outcome.means_retry and not read.verdict.outcome.is_removal
    assert read.verdict.retry_at(RECEIVED) == RECEIVED + wait


def test_retry_after_in_all_its_forms_is_honoured_within_the_platforms_bound():
    ref = PostRef(Platform.X, "1349794411333394432")

    def retry(*headers: tuple[str, str]) -> datetime:
        return read_answer(ref, Endpoint.X_SYNDICATION, 429, headers, b"").verdict.retry_at(RECEIVED)

    assert retry(("Retry-After", "120")) == RECEIVED + timedelta(seconds=120)
    assert retry(("Retry-After", "Mon, 09 Jun 2025 12:30:00 GMT")) == RECEIVED + timedelta(minutes=30)
    assert retry(
        ("x-rate-limit-reset", str(int((RECEIVED + timedelta(minutes=15)).timestamp())))
    ) == RECEIVED + timedelta(minutes=15)
    assert retry() == RECEIVED + timedelta(seconds=300)
    assert retry(("Retry-After", "999999999999")) == RECEIVED + timedelta(days=1)
    assert retry(("Retry-After", "Mon, 09 Jun 2025 11:00:00 GMT")) == RECEIVED
    assert retry(("Retry-After", "soon")) == RECEIVED + timedelta(seconds=300)
    assert retry(("x-rate-limit-reset", "999999999999")) == RECEIVED + timedelta(seconds=300)
    with pytest.raises(ValueError, match="offset"):
        read_answer(ref, Endpoint.X_SYNDICATION, 429, (), b"").verdict.retry_at(datetime(2025, 6, 9))


def test_a_changed_shape_keeps_what_it_could_read_and_names_each_field():
    read = answer("weibo/show-changed-shape.http")
    post = read.post
    assert (post.post_id, post.text) == ("4910815147462302", "字段改了形状的一条微博。")
    assert (post.author, post.created_at, post.counts.reposts) == (None, None, None)
    assert post.problems == (
        "data.user: a list, not an object",
        "data.created_at: '3分钟前' is not a time (a relative time, which needs the moment it was read)",
        "data.reposts_count: {'value': 5} is not a count",
        "data.comments_count: '很多' is not a count",
        "data.retweeted_status has no id: the reposted post is not linked",
        "data.pics: neither a list nor an object",
    )


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        ("weibo/show-no-data.http", "no status in the answer: data missing"),
        ("weibo/show-empty-body.http", "HTTP 200, empty body: no entry of the table matches"),
    ],
)
def test_an_answer_without_a_post_says_why(file, reason):
    read = answer(file)
    assert (read.post, read.reason) == (None, reason)


def test_an_ordinary_x_post_writes_its_links_out():
    post = answer("x/syndication-ordinary.http").post
    assert (post.platform, post.post_id, post.url) == (
        Platform.X,
        "1349794411333394432",
        "https://x.com/i/web/status/1349794411333394432",
    )
    assert (
        post.text
        == "外交部今天回应记者提问，全文见 https://www.example.gov.cn/xwfw/20210114.html & 视频稍后发布。"
    )
    assert post.links == (
        Link(
            "example.gov.cn/xwfw/2021…",
            "https://www.example.gov.cn/xwfw/20210114.html",
            "https://t.co/Xa1b2C3d4E",
        ),
    )
    assert (post.author.uid, post.author.screen_name, post.author.name) == (
        "1234567890",
        "example_news",
        "示例新闻",
    )
    assert (post.created_at, post.created_at_from) == (datetime(2021, 1, 14, 19, 4, tzinfo=UTC), "answer")
    assert (post.counts.comments, post.counts.likes, post.language) == (8, 120, "zh")
    assert post.problems == ()


def test_a_quoting_x_post_links_the_quoted_post():
    post = answer("x/syndication-quoted.http").post
    quoted = post.reposted
    assert (quoted.post_id, quoted.author.screen_name, quoted.text) == (
        "1233161576649121792",
        "example_ministry",
        "Statement on the outbreak, in full, tomorrow.",
    )
    assert (quoted.counts.reposts, quoted.counts.comments, quoted.counts.likes) == (210, 31, 980)
    assert quoted.created_at == datetime(2020, 2, 27, 22, 46, 45, tzinfo=UTC)


def test_an_x_post_with_media_lists_photos_and_the_best_video():
    post = answer("x/syndication-media.http").post
    assert post.text == "新闻发布会现场图片和视频"
    assert post.image_urls == (
        "https://pbs.twimg.com/media/GgExample1.jpg",
        "https://pbs.twimg.com/media/GgExample2.jpg",
    )
    assert post.video_urls == (
        "https://video.twimg.com/ext_tw_video/1874097800000000000/pu/vid/1280x720/example.mp4",
    )


def test_an_x_post_whose_account_is_gone_is_kept_without_author():
    post = answer("x/syndication-no-user.http").post
    assert (post.text, post.author) == ("这个账号已经不存在了，但帖子还在。", None)
    assert post.problems == ("user missing (an account that no longer exists answers so)",)


def test_an_x_post_without_its_time_takes_it_from_the_id():
    post = answer("x/syndication-no-created-at.http").post
    assert (post.created_at, post.created_at_from) == (
        datetime(2025, 1, 7, 19, 21, 29, 804000, tzinfo=UTC),
        "post id",
    )
    assert post.in_reply_to == "1876700000000000000"


def test_an_oembed_answer_gives_text_author_and_the_time_from_the_id():
    post = answer("x/oembed-ordinary.http").post
    assert post.endpoint is Endpoint.X_OEMBED
    assert post.text == "外交部今天回应记者提问，全文见 https://t.co/Xa1b2C3d4E & 视频稍后发布。 #记者会"
    assert (post.author.screen_name, post.author.name, post.language) == ("example_news", "示例新闻", "zh")
    assert post.created_at_from == "post id"
    assert post.created_at.replace(microsecond=0) == datetime(2021, 1, 14, 19, 4, tzinfo=UTC)


def test_an_endpoint_answers_only_for_its_platforms_posts():
    with pytest.raises(ValueError, match="does not answer"):
        read_answer(PostRef(Platform.X, "1"), Endpoint.WEIBO_STATUS, 200, (), b"{}")
    with pytest.raises(ValueError, match="does not answer"):
        read_answer(PostRef(Platform.WEIBO, "1"), Endpoint.WEIBO_LONG_TEXT, 200, (), b"{}")


def json_paths(document, prefix=()):
    """Every path into a JSON document, containers included."""
    yield prefix
    children = (
        document.items()
        if isinstance(document, dict)
        else enumerate(document)
        if isinstance(document, list)
        else ()
    )
    for key, child in children:
        yield from json_paths(child, (*prefix, key))


def replaced(document, path, value):
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    holder = copy
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return copy


JSON_FIXTURES = sorted(
    file for file in MANIFEST if recorded_response(file).body.lstrip().startswith((b"{", b"["))
)
STAND_INS = (None, [], {}, 0, -1, "", "x", True, 1.5e308, [None], {"0": None})


@pytest.mark.parametrize("file", JSON_FIXTURES)
def test_no_field_of_another_shape_raises(file):
    """Every field of every JSON answer replaced in turn by each stand-in: a verdict, never an exception."""
    entry, response = MANIFEST[file], recorded_response(file)
    document = json.loads(response.body)
    ref = read_post_url(entry["cited_url"])
    reads = 0
    for path in json_paths(document):
        for stand_in in STAND_INS:
            body = json.dumps(replaced(document, path, stand_in)).encode()
            if "completes" in entry:
                base = answer(entry["completes"]).post
                read = complete_long_text(base, response.status, response.headers, body)
            else:
                read = read_answer(ref, Endpoint(entry["endpoint"]), response.status, response.headers, body)
            assert read.post is not None or read.reason
            reads += 1
    assert reads >= len(STAND_INS)


@pytest.mark.parametrize(
    "file", ["weibo/show-ordinary.http", "x/syndication-quoted.http", "x/oembed-ordinary.http"]
)
def test_a_cut_or_garbled_answer_never_raises(file):
    entry, response = MANIFEST[file], recorded_response(file)
    ref, endpoint = read_post_url(entry["cited_url"]), Endpoint(entry["endpoint"])
    for end in range(0, len(response.body), 97):
        read = read_answer(ref, endpoint, response.status, response.headers, response.body[:end])
        assert read.post is None and read.reason
    garbled = read_answer(ref, endpoint, 200, (), b"\xff\xfe{\x00" + response.body)
    assert garbled.verdict.outcome is Outcome.UNRECOGNISED
    deep = read_answer(ref, endpoint, 200, (), b"[" * 100_000 + b"]" * 100_000)
    assert deep.verdict.outcome is Outcome.UNRECOGNISED


def test_an_oversized_answer_is_not_parsed():
    ref = PostRef(Platform.WEIBO, "4910815147462302")
    body = b'{"ok":1,"data":{"text":"' + b"a" * LARGEST_READ_BODY + b'"}}'
    read = read_answer(ref, Endpoint.WEIBO_STATUS, 200, {"Content-Type": "application/json"}, body)
    assert (read.verdict.outcome, read.post) == (Outcome.UNRECOGNISED, None)
    assert read.reason == "HTTP 200, text body: no entry of the table matches"
