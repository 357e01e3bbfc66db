"""Crawl runs whose process ended without closing them, on a real PostgreSQL server: the run's
holder, a session lock of its process's (crawler/archive/postgres/run_holders.py), goes with the
session, so the next run that starts closes it, whatever starts it and whatever the lost process
was (a single crawl of two outlets, a `briefing add` beside a crawl worker, killed with SIGKILL),
while a live session's run stays open; `report` shows the lost run interrupted at once."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from crawler.archive import Archive
from crawler.archive.postgres.run_holders import HELD_RUNS
from tests.helpers import SOURCEVAULT
from tests.loopback import FAST_CRAWL, LoopbackSite, outlets_site
from tests.test_crawl_workers import archive_rows, until, worker_process

CLOSED = r"its process ended without closing the run \(found at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\)"
# The advisory locks of the test's database (the server's others are other tests').
ADVISORY_LOCKS = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def runs(url: str) -> list[tuple]:
    """Each run: id, status, outlets, whether a worker's, finish reason."""
    return archive_rows(
        url, "SELECT id, status, outlets, crawl_worker IS NOT NULL, finish_reason FROM crawl_runs ORDER BY id"
    )


def held(url: str) -> list[int]:
    """The runs a session still holds."""
    return sorted(run for (run,) in archive_rows(url, HELD_RUNS))


def test_a_run_is_closed_by_the_next_start_once_the_session_that_started_it_ended(postgres_url):
    lost, live = Archive(postgres_url), Archive(postgres_url)
    citations = lost.runs.start([], None, beside=True)
    two_outlets = lost.runs.start(["cna", "udn"], None)
    worker_run = live.runs.start(["ltn"], None, crawl_worker="host:1:20261202T000000Z")
    # Neither a worker's run nor one beside crawls closes a run whose session goes on.
    assert live.runs.start([], None, beside=True) == worker_run + 1
    assert [run[1] for run in runs(postgres_url)] == ["running"] * 4
    assert held(postgres_url) == [citations, two_outlets, worker_run, worker_run + 1]
    lost.close()
    # The server lets go of a closed session's locks as its process exits.
    until(lambda: held(postgres_url) == [worker_run, worker_run + 1])
    assert (live.runs.is_held(two_outlets), live.runs.is_held(worker_run)) == (False, True)
    live.runs.start([], None, beside=True)
    statuses = [(run[0], run[1]) for run in runs(postgres_url)]
    assert statuses == [
        (1, "interrupted"),
        (2, "interrupted"),
        (3, "running"),
        (4, "running"),
        (5, "running"),
    ]
    assert all(re.fullmatch(CLOSED, run[4]) for run in runs(postgres_url)[:2])
    live.runs.finish(worker_run, "finished", "finished", 0)
    assert worker_run not in held(postgres_url)
    live.close()


def briefing(base_url: str, folder: Path, page: str) -> Path:
    path = folder / "weekly.txt"
    path.write_text(
        "CHINA WATCH - SYNTHETIC TEST BRIEFING (made by tests/test_postgres_run_holders.py)\n\n"
        f"Sources:\n1. Loopback daily, November 9, 2026\n{base_url}{page}\n",
        encoding="utf-8",
    )
    return path


def killed(args: list[str], site: LoopbackSite, held_page: str) -> None:
    """`sourcevault ARGS` killed with SIGKILL mid-run: while the site holds its request for `held_page`."""
    process = subprocess.Popen([str(SOURCEVAULT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    site.wait_for_request(held_page)
    process.kill()
    process.communicate(timeout=60)


def reported_status(cli, url: str, run: int) -> str:
    return json.loads(cli("report", "--run", str(run), "--json", "--db", url).output)["run"]["status"]


@pytest.mark.slow
def test_killed_crawl_and_briefing_runs_are_closed_by_the_next_start_beside_a_live_workers(
    cli, postgres_url, tmp_path
):
    with LoopbackSite().running() as site:
        registry = tmp_path / "outlets.toml"
        registry.write_text(outlets_site(site, ["daily", "weekly", "extra"], 2), encoding="utf-8")
        options = ["--registry", str(registry), *FAST_CRAWL, "--db", postgres_url]
        site.add_article("/daily/a/9", "被引用的新聞")
        for page in ("/daily/a/2", "/extra/a/2", "/daily/a/9"):
            site.fault(page, "hold")
        killed(["crawl", "daily", "weekly", *options], site, "/daily/a/2")
        # Its sessions ended (the crawls' lock with them: a worker would exit 75 before).
        until(lambda: archive_rows(postgres_url, ADVISORY_LOCKS) == [(0,)])
        worker = worker_process(["extra", *options])
        site.wait_for_request("/extra/a/2")
        # The worker's run, of another outlet, closed it.
        single, worker_run = runs(postgres_url)
        assert single[:4] == (1, "interrupted", '["daily", "weekly"]', False)
        assert re.fullmatch(CLOSED, single[4])
        assert worker_run == (2, "running", '["extra"]', True, None)
        killed(
            ["briefing", "add", str(briefing(site.base_url, tmp_path, "/daily/a/9")), *options],
            site,
            "/daily/a/9",
        )
        until(lambda: held(postgres_url) == [2])
        assert (reported_status(cli, postgres_url, 2), reported_status(cli, postgres_url, 3)) == (
            "running",
            "interrupted",
        )
        # The next run, as one beside crawls starts it (a briefing's citations).
        with Archive(postgres_url) as archive:
            archive.runs.finish(archive.runs.start([], None, beside=True), "finished", "finished", 0)
        _, worker_run, citations, next_run = runs(postgres_url)
        assert worker_run == (2, "running", '["extra"]', True, None)
        assert citations[:4] == (3, "interrupted", "[]", False)
        assert re.fullmatch(CLOSED, citations[4])
        assert next_run[:2] == (4, "finished")
        assert worker.poll() is None
        site.release("/extra/a/2")
        _, err = worker.communicate(timeout=120)
        for page in ("/daily/a/2", "/daily/a/9"):
            site.release(page)
    assert worker.returncode == 0, err
    assert [run[1] for run in runs(postgres_url)] == ["interrupted", "finished", "interrupted", "finished"]
    assert held(postgres_url) == []
