"""Crawl runs: each run's row in `crawl_runs`, from its start to its finish (or its interruption).

What a run did per outlet is counted from the archive itself (`crawler.archive.run_records`).
"""

from __future__ import annotations

import json
from typing import Any

from crawler import __version__
from crawler.archive.connection import ArchiveConnection, on_postgres, to_json, utc_now
from crawler.archive.fetch_queue import FetchQueue
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
        (crawler/archive/postgres/leases.py), or, `beside`, a briefing's citations fetched beside
        crawls, which closes no run."""
        now = utc_now()
        with self.archive.db.atomic():
            if not beside:
                self._close_interrupted(now, outlets, crawl_worker)
            self.queue.prepare_run(outlets, now, revisits)
            cursor = self.connection.execute(
                """INSERT INTO crawl_runs
                    (started_at, status, outlets, replay_snapshot, sourcevault_version, crawl_worker)
                VALUES (?, 'running', ?, ?, ?, ?)""",
                [now, to_json(outlets), replay_snapshot, __version__, crawl_worker],
            )
        return int(cursor.lastrowid or 0)

    def _close_interrupted(self, now: str, outlets: list[str], crawl_worker: str | None) -> None:
        # The lock says no other crawl runs: a run still "running" lost its process (SIGKILL, power).
        # Under a worker's lease, other workers' runs go on: lost are the runs of the same outlets
        # (the lease says no other worker crawls them) and those whose worker holds no lease any more
        # (taken over after it stopped renewing them; a run of a briefing's citations lists no outlet).
        query, parameters = "SELECT id FROM crawl_runs WHERE status = 'running'", []
        if crawl_worker is not None:
            same_outlets = "outlets = ? OR" if outlets else ""
            query = f"""{query} AND ({same_outlets} crawl_worker IS NOT NULL AND crawl_worker <> ?
                AND NOT EXISTS (SELECT 1 FROM work_leases WHERE worker = crawl_runs.crawl_worker))"""
            parameters = [*([to_json(outlets)] if outlets else []), crawl_worker]
        elif on_postgres(self.connection):
            # A briefing's citations (no outlet listed, no worker) may be fetched beside this crawl.
            query, parameters = f"{query} AND (outlets <> ? OR crawl_worker IS NOT NULL)", [to_json([])]
        interrupted = [row[0] for row in self.connection.execute(query, parameters)]
        for run_id in interrupted:
            self.connection.execute(
                "UPDATE crawl_runs SET status = 'interrupted', finish_reason = ? WHERE id = ?",
                [f"its process ended without closing the run (found at {now})", run_id],
            )
            write_run_records(self.connection, run_id)

    def finish(self, run_id: int, status: str, finish_reason: str | None, exit_status: int) -> None:
        """Close a run with how it ended, and write its per-outlet records."""
        with self.archive.db.atomic():
            self.connection.execute(
                """UPDATE crawl_runs SET finished_at = ?, status = ?, finish_reason = ?, exit_status = ?
                WHERE id = ?""",
                [utc_now(), status, finish_reason, exit_status, run_id],
            )
            write_run_records(self.connection, run_id)

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
