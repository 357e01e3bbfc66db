"""Crawl workers' leases on a real PostgreSQL server (crawler/archive/postgres/leases.py): one worker
per outlet at a time, expired leases taken over, renewals and releases; several worker processes
contending, and one killed with SIGKILL while it holds a lease. Tests wait on the database's state,
polling it a bounded number of times."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine, create_engine, text

from crawler.archive import Archive
from crawler.archive.postgres.connection import PostgresArchive, engine_url
from crawler.archive.postgres.leases import (
    Unit,
    WorkerLeases,
    due_count,
    holds_lease,
    holds_lease_until_commit,
    listing,
    schedule,
)
from crawler.archive.postgres.wakeup import Wakeup
from crawler.cli.workers import listing_lines
from crawler.items import Capture
from pipelines.lease_fence import LeaseFencePipeline
from tests.helpers import ROOT

OUTLETS = ("cna", "udn", "ltn", "sina", "huanqiu", "hket")
POLL_SECONDS = 0.05
POLLS = 1200
# Long enough that no lease of the tests in one process expires while they run.
LONG_LEASE = 600.0


@pytest.fixture
def engine(postgres_url) -> Iterator[Engine]:
    archive = PostgresArchive(postgres_url)
    yield archive.engine
    archive.close()


def worker(engine: Engine, pid: int, seconds: float = LONG_LEASE) -> WorkerLeases:
    leases = WorkerLeases(engine, f"test-host:{pid}:20261202T000000Z", seconds)
    leases.register()
    return leases


def scalar(engine: Engine, sql: str, **parameters: object):
    with engine.connect() as connection:
        return connection.execute(text(sql), parameters).scalar_one()


def listed(engine: Engine) -> dict:
    with engine.connect() as connection:
        return listing(connection)


def wait_for(condition, what: str) -> None:
    for _ in range(POLLS):
        if condition():
            return
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"waited {POLLS * POLL_SECONDS:.0f} s in vain for {what}")


def test_an_outlet_is_leased_to_one_worker_whichever_of_its_units_is_due(engine):
    schedule(engine, [Unit.discovery("cna"), Unit.revisits("cna"), Unit.discovery("udn")])
    first, second = worker(engine, 1), worker(engine, 2)
    taken = first.take()
    assert taken is not None and taken.unit == Unit.discovery("cna")
    # cna's revisits are due before udn's discovery, but cna is first's.
    assert second.take().unit == Unit.discovery("udn")
    assert second.take() is None
    assert first.finish(taken, again_in=3600)
    assert second.take().unit == Unit.revisits("cna")
    assert due_count(engine) == 2  # leased units are due until finished
    assert first.take() is None


def test_a_briefings_citations_take_every_outlet_they_hold_together_or_wait(engine):
    citations = Unit.citations(4, ["udn", "cna", "udn"])
    assert citations.holds == ("briefing:4", "cna", "udn")
    schedule(engine, [Unit.discovery("cna"), citations, Unit.discovery("ltn")])
    crawling, other = worker(engine, 1), worker(engine, 2)
    discovery = crawling.take()
    # cna is crawling's: the citations wait, and take no lease on udn meanwhile.
    assert other.take().unit == Unit.discovery("ltn")
    assert scalar(engine, "SELECT count(*) FROM work_leases WHERE holds = 'udn'") == 0
    assert other.take() is None
    assert crawling.finish(discovery, again_in=3600)
    fetching = other.take()
    assert fetching.unit == citations
    assert scalar(
        engine,
        "SELECT array_agg(holds ORDER BY holds) FROM work_leases WHERE unit = :unit",
        unit=fetching.unit_id,
    ) == ["briefing:4", "cna", "udn"]
    assert crawling.take() is None  # nor does a unit of cna's or udn's run meanwhile
    (leased,) = [held for held in listed(engine)["workers"][1]["leases"] if held["kind"] == "citations"]
    assert leased["holds"] == ["briefing:4", "cna", "udn"]
    shown = listing_lines(listed(engine))
    assert f"  citations 4 (unit {fetching.unit_id}, holding briefing:4, cna, udn): until " in "\n".join(
        shown
    )
    assert other.finish(fetching, again_in=None)
    assert scalar(engine, "SELECT count(*) FROM work_leases") == 1


def test_a_worker_that_lost_one_outlet_of_its_citations_lets_the_others_go_and_cannot_finish(engine):
    schedule(engine, [Unit.citations(5, ["cna", "udn"]), Unit.discovery("cna")])
    slow, other = worker(engine, 11, seconds=0.05), worker(engine, 12)
    lease = slow.take()
    assert lease.unit.kind == "citations"
    wait_for(lambda: scalar(engine, "SELECT bool_and(leased_until < now()) FROM work_leases"), "expiry")
    with engine.begin() as connection:  # so that other takes cna's discovery, not the citations again
        connection.execute(text("UPDATE work_units SET due_at = now() + interval '1 hour' WHERE id = 1"))
    assert other.take().unit == Unit.discovery("cna")
    slow.seconds = LONG_LEASE
    # Still renewing udn and the briefing, but no longer holding the unit: its crawl stops.
    assert slow.renew() == set()
    with engine.connect() as connection:
        assert not holds_lease(connection, slow.worker, lease.unit_id)
    assert not slow.finish(lease, again_in=None)
    assert scalar(engine, "SELECT count(*) FROM work_leases WHERE worker = :w", w=slow.worker) == 0
    assert due_count(engine) == 1


def test_a_worker_skips_a_unit_another_is_taking_at_this_moment_rather_than_wait(engine, postgres_url):
    schedule(engine, [Unit.discovery("cna"), Unit.discovery("udn")])
    # A worker whose statements fail after 5 s waiting for a lock, instead of hanging the test.
    impatient = create_engine(engine_url(postgres_url), connect_args={"options": "-c lock_timeout=5000"})
    leases = WorkerLeases(impatient, "test-host:41:20261202T000000Z", LONG_LEASE)
    leases.register()
    with engine.connect() as taking:
        taking.execute(text("SELECT id FROM work_units WHERE subject = 'cna' FOR UPDATE"))
        assert leases.take().unit == Unit.discovery("udn")
        assert leases.take() is None
    assert leases.take().unit == Unit.discovery("cna")
    impatient.dispose()


def test_a_unit_finished_is_due_again_later_or_never_and_scheduling_it_again_keeps_its_time(engine):
    briefing = Unit.citations(7)
    schedule(engine, [Unit.discovery("cna"), briefing])
    leases = worker(engine, 1)
    discovery, citations = leases.take(), leases.take()
    assert (discovery.unit, citations.unit) == (Unit.discovery("cna"), briefing)
    assert citations.unit.holds == ("briefing:7",)
    assert leases.finish(discovery, again_in=3600) and leases.finish(citations, again_in=None)
    schedule(engine, [Unit.discovery("cna"), Unit.discovery("udn")])
    assert due_count(engine) == 1 and leases.take().unit == Unit.discovery("udn")
    assert scalar(engine, "SELECT count(*) FROM work_units WHERE kind = 'citations'") == 0
    later = scalar(engine, "SELECT due_at - last_finished_at FROM work_units WHERE subject = 'cna'")
    assert later == timedelta(hours=1)


def test_an_expired_lease_is_taken_by_another_worker_and_the_first_cannot_finish_it(engine):
    schedule(engine, [Unit.discovery("cna")])
    slow, other = worker(engine, 11, seconds=0.05), worker(engine, 12)
    lease = slow.take()
    wait_for(lambda: scalar(engine, "SELECT bool_and(leased_until < now()) FROM work_leases"), "expiry")
    taken_over = other.take()
    assert taken_over is not None and taken_over.unit_id == lease.unit_id
    assert slow.renew() == set()
    assert not slow.finish(lease, again_in=3600) and not slow.give_back(lease)
    assert other.renew() == {lease.unit_id}
    assert scalar(engine, "SELECT worker FROM work_leases") == other.worker


def test_leases_checked_in_a_transaction_are_kept_from_a_takeover_until_it_commits(engine):
    schedule(engine, [Unit.citations(9, ["cna", "udn"])])
    slow, other = worker(engine, 11, seconds=0.05), worker(engine, 12)
    lease = slow.take()
    wait_for(lambda: scalar(engine, "SELECT bool_and(leased_until < now()) FROM work_leases"), "expiry")
    with ThreadPoolExecutor(1) as pool, engine.connect() as storing:
        storing_pid = storing.execute(text("SELECT pg_backend_pid()")).scalar_one()
        # As a capture's transaction checks them before its commit: expired, but nobody took them yet.
        assert holds_lease_until_commit(storing, slow.worker, lease.unit_id)
        taking = pool.submit(other.take)
        blocked = "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
        wait_for(lambda: taking.done() or scalar(engine, blocked, pid=storing_pid), "the takeover to wait")
        assert not taking.done()
        storing.commit()
        assert taking.result(timeout=60).unit_id == lease.unit_id
    with engine.connect() as storing:
        assert not holds_lease_until_commit(storing, slow.worker, lease.unit_id)


def test_a_renewed_lease_is_kept_and_one_given_back_is_due_for_the_next_worker(engine):
    schedule(engine, [Unit.discovery("cna")])
    slow, other = worker(engine, 11, seconds=0.05), worker(engine, 12)
    lease = slow.take()
    wait_for(lambda: scalar(engine, "SELECT bool_and(leased_until < now()) FROM work_leases"), "expiry")
    # Expired, but nobody took it: the worker still at it keeps it by renewing.
    slow.seconds = LONG_LEASE
    assert slow.renew() == {lease.unit_id}
    assert other.take() is None
    assert slow.give_back(lease)
    assert other.take().unit_id == lease.unit_id


def waiting_for_work(engine: Engine) -> int:
    """Sessions of workers waiting for work: they have looked (a unit due, leased) and listen, their
    last statement that look."""
    return scalar(
        engine,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle'"
        " AND query LIKE '%FILTER (WHERE NOT EXISTS%'",
    )


def test_a_worker_waiting_for_work_is_woken_by_a_release_not_by_its_timeout(engine):
    schedule(engine, [Unit.discovery("cna")])
    holder, waiter = worker(engine, 13), worker(engine, 14)
    lease = holder.take()
    with ThreadPoolExecutor(1) as pool:
        # Woken, it returns at once; by its timeout (a failure) a minute and a half later.
        waiting = pool.submit(waiter.wait_for_work, 90, until_none_due=True)
        wait_for(lambda: waiting_for_work(engine), "the waiter's look")
        assert not waiting.done()
        assert holder.finish(lease, again_in=3600)
        waiting.result(timeout=45)
    # Nothing due and nothing free: a worker that ends when none is due does not wait at all.
    waiter.wait_for_work(LONG_LEASE, until_none_due=True)


def test_a_worker_waiting_for_work_returns_once_its_wakeup_is_set_by_another_thread(engine):
    schedule(engine, [Unit.discovery("cna")])
    holder, waiter = worker(engine, 15), worker(engine, 16)
    assert holder.take() is not None
    wakeup = Wakeup()
    with ThreadPoolExecutor(1) as pool:
        # Woken, it returns at once; by its timeout (a failure) ten minutes later.
        waiting = pool.submit(waiter.wait_for_work, LONG_LEASE, until_none_due=True, wakeup=wakeup)
        wait_for(lambda: waiting_for_work(engine), "the waiter's look")
        assert not waiting.done()
        wakeup.set()
        waiting.result(timeout=45)
        # Set for good: the next wait does not wait.
        waiter.wait_for_work(LONG_LEASE, until_none_due=True, wakeup=wakeup)
    wakeup.close()


def test_a_worker_retired_releases_its_leases_and_workers_silent_a_day_are_forgotten(engine):
    schedule(engine, [Unit.discovery("cna")])
    gone = worker(engine, 21)
    worker(engine, 22)
    gone.take()
    gone.retire()
    assert scalar(engine, "SELECT count(*) FROM work_leases") == 0
    with engine.begin() as connection:
        connection.execute(text("UPDATE crawl_workers SET heartbeat_at = now() - interval '25 hours'"))
    worker(engine, 23)
    assert [row["id"] for row in listed(engine)["workers"]] == ["test-host:23:20261202T000000Z"]


def lease_worker(mode: str, url: str, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.lease_worker", mode, url, str(seconds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished_units(workers: list[subprocess.Popen[str]]) -> list[dict]:
    lines = []
    for process in workers:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        lines += [json.loads(line) for line in out.splitlines()]
    return lines


def assert_one_worker_per_holding_at_a_time(units: list[dict]) -> None:
    by_holding: dict[str, list[tuple[datetime, datetime]]] = {}
    for unit in units:
        span = (datetime.fromisoformat(unit["taken"]), datetime.fromisoformat(unit["finishing"]))
        for holding in unit["holds"]:
            by_holding.setdefault(holding, []).append(span)
    for holds, spans in by_holding.items():
        spans.sort()
        for (_, end), (start, _) in pairwise(spans):
            assert end < start, f"{holds} held by two workers at once"


def contended_units() -> list[Unit]:
    # Each briefing's citations come from two outlets, shared with discovery, revisits and other briefings.
    return [
        *(Unit.discovery(outlet) for outlet in OUTLETS),
        *(Unit.revisits(outlet) for outlet in OUTLETS),
        *(
            Unit.citations(briefing, (OUTLETS[briefing % 6], OUTLETS[(briefing + 1) % 6]))
            for briefing in range(1, 7)
        ),
    ]


def test_four_worker_processes_take_every_unit_once_and_never_share_an_outlet(engine, postgres_url):
    units = contended_units()
    schedule(engine, units)
    # Each holds its first unit until another worker holds one: shared, however late the others start.
    workers = [lease_worker("share", postgres_url, 30) for _ in range(4)]
    done = finished_units(workers)
    assert sorted(unit["unit"] for unit in done) == list(range(1, len(units) + 1))
    assert len({unit["worker"] for unit in done}) > 1
    assert_one_worker_per_holding_at_a_time(done)
    assert scalar(engine, "SELECT count(*) FROM work_units") == 0
    assert scalar(engine, "SELECT count(*) FROM work_leases") == 0
    assert listed(engine)["workers"] == []


@pytest.mark.parametrize(
    "first", [Unit.discovery("cna"), Unit.citations(9, ["cna", "ltn"])], ids=["discovery", "citations"]
)
def test_a_worker_killed_holding_a_lease_loses_it_when_it_expires_and_another_finishes_the_unit(
    engine, postgres_url, first
):
    seconds = 1.0
    schedule(engine, [first, Unit.discovery("udn")])
    holder = lease_worker("hold", postgres_url, seconds)
    held = json.loads(holder.stdout.readline())
    finisher = lease_worker("work", postgres_url, seconds)
    # While the holder renews, its lease outlives its first term and nobody takes it.
    taken_at = scalar(engine, "SELECT min(taken_at) FROM work_leases WHERE unit = :unit", unit=held["unit"])
    wait_for(
        lambda: (
            scalar(engine, "SELECT min(leased_until) FROM work_leases WHERE unit = :unit", unit=held["unit"])
            > taken_at + timedelta(seconds=3 * seconds)
        ),
        "the holder's renewals",
    )
    assert (
        scalar(engine, "SELECT DISTINCT worker FROM work_leases WHERE unit = :unit", unit=held["unit"])
        == held["worker"]
    )
    assert finisher.poll() is None  # waiting for the held unit
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    done = finished_units([finisher])
    assert sorted(unit["unit"] for unit in done) == [1, 2]
    assert held["unit"] in {unit["unit"] for unit in done}
    assert scalar(engine, "SELECT count(*) FROM work_leases") == 0
    (killed,) = listed(engine)["workers"]
    assert (killed["id"], killed["leases"]) == (held["worker"], [])


def test_workers_lists_each_worker_its_leases_and_heartbeat_as_text_and_json(engine, postgres_url, cli):
    schedule(engine, [Unit.discovery("cna"), Unit.citations(3)])
    busy, idle = worker(engine, 31), worker(engine, 32)
    lease = busy.take()
    busy.take()
    listed = cli("workers", "--db", postgres_url)
    assert listed.exit_code == 0, listed.output
    until = lease.leased_until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = listed.output.splitlines()
    assert lines[0] == "workers: 2; units: 2, due 2, leased 2"
    assert re.fullmatch(rf"{busy.worker}  last heartbeat \d+ s ago", lines[1])
    assert lines[2] == f"  discovery cna (unit 1): until {until}"
    assert lines[3].startswith("  citations 3 (unit 2): until ")
    assert re.fullmatch(rf"{idle.worker}  last heartbeat \d+ s ago", lines[4])
    assert lines[5:] == ["  no lease"]
    as_json = json.loads(cli("workers", "--json", "--db", postgres_url).output)
    assert [worker["id"] for worker in as_json["workers"]] == [busy.worker, idle.worker]
    first = as_json["workers"][0]
    assert (first["host"], first["pid"]) == ("test-host", 31)
    assert [(held["kind"], held["subject"], held["holds"], held["live"]) for held in first["leases"]] == [
        ("discovery", "cna", ["cna"], True),
        ("citations", "3", ["briefing:3"], True),
    ]
    assert datetime.fromisoformat(first["leases"][0]["leased_until"]) == lease.leased_until
    assert as_json["units"] == {"units": 2, "due": 2, "leased": 2}


def test_workers_on_an_sqlite_archive_says_in_one_line_that_they_need_postgresql(cli, tmp_path):
    result = cli("workers", "--db", str(tmp_path / "archive.db"))
    assert (result.exit_code, result.output) == (
        1,
        f"Error: sourcevault workers: crawl workers need a PostgreSQL archive (--db postgresql://…);"
        f" {tmp_path / 'archive.db'} is an SQLite file\n",
    )


def test_a_workers_run_closes_the_runs_whose_worker_lost_its_leases_and_those_of_its_own_outlet(
    engine, postgres_url
):
    killed, crawling, successor = worker(engine, 1, seconds=0.01), worker(engine, 2), worker(engine, 3)
    with Archive(postgres_url) as archive:
        # A run of cna recorded before runs named their worker.
        lost_cna = archive.runs.start(["cna"], None)
        schedule(engine, [Unit.discovery("udn")])
        assert crawling.take().unit == Unit.discovery("udn")
        other = archive.runs.start(["udn"], None, crawl_worker=crawling.worker)
        # A briefing's citations list no outlet: only the lease its worker holds tells it alive.
        schedule(engine, [Unit.citations(1)])
        assert killed.take().unit == Unit.citations(1)
        lost_citations = archive.runs.start([], None, crawl_worker=killed.worker)
        statuses = [archive.runs.get(run)["status"] for run in (lost_cna, lost_citations, other)]
        assert statuses == ["running"] * 3
        taken = []
        wait_for(lambda: taken.append(successor.take()) or taken[-1] is not None, "the expired lease taken")
        assert taken[-1].unit == Unit.citations(1)
        archive.runs.start([], None, crawl_worker=successor.worker)
        statuses = [archive.runs.get(run)["status"] for run in (lost_cna, lost_citations, other)]
        assert statuses == ["running", "interrupted", "running"]
        schedule(engine, [Unit.discovery("cna")])
        assert successor.take().unit == Unit.discovery("cna")
        archive.runs.start(["cna"], None, crawl_worker=successor.worker)
        assert [archive.runs.get(run)["status"] for run in (lost_cna, other)] == ["interrupted", "running"]
        # A single crawl holds the archive's lock alone: any run still running lost its process.
        archive.runs.start(["cna"], None)
        assert archive.runs.get(other)["status"] == "interrupted"


def test_the_lease_fence_checks_again_on_a_new_connection_when_its_own_was_dropped(engine, postgres_url):
    schedule(engine, [Unit.discovery("cna")])
    leases = worker(engine, 1)
    lease = leases.take()
    crawler = get_crawler(
        settings_dict={
            "ARCHIVE_PATH": postgres_url,
            "WORKER_LEASE": {"worker": leases.worker, "unit": lease.unit_id},
        }
    )
    fence = LeaseFencePipeline.from_crawler(crawler)
    fence.open_spider()
    try:
        backend = fence.checking.execute(text("SELECT pg_backend_pid()")).scalar_one()
        # The server ends the fence's session, as a restart or a cut connection would.
        assert scalar(engine, "SELECT pg_terminate_backend(:pid)", pid=backend)
        capture = Capture(
            outlet="cna",
            page_kind="article",
            url="https://www.cna.com.tw/news/aipl/1.aspx",
            fetched_at=datetime.now(UTC),
        )
        assert fence.process_item(capture) is capture
    finally:
        fence.close_spider()
