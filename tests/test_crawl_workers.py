"""`sourcevault crawl --worker` as a user runs it (a process of its own) on a real PostgreSQL server:
the bundled snapshot replayed, each outlet's discovery a unit leased, crawled and released; refused
in one line on an SQLite archive. tests/test_worker_reliability.py kills workers mid-crawl."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from crawler.archive.lock import WORKER
from crawler.archive.postgres.connection import PostgresArchive, engine_url
from crawler.archive.postgres.leases import WORK_CHANNEL, Lease, Unit, WorkerLeases, schedule
from crawler.archive.postgres.lock import PostgresWriteLock
from crawler.cli.crawling import DEMO_SNAPSHOT
from tests.helpers import SOURCEVAULT, make_snapshot, run_sourcevault
from tests.loopback import FAST_CRAWL, LoopbackSite, outlet_toml
from tests.post_fixtures import answers_for, made_response, recorded_response
from tests.test_posts_fetch import NO_DELAYS, ORDINARY_WEIBO, ORDINARY_X
from tests.test_work_leases import waiting_for_work

WORKER_LINE = r"[^:]+:\d+:\d{8}T\d{6}Z: "
# A bound on `until`, never waited out when the tests pass: the processes it waits for start up
# first, and a start on a loaded machine has taken over a minute (tests/test_archive_moves.py).
UNTIL_POLLS = 3000


def test_a_worker_crawls_each_outlet_under_its_lease_then_ends_when_none_is_due(postgres_url):
    crawled = run_sourcevault("crawl", "--worker", "-v", "--replay", str(DEMO_SNAPSHOT), "--db", postgres_url)
    assert crawled.returncode == 0, crawled.stderr
    # Scrapy's log names the enabled pipelines: a worker's has no extraction pool (WORKER_EXTRACT_WORKERS).
    assert "pipelines.lease_fence.LeaseFencePipeline" in crawled.stderr
    assert "pipelines.worker_pool.WorkerPoolPipeline" not in crawled.stderr
    lines = crawled.stdout.splitlines()
    assert lines and all(re.fullmatch(rf"{WORKER_LINE}discovery [a-z]+: finished", line) for line in lines)
    engine = create_engine(engine_url(postgres_url))
    with engine.connect() as connection:
        units = connection.execute(text("SELECT subject, due_at - last_finished_at FROM work_units")).all()
        runs = connection.execute(text("SELECT outlets, status FROM crawl_runs ORDER BY id")).all()
        left = connection.execute(
            text("SELECT (SELECT count(*) FROM work_leases), (SELECT count(*) FROM crawl_workers)")
        )
        assert tuple(left.one()) == (0, 0)
        assert connection.execute(text("SELECT count(*) FROM articles")).scalar_one() > 0
    engine.dispose()
    slugs = [line.split()[-2].rstrip(":") for line in lines]
    assert sorted(subject for subject, _ in units) == sorted(slugs)
    assert {str(every) for _, every in units} == {"1:00:00"}
    # One run per unit, of that outlet alone.
    assert runs == [(f'["{slug}"]', "finished") for slug in slugs]
    again = run_sourcevault("crawl", "--worker", "--replay", str(DEMO_SNAPSHOT), "--db", postgres_url)
    assert again.returncode == 0, again.stderr
    assert re.fullmatch(rf"{WORKER_LINE}no unit was due\n", again.stdout)


def waiting_worker(archive: PostgresArchive, url: str) -> tuple[WorkerLeases, subprocess.Popen[str]]:
    """A worker, as systemd runs it (--forever), waiting for the one unit, which another holds; its
    wait bounded at ten minutes (a quarter of its lease): only its wakeup ends it sooner."""
    schedule(archive.engine, [Unit.discovery("cna")])
    holder = WorkerLeases(archive.engine, "other-host:1:20261202T000000Z", 600)
    holder.register()
    assert holder.take() is not None
    options = ["cna", "--forever", "--replay", str(DEMO_SNAPSHOT), "--lease", "2400"]
    worker = worker_process([*options, "-s", "WORKER_WAIT_SECONDS=600", "--db", url])
    until(lambda: worker.poll() is not None or waiting_for_work(archive.engine))
    return holder, worker


def test_a_worker_waiting_for_a_unit_another_holds_stops_at_once_on_sigterm_and_says_so(postgres_url):
    archive = PostgresArchive(postgres_url)
    holder, worker = waiting_worker(archive, postgres_url)
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    assert re.fullmatch(rf"{WORKER_LINE}stopped\n", out)
    # Retired: the other worker alone is left, with its lease.
    assert archive_rows(postgres_url, "SELECT id FROM crawl_workers") == [(holder.worker,)]
    assert archive_rows(postgres_url, "SELECT worker FROM work_leases") == [(holder.worker,)]
    archive.close()


def test_a_worker_whose_run_fails_exits_1_so_systemd_restarts_it(postgres_url):
    archive = PostgresArchive(postgres_url)
    _, worker = waiting_worker(archive, postgres_url)
    # Its next look for work finds no table of units: woken, the run fails.
    with archive.engine.begin() as connection:
        connection.execute(text("ALTER TABLE work_units RENAME TO work_units_gone"))
        connection.execute(text(f"NOTIFY {WORK_CHANNEL}"))
    out, err = worker.communicate(timeout=120)
    assert (worker.returncode, out) == (1, "")
    assert re.search(rf"\nError: {WORKER_LINE}the worker failed \(its log above says why\)\n$", err)
    assert "work_units" in err
    archive.close()


def test_a_worker_wait_of_no_time_is_refused_in_one_line(cli):
    result = cli(
        "crawl", "--worker", "-s", "WORKER_WAIT_SECONDS=0", "--db", "postgresql://nobody@127.0.0.1:1/x"
    )
    assert (result.exit_code, result.output) == (
        1,
        "Error: -s WORKER_WAIT_SECONDS=0: a crawl worker waits for work more than 0 seconds at a time\n",
    )


def test_crawl_worker_on_an_sqlite_archive_says_in_one_line_that_workers_need_postgresql(cli, tmp_path):
    result = cli("crawl", "--worker", "--db", str(tmp_path / "archive.db"))
    assert (result.exit_code, result.output) == (
        1,
        "Error: sourcevault crawl --worker: crawl workers need a PostgreSQL archive (--db postgresql://…);"
        f" {tmp_path / 'archive.db'} is an SQLite file\n",
    )


@pytest.mark.slow
def test_a_worker_whose_lease_was_taken_over_stores_nothing_more_and_leaves_the_unit(postgres_url, tmp_path):
    with LoopbackSite().running() as site:
        site.add_article("/daily/a/1", "第1則新聞")
        site.add_article("/daily/a/2", "第2則新聞")
        # Under way when the lease is taken over: held until the test releases it.
        site.fault("/daily/a/2", "hold")
        base_url = site.base_url
        site.add_feed("/daily/feed.xml", ["/daily/a/1", "/daily/a/2"])
        registry = tmp_path / "outlets.toml"
        registry.write_text(outlet_toml("daily", site.base_url, feeds=["/daily/feed.xml"]), encoding="utf-8")
        options = [*FAST_CRAWL, "--registry", str(registry), "--db", postgres_url]
        worker = worker_process(options)
        site.wait_for_request("/daily/a/2")
        archive = PostgresArchive(postgres_url)
        thief, unit = take_over_daily(archive)
        site.release("/daily/a/2")
        # The worker waits for the unit the other holds; the other finishes it.
        until(lambda: worker.poll() is not None or "lease_lost" in crawl_status(archive))
        assert thief.finish(Lease(unit, Unit.discovery("daily"), datetime.now(UTC)), again_in=3600)
        out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    assert re.fullmatch(rf"{WORKER_LINE}discovery daily: lease_lost\n", out)
    with archive.engine.connect() as connection:
        stored = (
            connection.execute(text("SELECT url FROM captures WHERE page_kind = 'article'")).scalars().all()
        )
        waiting = connection.execute(text("SELECT url, state FROM article_fetch_queue")).all()
    # Fetched, but not stored: the page waits in the queue for the worker that holds the outlet.
    assert f"{base_url}/daily/a/2" not in stored
    assert (f"{base_url}/daily/a/2", "waiting") in waiting
    archive.close()


@pytest.mark.slow
def test_a_lease_taken_over_while_a_capture_is_stored_rolls_the_capture_back(postgres_url, tmp_path):
    with LoopbackSite().running() as site:
        # A short lease: the worker, waiting for the unit another took, asks again every 2 s.
        options = [*daily_site(site, tmp_path, 2), *FAST_CRAWL, "--lease", "8", "--db", postgres_url]
        page = f"{site.base_url}/daily/a/2"
        site.fault("/daily/a/2", "hold")
        worker = worker_process(options)
        site.wait_for_request("/daily/a/2")
        archive = PostgresArchive(postgres_url)
        # The page's queue entry held here: its store waits, the fence's early check passed, uncommitted.
        with archive.engine.connect() as holding:
            holder = holding.execute(text("SELECT pg_backend_pid()")).scalar_one()
            holding.execute(
                text("SELECT 1 FROM article_fetch_queue WHERE url = :url FOR UPDATE"), {"url": page}
            )
            site.release("/daily/a/2")
            waiting = text("SELECT count(*) FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))")
            until(
                lambda: (
                    worker.poll() is not None or archive_rows(postgres_url, waiting.text, holder=holder)[0][0]
                )
            )
            thief, unit = take_over_daily(archive)
            holding.rollback()
        # The worker's crawl ends (how, asserted below); then the other worker finishes the unit.
        until(lambda: worker.poll() is not None or crawl_status(archive).strip())
        assert thief.finish(Lease(unit, Unit.discovery("daily"), datetime.now(UTC)), again_in=3600)
        out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    assert re.fullmatch(rf"{WORKER_LINE}discovery daily: lease_lost\n", out)
    assert "daily/a/2: not stored, the lease on its outlet was lost to another worker" in err
    stored = archive_rows(postgres_url, "SELECT url FROM captures WHERE url = :page", page=page)
    assert stored == []
    assert archive_rows(
        postgres_url, "SELECT state FROM article_fetch_queue WHERE url = :page", page=page
    ) == [("waiting",)]
    archive.close()


def worker_process(options: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(SOURCEVAULT), "crawl", "--worker", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def take_over_daily(archive: PostgresArchive) -> tuple[WorkerLeases, int]:
    """As another worker does once the lease on `daily` has expired (its worker stalled past it):
    that worker, and the unit it now holds, for ten minutes."""
    thief = WorkerLeases(archive.engine, "other-host:1:20261202T000000Z", 600)
    thief.register()
    with archive.engine.begin() as connection:
        (unit,) = connection.execute(
            text(
                "UPDATE work_leases SET worker = :thief, leased_until = now() + interval '10 minutes'"
                " WHERE holds = 'daily' RETURNING unit"
            ),
            {"thief": thief.worker},
        ).one()
    return thief, unit


def until(condition: Callable[[], object]) -> None:
    """Wait for the condition, seen at most every 0.1 s, five minutes at most."""
    for _ in range(UNTIL_POLLS):
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"waited {UNTIL_POLLS // 10} s in vain")


def crawl_status(archive: PostgresArchive) -> str:
    with archive.engine.connect() as connection:
        return " ".join(
            connection.execute(text("SELECT coalesce(finish_reason, '') FROM crawl_runs")).scalars()
        )


def test_worker_options_without_worker_are_refused_in_one_line(cli, tmp_path):
    result = cli("crawl", "--forever", "--lease", "30", "--db", str(tmp_path / "archive.db"))
    assert (result.exit_code, result.output) == (1, "Error: --forever, --lease: only with --worker\n")


def test_workers_and_a_single_crawl_keep_each_other_out_exit_75(postgres_url):
    PostgresArchive(postgres_url).close()
    single = PostgresWriteLock(postgres_url)
    single.acquire("crawl")
    try:
        refused = run_sourcevault("crawl", "--worker", "--replay", str(DEMO_SNAPSHOT), "--db", postgres_url)
    finally:
        single.release()
    assert refused.returncode == 75, refused.stderr
    assert "busy, another sourcevault writes to it (crawl, pid " in refused.stderr
    worker = PostgresWriteLock(postgres_url, WORKER)
    worker.acquire("crawl worker")
    try:
        refused = run_sourcevault("crawl", "--replay", str(DEMO_SNAPSHOT), "--db", postgres_url)
    finally:
        worker.release()
    assert refused.returncode == 75, refused.stderr
    assert "busy, another sourcevault writes to it (crawl worker, pid " in refused.stderr


def archive_rows(url: str, sql: str, **parameters: object) -> list[tuple]:
    engine = create_engine(engine_url(url))
    try:
        with engine.begin() as connection:
            return [tuple(row) for row in connection.execute(text(sql), parameters)]
    finally:
        engine.dispose()


def daily_site(site: LoopbackSite, tmp_path, pages: int) -> list[str]:
    """Outlet `daily` on the loopback site, `pages` articles in its feed: the worker's options."""
    paths = [f"/daily/a/{number}" for number in range(1, pages + 1)]
    for number, path in enumerate(paths, start=1):
        site.add_article(path, f"第{number}則新聞")
    site.add_feed("/daily/feed.xml", paths)
    registry = tmp_path / "outlets.toml"
    registry.write_text(outlet_toml("daily", site.base_url, feeds=["/daily/feed.xml"]), encoding="utf-8")
    return ["--registry", str(registry)]


