"""Crawl runs: each run's row in `crawl_runs`, from its start to its finish (or its interruption).

What a run did per outlet is counted from the archive itself (`crawler.archive.run_records`).
"""

from __future__ import annotations

import json
from typing import Any

from crawler import __version__
from crawler.archive.connection import ArchiveConnection, on_postgres, to_json, utc_now
from crawler.archive.fetch_queue import FetchQueue
from crawler.archive.lock import CrawlLock
from crawler.archive.postgres import run_holders
from crawler.archive.run_records import write_run_records


class Runs:
    """The `crawl_runs` table of one archive (and the per-outlet records a finished run gets)."""

    def __init__(self, archive: ArchiveConnection, queue: FetchQueue):
        self.archive = archive
        self.connection = archive.connection
        self.queue = queue

    def start(
        self,
        outlets: list[str],
        replay_snapshot: str | None,
        *,
        crawl_worker: str | None = None,
        beside: bool = False,
        revisits: int | None = None,
    ) -> int:
        """Record a new run and queue its revisits (`revisits` of them at most, all when None); only
        while holding the archive's write lock with no other crawl (crawler/archive/lock.py), or,
        `crawl_worker` given, that crawl worker's lease on the run's unit
        (crawler/archive/postgres/leases.py), or, `beside`, beside crawls (a briefing's citations).
        On PostgreSQL, this process holds the run open until its finish
        (crawler/archive/postgres/run_holders.py)."""
        now = utc_now()
        with self.archive.db.atomic():
            self._close_interrupted(now, outlets, crawl_worker, beside)
            self.queue.prepare_run(outlets, now, revisits)
            cursor = self.connection.execute(
                """INSERT INTO crawl_runs
                    (started_at, status, outlets, replay_snapshot, sourcevault_version, crawl_worker)
                VALUES (?, 'running', ?, ?, ?, ?)""",
                [now, to_json(outlets), replay_snapshot, __version__, crawl_worker],
            )
            run_id = int(cursor.lastrowid or 0)
            if on_postgres(self.connection):
                # Held before the row is committed: no other session ever finds it running, unheld.
                run_holders.hold(self.connection, run_id)
        return run_id

    def _close_interrupted(
        self, now: str, outlets: list[str], crawl_worker: str | None, beside: bool
    ) -> None:
        """Close the runs still "running" that lost their process (SIGKILL, power): on PostgreSQL,
        those no session holds (run_holders), whatever starts this run; and those the lock or lease
        this run starts under says lost (`_lost_by_lock`)."""
        lost = [run_holders.UNHELD] if on_postgres(self.connection) else []
        parameters: list[str] = []
        if not beside:
            by_lock, parameters = self._lost_by_lock(outlets, crawl_worker)
            lost.append(by_lock)
        if not lost:
            return
        where = " OR ".join(f"({condition})" for condition in lost)
        query = f"SELECT id FROM crawl_runs WHERE status = 'running' AND ({where}) ORDER BY id"
        for (run_id,) in self.connection.execute(query, parameters).fetchall():
            # Unless its process finished it meanwhile (it lets go of the run only after that).
            closed = self.connection.execute(
                """UPDATE crawl_runs SET status = 'interrupted', finish_reason = ?
                WHERE id = ? AND status = 'running'""",
                [f"its process ended without closing the run (found at {now})", run_id],
            )
            if closed.rowcount:
                write_run_records(self.connection, run_id)

    def _lost_by_lock(self, outlets: list[str], crawl_worker: str | None) -> tuple[str, list[str]]:
        """The runs that the lock or lease a run starts under says lost: a condition on `crawl_runs`
        and its parameters."""
        if crawl_worker is not None:
            # Other workers' runs go on: lost are those of the same outlets (the lease says no other
            # worker crawls them) and those whose worker holds no lease any more (taken over after it
            # stopped renewing them; a run of a briefing's citations lists no outlet).
            same_outlets = "outlets = ? OR" if outlets else ""
            condition = f"""{same_outlets} crawl_worker IS NOT NULL AND crawl_worker <> ?
                AND NOT EXISTS (SELECT 1 FROM work_leases WHERE worker = crawl_runs.crawl_worker)"""
            return condition, [*([to_json(outlets)] if outlets else []), crawl_worker]
        if on_postgres(self.connection):
            # No other crawl runs; a briefing's citations (no outlet listed, no worker) may be
            # fetched beside this crawl.
            return "outlets <> ? OR crawl_worker IS NOT NULL", [to_json([])]
        # One writer at a time: any run still "running" lost its process.
        return "1 = 1", []

    def finish(self, run_id: int, status: str, finish_reason: str | None, exit_status: int) -> None:
        """Close a run with how it ended, and write its per-outlet records."""
        with self.archive.db.atomic():
            self.connection.execute(
                """UPDATE crawl_runs SET finished_at = ?, status = ?, finish_reason = ?, exit_status = ?
                WHERE id = ?""",
                [utc_now(), status, finish_reason, exit_status, run_id],
            )
            write_run_records(self.connection, run_id)
        if on_postgres(self.connection):
            run_holders.let_go(self.connection, run_id)

    def is_held(self, run_id: int) -> bool:
        """Whether a live process holds a "running" run open: on PostgreSQL, the session that
        started it (run_holders); on a file, whichever writer holds the archive's write lock."""
        if on_postgres(self.connection):
            return run_holders.is_held(self.connection, run_id)
        return CrawlLock(self.archive.path).is_taken()

    def get(self, run_id: int | None = None) -> dict[str, Any] | None:
        """One crawl run (the latest when `run_id` is None), as a dict of its `crawl_runs` columns."""
        where, params = ("WHERE id = ?", [run_id]) if run_id is not None else ("", [])
        cursor = self.connection.execute(f"SELECT * FROM crawl_runs {where} ORDER BY id DESC LIMIT 1", params)
        row = cursor.fetchone()
        if row is None:
            return None
        run = dict(zip((column[0] for column in cursor.description), row, strict=True))
        run["outlets"] = json.loads(run["outlets"])
        return run
