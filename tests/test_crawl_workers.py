"""`sourcevault crawl --worker` as a user runs it (a process of its own) on a real PostgreSQL server:
the bundled snapshot replayed, each outlet's discovery a unit leased, crawled and released; refused
in one line on an SQLite archive. tests/test_worker_reliability.py kills workers mid-crawl."""

from __future__ import annotations

import re
import subprocess
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from crawler.archive.postgres.connection import PostgresArchive, engine_url
from crawler.archive.postgres.leases import Lease, Unit, WorkerLeases
from crawler.archive.postgres.lock import PostgresWriteLock
from crawler.cli.crawling import DEMO_SNAPSHOT
from tests.helpers import SOURCEVAULT, run_sourcevault
from tests.loopback import FAST_CRAWL, LoopbackSite, outlet_toml

WORKER_LINE = r"[^:]+:\d+:\d{8}T\d{6}Z: "


def test_a_worker_crawls_each_outlet_under_its_lease_then_ends_when_none_is_due(postgres_url):
    crawled = run_sourcevault("crawl", "--worker", "--replay", str(DEMO_SNAPSHOT), "--db", postgres_url)
    assert crawled.returncode == 0, crawled.stderr
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
        worker = subprocess.Popen(
            [str(SOURCEVAULT), "crawl", "--worker", *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        site.wait_for_request("/daily/a/2")
        archive = PostgresArchive(postgres_url)
        # As another worker does once the lease has expired (the worker stalled past it).
        thief = WorkerLeases(archive.engine, "other-host:1:20261202T000000Z", 600)
        thief.register()
        with archive.engine.begin() as connection:
            (unit,) = connection.execute(
                text("UPDATE work_leases SET worker = :thief WHERE holds = 'daily' RETURNING unit"),
                {"thief": thief.worker},
            ).one()
        site.release("/daily/a/2")
        # The worker waits for the unit the other holds; the other finishes it.
        for _ in range(600):
            if worker.poll() is not None or "lease_lost" in crawl_status(archive):
                break
            time.sleep(0.1)
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
    worker = PostgresWriteLock(postgres_url, shared=True)
    worker.acquire("crawl worker")
    try:
        refused = run_sourcevault("crawl", "--replay", str(DEMO_SNAPSHOT), "--db", postgres_url)
    finally:
        worker.release()
    assert refused.returncode == 75, refused.stderr
    assert "busy, another sourcevault writes to it (crawl worker, pid " in refused.stderr
