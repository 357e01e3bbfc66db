"""`sourcevault crawl --worker` as a user runs it (a process of its own) on a real PostgreSQL server:
the bundled snapshot replayed, each outlet's discovery a unit leased, crawled and released; refused
in one line on an SQLite archive. tests/test_worker_reliability.py kills workers mid-crawl."""

from __future__ import annotations

import re

from sqlalchemy import create_engine, text

from crawler.archive.postgres.connection import engine_url
from crawler.cli.crawling import DEMO_SNAPSHOT
from tests.helpers import run_sourcevault

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
