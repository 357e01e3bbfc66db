"""The posts room of the archive, in process on a real SQLite file and on a real PostgreSQL server (the
same answers from both): checks recorded from the synthetic answers of tests/fixtures/posts/, the
revisit schedule, search, links to the articles a post quotes, answers never lost to a later error;
and the pure parts the spider leans on (X's two answers together, Weibo's visitor handshake)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler

from crawler.archive import Archive
from crawler.posts.checks import Check, PostFetch, x_check
from crawler.posts.post import Author, Endpoint, Outcome, Platform, Post
from crawler.posts.urls import PostRef, read_post_url
from crawler.posts.visitor import HandshakeFailed, incarnate_url, visitor_cookie
from crawler.spiders.post_requests import PostTarget, Reading
from crawler.spiders.posts import PostSpider
from tests.helpers import invoke, store_article
from tests.post_fixtures import CHECKED, fetched, recorded_response

ORDINARY_WEIBO = "https://weibo.com/7827771738/N4xlMvjhI"
QUOTED_PARAGRAPH = "市政府今天舉行年度防災演習，動員超過兩千名人員，模擬強震後的搜救、收容與物資調度。"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    """The archive's location: a file, or a database of the test's own on the PostgreSQL server."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_url")
    return str(tmp_path / "archive.db")


@pytest.fixture
def archive(db, registry):
    with Archive(db) as opened:
        opened.sync_outlets(registry)
        opened.posts.register_platforms(list(registry.platforms.values()))
        yield opened


def test_a_first_capture_starts_the_revisit_schedule(archive):
    recorded = archive.posts.record(
        fetched(ORDINARY_WEIBO, "weibo/show-ordinary.http", Endpoint.WEIBO_STATUS)
    )
    row = archive.posts.get(recorded.post)
    assert (row["first_captured_at"], row["next_check_at"]) == (
        "2026-11-01T08:00:00+00:00",
        "2026-11-01T09:00:00+00:00",
    )
    assert archive.posts.due(CHECKED + timedelta(minutes=59)) == []
    assert archive.posts.due(CHECKED + timedelta(hours=1)) == [PostRef(Platform.WEIBO, "4910815147462302")]
    # Checked 30 hours later: the next check is on the daily part of the schedule (48 h).
    later = fetched(
        ORDINARY_WEIBO, "weibo/show-ordinary.http", Endpoint.WEIBO_STATUS, CHECKED + timedelta(hours=30)
    )
    archive.posts.record(later)
    assert archive.posts.get(recorded.post)["next_check_at"] == "2026-11-03T08:00:00+00:00"
    assert len(archive.posts.get(recorded.post)["versions"]) == 1


def test_a_rate_limit_asking_longer_than_the_schedule_puts_the_next_check_back(archive):
    url = "https://x.com/example_news/status/1349794411333394432"
    limited = fetched(url, "x/syndication-429.http", Endpoint.X_SYNDICATION)
    assert limited.check.retry_at == CHECKED + timedelta(seconds=900)
    limited.check = Check(Outcome.RATE_LIMITED.value, "HTTP 429", None, None, 0, CHECKED + timedelta(hours=3))
    recorded = archive.posts.record(limited)
    row = archive.posts.get(recorded.post)
    assert (row["status"], row["first_captured_at"]) == ("unchecked", "2026-11-01T08:00:00+00:00")
    assert row["next_check_at"] == "2026-11-01T11:00:00+00:00"


def test_answers_are_kept_when_reading_them_fails(archive, monkeypatch):
    def broken(*_arguments):
        raise ValueError("a later stage broke")

    monkeypatch.setattr(type(archive.posts), "_store_read", broken)
    recorded = archive.posts.record(
        fetched(ORDINARY_WEIBO, "weibo/show-ordinary.http", Endpoint.WEIBO_STATUS)
    )
    assert recorded.outcome == "failed"
    assert "answers kept, not read: ValueError: a later stage broke" in recorded.evidence
    (sha256,) = archive.connection.execute(
        "SELECT body_sha256 FROM captures WHERE id = ?", [recorded.captures[0]]
    ).fetchone()
    assert archive.captures.raw_body(sha256) == recorded_response("weibo/show-ordinary.http").body
    assert archive.posts.get(recorded.post)["checks"][-1]["capture_id"] == recorded.captures[0]


def test_answers_are_kept_when_the_archive_refuses_what_is_read_from_them(archive, monkeypatch):
    def refused(posts, *_arguments):
        posts.connection.execute("INSERT INTO post_versions (post) VALUES (NULL)")

    monkeypatch.setattr(type(archive.posts), "_store_read", refused)
    recorded = archive.posts.record(
        fetched(ORDINARY_WEIBO, "weibo/show-ordinary.http", Endpoint.WEIBO_STATUS)
    )
    assert recorded.outcome == "failed"
    assert recorded.evidence.startswith("answers kept, not read: IntegrityError: ")
    assert archive.posts.get(recorded.post)["checks"][-1]["capture_id"] == recorded.captures[0]
    assert archive.connection.execute("SELECT count(*) FROM post_versions").fetchone()[0] == 0


def test_posts_are_searched_as_articles_are(archive):
    archive.posts.record(fetched(ORDINARY_WEIBO, "weibo/show-ordinary.http", Endpoint.WEIBO_STATUS))
    total, hits = archive.posts.index.search("例行記者會")  # Traditional finds the Simplified text
    assert total == 1
    assert "«例行记者会»" in hits[0]["snippet"]
    assert archive.posts.index.search("示例发布")[0] == 1  # the author's name
    assert archive.posts.index.search("不存在的词")[0] == 0
    # Checked again with the same text: indexed once, not twice.
    archive.posts.record(fetched(ORDINARY_WEIBO, "weibo/show-ordinary.http", Endpoint.WEIBO_STATUS))
    assert archive.posts.index.search("例行记者会")[0] == 1


