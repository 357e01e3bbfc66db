"""Nightly runs against a loopback site: only what is new is fetched, revisits catch edits and
takedowns, each outlet is crawled at its own pace, and one crawl at a time holds an archive."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, datetime

import pytest

from tests.helpers import SOURCEVAULT, invoke, run_sourcevault
from tests.loopback import ALLOW_LOOPBACK, FAST_CRAWL, LoopbackSite, outlet_toml


def crawl(registry, database, *extra: str) -> subprocess.CompletedProcess[str]:
    result = run_sourcevault("crawl", "--registry", str(registry), "--db", str(database), *FAST_CRAWL, *extra)
    assert result.returncode == 0, result.stderr
    return result


def counts(connection: sqlite3.Connection, outlet: str) -> dict[str, int]:
    cursor = connection.execute(
        """SELECT discovery_not_modified, discovered, fetched, revisited, new, updated, unchanged, removed,
            not_article, failed
        FROM crawl_run_outlets WHERE outlet = ? ORDER BY crawl_run_id DESC LIMIT 1""",
        [outlet],
    )
    return dict(zip((column[0] for column in cursor.description), cursor.fetchone(), strict=True))


def test_archived_articles_are_skipped_and_revisits_catch_edits_and_takedowns(tmp_path):
    site = LoopbackSite()
    with site.running():
        articles = [f"/daily/a/{n}" for n in range(1, 5)]
        for path in articles:
            site.add_article(path, f"第{path[-1]}則新聞")
        site.add_feed("/daily/feed.xml", articles)
        registry = tmp_path / "outlets.toml"
        registry.write_text(outlet_toml("daily", site.base_url, feeds=["/daily/feed.xml"]), encoding="utf-8")
        database = tmp_path / "archive.db"
        connection = sqlite3.connect(database, isolation_level=None)

        crawl(registry, database)
        assert counts(connection, "daily")["new"] == 4

        # Nothing changed: the feed answers 304 to its ETag and no article is fetched again.
        crawl(registry, database)
        assert site.hits("/daily/feed.xml")[-1].headers["If-None-Match"].startswith('"')
        assert counts(connection, "daily") == dict.fromkeys(counts(connection, "daily"), 0) | {
            "discovery_not_modified": 1
        }
        assert [len(site.hits(path)) for path in articles] == [1, 1, 1, 1]

        # A day later: one article edited, three taken down (404, redirect home, soft 404), one new.
        site.add_article("/daily/a/1", "第1則新聞（更新）")
        del site.pages["/daily/a/2"]
        site.redirect("/daily/a/3", "/daily/")
        site.add("/daily/", "<html><head><title>Loopback daily</title></head><body>首頁</body></html>")
        site.add("/daily/a/4", "<html><head><title>404</title></head><body>找不到網頁</body></html>")
        site.add_article("/daily/a/5", "第5則新聞")
        site.add_feed("/daily/feed.xml", [*articles, "/daily/a/5"])
        connection.execute("UPDATE articles SET revisit_due_at = '2000-01-01T00:00:00+00:00'")
        crawl(registry, database)

        assert counts(connection, "daily") == {
            "discovery_not_modified": 0,
            "discovered": 1,
            "fetched": 5,
            "revisited": 4,
            "new": 1,
            "updated": 1,
            "unchanged": 0,
            "removed": 3,
            "not_article": 0,
            "failed": 0,
        }
        removed = connection.execute(
            "SELECT article_id, removed_reason, title IS NOT NULL, revisits_done FROM articles"
            " WHERE removed_at IS NOT NULL ORDER BY article_id"
        ).fetchall()
        assert removed == [
            ("2", "HTTP 404", 1, 1),
            ("3", "redirected to the home page", 1, 1),
            ("4", "not an article: soft 404: page title '404'", 1, 1),
        ]
        # The edit is the article now; both originals stay, each with its own raw body.
        title, revisit_due_at = connection.execute(
            "SELECT title, revisit_due_at FROM articles WHERE article_id = '1'"
        ).fetchone()
        assert title == "第1則新聞（更新）"
        assert datetime.fromisoformat(revisit_due_at) > datetime.now(UTC)
        originals = connection.execute(
            "SELECT count(DISTINCT body_sha256) FROM captures WHERE url = ? AND outcome = 'article'",
            [f"{site.base_url}/daily/a/1"],
        ).fetchone()[0]
        assert originals == 2
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []


def test_each_outlet_keeps_its_own_pace(tmp_path):
    site = LoopbackSite()
    with site.running():
        slow = [f"/slow/a/{n}" for n in range(1, 5)]
        brisk = [f"/brisk/a/{n}" for n in range(1, 9)]
        for path in slow + brisk:
            site.add_article(path, f"新聞 {path}")
        site.add_feed("/slow/feed.xml", slow)
        site.add_feed("/brisk/feed.xml", brisk)
        registry = tmp_path / "outlets.toml"
        registry.write_text(
            outlet_toml("slow", site.base_url, feeds=["/slow/feed.xml"], delay=0.4, concurrency=1)
            + outlet_toml("brisk", site.base_url, feeds=["/brisk/feed.xml"], delay=0.0, concurrency=8),
            encoding="utf-8",
        )
        # AutoThrottle stays on, as in a nightly crawl: it must not shorten the registry's delay.
        # Without jitter the delay is the registry's 0.4 s exactly.
        result = run_sourcevault(
            "crawl",
            "--registry",
            str(registry),
            "--db",
            str(tmp_path / "archive.db"),
            *ALLOW_LOOPBACK,
            "-s",
            "DOWNLOAD_TIMEOUT=120",
            "-s",
            "DOWNLOAD_DELAY_JITTER=0",
        )
        assert result.returncode == 0, result.stderr
    times = sorted(hit.at for hit in site.requests if hit.path.startswith("/slow/"))
    assert len(times) == 5
    # The crawl sends the slow outlet's five requests at least 0.4 s apart, 1.6 s from first to
    # last. The server sees one arrive late when the machine stalls, which shortens one gap by as
    # much but the whole span only by the first arrival's lag: the span is what can be held to.
    # Without the delay all five arrive within a few milliseconds.
    assert times[-1] - times[0] >= 0.8
    brisk_times = sorted(hit.at for hit in site.requests if hit.path.startswith("/brisk/a/"))
    assert len(brisk_times) == 8


@pytest.mark.slow
def test_a_second_crawl_exits_at_once_while_one_runs(tmp_path):
    site = LoopbackSite()
    with site.running():
        articles = [f"/busy/a/{n}" for n in range(1, 41)]
        for path in articles:
            site.add_article(path, f"新聞 {path}")
        # The first crawl waits for this page for as long as the test needs it to run.
        site.fault("/busy/a/1", "hold")
        site.add_feed("/busy/feed.xml", articles)
        registry = tmp_path / "outlets.toml"
        registry.write_text(
            outlet_toml("busy", site.base_url, feeds=["/busy/feed.xml"], concurrency=1), encoding="utf-8"
        )
        database = tmp_path / "archive.db"
        command = [str(SOURCEVAULT), "crawl", "--registry", str(registry), "--db", str(database), *FAST_CRAWL]
        first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            site.wait_for_request("/busy/a/1")
            second = run_sourcevault("crawl", "--registry", str(registry), "--db", str(database))
            assert first.poll() is None, "the first crawl should still be running"
            assert second.returncode == 75
            [line] = second.stderr.strip().splitlines()
            assert line.startswith(
                f"Error: {database}: busy, another sourcevault writes to it (crawl, pid {first.pid}"
            )
            assert line.endswith("; exiting with status 75")
            # Re-extraction rebuilds articles too: it waits for no crawl, it refuses at once.
            reextract = invoke("reextract", "--db", str(database))
            assert reextract.exit_code == 75
            assert "busy, another sourcevault writes to it (crawl, pid" in reextract.output
        finally:
            first.kill()
            first.wait()
        site.release("/busy/a/1")
        # SIGKILL leaves no stale lock: the next crawl runs, and closes the killed run's record.
        crawl(registry, database)
    connection = sqlite3.connect(database)
    assert connection.execute("SELECT status, exit_status FROM crawl_runs ORDER BY id").fetchall() == [
        ("interrupted", None),
        ("finished", 0),
    ]
    assert connection.execute("SELECT count(*) FROM articles").fetchone()[0] == 40
