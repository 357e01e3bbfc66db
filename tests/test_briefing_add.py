"""`sourcevault briefing add`, `report`, `recheck` and `list` end to end, as a user runs them.

A synthetic news site on loopback (tests/loopback.py) answers a synthetic briefing's citations:
articles, a short link's redirects ending on another host (a site outlet), a removed page and a
soft 404, a listing, a redirect to the home page, and a fake of the Wayback Machine (its
availability API and a raw snapshot carrying the toolbar), all made here and labelled synthetic.
Each command runs as its own process, through the real Scrapy engine and a real SQLite file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.helpers import run_sourcevault
from tests.loopback import PARAGRAPHS, LoopbackSite, article_html, outlet_toml

# A quick fetch of a loopback site: no politeness delay, short backoff; the Wayback Machine
# fake is asked as often as the test needs.
FAST = (
    *("-s", "NETWORK_ALLOW_LOOPBACK=True", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"),
    *("-s", "RETRY_BACKOFF_BASE=0.1", "-s", "DOWNLOAD_TIMEOUT=120", "-s", "WAYBACK_REQUESTS_PER_MINUTE=6000"),
)
# The Wayback Machine's additions, in the shape crawler/pages/wayback.py reads (synthetic); the
# capture names itself as {url} at {timestamp}.
WAYBACK_TOOLBAR = (
    '<script src="//archive.org/includes/athena.js" type="text/javascript"></script>'
    "<script>__wm.init('https://web.archive.org/web');"
    ' __wm.wombat("{url}", "{timestamp}", "https://web.archive.org/", "web", "/_static/");</script>'
    "<!-- End Wayback Rewrite JS Include -->"
)
WAYBACK_BANNER = (
    "<!-- BEGIN WAYBACK TOOLBAR INSERT --><div id='wm-ipp'>SYNTHETIC TOOLBAR 網站時光機 工具列 "
    "擷取 2026 年 10 月 30 日</div><!-- END WAYBACK TOOLBAR INSERT -->"
)
ARCHIVED_TITLE = "港務局公布新航線時刻表"
SNAPSHOT_TIME = "20261030120000"
LISTING = "".join(f"<li><a href='/news/a/{n}'>第{n}則新聞標題：市政府宣布新措施</a></li>" for n in range(40))


@dataclass
class Briefed:
    site: LoopbackSite
    root: Path
    db: Path
    briefing: Path
    registry: Path

    def run(self, *args: str) -> tuple[int, str, str]:
        result = run_sourcevault(*args, "--db", str(self.db), cwd=self.root)
        return result.returncode, result.stdout, result.stderr

    def fetch(self, *args: str) -> tuple[int, str, str]:
        base = self.site.base_url
        wayback = (
            *("-s", f"WAYBACK_AVAILABILITY_URL={base}/wayback/available"),
            *("-s", f"WAYBACK_SNAPSHOT_URL={base}/web/{{timestamp}}id_/{{url}}"),
        )
        return self.run(*args, "--registry", str(self.registry), *FAST, *wayback)

    def report(self) -> list[dict]:
        code, out, err = self.run("briefing", "report", "latest", "--json")
        assert code == 0, err
        return [json.loads(line) for line in out.splitlines()]

    def sql(self, query: str, *params: object) -> list[tuple]:
        connection = sqlite3.connect(self.db)
        try:
            return connection.execute(query, params).fetchall()
        finally:
            connection.close()


def briefing_text(base: str, port: int) -> str:
    return f"""CHINA WATCH - SYNTHETIC TEST BRIEFING (made by tests/test_briefing_add.py)

Harbour Drill Draws Two Thousand

The city held its yearly drill.

Source: Loopback news, November 1, 2026
{base}/news/a/1

Ferry Timetable Announced

The port announced a new route.

Sources:
1. Loopback news, March 3, 2026
{base}/news/a/2
2. Harbour Daily, November 1, 2026
{base}/s/1
3. Loopback news, October 30, 2026
{base}/news/a/3

Pages That Went

Two reports were withdrawn; one page lists many.

