"""Posts in `sourcevault serve`: Datasette as a real server on loopback, read over HTTP and in Debian's
chromium: the posts table opens with author, time, status and counts, the post reposted is a link to
its row, and the repost_chain query follows a chain to its end. The posts are the synthetic answers
of tests/fixtures/posts/, recorded as the posts spider hands them over."""

from __future__ import annotations

import json
import os
from urllib.parse import urlencode

import pytest

from crawler.archive import Archive
from crawler.posts.post import Endpoint
from tests import test_serve
from tests.post_fixtures import fetched
from tests.test_serve import _get, start_serving, stop_serving

# The chromium the serve tests drive, as a fixture of this module too.
browser = test_serve.browser
REPOST = "https://m.weibo.cn/detail/4189191225395228"
QUOTING = "https://mobile.twitter.com/example_news/status/1674700676612386816"


@pytest.fixture(scope="module")
def served(tmp_path_factory, registry):
    path = tmp_path_factory.mktemp("posts-serve") / "archive.db"
    with Archive(path) as archive:
        archive.posts.register_platforms(list(registry.platforms.values()))
        archive.posts.record(fetched(REPOST, "weibo/show-repost-of-deleted.http", Endpoint.WEIBO_STATUS))
        archive.posts.record(fetched(QUOTING, "x/syndication-quoted.http", Endpoint.X_SYNDICATION))
    process, base, _ = start_serving(path, dict(os.environ))
    yield base
    stop_serving(process)


def test_the_repost_chain_query_follows_a_post_to_the_one_it_reposts(served):
    status, _, body = _get(f"{served}/archive/repost_chain.json?{urlencode({'post': 1, '_shape': 'array'})}")
    assert status == 200
    chain = json.loads(body)
    assert [(row["depth"], row["post_id"], row["status"]) for row in chain] == [
        (0, "4189191225395228", "available"),
        (1, "4331051486294436", "deleted_by_author"),
    ]
    assert chain[0]["author_screen_name"] == "示例发布" and chain[0]["reposts_count"] == 12


def test_the_posts_table_shows_author_time_counts_and_the_post_reposted(served, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{served}/archive/posts")
    headers = page.locator("table.rows-and-columns th").evaluate_all(
        "cells => cells.map(cell => cell.dataset.column)"
    )
    assert headers[:10] == [
        "id",
        "platform",
        "author_screen_name",
        "created_at",
        "status",
        "reposts_count",
        "comments_count",
        "likes_count",
        "reposted_post",
        "text",
    ]
    page.screenshot(path=str(tmp_path / "posts.png"), full_page=True)
    repost = page.locator("table.rows-and-columns tr", has_text="转发微博")
    repost.locator("td.col-reposted_post a").click()
    page.wait_for_url("**/archive/posts/2")
    assert "deleted_by_author" in page.locator("body").inner_text()
    # The original's page lists the posts reposting it and its checks (rows pointing at it).
    assert "post_checks" in page.locator("body").inner_text()
    page.close()
