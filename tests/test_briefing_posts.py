"""A briefing's cited posts archived by `briefing add` through the posts spider, and `briefing attach`
giving a citation with no URL the post it cites: replayed from the synthetic post answers of
tests/fixtures/posts/ (README there), each command that fetches in a process of its own as a user runs it.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from crawler.posts.post import Endpoint
from tests.helpers import invoke, make_snapshot, run_sourcevault
from tests.post_fixtures import answers_for, endpoint_url, made_response

pytestmark = pytest.mark.slow

NO_DELAYS = 'DOWNLOAD_SLOTS={"weibo": {"delay": 0}, "x": {"delay": 0}}'
ORDINARY_WEIBO = "https://weibo.com/7827771738/N4xlMvjhI"
DELETED_X = "https://x.com/example_news/status/1349794411333394432"
REDIRECTED_AWAY = "https://m.weibo.cn/status/4910815147462351"
QUOTING_X = "https://mobile.twitter.com/example_news/status/1674700676612386816"
# Synthetic: a briefing in the notes' formats citing posts, a page the snapshot lacks, and a post
# with no URL.
BRIEFING = f"""Ministry statement on the drills

The ministry posted its statement on Weibo.
Source: Weibo, November 1, 2026
{ORDINARY_WEIBO}

A journalist's post, since deleted

Sources:
1. X, October 30, 2026 {DELETED_X}
2. Weibo, October 30, 2026 {REDIRECTED_AWAY}

Harbour works resume

Source: United Daily News, November 1, 2026
https://udn.com/news/story/7266/8000001

A quoted post

Source: Twitter, October 29, 2026
"""


@pytest.fixture(scope="module")
def added_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The briefing added once for the module: its folder (snapshot, briefing, archive)."""
    folder = tmp_path_factory.mktemp("added")
    prepare(folder)
    result = sourcevault(folder, "briefing", "add", str(folder / "briefing.txt"))
    assert result.returncode == 0, result.stderr
    assert "briefing 1 version 1: 5 citations" in result.stdout
    return folder


def prepare(folder: Path) -> None:
    """The posts' answers as a snapshot (posts.warc.gz) and the briefing (briefing.txt), in `folder`."""
    away = made_response(302, b"", (("Location", "https://elsewhere.example/collect"),))
    make_snapshot(
        folder / "posts.warc.gz",
        [
            *answers_for(ORDINARY_WEIBO, weibo_status="weibo/show-ordinary.http"),
            *answers_for(
                DELETED_X,
                x_syndication="x/syndication-tombstone-deleted.http",
                x_oembed="x/oembed-404.http",
            ),
            *answers_for(REDIRECTED_AWAY, weibo_status=away),
            *answers_for(QUOTING_X, x_syndication="x/syndication-quoted.http", x_oembed="x/oembed-404.http"),
        ],
    )
    (folder / "briefing.txt").write_text(BRIEFING, encoding="utf-8")


@pytest.fixture
def added(added_once: Path, tmp_path: Path) -> Path:
    """A copy of that folder of the test's own, to add to and attach in."""
    shutil.copytree(added_once, tmp_path, dirs_exist_ok=True)
    return tmp_path


def sourcevault(tmp_path: Path, *args: str, db: str | None = None):
    """A command run in `tmp_path` on its archive (archive.db, unless `db` names another), its
    posts' answers replayed."""
    return run_sourcevault(
        *args,
        "--db",
        db or str(tmp_path / "archive.db"),
        *("--replay", str(tmp_path / "posts.warc.gz"), "-s", NO_DELAYS, "-s", "WAYBACK_ENABLED=False"),
        cwd=tmp_path,
    )


