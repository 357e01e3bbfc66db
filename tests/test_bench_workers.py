"""bench/workers.py's own checks, cheaply: a run's archive must hold every page exactly once (one
article and one article capture each), and `--pages` must spread evenly over the site's 6 outlets.
Its timeline line is checked on synthetic crawls. The benchmark itself (minutes of crawls) is not run
here; its figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from bench.worker_timeline import Crawled, seconds_at_once, timeline
from bench.workers import archived_once
from tests.helpers import ROOT

PAGES = {f"http://127.0.0.1:1/outlet1/a/{number}" for number in range(1, 4)}


def archive(path, articles: list[str], captures: list[str]) -> str:
    """A file with the two tables the check reads (synthetic rows, no crawl)."""
    with sqlite3.connect(path) as database:
        database.execute("CREATE TABLE articles (url TEXT)")
        database.execute("CREATE TABLE captures (url TEXT, page_kind TEXT)")
        database.executemany("INSERT INTO articles VALUES (?)", [(url,) for url in articles])
        database.executemany("INSERT INTO captures VALUES (?, 'article')", [(url,) for url in captures])
    database.close()
    return str(path)


def test_every_page_once_counts_them(tmp_path):
    assert archived_once(archive(tmp_path / "a.db", sorted(PAGES), sorted(PAGES)), PAGES) == 3


@pytest.mark.parametrize(
    ("articles", "captures", "message"),
    [
        (sorted(PAGES)[:2], sorted(PAGES)[:2], "1 pages not archived, 0 archived more than once"),
        ([*sorted(PAGES), min(PAGES)], sorted(PAGES), "0 pages not archived, 1 archived more than once"),
        (sorted(PAGES), [*sorted(PAGES), min(PAGES)], "article captures do not match the articles"),
    ],
)
def test_a_page_missing_or_archived_twice_fails_the_run(tmp_path, articles, captures, message):
    with pytest.raises(SystemExit, match=message):
        archived_once(archive(tmp_path / "a.db", articles, captures), PAGES)


def test_pages_not_spread_evenly_over_the_outlets_is_refused():
    run = subprocess.run(
        [sys.executable, "-m", "bench.workers", "--pages", "1000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "--pages: 1000 is not a positive multiple of 6" in run.stderr
    assert "Traceback" not in run.stderr


def test_timeline_says_start_ups_units_and_waits_after_the_last_unit():
    # Synthetic: worker 1 crawls 2-10 and 10-20, worker 2 3-8, worker 3 none; launched at 0.
    crawled = [Crawled(1, 2, 10), Crawled(1, 10, 20), Crawled(2, 3, 8)]
    assert seconds_at_once(crawled, 0, 25) == {0: 7.0, 1: 13.0, 2: 5.0}
    assert timeline(0, {1: 21, 2: 25, 3: 25}, crawled) == (
        "3 workers' timeline (s, crawl_runs to the second): start-up to first unit 2 3 -; units 2 1 0;"
        " crawling 18 5 0; last unit's end to exit 1 17 25;"
        " crawls at once over 25 s: 2 for 5 s, 1 for 13 s, 0 for 7 s"
    )
