"""Posts fetched through the real Scrapy engine and downloader, answered from replayed snapshots of the
synthetic answers of tests/fixtures/posts/ (README there), into a real SQLite archive.

Each test runs `sourcevault posts ...` as a user does, in a process of its own (Scrapy's reactor runs
once per process); the archive is then read back. Platform delays are set to 0: a replay waits for
nothing, and the tests wait on no clock.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from crawler.archive import Archive
from crawler.posts.post import Endpoint
from crawler.posts.visitor import GENVISITOR_URL, genvisitor_body
from tests.helpers import invoke, make_snapshot, run_sourcevault
from tests.loopback import outlet_toml
from tests.post_fixtures import answers_for, endpoint_url, made_response, post_exchange, recorded_response

pytestmark = pytest.mark.slow

NO_DELAYS = 'DOWNLOAD_SLOTS={"weibo": {"delay": 0}, "x": {"delay": 0}}'
ORDINARY_WEIBO = "https://weibo.com/7827771738/N4xlMvjhI?refer_flag=1001030103_"
LONG_WEIBO = "https://m.weibo.cn/status/MlHCnj00U"
REPOST_OF_DELETED = "https://m.weibo.cn/detail/4189191225395228"
IMAGES_WEIBO = "https://weibo.com/7827771738/yCirT0Iox"
ORDINARY_X = "https://twitter.com/example_news/status/1349794411333394432?s=20&t=AbCdEfGhIjKlMnOp"
QUOTING_X = "https://mobile.twitter.com/example_news/status/1674700676612386816"


def add(tmp_path: Path, snapshot: Path, *urls: str, command: str = "add"):
    return run_sourcevault(
        "posts",
        command,
        *urls,
        "--db",
        str(tmp_path / "archive.db"),
        "--replay",
        str(snapshot),
        "-s",
        NO_DELAYS,
    )


def rows(tmp_path: Path, sql: str, *params) -> list[tuple]:
    with Archive(tmp_path / "archive.db", readonly=True) as archive:
        return [tuple(row) for row in archive.connection.execute(sql, params).fetchall()]


def post(tmp_path: Path, identifier: str) -> dict:
    result = invoke("posts", "show", identifier, "--db", str(tmp_path / "archive.db"), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_weibo_and_x_posts_are_archived_with_their_answers_as_originals(tmp_path):
    snapshot = make_snapshot(
        tmp_path / "posts.warc.gz",
        [
            *answers_for(ORDINARY_WEIBO, weibo_status="weibo/show-ordinary.http"),
            *answers_for(
                LONG_WEIBO, weibo_status="weibo/show-long.http", weibo_long_text="weibo/extend-long.http"
            ),
            *answers_for(REPOST_OF_DELETED, weibo_status="weibo/show-repost-of-deleted.http"),
            *answers_for(IMAGES_WEIBO, weibo_status="weibo/show-images.http"),
            *answers_for(
                ORDINARY_X, x_syndication="x/syndication-ordinary.http", x_oembed="x/oembed-ordinary.http"
            ),
            *answers_for(QUOTING_X, x_syndication="x/syndication-quoted.http", x_oembed="x/oembed-404.http"),
        ],
    )
    # The ordinary post given twice, by two of its URL forms: read once.
    twice = "https://m.weibo.cn/status/4910815147462302"
    result = add(
        tmp_path,
        snapshot,
        ORDINARY_WEIBO,
        LONG_WEIBO,
        REPOST_OF_DELETED,
        IMAGES_WEIBO,
        ORDINARY_X,
        QUOTING_X,
        twice,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == 6
    assert "post 1 weibo:4910815147462302: ok (示例发布: 今天下午举行#例行记者会#" in result.stdout

    # The originals: each answer's bytes as served, kept as a capture of the platform.
    with Archive(tmp_path / "archive.db", readonly=True) as archive:
        captures = archive.connection.execute(
            "SELECT outlet, post_endpoint, url, http_status, body_sha256 FROM captures ORDER BY id"
        ).fetchall()
        kept = {url: archive.captures.raw_body(sha256) for _, _, url, _, sha256 in captures}
    assert sorted((outlet, endpoint) for outlet, endpoint, *_ in captures) == sorted(
        [("weibo", "weibo_status")] * 4
        + [("weibo", "weibo_long_text")]
        + [("x", "x_syndication"), ("x", "x_oembed")] * 2
    )
    status_url = endpoint_url(ORDINARY_WEIBO, Endpoint.WEIBO_STATUS)
    assert kept[status_url] == recorded_response("weibo/show-ordinary.http").body

    ordinary = post(tmp_path, "weibo:4910815147462302")
    assert ordinary["cited_url"] == ORDINARY_WEIBO
    assert (ordinary["author_uid"], ordinary["author_screen_name"]) == ("7827771738", "示例发布")
    assert ordinary["created_at"].endswith("+08:00")
    assert ordinary["links"][0]["url"] == "https://www.example.gov.cn/xwfw/202305/t20230515_1.html"
    assert ordinary["source_client"]
    assert ordinary["language_tag"] == "zh-Hans"
    assert [check["outcome"] for check in ordinary["checks"]] == ["ok"]
    assert ordinary["checks"][0]["capture_id"] == ordinary["capture_id"]
    first = datetime.fromisoformat(ordinary["first_captured_at"])
    assert datetime.fromisoformat(ordinary["next_check_at"]) == first + timedelta(hours=1)
    assert ordinary["watched"] == 1

    # A long post: the whole text from statuses/extend.
    long_post = post(tmp_path, LONG_WEIBO)
    assert "三、相关问答见网页链接" in long_post["text"]
    assert long_post["problems"] == []

    # A repost of a post its author deleted: the original is a post of its own, with its removal.
    repost = post(tmp_path, "weibo:4189191225395228")
    original = post(tmp_path, str(repost["reposted_post"]))
    assert [reposted["post_id"] for reposted in repost["reposts"]] == [original["post_id"]]
    assert (original["status"], original["removal_kind"], original["watched"]) == (
        "deleted_by_author",
        "deleted_by_author",
        0,
    )
    assert original["checks"][0]["seen_in"] == repost["id"]
    assert "抱歉，此微博已被作者删除" in original["checks"][0]["evidence"]
    assert original["checks"][0]["evidence_source"] == "code-index id 8886197599"

    images = post(tmp_path, IMAGES_WEIBO)
    assert len(images["image_urls"]) == 3
    assert images["counts_at_least"]

    # X: syndication's post, UTC time, the quoted post linked as its own post.
    ordinary_x = post(tmp_path, "x:1349794411333394432")
    assert (ordinary_x["author_screen_name"], ordinary_x["created_at"]) == (
        "example_news",
        "2021-01-14T19:04:00+00:00",
    )
    quoting = post(tmp_path, QUOTING_X)
    quoted = post(tmp_path, str(quoting["reposted_post"]))
    assert (quoted["post_id"], quoted["author_screen_name"], quoted["status"]) == (
        "1233161576649121792",
        "example_ministry",
        "available",
    )

    shown = invoke("posts", "show", "x:1674700676612386816", "--db", str(tmp_path / "archive.db"))
    assert f"quotes post {quoted['id']} x:1233161576649121792" in shown.output
    listed = invoke("posts", "list", "--db", str(tmp_path / "archive.db"), "--status", "deleted_by_author")
    assert listed.output.splitlines() == [
        f"{original['id']}  weibo:4331051486294436  deleted_by_author  -  -  -"
    ]


X_KINDS = {
    "1349794411333394401": ("x/syndication-tombstone-deleted.http", "x/oembed-404.http", "deleted_by_author"),
    "1349794411333394402": (
        "x/syndication-tombstone-violated.http",
        "x/oembed-404.http",
        "removed_by_platform",
    ),
    "1349794411333394403": (
        "x/syndication-tombstone-suspended.http",
        "x/oembed-404.http",
        "account_suspended",
    ),
    "1349794411333394404": ("x/syndication-404.http", "x/oembed-protected-403.http", "account_protected"),
    "1349794411333394405": (
        "x/syndication-tombstone-age-restricted.http",
        "x/oembed-404.http",
        "login_required",
    ),
}
WEIBO_KINDS = {
    "4910815147462311": ("weibo/show-errno-20101.http", "not_found"),
    "4910815147462312": ("weibo/show-visibility-notice.http", "account_protected"),
}


def test_each_removal_kind_is_recorded_with_the_answer_that_says_so(tmp_path):
    exchanges = []
    urls = []
    for status_id, (syndication, oembed, _) in X_KINDS.items():
        urls.append(f"https://x.com/example_news/status/{status_id}")
        exchanges += answers_for(urls[-1], x_syndication=syndication, x_oembed=oembed)
    for mid, (status, _) in WEIBO_KINDS.items():
        urls.append(f"https://m.weibo.cn/status/{mid}")
        exchanges += answers_for(urls[-1], weibo_status=status)
    result = add(tmp_path, make_snapshot(tmp_path / "gone.warc.gz", exchanges), *urls)
    assert result.returncode == 0, result.stderr
    expected = {f"x:{key}": kind for key, (*_, kind) in X_KINDS.items()} | {
        f"weibo:{key}": kind for key, (_, kind) in WEIBO_KINDS.items()
    }
    for identifier, kind in expected.items():
        found = post(tmp_path, identifier)
        assert (found["status"], found["removal_kind"]) == (kind, kind), identifier
        check = found["checks"][-1]
        assert (check["outcome"], check["removal_kind"]) == (kind, kind)
        assert check["evidence"] and check["evidence_source"], identifier
        assert found["removed_at"] == check["checked_at"]
        # The evidence is the capture of the answer that says so, its body as served.
        sql = "SELECT post_endpoint FROM captures WHERE id = ?"
        (endpoint,) = rows(tmp_path, sql, check["capture_id"])[0]
        x_evidence = "x_oembed" if kind == "account_protected" else "x_syndication"
        assert endpoint == (x_evidence if identifier.startswith("x:") else "weibo_status"), identifier
        # Gone at the first check: a notice is never stored as the post's text.
        assert found["text"] is None
    protected = post(tmp_path, "x:1349794411333394404")["checks"][-1]
    assert "not authorized to see this status" in protected["evidence"]


def test_rate_limits_are_honoured_and_the_platform_is_asked_nothing_more(tmp_path):
    first_x, second_x = (f"https://x.com/example_news/status/13497944113333944{n}" for n in (21, 22))
    first_weibo, second_weibo = (f"https://m.weibo.cn/status/49108151474623{n}" for n in (21, 22))
    exchanges = [
        *answers_for(first_x, x_syndication="x/syndication-429.http"),
        *answers_for(first_weibo, weibo_status="weibo/show-418.http"),
    ]
    result = add(
        tmp_path,
        make_snapshot(tmp_path / "limited.warc.gz", exchanges),
        first_x,
        second_x,
        first_weibo,
        second_weibo,
    )
    assert result.returncode == 0, result.stderr
    x_check = post(tmp_path, first_x)["checks"][-1]
    assert x_check["outcome"] == "rate_limited"
    assert "Retry-After: 900" in x_check["evidence"] or "retry-after: 900" in x_check["evidence"]
    # 900 s after the answer was received (the replay's recorded time).
    assert x_check["retry_at"] == "2026-11-01T08:15:00+00:00"
    weibo_check = post(tmp_path, first_weibo)["checks"][-1]
    assert weibo_check["outcome"] == "rate_limited"
    assert weibo_check["retry_at"] == "2026-11-01T08:10:00+00:00"  # Weibo's default wait, 600 s
    for url in (second_x, second_weibo):
        skipped = post(tmp_path, url)
        assert skipped["checks"][-1]["outcome"] == "rate_limited"
        assert skipped["checks"][-1]["evidence"].startswith("not asked:")
        assert skipped["checks"][-1]["capture_id"] is None
        assert skipped["status"] == "unchecked"
    # Nothing was requested for the second posts: only the first posts' answers are kept.
    (count,) = rows(tmp_path, "SELECT count(*) FROM captures")[0]
    assert count == 3  # X's 429, X's oEmbed (not in the snapshot: failed), Weibo's 418


def test_a_login_wall_where_json_was_expected_is_met_with_the_visitor_handshake(tmp_path):
    walled = "https://m.weibo.cn/status/4910815147462331"
    later = "https://m.weibo.cn/status/4910815147462332"
    genvisitor = made_response(
        200,
        'window.gen_callback && gen_callback({"retcode":20000000,"msg":"succ",'
        '"data":{"tid":"synthetic-tid","new_tid":true,"confidence":95}});',
        (("Content-Type", "application/javascript"),),
    )
    incarnate = made_response(
        200,
        "cross_domain({});",
        (
            ("Set-Cookie", "SUB=synthetic-sub; path=/; domain=.weibo.com"),
            ("Set-Cookie", "SUBP=synthetic-subp; path=/; domain=.weibo.com"),
        ),
    )
    incarnate_url = "https://passport.weibo.com/visitor/visitor?a=incarnate&t=synthetic-tid&w=2&c=095&cb=cross_domain&from=weibo"
    exchanges = [
        *answers_for(walled, weibo_status="weibo/show-login-page.http"),
        *answers_for(later, weibo_status="weibo/show-432.http"),
        post_exchange(genvisitor, GENVISITOR_URL, method="POST", request_body=genvisitor_body()),
        post_exchange(incarnate, incarnate_url),
    ]
    result = add(tmp_path, make_snapshot(tmp_path / "wall.warc.gz", exchanges), walled, later)
    assert result.returncode == 0, result.stderr
    first = post(tmp_path, walled)
    assert (first["status"], first["checks"][-1]["outcome"]) == ("login_required", "login_required")
    assert "登录 - 新浪微博" in first["checks"][-1]["evidence"]
    assert "after the visitor handshake" in first["checks"][-1]["evidence"]
    # The handshake's answers are kept too; the next post went with the cookie, no second handshake.
    endpoints = [endpoint for (endpoint,) in rows(tmp_path, "SELECT post_endpoint FROM captures ORDER BY id")]
    assert endpoints == ["weibo_status", "weibo_visitor", "weibo_visitor", "weibo_status", "weibo_status"]
    assert post(tmp_path, later)["status"] == "login_required"


def test_bad_input_is_one_line_each_and_nothing_is_lost(tmp_path):
    loop_a, loop_b, good = "http://t.cn/LoopA1", "http://t.cn/LoopB2", "http://t.cn/Good1"
    changed = "https://m.weibo.cn/status/4404101091169383"
    redirect = lambda target: made_response(302, b"", (("Location", target),))  # noqa: E731
    exchanges = [
        post_exchange(redirect(loop_b), "https://t.cn/LoopA1"),
        post_exchange(redirect(loop_a), "https://t.cn/LoopB2"),
        post_exchange(redirect(ORDINARY_WEIBO), "https://t.cn/Good1"),
        *answers_for(ORDINARY_WEIBO, weibo_status="weibo/show-ordinary.http"),
        *answers_for(changed, weibo_status="weibo/show-changed-shape.http"),
    ]
    result = add(
        tmp_path,
        make_snapshot(tmp_path / "bad.warc.gz", exchanges),
        "https://weibo.com/u/2066652961",
        "https://www.example.com/news/1.html",
        "https://m.weibo.cn/status/99999999999999999999",
        loop_a,
        good,
        changed,
    )
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert errors[:3] == [
        "Error: https://weibo.com/u/2066652961: a Weibo profile page (user 2066652961), not a post",
        "Error: https://www.example.com/news/1.html: not a Weibo or X post URL"
        " (articles: `sourcevault crawl`)",
        "Error: https://m.weibo.cn/status/99999999999999999999: Weibo mid '99999999999999999999' is out of"
        " range (above 2^63 - 1)",
    ]
    assert errors[3:] == [
        "Error: http://t.cn/LoopA1: short links redirect in a loop:"
        " https://t.cn/LoopA1 → https://t.cn/LoopB2 → https://t.cn/LoopA1"
    ]
    assert "Traceback" not in result.stderr
    # The short link that leads to a post: resolved, then read; its hop kept as a capture.
    resolved = post(tmp_path, ORDINARY_WEIBO)
    assert (resolved["status"], resolved["cited_url"]) == ("available", good)
    endpoints = [endpoint for (endpoint,) in rows(tmp_path, "SELECT post_endpoint FROM captures ORDER BY id")]
    assert endpoints.count("short_link") == 3
    # A changed shape: the answer is kept, the post read as far as it goes, each field named.
    reshaped = post(tmp_path, changed)
    assert reshaped["status"] == "available"
    assert any("user" in problem for problem in reshaped["problems"])
    assert any("created_at" in problem for problem in reshaped["problems"])
    (body,) = rows(
        tmp_path, "SELECT body_sha256 FROM captures WHERE id = ?", reshaped["checks"][-1]["capture_id"]
    )[0]
    assert body is not None


def test_a_recheck_records_a_new_version_and_a_later_removal(tmp_path):
    ordinary = recorded_response("weibo/show-ordinary.http")
    edited_body = ordinary.body.replace("介绍近期外事安排".encode(), "介绍下周外事安排".encode())
    assert edited_body != ordinary.body
    edited = made_response(200, edited_body, ordinary.headers)
    first = add(
        tmp_path,
        make_snapshot(
            tmp_path / "first.warc.gz", answers_for(ORDINARY_WEIBO, weibo_status="weibo/show-ordinary.http")
        ),
        ORDINARY_WEIBO,
    )
    assert first.returncode == 0, first.stderr
    due = invoke("posts", "recheck", "--due", "--db", str(tmp_path / "archive.db"))
    assert (due.exit_code, due.output) == (0, "no post is due\n")

    second = add(
        tmp_path,
        make_snapshot(tmp_path / "edited.warc.gz", answers_for(ORDINARY_WEIBO, weibo_status=edited)),
        "weibo:4910815147462302",
        command="recheck",
    )
    assert second.returncode == 0, second.stderr
    assert "text changed: a new version" in second.stdout
    third = add(
        tmp_path,
        make_snapshot(
            tmp_path / "gone.warc.gz", answers_for(ORDINARY_WEIBO, weibo_status="weibo/show-error-page.http")
        ),
        "1",
        command="recheck",
    )
    assert third.returncode == 0, third.stderr
    found = post(tmp_path, "1")
    assert [version["text"][:20] for version in found["versions"]] == [
        "今天下午举行#例行记者会#，介绍近期外事",
        "今天下午举行#例行记者会#，介绍下周外事",
    ]
    assert [check["outcome"] for check in found["checks"]] == ["ok", "ok", "not_found"]
    assert (found["status"], found["removed_at"]) == ("not_found", found["checks"][-1]["checked_at"])
    # The text the post last had stays; the counts are those of the last capture that had it.
    assert "介绍下周外事安排" in found["text"]


def test_a_redirect_off_the_platforms_hosts_is_refused_by_the_network_policy(tmp_path):
    url = "https://m.weibo.cn/status/4910815147462351"
    away = made_response(302, b"", (("Location", "https://elsewhere.example/collect"),))
    snapshot = make_snapshot(tmp_path / "away.warc.gz", answers_for(url, weibo_status=away))
    result = add(tmp_path, snapshot, url)
    # No answer came for any post asked: exit status 4, as a crawl that fetched nothing.
    assert result.returncode == 4, result.stderr
    refusal = "blocked: host elsewhere.example is not platform weibo's"
    check = post(tmp_path, url)["checks"][-1]
    assert (check["outcome"], check["evidence"]) == ("failed", refusal)
    kept = rows(tmp_path, "SELECT url, outcome, outcome_reason, http_status FROM captures ORDER BY id")
    assert kept == [(endpoint_url(url, Endpoint.WEIBO_STATUS), "blocked", refusal, None)]


def test_a_post_of_a_platform_the_registry_lacks_is_refused_in_one_line_before_anything_is_written(
    cli, tmp_path
):
    registry = tmp_path / "outlets.toml"
    registry.write_text(
        outlet_toml("daily", "http://127.0.0.1:1", feeds=["/daily/feed.xml"]), encoding="utf-8"
    )
    archive = tmp_path / "archive.db"
    result = cli("posts", "add", ORDINARY_WEIBO, "--registry", str(registry), "--db", str(archive))
    assert (result.exit_code, result.output) == (
        1,
        f"Error: {registry}: no [[platform]] 'weibo': posts of it cannot be fetched (known: none)\n",
    )
    assert not archive.exists()