def report(tmp_path: Path) -> list[dict]:
    """The briefing's report, read in this process (it runs no crawl)."""
    result = invoke("briefing", "report", "latest", "--json", "--db", str(tmp_path / "archive.db"))
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def captured_url(tmp_path: Path, capture_id: int) -> str:
    with sqlite3.connect(tmp_path / "archive.db") as connection:
        return connection.execute("SELECT url FROM captures WHERE id = ?", [capture_id]).fetchone()[0]


def test_cited_posts_are_archived_with_what_became_of_each(added):
    rows = report(added)
    assert [(row["kind"], row["status"]) for row in rows] == [
        ("social_post", "archived"),
        ("social_post", "removed"),
        ("social_post", "blocked"),
        ("page", "failed"),
        ("missing_url", "no_url"),
    ]
    archived, deleted, blocked = rows[:3]
    # Each citation points at the answer its post's check rests on: the original as fetched.
    assert captured_url(added, archived["capture_id"]) == endpoint_url(ORDINARY_WEIBO, Endpoint.WEIBO_STATUS)
    assert archived["final_url"] == "https://m.weibo.cn/status/4910815147462302"
    assert len(archived["sha256"]) == 64 and archived["captured_at"]
    assert captured_url(added, deleted["capture_id"]) == endpoint_url(DELETED_X, Endpoint.X_SYNDICATION)
    assert deleted["removed_kind"] == "deleted_by_author" and deleted["removed_at"]
    assert deleted["reason"].startswith("deleted_by_author: ")
    assert blocked["reason"] == "blocked: host elsewhere.example is not platform weibo's"
    # The page of the same briefing went through the page fetch, in the same command.
    assert rows[3]["outlet"] == "udn" and rows[3]["captured_at"]
    with sqlite3.connect(added / "archive.db") as connection:
        posts = connection.execute("SELECT platform, post_id, status FROM posts ORDER BY id").fetchall()
    assert ("weibo", "4910815147462302", "available") in posts
    assert ("x", "1349794411333394432", "deleted_by_author") in posts


def test_adding_the_same_briefing_again_fetches_no_post_again(added):
    again = sourcevault(added, "briefing", "add", str(added / "briefing.txt"))
    assert again.returncode == 0, again.stderr
    assert "nothing added" in again.stdout and "fetching" not in again.stdout
    with sqlite3.connect(added / "archive.db") as connection:
        assert connection.execute("SELECT count(*) FROM post_checks").fetchone() == (3,)


def test_attach_gives_a_citation_without_url_its_post_and_archives_it(added):
    missing = report(added)[4]
    attached = sourcevault(added, "briefing", "attach", str(missing["citation_id"]), QUOTING_X)
    assert attached.returncode == 0, attached.stderr
    assert attached.stdout == f"citation {missing['citation_id']}: archived\n"
    row = report(added)[4]
    assert (row["url"], row["kind"], row["platform"], row["status"]) == (
        QUOTING_X,
        "social_post",
        "x",
        "archived",
    )
    assert captured_url(added, row["capture_id"]) == endpoint_url(QUOTING_X, Endpoint.X_SYNDICATION)
    # Once it has a URL, the citation takes no other: one line, exit 1, nothing changed.
    again = sourcevault(added, "briefing", "attach", str(missing["citation_id"]), ORDINARY_WEIBO)
    assert again.returncode == 1
    assert again.stderr == (f"Error: citation {missing['citation_id']}: it has a URL already ({QUOTING_X})\n")
    assert report(added)[4] == row


@pytest.mark.parametrize(
    ("citation", "url", "error"),
    [
        (
            "99",
            "https://x.com/a/status/1",
            "Error: citation 99: no such citation (sourcevault briefing report --json)",
        ),
        ("5", "not a url", "Error: 'not a url' is not one http(s) URL"),
    ],
)
def test_attach_refuses_what_it_cannot_attach_in_one_line(added, citation, url, error):
    refused = sourcevault(added, "briefing", "attach", citation, url)
    assert (refused.returncode, refused.stderr) == (1, error + "\n")
    assert report(added)[4]["status"] == "no_url"