def test_a_post_quoting_an_articles_paragraph_is_linked_to_that_story(archive, registry, db):
    article = store_article(
        archive,
        registry,
        outlet="cna",
        number=1,
        title="年度防災演習",
        body=QUOTED_PARAGRAPH + "\n市長在演習後表示，希望市民熟悉住家附近的避難路線與集合地點。",
    )
    store_article(
        archive, registry, outlet="cna", number=2, title="其他新聞", body="另一則新聞，與演習無關。" * 10
    )
    ref = PostRef(Platform.WEIBO, "4910815147462341")
    # Synthetic: a post quoting the article's first paragraph in Simplified, with a comment.
    quoting = Post(
        Platform.WEIBO,
        ref.post_id,
        Endpoint.WEIBO_STATUS,
        text="转发：市政府今天举行年度防灾演习，动员超过两千名人员，模拟强震后的搜救、收容与物资调度。大家注意",
        author=Author("7827771738", "示例发布"),
    )
    fetch = PostFetch(ref.url, True, CHECKED, ref, [], Check("ok", "synthetic", None, quoting))
    recorded = archive.posts.record(fetch)
    links = archive.posts.get(recorded.post)["quoted_in_articles"]
    assert [link["article"] for link in links] == [article]
    assert links[0]["similarity"] >= 0.5
    shown = invoke("posts", "show", str(recorded.post), "--db", db)
    assert f"quotes article {article} (cna)" in shown.output


def test_x_answers_together():
    def check(outcome: str, post: bool = False) -> Check:
        found = Post(Platform.X, "1", Endpoint.X_SYNDICATION, text="t") if post else None
        return Check(outcome, outcome, None, found)

    assert x_check(check("ok", post=True), check("not_found")).outcome == "ok"
    assert x_check(check("not_found"), check("account_protected")).outcome == "account_protected"
    assert x_check(check("deleted_by_author"), check("not_found")).outcome == "deleted_by_author"
    assert x_check(check("rate_limited"), check("ok", post=True)).outcome == "ok"
    assert x_check(check("rate_limited"), None).outcome == "rate_limited"
    assert x_check(None, None).outcome == "failed"


def test_the_visitor_handshake_reads_its_answers_or_says_what_is_wrong():
    answer = b'window.gen_callback && gen_callback({"retcode":20000000,"data":{"tid":"abc","confidence":7}});'
    assert incarnate_url(answer) == (
        "https://passport.weibo.com/visitor/visitor?a=incarnate&t=abc&w=2&c=007&cb=cross_domain&from=weibo"
    )
    with pytest.raises(HandshakeFailed, match=r"no data\.tid"):
        incarnate_url(b'gen_callback({"retcode":1,"data":{}});')
    with pytest.raises(HandshakeFailed, match="not JSON"):
        incarnate_url(b"<html>Sina Visitor System</html>")
    assert visitor_cookie(["SUB=a1; path=/", "SUBP=b2; domain=.weibo.com", "X=y"]) == "SUB=a1; SUBP=b2"
    with pytest.raises(HandshakeFailed, match="no SUBP cookie"):
        visitor_cookie(["SUB=a1"])


def test_commands_over_posts_say_in_one_line_what_is_wrong(archive, db, tmp_path):
    archive.posts.record(
        fetched("https://weibo.com/7827771738/N4xlMvjhI", "weibo/show-ordinary.http", Endpoint.WEIBO_STATUS)
    )
    for arguments, message in (
        (
            ("posts", "show", "99", "--db", db),
            "Error: no post 99 in the archive (`sourcevault posts list` shows them)\n",
        ),
        (("posts", "show", "foo:1", "--db", db), "Error: 'foo:1' is no post id, platform:id or post URL\n"),
        (("posts", "show", "https://x.com/a/status/5", "--db", db), "Error: no x post 5 in the archive\n"),
        (("posts", "search", " ", "--db", db), "Error: empty query: give the word or phrase to search for\n"),
        (
            ("posts", "recheck", "--db", str(tmp_path / "none.db")),
            f"Error: {tmp_path / 'none.db'}: no archive here\n",
        ),
    ):
        result = invoke(*arguments)
        assert (result.exit_code, result.output) == (1, message)
    listed = invoke("posts", "list", "--db", db, "--json")
    assert [json.loads(line)["post_id"] for line in listed.output.splitlines()] == ["4910815147462302"]


def test_an_answer_the_spider_cannot_read_still_hands_its_fetch_on(registry):
    url = "https://weibo.com/7827771738/N4xlMvjhI"
    spider = PostSpider.from_crawler(get_crawler(PostSpider), targets=[], registry=registry)
    reading = Reading(PostTarget(url), PostFetch(url, True, CHECKED, read_post_url(url)))
    # A long text with no status read before it: its callback fails, as a bug in a reader would.
    request = Request(
        "https://m.weibo.cn/statuses/extend?id=4910815147462302", meta={"post_endpoint": "weibo_long_text"}
    )
    answer = TextResponse(request.url, body=b'{"ok": 1}', request=request)
    (handed,) = list(spider.endpoint_answered(answer, reading))
    assert handed is reading.fetch
    assert (handed.check.outcome, handed.check.evidence_answer) == ("failed", 0)
    assert handed.check.evidence.startswith("answers kept, not read: AssertionError")
    assert handed.answers[0].body == b'{"ok": 1}'