def test_a_worker_fetches_a_briefings_pages_holding_their_outlet_then_only_due_revisits_in_batches(
    postgres_url, tmp_path
):
    with LoopbackSite().running() as site:
        options = [*daily_site(site, tmp_path, 4), *FAST_CRAWL, "--db", postgres_url]
        briefing = tmp_path / "weekly.txt"
        briefing.write_text(
            "CHINA WATCH - SYNTHETIC TEST BRIEFING (made by tests/test_crawl_workers.py)\n\nTwo reports\n\n"
            f"Sources:\n1. Loopback daily, November 1, 2026\n{site.base_url}/daily/a/1\n"
            f"2. Loopback daily, November 2, 2026\n{site.base_url}/daily/a/2\n",
            encoding="utf-8",
        )
        # Added while a worker holds the archive's locks, as crawl workers do.
        worker_lock = PostgresWriteLock(postgres_url, WORKER)
        PostgresArchive(postgres_url).close()
        worker_lock.acquire("crawl worker")
        try:
            added = run_sourcevault("briefing", "add", str(briefing), "--to-workers", *options)
        finally:
            worker_lock.release()
        assert added.returncode == 0, added.stderr
        assert site.hits("/daily/a/1") == []
        # As docs/postgresql.md shows it.
        assert added.stdout == (
            "2 cited pages left to the crawl workers (unit citations 1, holding briefing:1, daily)\n"
            "briefing 1 version 1: 2 citations (sourcevault briefing report 1)\npending: 2\n"
        )
        crawled = run_sourcevault("crawl", "--worker", *options)
        assert crawled.returncode == 0, crawled.stderr
        units = sorted(line.split(": ", 1)[1] for line in crawled.stdout.splitlines())
        assert units == ["citations 1: finished", "discovery daily: finished"]
        statuses = archive_rows(postgres_url, "SELECT status FROM citations ORDER BY position")
        assert statuses == [("archived",), ("archived",)]

        due = [f"{site.base_url}/daily/a/2", f"{site.base_url}/daily/a/4"]
        archive_rows(
            postgres_url,
            "UPDATE articles SET revisit_due_at = '2026-01-01T00:00:00+00:00' WHERE url = ANY(:due)"
            " RETURNING url",
            due=due,
        )
        paths = ("/daily/feed.xml", *(f"/daily/a/{number}" for number in range(1, 5)))
        before = {path: len(site.hits(path)) for path in paths}
        # One revisit a unit: the outlet's two due revisits are two units, one after the other. An
        # extraction pool asked for on the command line is the worker's (Scrapy's log names it, -v).
        pooled = ("-s", "EXTRACT_WORKERS=1", "-v")
        again = run_sourcevault("crawl", "--worker", *options, "-s", "WORKER_REVISITS_PER_UNIT=1", *pooled)
        after = {path: len(site.hits(path)) for path in paths}
    assert again.returncode == 0, again.stderr
    assert "pipelines.worker_pool.WorkerPoolPipeline" in again.stderr
    assert re.fullmatch(rf"({WORKER_LINE}revisits daily: finished\n){{2}}", again.stdout), again.stdout
    fetched = {path: after[path] - before[path] for path in paths}
    assert fetched == {path: int(path in ("/daily/a/2", "/daily/a/4")) for path in paths}
    revisited = archive_rows(postgres_url, "SELECT url FROM captures WHERE revisit = 1 ORDER BY url")
    assert revisited == [(url,) for url in due]
    assert archive_rows(postgres_url, "SELECT kind, subject FROM work_units") == [("discovery", "daily")]
    still_due = "SELECT count(*) FROM articles WHERE revisit_due_at <= :now"
    assert archive_rows(postgres_url, still_due, now=datetime.now(UTC).isoformat()) == [(0,)]