Sources:
1. Loopback news, October 29, 2026
{base}/news/a/4
2. Loopback news, October 28, 2026
{base}/news/list
3. Loopback news, October 27, 2026
{base}/news/a/5
4. Weibo, October 27, 2026
5. X, October 27, 2026 https://x.com/someone/status/1850000000000000000
"""


@pytest.fixture(scope="module")
def briefed(tmp_path_factory) -> Iterator[Briefed]:
    root = tmp_path_factory.mktemp("briefing")
    site = LoopbackSite()
    with site.running():
        base = site.base_url
        port = int(base.rsplit(":", 1)[1])
        site.add_article("/news/a/1", "市府防災演習 動員兩千人")
        site.add_article("/news/a/2", "渡輪新時刻表上路")
        site.redirect("/s/1", f"{base}/s/2", 301)
        site.redirect("/s/2", f"http://localhost:{port}/story/9", 302)
        site.add("/story/9", article_html("港口新航線啟航"))
        site.add("/news/a/3", "<html><title>404</title>gone</html>", status=404)
        site.add("/news/a/4", "<html><head><title>404 Not Found</title></head><body>找不到</body></html>")
        site.add(
            "/news/list", f"<html><head><title>新聞列表</title></head><body><ul>{LISTING}</ul></body></html>"
        )
        site.redirect("/news/a/5", f"{base}/news/")
        site.add("/news/", "<html><head><title>Loopback news</title></head><body>首頁</body></html>")
        cited = f"{base}/news/a/3"
        snapshot = article_html(ARCHIVED_TITLE).decode()
        toolbar = WAYBACK_TOOLBAR.format(url=cited, timestamp=SNAPSHOT_TIME)
        snapshot = snapshot.replace("<head>", "<head>" + toolbar).replace("<body>", "<body>" + WAYBACK_BANNER)
        # The archive rewrites the page's own links to its copies.
        canonical = f"<link rel='canonical' href='https://web.archive.org/web/{SNAPSHOT_TIME}/{cited}'>"
        snapshot = snapshot.replace("</head>", canonical + "</head>")
        site.add(f"/web/{SNAPSHOT_TIME}id_/{cited}", snapshot)
        availability = {
            "url": cited,
            "archived_snapshots": {
                "closest": {
                    "available": True,
                    "status": "200",
                    "timestamp": SNAPSHOT_TIME,
                    "url": "synthetic",
                }
            },
        }
        site.add(
            f"/wayback/available?url={quote(cited, safe='')}&timestamp=20261030",
            json.dumps(availability),
            content_type="application/json",
        )
        site.add(
            f"/wayback/available?url={quote(f'{base}/news/a/4', safe='')}&timestamp=20261029",
            json.dumps({"url": f"{base}/news/a/4", "archived_snapshots": {}}),
            content_type="application/json",
        )
        registry = root / "registry.toml"
        registry.write_text(outlet_toml("news", base, feeds=["/news/feed.xml"]), encoding="utf-8")
        briefing = root / "weekly.txt"
        briefing.write_text(briefing_text(base, port), encoding="utf-8")
        briefed = Briefed(site, root, root / "archive.db", briefing, registry)
        code, out, err = briefed.fetch("briefing", "add", str(briefing), "--title", "Weekly")
        assert code == 0, err
        assert "Traceback" not in err
        briefed.added_output = out  # type: ignore[attr-defined]
        yield briefed


def by_position(rows: list[dict]) -> dict[int, dict]:
    return {row["position"]: row for row in rows}


def test_add_archives_each_citation_and_says_what_became_of_it(briefed):
    base = briefed.site.base_url
    rows = by_position(briefed.report())
    assert {position: row["status"] for position, row in rows.items()} == {
        1: "archived",
        2: "archived",
        3: "archived",
        4: "archived_from_web_archive",
        5: "removed",
        6: "not_an_article",
        7: "removed",
        8: "no_url",
        9: "failed",
    }
    first = rows[1]
    assert (first["title"], first["outlet"], first["language"], first["script"]) == (
        "市府防災演習 動員兩千人",
        "news",
        "zh-Hant",
        "Hant",
    )
    assert first["published_at"] == "2026-11-01T08:00:00+08:00" and first["date_agrees"] is True
    assert len(first["sha256"]) == 64 and first["captured_at"]
    # Claimed March 3, published November 1: a wrong citation is flagged, not corrected.
    assert rows[2]["date_agrees"] is False
    assert rows[8]["reason"] == "the briefing names a weibo post without a URL"
    # A cited post is fetched by the posts spider (tests/test_briefing_posts.py), on the platforms
    # the registry lists: this one lists none.
    assert (rows[9]["status"], rows[9]["reason"]) == (
        "failed",
        "platform x has no [[platform]] entry in the registry",
    )
    assert rows[5]["reason"].startswith("not an article: soft 404")
    assert "the Wayback Machine holds no copy" in rows[5]["reason"]
    assert rows[6]["reason"].startswith("not an article: listing page")
    assert rows[7]["reason"].startswith(f"redirected to the home page {base}/news/; web archive: HTTP 404")
    assert "added as briefing 1 version 1" not in briefed.added_output
    assert "briefing 1 version 1: 9 citations" in briefed.added_output


def test_a_short_link_is_followed_hop_by_hop_and_every_hop_is_a_capture(briefed):
    base, port = briefed.site.base_url, briefed.site.base_url.rsplit(":", 1)[1]
    row = by_position(briefed.report())[3]
    assert row["final_url"] == f"http://localhost:{port}/story/9"
    # A host no outlet owns: archived under its site outlet, read the generic way.
    assert row["outlet"] == "site:localhost" and row["title"] == "港口新航線啟航"
    hops = briefed.sql(
        "SELECT h.hop, h.from_url, h.to_url, h.http_status, c.page_kind, c.outcome FROM citation_hops h"
        " JOIN captures c ON c.id = h.capture_id WHERE h.citation = 3 ORDER BY h.hop"
    )
    assert hops == [
        (1, f"{base}/s/1", f"{base}/s/2", 301, "redirect", "redirect"),
        (2, f"{base}/s/2", f"http://localhost:{port}/story/9", 302, "redirect", "redirect"),
        (3, f"http://localhost:{port}/story/9", None, 200, "article", "article"),
    ]


def test_a_gone_page_is_archived_from_the_wayback_machine_without_its_toolbar(briefed):
    base = briefed.site.base_url
    row = by_position(briefed.report())[4]
    assert row["title"] == ARCHIVED_TITLE and row["web_archive_snapshot_at"] == "2026-10-30T12:00:00+00:00"
    assert (
        row["reason"].startswith("HTTP 404; ")
        and "Wayback Machine's copy of 2026-10-30 12:00 UTC" in row["reason"]
    )
    ((url, web_archive_of),) = briefed.sql(
        "SELECT url, web_archive_of FROM captures WHERE id = ?", row["capture_id"]
    )
    assert url == f"{base}/web/{SNAPSHOT_TIME}id_/{base}/news/a/3" and web_archive_of == f"{base}/news/a/3"
    (body,) = briefed.sql("SELECT body FROM articles WHERE id = ?", row["article_id"])[0]
    assert "TOOLBAR" not in body and "網站時光機" not in body
    code, raw, _ = briefed.run("show", str(row["article_id"]), "--raw")
    assert code == 0 and "SYNTHETIC TOOLBAR" in raw and "web.archive.org/web/" in raw
    # The page's own address, not the Wayback Machine's, names the article.
    assert briefed.sql("SELECT url, canonical_url FROM articles WHERE id = ?", row["article_id"]) == [
        (f"{base}/news/a/3", f"{base}/news/a/3")
    ]


def test_the_same_briefing_again_adds_nothing(briefed):
    counts = (
        "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM citations),"
        " (SELECT count(*) FROM briefing_versions)"
    )
    before = briefed.sql(counts)
    code, out, err = briefed.fetch("briefing", "add", str(briefed.briefing), "--title", "Weekly")
    assert code == 0, err
    assert out.splitlines()[0] == f"{briefed.briefing}: already added as briefing 1 version 1: nothing added"
    assert briefed.sql(counts) == before


def test_list_counts_each_status(briefed):
    code, out, err = briefed.run("briefing", "list", "--json")
    assert code == 0, err
    (listed,) = [json.loads(line) for line in out.splitlines()]
    assert listed["title"] == "Weekly" and listed["citations"] == 9
    assert listed["statuses"] == {
        "archived": 3,
        "archived_from_web_archive": 1,
        "removed": 2,
        "not_an_article": 1,
        "no_url": 1,
        "failed": 1,
    }


@pytest.fixture(scope="module")
def rechecked(briefed) -> Briefed:
    """The site a week later (synthetic): one cited article edited, one taken down (410)."""
    edited = [
        *PARAGRAPHS[1:],
        "演習原訂今日舉行，因天候不佳延期至下週，市府表示將另行公告新的日期與集合地點。",
    ]
    briefed.site.add_article("/news/a/1", "市府防災演習 動員兩千人", paragraphs=edited)
    briefed.site.add("/news/a/2", "<html><title>Gone</title>gone</html>", status=410)
    code, out, err = briefed.fetch("briefing", "recheck", "1")
    assert code == 0, err
    assert out.splitlines()[0] == "rechecked 7 cited URLs"
    return briefed


def test_recheck_finds_an_edit_and_keeps_the_version_cited(rechecked):
    row = by_position(rechecked.report())[1]
    assert row["status"] == "changed_since_cited"
    assert row["article_version"] == 1
    article = row["article_id"]
    assert row["reason"] == (
        "the page changed since it was cited: version 2, cited version 1"
        f" (sourcevault show {article} --diff-from 1)"
    )
    code, out, err = rechecked.run("show", str(article), "--diff-from", "1")
    assert code == 0, err
    assert (
        "-市政府今天舉行年度防災演習，動員超過兩千名人員，模擬強震後的搜救、收容與物資調度。"
        in out.splitlines()
    )
    assert (
        "+演習原訂今日舉行，因天候不佳延期至下週，市府表示將另行公告新的日期與集合地點。" in out.splitlines()
    )


def test_recheck_marks_a_takedown_with_its_time_and_kind(rechecked):
    row = by_position(rechecked.report())[2]
    assert (row["status"], row["removed_kind"], row["reason"]) == (
        "removed",
        "http_410",
        "gone since it was cited: HTTP 410",
    )
    (checked_at,) = rechecked.sql("SELECT checked_at FROM citations WHERE id = ?", 2)[0]
    assert row["removed_at"] == checked_at
    # What it was archived at stays: the original as first fetched, and its article.
    assert row["title"] == "渡輪新時刻表上路" and row["sha256"]
    unchanged = by_position(rechecked.report())
    assert (unchanged[3]["status"], unchanged[4]["status"]) == ("archived", "archived_from_web_archive")


def test_an_edited_briefing_becomes_its_next_version(rechecked):
    edited = rechecked.root / "weekly-edited.txt"
    text = rechecked.briefing.read_text(encoding="utf-8")
    edited.write_text(
        text.replace("Source: Loopback news, November 1, 2026", "Source: Loopback news, 1 November 2026"),
        encoding="utf-8",
    )
    code, out, err = rechecked.fetch("briefing", "add", str(edited), "--title", "Weekly")
    assert code == 0, err
    assert out.splitlines()[0] == "briefing 1 version 2: 9 citations (sourcevault briefing report 1)"
    assert rechecked.sql("SELECT version, file_name FROM briefing_versions ORDER BY id") == [
        (1, "weekly.txt"),
        (2, "weekly-edited.txt"),
    ]
    assert rechecked.sql("SELECT current_version FROM briefings") == [(2,)]
    rows = by_position(rechecked.report())
    assert (
        len(rows) == 9 and rows[1]["status"] == "archived" and rows[1]["title"] == "市府防災演習 動員兩千人"
    )


def test_recheck_older_than_leaves_what_was_checked_since(rechecked):
    code, out, err = rechecked.run("briefing", "recheck", "--all", "--older-than", "7d")
    assert code == 0, err
    assert out.splitlines()[0] == "rechecked 0 cited URLs"
    code, _, err = rechecked.run("briefing", "recheck", "--all", "--older-than", "7x")
    assert code == 2 and "'7x' is not an age such as 30m, 12h, 7d or 2w" in err
    code, _, err = rechecked.run("briefing", "recheck")
    assert code == 2 and "give a briefing ID or --all" in err
