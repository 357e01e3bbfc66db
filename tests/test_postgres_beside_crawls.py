"""Writers beside a crawl on a real PostgreSQL server: while a crawl worker is mid-crawl (one of its
pages held by the loopback site), `import`, `briefing add` and `posts add` / `posts recheck --due`
run to the end, exit 0 and leave every row once; two sessions storing one article at once (the
race a crawl and an import run) leave one article and its versions in order
(crawler/archive/postgres/races.py)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from crawler.archive import Archive
from crawler.research.importing import import_record
from tests.helpers import make_snapshot, run_sourcevault
from tests.loopback import FAST_CRAWL, LoopbackSite
from tests.post_fixtures import answers_for
from tests.test_crawl_workers import archive_rows, daily_site, until, worker_process
from tests.test_posts_fetch import NO_DELAYS, ORDINARY_WEIBO

pytestmark = pytest.mark.slow

HELD = "/daily/a/6"


def records(base_url: str, folder: Path) -> Path:
    """Synthetic JSON lines: a page the crawl also fetches (its text another), and one it does not."""
    path = folder / "records.jsonl"
    lines = [
        {"url": f"{base_url}/daily/a/1", "title": "匯入的第1則新聞", "body": "匯入的內文。" * 20},
        {"url": f"{base_url}/daily/a/8", "title": "只有匯入的新聞", "body": "只有匯入的內文。" * 20},
    ]
    path.write_text(
        "".join(json.dumps({**line, "published_at": "2026-11-01T08:00:00+08:00"}) + "\n" for line in lines),
        encoding="utf-8",
    )
    return path


def briefing(base_url: str, folder: Path) -> Path:
    path = folder / "weekly.txt"
    path.write_text(
        "CHINA WATCH - SYNTHETIC TEST BRIEFING (made by tests/test_postgres_beside_crawls.py)\n\n"
        f"Sources:\n1. Loopback daily, November 2, 2026\n{base_url}/daily/a/2\n"
        f"2. Loopback daily, November 7, 2026\n{base_url}/daily/a/7\n",
        encoding="utf-8",
    )
    return path


def test_import_briefing_and_posts_run_beside_a_crawl_worker_without_waiting_for_it(postgres_url, tmp_path):
    replay = make_snapshot(
        tmp_path / "posts.warc.gz", answers_for(ORDINARY_WEIBO, weibo_status="weibo/show-ordinary.http")
    )
    with LoopbackSite().running() as site:
        # The posts commands read the default registry: its platforms.
        db = ["--db", postgres_url]
        registry = [*daily_site(site, tmp_path, 6), *db]
        options = [*registry, *FAST_CRAWL]
        site.add_article("/daily/a/7", "第7則新聞")
        site.fault(HELD, "hold")
        worker = worker_process(options)
        # Mid-crawl: the outlet's discovery stored, its pages queued, one of them not answered.
        site.wait_for_request(HELD)
        beside = [
            run_sourcevault("import", str(records(site.base_url, tmp_path)), *registry),
            run_sourcevault("briefing", "add", str(briefing(site.base_url, tmp_path)), *options),
            run_sourcevault("posts", "add", ORDINARY_WEIBO, "--replay", str(replay), "-s", NO_DELAYS, *db),
        ]
        due = "UPDATE posts SET next_check_at = '2026-01-01T00:00:00+00:00' RETURNING id"
        assert archive_rows(postgres_url, due) == [(1,)]
        beside.append(
            run_sourcevault("posts", "recheck", "--due", "--replay", str(replay), "-s", NO_DELAYS, *db)
        )
        # None of them waited for the crawl: it is still under way.
        assert worker.poll() is None
        site.release(HELD)
        _, err = worker.communicate(timeout=120)
        hits = {path: len(site.hits(path)) for path in (f"/daily/a/{number}" for number in range(1, 8))}
    assert worker.returncode == 0, err
    for result in beside:
        assert result.returncode == 0, result.stderr
    imported, added, _, rechecked = (result.stdout for result in beside)
    assert imported.startswith(f"imported {tmp_path / 'records.jsonl'}: ") and ", 0 rejected" in imported
    assert "briefing 1 version 1: 2 citations" in added
    assert rechecked.startswith("post 1 weibo:4910815147462302: ok ("), rechecked
    base = site.base_url
    # Every article once, the one both wrote with both texts as two versions.
    urls = archive_rows(postgres_url, "SELECT url FROM articles ORDER BY url")
    assert urls == [(f"{base}/daily/a/{number}",) for number in range(1, 9)]
    assert archive_rows(
        postgres_url,
        "SELECT a.current_version, array_agg(v.version ORDER BY v.version) FROM articles a"
        " JOIN article_versions v ON v.article = a.id WHERE a.url = :page GROUP BY a.id",
        page=f"{base}/daily/a/1",
    ) == [(2, [1, 2])]
    # Every fetch of a page archived once (the held page's first request was closed, then retried).
    captured = dict(
        archive_rows(
            postgres_url,
            "SELECT url, count(*) FROM captures WHERE page_kind = 'article' AND imported_from IS NULL"
            " GROUP BY url",
        )
    )
    assert captured == {f"{base}{path}": count - (path == HELD) for path, count in hits.items() if count}
    assert archive_rows(postgres_url, "SELECT status FROM citations ORDER BY position") == [
        ("archived",),
        ("archived",),
    ]
    assert archive_rows(postgres_url, "SELECT count(*), max(version) FROM post_versions") == [(1, 1)]
    assert archive_rows(postgres_url, "SELECT count(*) FROM post_checks") == [(2,)]
    assert archive_rows(postgres_url, "SELECT count(*) FROM work_leases") == [(0,)]


def waiting_for_a_lock(url: str, holder: int) -> bool:
    blocked = "SELECT count(*) FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))"
    return bool(archive_rows(url, blocked, holder=holder)[0][0])


def record(title: str) -> bytes:
    """A synthetic JSON line of one article, its text `title`'s."""
    line = {
        "url": "https://daily.example/a/1",
        "title": title,
        "body": f"{title}的內文。" * 10,
        "published_at": "2026-11-01T08:00:00+08:00",
    }
    return json.dumps(line, ensure_ascii=False).encode()


@pytest.mark.parametrize("stored_before", [False, True], ids=["new", "stored-before"])
def test_a_store_that_lost_the_race_for_an_article_runs_again_after_the_winner(
    postgres_url, registry, stored_before
):
    """The second store waits for the first one's commit, then adds its version after the first's."""
    first, second = Archive(postgres_url), Archive(postgres_url)
    titles = ["第零版", "甲", "乙"] if stored_before else ["甲", "乙"]
    if stored_before:
        import_record(first, registry, record(titles[0]), "before")
    changes: list[str] = []
    with first.db.atomic():
        (holder,) = first.connection.execute("SELECT pg_backend_pid()").fetchone() or (0,)
        changes.append(import_record(first, registry, record(titles[-2]), "first"))
        racing = threading.Thread(
            target=lambda: changes.append(import_record(second, registry, record(titles[-1]), "second"))
        )
        racing.start()
        until(lambda: waiting_for_a_lock(postgres_url, holder) or not racing.is_alive())
    racing.join(timeout=60)
    assert changes == (["updated", "updated"] if stored_before else ["new", "updated"])
    versions = archive_rows(
        postgres_url,
        "SELECT v.version, v.title, a.current_version FROM article_versions v"
        " JOIN articles a ON a.id = v.article ORDER BY v.version",
    )
    assert versions == [(number, title, len(titles)) for number, title in enumerate(titles, start=1)]
    first.close()
    second.close()