def test_briefing_to_workers_on_an_sqlite_archive_says_in_one_line_that_workers_need_postgresql(
    cli, tmp_path
):
    briefing = tmp_path / "weekly.txt"
    briefing.write_text("週報 https://udn.com/news/story/1/2\n", encoding="utf-8")
    result = cli("briefing", "add", str(briefing), "--to-workers", "--db", str(tmp_path / "archive.db"))
    assert (result.exit_code, result.output) == (
        1,
        "Error: sourcevault briefing add --to-workers: crawl workers need a PostgreSQL archive"
        f" (--db postgresql://…); {tmp_path / 'archive.db'} is an SQLite file\n",
    )


def test_a_worker_checks_a_platforms_due_posts_as_posts_recheck_does_then_ends(postgres_url, tmp_path):
    first = make_snapshot(
        tmp_path / "first.warc.gz",
        [
            *answers_for(ORDINARY_WEIBO, weibo_status="weibo/show-ordinary.http"),
            *answers_for(
                ORDINARY_X, x_syndication="x/syndication-ordinary.http", x_oembed="x/oembed-ordinary.http"
            ),
        ],
    )
    options = ["--db", postgres_url, "-s", NO_DELAYS]
    added = run_sourcevault("posts", "add", ORDINARY_WEIBO, ORDINARY_X, "--replay", str(first), *options)
    assert added.returncode == 0, added.stderr
    # The Weibo post falls due for its next check; the X post is not due (its first hourly check is).
    archive_rows(
        postgres_url,
        "UPDATE posts SET next_check_at = '2026-01-01T00:00:00+00:00' WHERE platform = 'weibo' RETURNING id",
    )
    ordinary = recorded_response("weibo/show-ordinary.http")
    edited = made_response(
        200, ordinary.body.replace("介绍近期外事安排".encode(), "介绍下周外事安排".encode()), ordinary.headers
    )
    snapshot = make_snapshot(tmp_path / "edited.warc.gz", answers_for(ORDINARY_WEIBO, weibo_status=edited))
    # One outlet's discovery (not in the snapshot: it fails, and the unit is done) beside the posts.
    crawled = run_sourcevault("crawl", "--worker", "cna", "--replay", str(snapshot), *options)
    assert crawled.returncode == 0, crawled.stderr
    units = sorted(line.split(": ", 1)[1] for line in crawled.stdout.splitlines())
    assert units == ["discovery cna: finished", "posts weibo: finished"]
    checks = archive_rows(
        postgres_url,
        "SELECT p.platform, count(*) FROM post_checks c JOIN posts p ON p.id = c.post GROUP BY 1 ORDER BY 1",
    )
    assert checks == [("weibo", 2), ("x", 1)]
    versions = archive_rows(
        postgres_url,
        "SELECT count(*) FROM post_versions v JOIN posts p ON p.id = v.post WHERE p.platform = 'weibo'",
    )
    assert versions == [(2,)]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    assert archive_rows(postgres_url, "SELECT count(*) FROM posts WHERE next_check_at <= :now", now=now) == [
        (0,)
    ]
    assert archive_rows(postgres_url, "SELECT kind FROM work_units ORDER BY kind") == [("discovery",)]
    assert archive_rows(postgres_url, "SELECT count(*) FROM work_leases") == [(0,)]
